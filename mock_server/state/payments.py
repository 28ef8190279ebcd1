"""Payment simulation: what a customer paying (or failing to pay) an invoice does to the state.

Both the hosted payment page and the ``/_mock/`` control plane call :class:`PaymentService`, so a
payment looks the same however it was made. Rules:

* an invoice can be paid only while unpaid (0), not cancelled (3), not already paid (1) and not
  past ``expires_at`` on the mock's clock; the payment type must be one it was allocated;
* ``success`` sets ``invoice_status`` 1 and attaches a transaction shaped like the details
  response (hesabe-api.md §4.6), with the dashboard row's fields under ``transaction["list"]``;
* ``failure`` / ``cancelled`` (declined by the customer) leave it unpaid and append an attempt;
* an open invoice takes many payments while active and unexpired, each within min/max (or exactly
  the fixed amount), and ``paid_status`` turns 1 on the first success;
* split/installment invoices are paid one by one: paying one never touches its siblings.

After a success every callback in ``on_paid`` runs as ``(merchant, invoice_or_open_invoice,
transaction)``; after a failure or decline ``on_failed`` runs the same way with the attempt.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from decimal import Decimal, InvalidOperation
from itertools import count
from typing import Any

from hesabe_spec.amounts import FILS, MAX_AMOUNT, format_amount
from hesabe_spec.enums import (
    KNET_RAILS,
    InvoiceStatus,
    OpenInvoiceStatus,
    OpenInvoiceType,
    PaidStatus,
    PaymentStatus,
    PaymentType,
    ServiceType,
)
from mock_server.clock import Clock
from mock_server.merchants import Merchant, MerchantRegistry
from mock_server.state import keys
from mock_server.state.errors import NotFound, Refused
from mock_server.state.models import Invoice, OpenInvoice, Outcome
from mock_server.state.store import Store, claim

__all__ = [
    "OUTCOMES",
    "PaidHook",
    "PaymentRefused",
    "PaymentResult",
    "PaymentService",
    "commission_for",
]

log = logging.getLogger("hesabe_mock.payments")

#: how an invoice payment can end (a session expiring is a checkout's)
OUTCOMES: tuple[Outcome, ...] = (Outcome.SUCCESS, Outcome.FAILURE, Outcome.CANCELLED)
#: ``(merchant, invoice or open invoice, transaction or attempt)``
PaidHook = Callable[[Merchant, Invoice | OpenInvoice, dict[str, Any]], None]

#: KNET charges a flat fee, card schemes a percentage (typical Kuwaiti PSP pricing; Hesabe's
#: real rates are per merchant contract and not public, so these are the mock's choice)
_KNET_FEE = Decimal("0.100")
_CARD_RATE = Decimal("0.025")


class PaymentRefused(Refused):
    """The payment cannot be made at all (nothing is recorded). ``reason`` is machine-readable:
    ``expired``, ``cancelled``, ``already_paid``, ``inactive``, ``payment_type``, ``amount``,
    ``outcome``, ``busy`` (other writers kept changing the invoice or open invoice)."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


@dataclass(frozen=True, slots=True)
class PaymentResult:
    """What a payment did: the record as now stored and the transaction or failed attempt."""

    outcome: Outcome
    record: Invoice | OpenInvoice
    transaction: dict[str, Any]

    @property
    def paid(self) -> bool:
        return self.outcome == Outcome.SUCCESS


def commission_for(payment_type: int, amount: Decimal) -> Decimal:
    """The mock's gateway fee: flat for KNET, a percentage for everything else."""
    if payment_type == PaymentType.KNET:
        return min(_KNET_FEE, amount)
    return (amount * _CARD_RATE).quantize(FILS)


def _number(value: Decimal) -> int | float:
    """A JSON number as PHP writes it: ``15`` for a whole amount, ``14.9`` otherwise."""
    return int(value) if value == value.to_integral_value() else float(value)


def _parse_type(value: Any) -> int:
    try:
        code = int(str(value).strip())
    except (TypeError, ValueError):
        raise PaymentRefused("payment_type", f"payment_type must be a number, got {value!r}") from None
    return code


