"""Bulk-upload handlers: upload a CSV, list, edit and delete its rows."""

from __future__ import annotations

from mock_server.pagination import page_number, pagination
from mock_server.runtime import Call, Reply
from mock_server.state import serialize

__all__ = ["delete_bulk_invoice", "list_bulk_invoices", "update_bulk_invoice", "upload_bulk_invoices"]


def upload_bulk_invoices(call: Call) -> Reply:
    rows = call.mock.bulk.upload(call.merchant, call.payload)
    return Reply([serialize.bulk_row(r) for r in rows])


def list_bulk_invoices(call: Call) -> Reply:
    page = page_number(call.payload.get("page", 1))
    scheduled = str(call.payload.get("type", "0")) == "1"
    found = call.mock.bulk.list(call.merchant, scheduled, (page - 1) * call.per_page, call.per_page)
    rows = [serialize.bulk_row(r) for r in found.items]
    return Reply({"data": rows, "pagination": pagination(call.page_url, page, call.per_page, found.total,
                                                          len(rows))})


def update_bulk_invoice(call: Call) -> Reply:
    row = call.mock.bulk.update(call.merchant, int(call.params["id"]), call.payload)
    return Reply(serialize.bulk_row(row))


def delete_bulk_invoice(call: Call) -> Reply:
    call.mock.bulk.delete(call.merchant, int(call.params["id"]))
    return Reply(None)
