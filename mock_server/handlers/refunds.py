"""Refund handlers: the payload's wire names (``refundMethod``, ``refundAmount``) end here."""

from __future__ import annotations

from typing import Any

from hesabe_spec.amounts import format_amount
from hesabe_spec.enums import RefundMethod
from mock_server.pagination import page_number, pagination
from mock_server.runtime import Call, Reply
from mock_server.shapes import refunds as shapes
from mock_server.state.commands import RefundRequest
from mock_server.state.models import RefundQuery, split_search

__all__ = ["REFUND_REQUEST_NAMES", "cancel_refund", "create_refund", "get_refund", "list_refunds"]

#: the wire name of each RefundRequest attribute a refusal may name (see MerchantHandler)
REFUND_REQUEST_NAMES = {"amount": "refundAmount"}


def refund_request(p: dict[str, Any]) -> RefundRequest:
    """The domain's command for a validated create_refund payload."""
    amount = p.get("refundAmount")
    return RefundRequest(
        token=str(p["token"]),
        full=str(p["refundMethod"]) == RefundMethod.FULL,
        amount=format_amount(amount) if amount not in (None, "") else None,
    )


def create_refund(call: Call) -> Reply:
    refund = call.domain.refunds.request(call.merchant, refund_request(call.payload))
    return Reply(shapes.requested(refund))


def list_refunds(call: Call) -> Reply:
    p = call.payload
    page = page_number(p.get("page", 1))
    query = RefundQuery(
        from_date=p.get("fromDate") or None,
        to_date=p.get("toDate") or None,
        search=split_search(str(p.get("search") or "")),
        offset=(page - 1) * call.per_page,
        limit=call.per_page,
    )
    found, totals = call.domain.refunds.list(call.merchant, query)
    rows = [shapes.listed(r) for r in found.items]
    return Reply({
        "stats": shapes.stats(totals),
        "refund_request_list": {"data": rows, "pagination": pagination(call.page_url, page, call.per_page,
                                                                       found.total, len(rows))},
    })


def get_refund(call: Call) -> Reply:
    refunds = call.domain.refunds
    refund = refunds.get(call.merchant.merchant_id, int(call.params["id"]))
    balance = refunds.balance(refund.merchant_id, refund.token, refund.paid_amount)
    return Reply(shapes.details(refund, balance))


def cancel_refund(call: Call) -> Reply:
    call.domain.refunds.cancel(call.merchant, int(call.params["id"]))
    return Reply(True)
