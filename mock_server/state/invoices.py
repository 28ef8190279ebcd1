"""Invoice lifecycle: create (each kind), read, list, resend, bulk send, cancel, pay.

States: unpaid (0) -> paid (1) | cancelled (3). Paid and cancelled are final. "Expired" is not a
status code in any source: an unpaid invoice whose ``expires_at`` is before the mock's today
simply cannot be paid any more.
"""

from __future__ import annotations

import builtins
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace
from typing import Any

from hesabe_spec.enums import InvoiceKind, InvoiceStatus
from mock_server.clock import Clock
from mock_server.merchants import Merchant
from mock_server.state import keys
from mock_server.state.commands import NewInvoice
from mock_server.state.errors import NotFound, Refused
from mock_server.state.models import Customer, Invoice, InvoiceQuery, Page
from mock_server.state.store import KeyConflict, StatusCounts, Store

__all__ = ["InvoiceService", "stats_block"]

_EN_SMS = "Hi {name} , \r\nYour transaction amount is KD {amount} with the ref no : {ref} . Review and pay at"
_AR_SMS = (
    "hi {name},\r\n\u0645\u0628\u0644\u063a \u0627\u0644\u0635\u0641\u0642\u0629 \u0647\u0648 "
    "\u062f\u064a\u0646\u0627\u0631 \u0643\u0648\u064a\u062a\u064a {amount} \u0645\u0639 "
    "\u0627\u0644\u0645\u0631\u062c\u0639 \u0631\u0642\u0645: {ref}. \u0645\u0631\u0627\u062c\u0639\u0629 "
    "\u0648\u062a\u062f\u0641\u0639 \u0641\u064a"
)
#: what the SMS gateway answered, as the server stores it (compact JSON)
_SMS_REPLY = '{{"requestError":0,"messageId":"{message_id}","isOK":true,"result":"0","smS_Cost":3200}}'
#: the merchant's default when ``language`` is omitted (seed 001 sends none and gets "ar")
DEFAULT_LANGUAGE = "ar"
DEFAULT_PAY_TYPES = ("1", "2")
_KEY_RETRIES = 8


def stats_block(counts: StatusCounts, orders: bool) -> dict[str, Any]:
    """``stats`` / ``order_stats``: int total, counters as strings, null when there are none."""
    picked: dict[int, int] = {}
    for (kind, status), n in counts.items():
        if (kind == InvoiceKind.ORDER) == orders:
            picked[status] = picked.get(status, 0) + n
    total = sum(picked.values())

    def counter(status: int) -> str | None:
        return str(picked.get(status, 0)) if total else None

    return {
        "total_invoice_count": total,
        "invoice_paid": counter(InvoiceStatus.PAID),
        "invoice_not_paid": counter(InvoiceStatus.UNPAID),
        "invoice_cancelled": counter(InvoiceStatus.CANCELLED),
    }


