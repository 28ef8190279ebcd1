"""Open invoices: reusable payment links with a fixed amount or a min/max range.

``status`` 0 active, 1 expired, 3 cancelled; ``paid_status`` 1 once anybody paid. An active open
invoice whose ``expiry_date`` is before the mock's today reads as expired (1) everywhere it is
shown or filtered, as Hesabe's app reads its list filter (``status`` "1": expired).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

from hesabe_spec.amounts import amount_range_ordered
from hesabe_spec.enums import OpenInvoiceStatus, OpenInvoiceType
from mock_server.clock import Clock
from mock_server.merchants import Merchant
from mock_server.state import keys
from mock_server.state.commands import NewOpenInvoice
from mock_server.state.errors import NotFound, Refused, Unprocessable
from mock_server.state.models import OpenInvoice, OpenInvoiceQuery, Page, open_status_as_seen
from mock_server.state.store import KeyConflict, Store, claim

__all__ = ["OPEN_NOT_FOUND", "OpenInvoiceService"]

OPEN_NOT_FOUND = "Invoice details not found."
ACTIVE, CANCELLED = OpenInvoiceStatus.ACTIVE, OpenInvoiceStatus.CANCELLED
#: Laravel's ``gte`` rule, worded as its validator words it
MAX_BELOW_MIN = "The max amount must be greater than or equal to the min amount."


@dataclass
class OpenInvoiceService:
    store: Store
    clock: Clock

    def as_seen(self, item: OpenInvoice) -> OpenInvoice:
        """``item`` as the API shows it: expired (1) once active past its expiry date."""
        status = open_status_as_seen(item, self.clock.today())
        return item if status == item.status else replace(item, status=status)

    def create(self, merchant: Merchant, new: NewOpenInvoice) -> OpenInvoice:
        if new.open_amount and not amount_range_ordered(new.min_amount, new.max_amount):
            raise Unprocessable(MAX_BELOW_MIN, {"max_amount": [MAX_BELOW_MIN]})
        now = self.clock.stamp()
        for _attempt in range(8):
            item = OpenInvoice(
                merchant_id=merchant.merchant_id,
                title=new.title,
                reference_number=keys.invoice_token(merchant.merchant_id, self.clock.time()),
                type=OpenInvoiceType.OPEN if new.open_amount else OpenInvoiceType.FIXED,
                fixed_amount=new.fixed_amount,
                min_amount=new.min_amount,
                max_amount=new.max_amount,
                access_key=keys.access_key(),
                created_at=now,
                updated_at=now,
                description=new.description,
                expiry_date=new.expiry_date,
                created_by=merchant.merchant_id,
            )
            try:
                return self.as_seen(self.store.insert_open_invoice(item))
            except KeyConflict:
                continue
        raise RuntimeError("could not draw a unique access key")  # pragma: no cover

    def _stored(self, merchant: Merchant, item_id: int) -> OpenInvoice:
        item = self.store.get_open_invoice(merchant.merchant_id, item_id)
        if item is None:
            raise NotFound(OPEN_NOT_FOUND)
        return item

    def get(self, merchant: Merchant, item_id: int) -> OpenInvoice:
        return self.as_seen(self._stored(merchant, item_id))

    def list(self, merchant: Merchant, query: OpenInvoiceQuery) -> Page:
        found = self.store.list_open_invoices(merchant.merchant_id, replace(query, today=self.clock.today()))
        return Page([self.as_seen(item) for item in found.items], found.total)

    def _rewrite(self, merchant: Merchant, item_id: int,
                 change: Callable[[OpenInvoice], OpenInvoice]) -> OpenInvoice:
        """Write ``change(stored)`` over the stored open invoice, never over payments made meanwhile
        (a payment through another process lands first: the change is decided again on it)."""
        updated, _ = claim(lambda: self._stored(merchant, item_id), lambda item: (change(item), None),
                           lambda new, old: self.store.update_open_invoice(new, expected=old),
                           lambda: Refused(f"Open invoice {item_id} kept changing; try again"))
        return updated

    def update_expiry(self, merchant: Merchant, item_id: int, expiry_date: str) -> OpenInvoice:
        def change(item: OpenInvoice) -> OpenInvoice:
            if item.status == CANCELLED:
                raise Refused("Open invoice has been cancelled")
            status = ACTIVE if expiry_date >= self.clock.today() else item.status
            return replace(item, expiry_date=expiry_date, status=status, updated_at=self.clock.stamp())

        return self.as_seen(self._rewrite(merchant, item_id, change))

    def cancel(self, merchant: Merchant, item_id: int) -> OpenInvoice:
        def change(item: OpenInvoice) -> OpenInvoice:
            if item.status == CANCELLED:
                raise Refused("Open invoice has already been cancelled")
            return replace(item, status=CANCELLED, updated_at=self.clock.stamp())

        return self._rewrite(merchant, item_id, change)
