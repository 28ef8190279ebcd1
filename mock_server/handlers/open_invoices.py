"""Open-invoice handlers (payment links with fixed or min/max amounts)."""

from __future__ import annotations

from typing import Any

from hesabe_spec.amounts import format_amount
from hesabe_spec.enums import AmountType, OpenInvoiceType
from mock_server.pagination import page_number, pagination
from mock_server.protocol import ascii_number
from mock_server.runtime import Call, Reply
from mock_server.shapes import invoices as invoice_shapes
from mock_server.shapes import ledger as ledger_shapes
from mock_server.state.commands import NewOpenInvoice
from mock_server.state.models import OpenInvoiceQuery, split_search

__all__ = [
    "NEW_OPEN_INVOICE_NAMES",
    "cancel_open_invoice",
    "create_open_invoice",
    "get_open_invoice",
    "list_open_invoice_customers",
    "list_open_invoices",
    "update_open_invoice",
]


def _int_or_none(value: object) -> int | None:
    text = str(value if value is not None else "").strip()
    return ascii_number(text)


#: ``amountType`` of an open invoice that takes any amount between ``minAmount`` and ``maxAmount``
_OPEN_AMOUNT = AmountType.OPEN.value
_ZERO = format_amount(0)
#: the wire name of each NewOpenInvoice attribute a refusal may name (see MerchantHandler)
NEW_OPEN_INVOICE_NAMES = {"max_amount": "maxAmount"}


def new_open_invoice(p: dict[str, Any]) -> NewOpenInvoice:
    """The domain's command for a create_open_invoice payload."""
    open_amount = str(p.get("amountType")) == _OPEN_AMOUNT
    return NewOpenInvoice(
        title=str(p.get("title") or ""),
        description=str(p.get("description") or ""),
        open_amount=open_amount,
        fixed_amount=_ZERO if open_amount else format_amount(p.get("fixAmount") or 0),
        min_amount=format_amount(p.get("minAmount") or 0) if open_amount else _ZERO,
        max_amount=format_amount(p.get("maxAmount") or 0) if open_amount else _ZERO,
        expiry_date=p.get("expiryDate") or None,
    )


def create_open_invoice(call: Call) -> Reply:
    item = call.domain.open_invoices.create(call.merchant, new_open_invoice(call.payload))
    return Reply(invoice_shapes.open_invoice(item, call.base_url))


def list_open_invoices(call: Call) -> Reply:
    p = call.payload
    page = page_number(p.get("page", 1))
    kind = _int_or_none(p.get("openInvoiceType"))
    query = OpenInvoiceQuery(
        from_date=p.get("fromDate") or None,
        to_date=p.get("toDate") or None,
        search=split_search(str(p.get("search") or "")),
        paid_status=_int_or_none(p.get("paidStatus")),
        status=_int_or_none(p.get("status")),
        type=kind if kind in tuple(OpenInvoiceType) else None,  # the app sends "2" for "all"
        offset=(page - 1) * call.per_page,
        limit=call.per_page,
    )
    found = call.domain.open_invoices.list(call.merchant, query)
    rows = [invoice_shapes.open_invoice(o, call.base_url) for o in found.items]
    return Reply({"data": rows, "pagination": pagination(call.page_url, page, call.per_page, found.total,
                                                          len(rows))})


def get_open_invoice(call: Call) -> Reply:
    item = call.domain.open_invoices.get(call.merchant, int(call.params["id"]))
    return Reply(invoice_shapes.open_invoice(item, call.base_url))


def list_open_invoice_customers(call: Call) -> Reply:
    """Who paid an open invoice: its successful payments, newest first, a page at a time."""
    item = call.domain.open_invoices.get(call.merchant, int(call.params["id"]))
    page = page_number(call.payload.get("page", 1))
    paid = [ledger_shapes.payer(p) for p in reversed(item.paid_payments) if p.get("token")]
    rows = paid[(page - 1) * call.per_page: page * call.per_page]
    url = call.base_url + call.operation.format_path(id=item.id)
    block = pagination(url, page, call.per_page, len(paid), len(rows))
    return Reply({"customer_details": {"data": rows, "pagination": block}})


def update_open_invoice(call: Call) -> Reply:
    item = call.domain.open_invoices.update_expiry(call.merchant, int(call.params["id"]),
                                                 str(call.payload["expiryDate"]))
    return Reply(invoice_shapes.open_invoice(item, call.base_url))


def cancel_open_invoice(call: Call) -> Reply:
    call.domain.open_invoices.cancel(call.merchant, int(call.params["id"]))
    return Reply(None)