@dataclass
class InvoiceService:
    store: Store
    clock: Clock

    # -- create ------------------------------------------------------------------------------
    def _build(self, merchant: Merchant, new: NewInvoice, kind: InvoiceKind, invoice_id: int, *,
               access_key: str | None = None, split_key: str = "", texted: bool = False) -> Invoice:
        """The new invoice under the id its store handed out; ``texted``: as stored once the SMS
        gateway accepted its text."""
        now = self.clock.stamp()
        texts = new.by_sms and kind in (InvoiceKind.SINGLE, InvoiceKind.SUBSCRIPTION)
        words = {"name": new.customer_name, "amount": new.amount, "ref": new.reference_number}
        terms = new.subscription if kind == InvoiceKind.SUBSCRIPTION else None
        return Invoice(
            id=invoice_id,
            merchant_id=merchant.merchant_id,
            invoice_type=kind,
            invoice_sub_type=new.sub_type,
            token=keys.invoice_token(merchant.merchant_id, self.clock.time()),
            access_key=keys.access_key() if access_key is None else access_key,
            split_access_key=split_key,
            reference_number=new.reference_number,
            amount=new.amount,
            created_at=now,
            updated_at=now,
            payment_method=DEFAULT_PAY_TYPES if new.pay_types is None else new.pay_types,
            description=new.description,
            subscription=1 if kind == InvoiceKind.SUBSCRIPTION else None,
            url_status=0 if texts else 1,
            created_id=merchant.merchant_id,
            language=new.language or DEFAULT_LANGUAGE,
            expires_at=new.expires_at,
            en_sms=_EN_SMS.format(**words) if texts else "",
            ar_sms=_AR_SMS.format(**words) if texts else "",
            customer=Customer(new.customer_name, new.customer_email, new.customer_phone),
            products=tuple(
                {"id": n, "name": line.title, "amount": line.rate, "quantity": line.quantity,
                 "final_amount": line.amount}
                for n, line in enumerate(new.products, start=1)
            ),
            webhook=new.webhook,
            subscription_terms=None if terms is None else {
                key: value for key, value in (("frequency", terms.frequency),
                                              ("noofRecurrence", terms.recurrences),
                                              ("SubscriptionType", terms.subscription_type),
                                              ("startDate", terms.start_date)) if value is not None
            },
            sent_sub_type=new.sub_type_as_sent,
            sms_status=1 if texted else 0,
            sms_response=self._sms_reply() if texted else "",
        )

    def _insert(self, build: Callable[[Iterator[int]], list[Invoice]]) -> list[Invoice]:
        for _attempt in range(_KEY_RETRIES):
            try:
                return self.store.create_invoices(build)
            except KeyConflict:
                continue
        raise RuntimeError("could not draw unique invoice keys")  # pragma: no cover - 36^8 space

    def create(self, merchant: Merchant, new: NewInvoice, kind: InvoiceKind) -> Invoice:
        """Single or subscription. SMS invoices are texted right after.

        The text goes out in the same store write as the invoice (one transaction, not two);
        the create response still shows the unsent state (``serialize.invoice_created``).
        """

        def build(ids: Iterator[int]) -> list[Invoice]:
            return [self._build(merchant, new, kind, next(ids), texted=new.by_sms)]

        return self._insert(build)[0]

    def create_group(self, merchant: Merchant, parts: Sequence[NewInvoice],
                     kind: InvoiceKind) -> list[Invoice]:
        """Split or installment: created together, sharing one ``split_access_key``."""

        def build(ids: Iterator[int]) -> list[Invoice]:
            first_key = keys.access_key()
            group_key = "SP" + first_key
            return [self._build(merchant, part, kind, next(ids), access_key=first_key if n == 0 else None,
                                split_key=group_key) for n, part in enumerate(parts)]

        return self._insert(build)

    # -- read --------------------------------------------------------------------------------
    def get(self, merchant: Merchant, invoice_id: int) -> Invoice:
        # resendId / ids[] are digit strings of any length; SQLite ids are 64-bit (a larger int is
        # an OverflowError there), and such an id names no invoice in any store.
        if not 0 < invoice_id < 2**63:
            raise NotFound()
        inv = self.store.get_invoice(merchant.merchant_id, invoice_id)
        if inv is None:
            raise NotFound()
        return inv

    def by_token(self, merchant: Merchant, token: str) -> Invoice:
        inv = self.store.get_invoice_by_token(merchant.merchant_id, token)
        if inv is None:
            raise NotFound()
        return inv

    def list(self, merchant: Merchant, query: InvoiceQuery) -> tuple[Page, StatusCounts]:
        return self.store.list_invoices(merchant.merchant_id, query), self.store.invoice_counts(
            merchant.merchant_id
        )

    # -- changes -----------------------------------------------------------------------------
    @staticmethod
    def _sms_reply() -> str:
        """What the server stores as ``sms_response`` once the SMS gateway accepted a text."""
        return _SMS_REPLY.format(message_id=keys.sms_message_id())  # an id is hex and dashes only

    def _texted(self, inv: Invoice) -> Invoice:
        """``inv`` after the SMS gateway accepted a text (what the server stores)."""
        return replace(inv, sms_status=1, sms_response=self._sms_reply(), updated_at=self.clock.stamp())

    def _record_sms(self, inv: Invoice) -> Invoice:
        sent = self._texted(inv)
        self.store.update_invoice(sent)
        return sent

    def resend(self, merchant: Merchant, invoice_id: int) -> Invoice:
        inv = self.get(merchant, invoice_id)
        if inv.invoice_status == InvoiceStatus.CANCELLED:
            raise Refused("Invoice has been cancelled")
        return self._record_sms(inv)

    # builtins.list: inside this class ``list`` names the method above
    def send_bulk(self, merchant: Merchant, ids: Sequence[int]) -> builtins.list[Invoice]:
        found = [self.get(merchant, i) for i in ids]  # all or nothing: any unknown id -> NotFound
        return [self._record_sms(inv) for inv in found if inv.invoice_status != InvoiceStatus.CANCELLED]

    def cancel(self, merchant: Merchant, token: str) -> Invoice:
        inv = self.by_token(merchant, token)
        if inv.invoice_status != InvoiceStatus.UNPAID:
            raise Refused("Invoice status update failed")
        cancelled = replace(inv, invoice_status=InvoiceStatus.CANCELLED, updated_at=self.clock.stamp())
        self.store.update_invoice(cancelled)
        return cancelled

    def is_expired(self, inv: Invoice) -> bool:
        return bool(inv.expires_at) and str(inv.expires_at) < self.clock.today()

    def counts(self, merchant: Merchant) -> StatusCounts:
        return self.store.invoice_counts(merchant.merchant_id)
