"""Invoice-family handlers: parse the call, ask the domain, shape the reply. Nothing else."""

from __future__ import annotations

from typing import Any

from hesabe_spec.enums import InvoiceKind
from mock_server.pagination import page_number, pagination
from mock_server.runtime import Call, Reply
from mock_server.state import serialize
from mock_server.state.invoices import stats_block
from mock_server.state.models import InvoiceQuery, split_search

__all__ = [
    "cancel_invoice",
    "create_installment_invoice",
    "create_invoice",
    "create_split_invoice",
    "create_subscription_invoice",
    "get_invoice",
    "list_invoices",
    "resend_invoice",
    "send_bulk_invoices",
]

#: dashboard ``invoiceType`` filter -> invoice_type values
_LIST_KINDS = {str(kind.value): (kind.value,) for kind in InvoiceKind}


def _created(call: Call, kind: int) -> Reply:
    inv = call.mock.invoices.create(call.merchant, call.payload, kind)
    return Reply(serialize.invoice_created(inv, call.base_url, call.merchant.name))


def create_invoice(call: Call) -> Reply:
    return _created(call, InvoiceKind.SINGLE)


def create_subscription_invoice(call: Call) -> Reply:
    return _created(call, InvoiceKind.SUBSCRIPTION)


def _group(call: Call, kind: int) -> Reply:
    group = call.mock.invoices.create_group(call.merchant, call.payload, kind)
    # Seed 004: the first invoice comes back re-read from the database, the rest as built.
    shaped = [serialize.invoice_details(group[0], call.base_url, call.merchant.name)]
    shaped += [serialize.invoice_created(inv, call.base_url, call.merchant.name) for inv in group[1:]]
    return Reply(shaped)


def create_split_invoice(call: Call) -> Reply:
    return _group(call, InvoiceKind.SPLIT)


def create_installment_invoice(call: Call) -> Reply:
    return _group(call, InvoiceKind.INSTALLMENT)


def list_invoices(call: Call) -> Reply:
    p = call.payload
    page = page_number(p.get("page", 1))
    kind = str(p.get("invoiceType", "")).strip()
    status = str(p.get("status", "")).strip()
    query = InvoiceQuery(
        kinds=_LIST_KINDS.get(kind),
        status=int(status) if status.isdigit() else None,
        from_date=p.get("fromDate") or None,
        to_date=p.get("toDate") or None,
        search=split_search(str(p.get("search") or "")),
        offset=(page - 1) * call.per_page,
        limit=call.per_page,
    )
    found, counts = call.mock.invoices.list(call.merchant, query)
    context = (call.base_url, call.merchant.name)
    if call.mock.store.returns_stored_objects:  # a row's JSON is kept with the record it came from
        cache = call.mock.fragments
        rows: list[Any] = [cache.get(inv, context, lambda inv=inv: serialize.invoice_listed(inv, *context))
                           for inv in found.items]
    else:
        rows = [serialize.invoice_listed(inv, *context) for inv in found.items]
    return Reply({
        "stats": stats_block(counts, orders=False),
        "order_stats": stats_block(counts, orders=True),
        "invoices": {"data": rows, "pagination": pagination(call.page_url, page, call.per_page, found.total,
                                                             len(rows))},
    })


def get_invoice(call: Call) -> Reply:
    inv = call.mock.invoices.get(call.merchant, int(call.params["id"]))
    return Reply(serialize.invoice_details(inv, call.base_url, call.merchant.name))


def resend_invoice(call: Call) -> Reply:
    inv = call.mock.invoices.resend(call.merchant, int(call.payload["resendId"]))
    return Reply(serialize.invoice_details(inv, call.base_url, call.merchant.name))


def send_bulk_invoices(call: Call) -> Reply:
    call.mock.invoices.send_bulk(call.merchant, [int(i) for i in call.payload["ids"]])
    return Reply(None)


def cancel_invoice(call: Call) -> Reply:
    call.mock.invoices.cancel(call.merchant, call.params["token"])
    return Reply(None)
