"""What can be refunded: a captured payment, found by its transaction token.

This is the one seam between refunds and the things that take payments. A refund names a payment
by the token of its transaction; :class:`~mock_server.state.refunds.RefundService` asks each
:data:`PaidLookup` in turn and refunds only what one of them calls paid. Invoices plug in with
:func:`invoice_payments`; another payment family (checkout) plugs in the same way, with one
function of the same signature appended to ``RefundService.lookups``::

    def checkout_payments(store: Store) -> PaidLookup:
        def lookup(merchant_id: int, token: str) -> PaidTransaction | None:
            ...  # the captured checkout transaction with this token, or None
        return lookup

Anything a lookup does not return (an unpaid or cancelled invoice, a failed or merely authorized
payment, a token of another merchant) cannot be refunded.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, NamedTuple

from hesabe_spec.enums import InvoiceStatus, ServiceType
from mock_server.state.models import Invoice, Source
from mock_server.state.store import Store

__all__ = ["NO_IDS", "GatewayIds", "PaidLookup", "PaidTransaction", "gateway_ids", "invoice_paid",
           "invoice_payments"]


class GatewayIds(NamedTuple):
    """A payment's ids at the payment gateway, as the transaction enquiry lists them."""

    payment_id: str | None
    transaction_id: str | None
    track_id: str | None


NO_IDS = GatewayIds(None, None, None)


@dataclass(frozen=True, slots=True)
class PaidTransaction:
    """A captured payment, as a refund needs to know it."""

    merchant_id: int
    #: the transaction token the refund request names
    token: str
    #: what was captured, a 3-decimal string
    amount: str
    #: which family took the payment, and the id of its record there
    kind: Source
    record_id: int
    #: the merchant's order reference (an invoice's reference number)
    order_reference: str
    #: when it was captured, ``YYYY-MM-DD HH:MM:SS`` (None when the record does not say)
    paid_at: str | None
    payment_type_id: int
    service_type_id: int
    #: the payment's gateway ids, where its record keeps them (the enquiry lists them)
    ids: GatewayIds = NO_IDS


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


def gateway_ids(txn: Mapping[str, Any]) -> GatewayIds:
    """The ids of an invoice's or open invoice's payment record (its ``transaction``): the same
    ones its invoice details show."""
    listed = txn.get("list")
    track = listed.get("track_id") if isinstance(listed, Mapping) else None
    return GatewayIds(_text(txn.get("payment_id")), _text(txn.get("transaction_id")), _text(track))


#: ``(merchant_id, transaction token) -> the captured payment, or None``
PaidLookup = Callable[[int, str], PaidTransaction | None]


def invoice_payments(store: Store) -> PaidLookup:
    """Paid invoices, by the token of the transaction that paid them."""

    def lookup(merchant_id: int, token: str) -> PaidTransaction | None:
        inv = store.find_invoice_by_transaction_token(merchant_id, token)
        return invoice_paid(inv) if inv is not None else None

    return lookup


def invoice_paid(inv: Invoice) -> PaidTransaction | None:
    """The payment of a paid invoice (None while it is not paid, or has no transaction token)."""
    txn = inv.transaction or {}
    token = inv.payment_token
    if inv.invoice_status != InvoiceStatus.PAID or token is None:
        return None
    return PaidTransaction(
        merchant_id=inv.merchant_id,
        token=token,
        amount=inv.amount,
        kind="invoice",
        record_id=inv.id,
        order_reference=inv.reference_number,
        paid_at=txn.get("created_at") or inv.updated_at,
        payment_type_id=int(txn.get("payment_type_id") or 0),
        service_type_id=int(txn.get("service_type_id") or ServiceType.SMS_INVOICE),
        ids=gateway_ids(txn),
    )
