"""Bulk-upload handlers: upload a CSV or xlsx file of invoice rows, list, edit and delete its rows.

The file travels base64-encoded in ``invoices``; :mod:`mock_server.handlers.bulk_files` reads it,
so the domain gets its lines.
"""

from __future__ import annotations

from typing import Any

from hesabe_spec.amounts import format_amount
from hesabe_spec.enums import BulkListType
from mock_server.handlers.bulk_files import read_csv, read_xlsx
from mock_server.pagination import page_number, pagination
from mock_server.runtime import Call, Reply
from mock_server.shapes import invoices as invoice_shapes
from mock_server.state.commands import BulkRowChanges, BulkUpload
from mock_server.state.errors import Unprocessable

__all__ = ["delete_bulk_invoice", "list_bulk_invoices", "update_bulk_invoice", "upload_bulk_invoices"]

#: how each ``fileType`` is read
_READERS = {"csv": read_csv, "xlsx": read_xlsx}


def _text_or_none(p: dict[str, Any], name: str) -> str | None:
    return str(p[name]) if name in p else None


def bulk_upload(p: dict[str, Any]) -> BulkUpload:
    """The domain's command for an upload_bulk_invoices payload."""
    read = _READERS.get(str(p.get("fileType", "csv")).lower())
    if read is None:  # the schema takes csv and xlsx only
        message = "The selected file type is invalid."
        raise Unprocessable(message, {"fileType": [message]})
    scheduled = str(p.get("isScheduled", "false")).lower() == "true"
    return BulkUpload(lines=read(str(p.get("invoices", ""))), scheduled=scheduled,
                      schedule_time=p.get("scheduleTime"))


def bulk_row_changes(p: dict[str, Any]) -> BulkRowChanges:
    """The domain's command for an update_bulk_invoice payload: only the fields sent change."""
    return BulkRowChanges(
        name=_text_or_none(p, "name"), email=_text_or_none(p, "email"), phone=_text_or_none(p, "phone"),
        reference_number=_text_or_none(p, "reference_number"),
        amount=format_amount(p["amount"]) if "amount" in p else None,
    )


def upload_bulk_invoices(call: Call) -> Reply:
    rows = call.domain.bulk.upload(call.merchant, bulk_upload(call.payload))
    return Reply([invoice_shapes.bulk_row(r) for r in rows])


def list_bulk_invoices(call: Call) -> Reply:
    page = page_number(call.payload.get("page", 1))
    scheduled = str(call.payload.get("type", BulkListType.BULK)) == BulkListType.SCHEDULED
    found = call.domain.bulk.list(call.merchant, scheduled, (page - 1) * call.per_page, call.per_page)
    rows = [invoice_shapes.bulk_row(r) for r in found.items]
    return Reply({"data": rows, "pagination": pagination(call.page_url, page, call.per_page, found.total,
                                                          len(rows))})


def update_bulk_invoice(call: Call) -> Reply:
    row = call.domain.bulk.update(call.merchant, int(call.params["id"]), bulk_row_changes(call.payload))
    return Reply(invoice_shapes.bulk_row(row))


def delete_bulk_invoice(call: Call) -> Reply:
    call.domain.bulk.delete(call.merchant, int(call.params["id"]))
    return Reply(None)