def _parse_outcome(value: Any) -> Outcome:
    if value not in OUTCOMES:
        raise PaymentRefused("outcome", f"outcome must be one of {', '.join(OUTCOMES)}, got {value!r}")
    return Outcome(value)


def _parse_amount(value: Any) -> Decimal:
    try:
        amount = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise PaymentRefused("amount", f"amount must be a decimal number, got {value!r}") from None
    if not amount.is_finite() or amount <= 0:
        raise PaymentRefused("amount", f"amount must be a positive number, got {value!r}")
    if amount > MAX_AMOUNT:  # the schemas' bound on money; quantize would overflow long before 1e308
        raise PaymentRefused("amount", f"amount must be at most {MAX_AMOUNT}, got {value!r}")
    if amount != amount.quantize(FILS):  # refused, never rounded, as the API's amounts are
        raise PaymentRefused("amount", f"amount has more than 3 decimals, got {value!r}")
    return amount.quantize(FILS)


@dataclass
class PaymentService:
    """Pays invoices and open invoices on a store, under one lock so two payers cannot race."""

    store: Store
    clock: Clock
    merchants: MerchantRegistry
    on_paid: list[PaidHook] = field(default_factory=list)
    on_failed: list[PaidHook] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _ids: Iterator[int] = field(default_factory=lambda: count(1190281), repr=False)

    # -- look-ups (the control plane addresses records by id without a merchant) --------------
    def find_invoice(self, invoice_id: int, merchant_code: str | None = None) -> Invoice:
        """An invoice of any known merchant (or of the one named), else :class:`NotFound`."""
        for merchant in self._merchants(merchant_code):
            inv = self.store.get_invoice(merchant.merchant_id, invoice_id)
            if inv is not None:
                return inv
        raise NotFound(f"No invoice with id {invoice_id}")

    def find_open_invoice(self, item_id: int, merchant_code: str | None = None) -> OpenInvoice:
        for merchant in self._merchants(merchant_code):
            item = self.store.get_open_invoice(merchant.merchant_id, item_id)
            if item is not None:
                return item
        raise NotFound(f"No open invoice with id {item_id}")

    def _merchants(self, merchant_code: str | None) -> list[Merchant]:
        if merchant_code is None:
            return list(self.merchants.merchants)
        found = [m for m in self.merchants.merchants if m.merchant_code == str(merchant_code)]
        if not found:
            raise NotFound(f"No merchant with code {merchant_code}")
        return found

    def merchant_of(self, record: Invoice | OpenInvoice) -> Merchant:
        merchant = self.merchants.by_id(record.merchant_id)
        if merchant is None:  # pragma: no cover - records are only created for known merchants
            raise NotFound(f"No merchant with id {record.merchant_id}")
        return merchant

    # -- invoices ---------------------------------------------------------------------------
    def count_visit(self, inv: Invoice) -> Invoice:
        """``visited_count`` + 1 (the real field the details response reports), nothing else. Under
        the payments' lock: a visit is a read-modify-write too, and one racing a payment must not
        write the invoice back unpaid."""
        with self._lock:
            current = self.store.get_invoice(inv.merchant_id, inv.id) or inv
            seen = replace(current, visited_count=current.visited_count + 1)
            self.store.update_invoice(seen)
        return seen

    def is_expired(self, inv: Invoice) -> bool:
        return bool(inv.expires_at) and str(inv.expires_at)[:10] < self.clock.today()

    def check_payable(self, inv: Invoice) -> None:
        """Raise :class:`PaymentRefused` unless the invoice can be paid right now."""
        if inv.invoice_status == InvoiceStatus.PAID:
            raise PaymentRefused("already_paid", f"Invoice {inv.id} has already been paid")
        if inv.invoice_status == InvoiceStatus.CANCELLED:
            raise PaymentRefused("cancelled", f"Invoice {inv.id} has been cancelled")
        if self.is_expired(inv):
            raise PaymentRefused(
                "expired", f"Invoice {inv.id} expired on {inv.expires_at} (mock date {self.clock.today()})")

    def pay_invoice(self, invoice: Invoice | int, payment_type: Any,
                    outcome: Any = Outcome.SUCCESS) -> PaymentResult:
        """Pay (or fail to pay) one invoice; ``invoice`` may be the record or its id."""
        outcome = _parse_outcome(outcome)
        code = _parse_type(payment_type)
        inv_id = invoice if isinstance(invoice, int) else invoice.id

        def decide(current: Invoice) -> tuple[Invoice, dict[str, Any]]:
            self.check_payable(current)
            if str(code) not in current.payment_method:
                allowed = ", ".join(current.payment_method) or "none"
                raise PaymentRefused("payment_type", f"Payment type {code} is not allocated to invoice "
                                                     f"{inv_id} (allowed: {allowed})")
            amount = Decimal(current.amount)
            now = self.clock.stamp()
            if outcome == Outcome.SUCCESS:
                txn = self._transaction(self.merchant_of(current), code, amount, ServiceType.SMS_INVOICE, now,
                                        current.admin_charge)
                paid = replace(current, invoice_status=InvoiceStatus.PAID, transaction=txn, updated_at=now)
                return paid, txn
            txn = self._attempt(code, amount, outcome, now)
            return replace(current, payment_attempts=(*current.payment_attempts, txn), updated_at=now), txn

        with self._lock:
            # The page and the control plane, in this process or another sharing the store, may pay
            # the same invoice at once: the store's claim writes the first, the loser reads again and
            # finds it paid.
            stored, txn = claim(lambda: self.find_invoice(inv_id), decide,
                                lambda new, old: self.store.update_invoice(new, expected=old),
                                lambda: PaymentRefused("busy", f"Invoice {inv_id} kept changing while it was"
                                                               " being paid"))
        self._notify(self.merchant_of(stored), stored, txn, outcome)
        return PaymentResult(outcome, stored, txn)

    # -- open invoices ----------------------------------------------------------------------
    def check_open_payable(self, item: OpenInvoice) -> None:
        if item.status == OpenInvoiceStatus.CANCELLED:
            raise PaymentRefused("cancelled", f"Open invoice {item.id} has been cancelled")
        expired = bool(item.expiry_date) and str(item.expiry_date)[:10] < self.clock.today()
        if item.status == OpenInvoiceStatus.EXPIRED or expired:
            raise PaymentRefused("expired", f"Open invoice {item.id} expired on {item.expiry_date}")
        if item.status != OpenInvoiceStatus.ACTIVE:
            raise PaymentRefused("inactive", f"Open invoice {item.id} is not active (status {item.status})")

    def _check_open_amount(self, item: OpenInvoice, amount: Decimal) -> None:
        if item.type == OpenInvoiceType.FIXED:
            if amount != Decimal(item.fixed_amount):
                raise PaymentRefused("amount",
                                     f"Open invoice {item.id} takes exactly {item.fixed_amount} KWD")
            return
        low, high = Decimal(item.min_amount), Decimal(item.max_amount)
        if not low <= amount <= high:
            raise PaymentRefused(
                "amount", f"Amount {format_amount(amount)} is outside {item.min_amount}..{item.max_amount}")

    def pay_open_invoice(self, item: OpenInvoice | int, amount: Any = None, payment_type: Any = 1,
                         outcome: Any = Outcome.SUCCESS,
                         customer: dict[str, Any] | None = None) -> PaymentResult:
        """One customer's payment on an open invoice (``amount`` defaults to the fixed amount)."""
        outcome = _parse_outcome(outcome)
        code = _parse_type(payment_type)
        if code not in PaymentType._value2member_map_:
            raise PaymentRefused("payment_type", f"Unknown payment type {code}")
        item_id = item if isinstance(item, int) else item.id

        def decide(current: OpenInvoice) -> tuple[OpenInvoice, dict[str, Any]]:
            self.check_open_payable(current)
            fixed = amount is None and current.type == OpenInvoiceType.FIXED
            value = _parse_amount(current.fixed_amount if fixed else amount)
            self._check_open_amount(current, value)
            now = self.clock.stamp()
            if outcome == Outcome.SUCCESS:
                txn = self._transaction(self.merchant_of(current), code, value, ServiceType.OPEN_INVOICE, now,
                                        "0.000")
            else:
                txn = self._attempt(code, value, outcome, now)
            record = {**txn, "outcome": outcome, "amount": format_amount(value),
                      "customer": dict(customer or {})}
            paid_status = PaidStatus.PAID if outcome == Outcome.SUCCESS else current.paid_status
            return replace(current, payments=(*current.payments, record), updated_at=now,
                           paid_status=paid_status), txn

        with self._lock:
            # Many customers pay one open invoice, through any process sharing the store: each
            # payment is appended to the payments the store holds, never to a stale copy of them.
            stored, txn = claim(lambda: self.find_open_invoice(item_id), decide,
                                lambda new, old: self.store.update_open_invoice(new, expected=old),
                                lambda: PaymentRefused("busy", f"Open invoice {item_id} kept changing while"
                                                               " it was being paid"))
        self._notify(self.merchant_of(stored), stored, txn, outcome)
        return PaymentResult(outcome, stored, txn)

    # -- shapes -----------------------------------------------------------------------------
    def _transaction(self, merchant: Merchant, code: int, amount: Decimal, service: int, now: str,
                     admin_charge: str) -> dict[str, Any]:
        fee = commission_for(code, amount)
        token = keys.transaction_token(merchant.merchant_code, self.clock.time())
        payment_id, txn_id = keys.payment_ids(now, code in KNET_RAILS)
        track_id, ref, auth = keys.digits(8), keys.digits(12), keys.digits(6)
        name = PaymentType.display_name_of(code)
        return {
            "id": next(self._ids),
            "amount": _number(amount),
            "net_amount": _number(amount - fee),
            "commission": _number(fee),
            "admin_charge": _number(Decimal(admin_charge)),
            "token": token,
            "payment_type_id": code,
            "service_type_id": int(service),
            "payment_transfer_status": 2,  # 2 = not yet transferred to the merchant (sample value)
            "payment_status": int(PaymentStatus.SUCCESS),
            "auth_status": 0,
            # the docs' sample is cut off right after auth_status at "refu..."; the app reads refund[]
            "refund": [],
            "transaction_id": txn_id,
            "transaction_payment_id": payment_id,
            "payment_id": payment_id,
            "transaction_reference_number": ref,
            "reference_number": ref,
            "auth": auth,
            "payment_type": {"id": code, "name": name, "display_name": name},
            "payment_card_detail": None,
            # what the merchant app reads once the payment is reconciled and transferred (§4.6);
            # nothing is, yet
            "reconciliation": None,
            "payment_transfer": None,
            "payment_transfer_document_number": None,
            "created_at": now,
            "updated_at": now,
            # no top-level "paid_on": the schema tells the dashboard shape from this one by it
            "list": {
                "payment_type_id": code, "payment_id": payment_id, "post_date": now[:10],
                "result_code": Outcome.SUCCESS.result_code.value, "track_id": track_id,
                "transaction_id": txn_id,
                "reference_number": ref, "payment_type": name, "paid_on": now, "Auth": auth,
                "Amount": format_amount(amount), "admin_charge": format_amount(admin_charge),
            },
        }

    @staticmethod
    def _attempt(code: int, amount: Decimal, outcome: Outcome, now: str) -> dict[str, Any]:
        return {"outcome": outcome, "payment_type_id": code,
                "payment_type": PaymentType.display_name_of(code), "amount": format_amount(amount),
                "result_code": outcome.result_code.value, "at": now,
                "payment_id": keys.payment_ids(now, code in KNET_RAILS)[0]}

    def _notify(self, merchant: Merchant, record: Invoice | OpenInvoice, txn: dict[str, Any],
                outcome: Outcome) -> None:
        hooks = self.on_paid if outcome == Outcome.SUCCESS else self.on_failed
        for hook in list(hooks):
            try:
                hook(merchant, record, txn)
            except Exception:  # a broken webhook sender must never undo or fail a payment
                log.exception("payment hook %r failed", hook)
