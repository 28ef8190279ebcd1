"""Wire shapes of the one ledger: the transactions report's rows and stats, the enquiry record of a
payment that is not a checkout, an open invoice's payers, and the saved-card family's answers.

None of these is printed by a source (hesabe-api.md §13 rows 19 and 29 rest on a third-party SDK
and the merchant app; hesabe-checkout-api.md §8.3 cuts the charge answer after ``paidOn``): the
keys follow the enquiry's and the refund list's spelling, and docs/fidelity.md records each choice.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from hesabe_spec.amounts import from_fils, to_fils
from hesabe_spec.enums import ServiceType
from mock_server.shapes.checkout import payment_type_name
from mock_server.state.ledger import LedgerEntry
from mock_server.state.models import CardCustomer, Checkout, SavedCard

__all__ = ["card", "charge_result", "customer", "enquiry_record", "payer", "report_row", "report_stats"]


def report_row(entry: LedgerEntry) -> dict[str, Any]:
    """One payment in the transactions report."""
    paid = entry.paid
    return {
        "token": paid.token,
        "amount": paid.amount,
        "refunded_amount": from_fils(entry.refunded_fils),
        "order_reference_number": paid.order_reference,
        "status": entry.status,
        "source": paid.kind,
        "payment_type_id": paid.payment_type_id,
        "payment_type": payment_type_name(paid.payment_type_id) or "",
        "service_type_id": paid.service_type_id,
        "service_type": ServiceType.display_name_of(paid.service_type_id),
        "customer_name": entry.customer_name,
        "datetime": paid.paid_at,
    }


def report_stats(entries: Sequence[LedgerEntry]) -> dict[str, Any]:
    """Count and sums over every payment the filters matched (all pages)."""
    total = sum(to_fils(e.paid.amount) for e in entries)
    refunded = sum(e.refunded_fils for e in entries)
    return {"total_transactions": len(entries), "total_amount": from_fils(total),
            "refunded_amount": from_fils(refunded), "net_amount": from_fils(total - refunded)}


def enquiry_record(entry: LedgerEntry) -> dict[str, Any]:
    """An invoice's or open invoice's payment as the transaction enquiry lists it (the checkout's
    record shape, with the ids its invoice details show; what only a gateway session has, the
    terminal, the customer's contact and card, is null)."""
    paid = entry.paid
    return {
        "token": paid.token, "amount": paid.amount, "reference_number": paid.order_reference,
        "status": entry.status, "TransactionID": paid.ids.transaction_id, "Id": paid.record_id,
        "PaymentID": paid.ids.payment_id, "Terminal": None, "TrackID": paid.ids.track_id,
        "payment_type": payment_type_name(paid.payment_type_id),
        "service_type": ServiceType.display_name_of(paid.service_type_id),
        "customerName": entry.customer_name,
        "customerEmail": None, "customerMobile": None, "customerCardType": None, "customerCard": None,
        "datetime": paid.paid_at,
    }


def payer(payment: dict[str, Any]) -> dict[str, Any]:
    """One successful payment of an open invoice, as its customers list shows it."""
    who = payment.get("customer") or {}
    return {
        "token": payment["token"], "amount": payment["amount"], "name": who.get("name"),
        "email": who.get("email"), "mobile_number": who.get("mobile_number") or who.get("phone"),
        "payment_type": payment_type_name(int(payment.get("payment_type_id") or 0)) or "",
        "paid_on": payment.get("created_at"),
    }


def customer(c: CardCustomer) -> dict[str, Any]:
    """create_card_customer's ``data`` (the docs' ciphertext key order)."""
    return {"id": c.id, "customer_id": c.customer_id, "name": c.name, "mobile_number": c.mobile_number,
            "email": c.email}


def card(c: SavedCard) -> dict[str, Any]:
    """One card of list_saved_cards (the docs' ciphertext)."""
    return {"card_id": c.id, "card_number": c.card_number, "expiry_month": c.expiry_month,
            "expiry_year": c.expiry_year, "brand": c.brand, "name_on_card": c.name_on_card}


def charge_result(checkout: Checkout) -> dict[str, Any]:
    """charge_saved_card's ``response``: the ciphertext's fields up to ``paidOn``, then the order
    reference (the mock's)."""
    amount = checkout.captured_amount or checkout.amount
    return {"resultCode": checkout.result_code, "amount": amount, "baseAmount": amount,
            "currency": checkout.currency, "paymentToken": checkout.token, "paymentId": checkout.payment_id,
            "paidOn": checkout.paid_on, "orderReferenceNumber": checkout.order_reference}
