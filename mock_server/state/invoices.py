"""Invoice lifecycle: create (each kind), read, list, resend, bulk send, cancel, pay.

States: unpaid (0) -> paid (1) | cancelled (3). Paid and cancelled are final. "Expired" is not a
status code in any source: an unpaid invoice whose ``expires_at`` is before the mock's today
simply cannot be paid any more.
"""

from __future__ import annotations

import builtins
import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any

from hesabe_spec.enums import InvoiceKind, InvoiceStatus
from mock_server.clock import Clock
from mock_server.merchants import Merchant
from mock_server.state import keys
from mock_server.state.errors import NotFound, Refused
from mock_server.state.models import Customer, Invoice, InvoiceQuery, Page
from mock_server.state.store import KeyConflict, StatusCounts, Store

__all__ = ["InvoiceService", "money", "stats_block"]

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


_MILLS = Decimal("0.001")
#: already what ``money`` writes (no sign, no leading zero, three decimals): returned as it is
_CANONICAL_MONEY = re.compile(r"(?:0|[1-9][0-9]{0,14})\.[0-9]{3}")


def money(value: Any) -> str:
    """A 3-decimal KWD string ("20" -> "20.000")."""
    if type(value) is str and _CANONICAL_MONEY.fullmatch(value):
        return value  # what clients send ("20.000"), and what the Decimal round trip gives back
    return f"{Decimal(str(value)).quantize(_MILLS):f}"


def _pay_types(value: Any) -> tuple[str, ...]:
    if value is None or value == "" or value == []:
        return DEFAULT_PAY_TYPES
    items = value.split(",") if isinstance(value, str) else value
    kept = []
    for v in items:
        text = str(v).strip()
        if text:
            kept.append(text)
    return tuple(kept)


def _items(value: Any) -> list[dict[str, Any]]:
    if isinstance(value, str):
        value = json.loads(value) if value.strip() else []
    return list(value or [])


def _phone(country_code: Any, mobile: Any) -> str | None:
    if not mobile:
        return None
    return f"{str(country_code or '965').lstrip('+')}{mobile}"


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
    def _build(self, merchant: Merchant, p: dict[str, Any], kind: int, split_key: str = "",
               texted: bool = False) -> Invoice:
        """The new invoice; ``texted``: as stored once the SMS gateway accepted its text."""
        now = self.clock.stamp()
        sub_type = int(p.get("invoiceSubType", "0" if str(p.get("invoiceType")) == "1" else "3"))
        sms = str(p.get("invoiceType")) == "1"
        name = str(p.get("customerName") or "")
        amount = money(p["amount"])
        ref = str(p.get("referenceNumber") or "")
        single = kind in (InvoiceKind.SINGLE, InvoiceKind.SUBSCRIPTION)
        items = _items(p.get("itemsList"))
        products = tuple(
            {"id": i + 1, "name": str(it.get("itemTitle", "")), "amount": money(it.get("rate", 0)),
             "quantity": int(it.get("quantity", 1)), "final_amount": money(it.get("amount", 0))}
            for i, it in enumerate(items)
        )
        terms: dict[str, str] | None = None
        if kind == InvoiceKind.SUBSCRIPTION:
            terms = {k: str(p[k]) for k in ("frequency", "noofRecurrence", "SubscriptionType", "startDate")
                     if k in p}
        return Invoice(
            merchant_id=merchant.merchant_id,
            invoice_type=kind,
            invoice_sub_type=sub_type,
            token=keys.invoice_token(merchant.merchant_id, self.clock.time()),
            access_key=keys.access_key(),
            split_access_key=split_key,
            reference_number=ref,
            amount=amount,
            created_at=now,
            updated_at=now,
            payment_method=_pay_types(p.get("allocatePayType")),
            description=str(p.get("description") or ""),
            subscription=1 if kind == InvoiceKind.SUBSCRIPTION else None,
            url_status=0 if (sms and single) else 1,
            created_id=merchant.merchant_id,
            language=str(p.get("language") or DEFAULT_LANGUAGE),
            expires_at=p.get("expiresAt") or None,
            en_sms=_EN_SMS.format(name=name, amount=amount, ref=ref) if sms and single else "",
            ar_sms=_AR_SMS.format(name=name, amount=amount, ref=ref) if sms and single else "",
            customer=Customer(name, str(p.get("customerEmail") or ""), _phone(p.get("countryCode"),
                                                                                p.get("mobileNumber"))),
            products=products,
            webhook=p.get("webhook") or None,
            subscription_terms=terms,
            echo={"invoiceSubType": p["invoiceSubType"]} if "invoiceSubType" in p else None,
            # as keywords, not **mapping: a ** call builds a dict of all of them first
            sms_status=1 if texted else 0,
            sms_response=self._sms_reply() if texted else "",
        )

    def _insert(self, build: Callable[[], list[Invoice]]) -> list[Invoice]:
        for _attempt in range(_KEY_RETRIES):
            try:
                return self.store.insert_invoices(build())
            except KeyConflict:
                continue
        raise RuntimeError("could not draw unique invoice keys")  # pragma: no cover - 36^8 space

    def create(self, merchant: Merchant, payload: dict[str, Any], kind: int) -> Invoice:
        """Single (kind 1) or subscription (kind 0). SMS invoices are texted right after.

        The text goes out in the same store write as the invoice (one transaction, not two);
        the create response still shows the unsent state (``serialize.invoice_created``).
        """
        sms = str(payload.get("invoiceType")) == "1"

        def build() -> list[Invoice]:
            return [self._build(merchant, payload, kind, texted=sms)]

        return self._insert(build)[0]

    def create_group(self, merchant: Merchant, payload: dict[str, Any], kind: int) -> list[Invoice]:
        """Split (6) or installment (7): created together, sharing one ``split_access_key``."""

        def build() -> list[Invoice]:
            first_key = keys.access_key()
            group_key = "SP" + first_key
            built = [self._build(merchant, item, kind, group_key) for item in payload["invoices"]]
            built[0] = replace(built[0], access_key=first_key)
            return built

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
