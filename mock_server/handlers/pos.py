"""Smart POS handlers: POS invoices sent to a terminal, their list and details, the terminals.

The wire names (``terminal_id``, ``invoice_id``, snake_case as the docs say POS fields are) end
here; a POS invoice is stored as a transaction (:mod:`mock_server.state.pos`)."""

from __future__ import annotations

from typing import Any

from hesabe_spec.amounts import format_amount
from mock_server.handlers.values import whole_number
from mock_server.pagination import page_number, pagination
from mock_server.runtime import Call, Reply
from mock_server.shapes.pos import pos_invoice, terminal
from mock_server.state.pos import terminals

__all__ = ["create_pos_invoice", "get_pos_invoice", "list_pos_invoices", "list_pos_terminals",
           "resend_pos_invoice"]


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
    return Reply({"terminals": [terminal(t) for t in terminals(call.merchant)]})
