"""Smart POS handlers: POS invoices sent to a terminal, their list and details, the terminals.

The wire names (``terminal_id``, ``invoice_id``, snake_case as the docs say POS fields are) end
here; a POS invoice is stored as a transaction (:mod:`mock_server.state.pos`)."""

from __future__ import annotations

from typing import Any

from hesabe_spec.amounts import format_amount
from hesabe_spec.enums import TransactionStatus
from mock_server.handlers.values import whole_number
from mock_server.pagination import page_number, pagination
from mock_server.runtime import Call, Reply
from mock_server.state.models import Checkout
from mock_server.state.pos import terminals

#: the statuses of a sale the customer paid (a refunded one was paid too)
_PAID = frozenset({TransactionStatus.SUCCESSFUL, TransactionStatus.REFUNDED})

__all__ = ["create_pos_invoice", "get_pos_invoice", "list_pos_invoices", "list_pos_terminals",
           "pos_invoice", "resend_pos_invoice"]


def pos_invoice(c: Checkout) -> dict[str, Any]:
    """A POS invoice on the wire (the mock's shape: no source prints one)."""
    return {"id": c.id, "token": c.token, "terminal_id": c.pos_terminal or "", "amount": c.amount,
            "reference_number": c.order_reference, "status": c.status, "customer_name": c.customer_name,
            "mobile_number": c.customer_mobile, "created_at": c.created_at,
            "paid_at": c.paid_on if c.status in _PAID else None}  # a declined sale was never paid


def _text(value: Any) -> str | None:
    return None if value in (None, "") else str(value)


def create_pos_invoice(call: Call) -> Reply:
    p = call.payload
    made = call.domain.pos.create(call.merchant, format_amount(p["amount"]), str(p["terminal_id"]),
                                  _text(p.get("reference_number")), _text(p.get("customer_name")),
                                  _text(p.get("mobile_number")))
    return Reply(pos_invoice(made))


def resend_pos_invoice(call: Call) -> Reply:
    return Reply(pos_invoice(call.domain.pos.resend(call.merchant, whole_number(call.payload["invoice_id"]))))


def list_pos_invoices(call: Call) -> Reply:
    page = page_number(call.payload.get("page", 1))
    found = call.domain.pos.invoices(call.merchant)
    rows = [pos_invoice(c) for c in found[(page - 1) * call.per_page: page * call.per_page]]
    return Reply({"data": rows, "pagination": pagination(call.page_url, page, call.per_page, len(found),
                                                          len(rows))})


def get_pos_invoice(call: Call) -> Reply:
    return Reply(pos_invoice(call.domain.pos.get(call.merchant, int(call.params["id"]))))


def list_pos_terminals(call: Call) -> Reply:
    return Reply({"terminals": [{"id": t.id, "terminal_id": t.terminal_id, "name": t.name, "status": t.status}
                                for t in terminals(call.merchant)]})
