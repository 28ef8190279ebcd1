"""Wire shapes of refunds, key order and types as the docs show them (hesabe-api.md §7).

* ``requested`` - the refund request's answer: the guide's fields (cut off in the docs after
  ``transaction_datetime`` / ``refund_requested_at``), then ``id``, the mock's addition.
* ``details``   - get: the details sample's keys (``merchant_id`` int, ``refund_method`` and
  ``recover_method`` strings, ``status`` int), then ``created_at`` / ``updated_at``.
* ``listed``    - a list row: the details keys without the payment totals, plus the
  ``transaction{service_id, payment_id, display_name}`` the merchant app reads.
* ``stats``     - the list's counters: count an int, amounts 3-decimal strings, null while the
  merchant has no refund requests at all.
* ``in_transaction`` - the ``refund[]`` entries of a paid invoice's transaction (approved only).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from hesabe_spec.amounts import from_fils, to_fils
from hesabe_spec.enums import PaymentStatus, PaymentType, RefundStatus, ServiceType, TransactionStatus
from mock_server.state.models import Refund
from mock_server.state.refunds import RefundBalance
from mock_server.state.store import RefundTotals

__all__ = ["details", "in_transaction", "listed", "requested", "stats", "with_refunds"]

#: the enquiry status of a captured transaction, and the state words of the request's answer
_CAPTURED = TransactionStatus.SUCCESSFUL.value
_STATE_WORDS = {RefundStatus.PENDING: "PENDING", RefundStatus.APPROVED: "APPROVED"}


def requested(r: Refund) -> dict[str, Any]:
    return {
        "token": r.token,
        "amount": r.amount,
        "order_reference_number": r.order_reference_number,
        "transaction_status": _CAPTURED,
        "refund_status": _STATE_WORDS.get(RefundStatus(r.status), "REJECTED"),
        "payment_type": PaymentType.display_name_of(r.payment_type_id),
        "service_type": ServiceType.display_name_of(r.service_type_id),
        "transaction_datetime": r.transaction_date,
        "refund_requested_at": r.created_at,
        "id": r.id,
    }


def _common(r: Refund) -> dict[str, Any]:
    return {
        "id": r.id,
        "merchant_id": r.merchant_id,
        "amount": r.amount,
        "refund_at": r.refund_at,
        "document_number": r.document_number,
        "token": r.token,
        "transaction_date": r.transaction_date,
        "order_reference_number": r.order_reference_number,
        "recover_method": r.recover_method,
        "status": r.status,
        "refund_method": r.refund_method,
        "remarks": r.remarks,
        "approved_by": r.approved_by,
    }


def details(r: Refund, balance: RefundBalance) -> dict[str, Any]:
    """``total_refunded_amount``: approved refunds of the payment; ``total_balance_amount``: what
    the payment has left after them (the sample: a full refund approved, balance "0.000")."""
    return {
        **_common(r),
        "total_balance_amount": from_fils(balance.paid - balance.approved),
        "total_refunded_amount": from_fils(balance.approved),
        "created_at": r.created_at,
        "updated_at": r.updated_at,
    }


def listed(r: Refund) -> dict[str, Any]:
    return {
        **_common(r),
        "created_at": r.created_at,
        "updated_at": r.updated_at,
        "transaction": {"service_id": r.service_type_id, "payment_id": r.payment_type_id,
                        "display_name": PaymentType.display_name_of(r.payment_type_id)},
    }


def stats(totals: RefundTotals) -> dict[str, Any]:
    count = sum(n for n, _fils in totals.values())

    def amount(*statuses: RefundStatus) -> str | None:
        return from_fils(sum(totals.get(s, (0, 0))[1] for s in statuses)) if count else None

    return {
        "total_refund_request_count": count,
        "total_refund_request_amount": amount(*RefundStatus),
        "pending_total_refund_request_amount": amount(RefundStatus.PENDING),
        "approved_total_refund_request_amount": amount(RefundStatus.APPROVED),
        "rejected_total_refund_request_amount": amount(RefundStatus.REJECTED),
    }


def in_transaction(refunds: Sequence[Refund], paid_amount: str) -> list[dict[str, Any]]:
    """The approved refunds, oldest first, each with what the payment had left after it."""
    left = to_fils(paid_amount)
    entries = []
    for r in refunds:
        if r.status != RefundStatus.APPROVED:
            continue
        left -= to_fils(r.amount)
        entries.append({
            "id": r.id, "refund_method": r.refund_method, "amount": r.amount,
            "balance_amount": from_fils(left), "created_at": r.created_at, "refund_at": r.refund_at,
            "approved_by": r.approved_by, "remark": r.remarks, "status": r.status,
        })
    return entries


def with_refunds(body: dict[str, Any], refunds: Sequence[Refund], paid_amount: str) -> dict[str, Any]:
    """An invoice's details with its payment's approved refunds in ``transaction.refund``; a
    payment refunded in full reports ``payment_status`` 2 (REFUNDED)."""
    txn = body.get("transaction")
    if not isinstance(txn, dict):
        return body
    entries = in_transaction(refunds, paid_amount)
    txn = {**txn, "refund": entries}
    if entries and to_fils(entries[-1]["balance_amount"]) <= 0:
        txn["payment_status"] = PaymentStatus.REFUNDED.value
    return {**body, "transaction": txn}
