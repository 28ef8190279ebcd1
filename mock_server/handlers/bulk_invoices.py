"""Bulk-upload handlers: upload a CSV, list, edit and delete its rows."""

from __future__ import annotations

from typing import Any

from hesabe_spec.amounts import format_amount
from hesabe_spec.enums import BulkListType
from mock_server.pagination import page_number, pagination
from mock_server.runtime import Call, Reply
from mock_server.state import serialize
from mock_server.state.commands import BulkRowChanges, BulkUpload

__all__ = ["delete_bulk_invoice", "list_bulk_invoices", "update_bulk_invoice", "upload_bulk_invoices"]


def _text_or_none(p: dict[str, Any], name: str) -> str | None:
    return str(p[name]) if name in p else None


def bulk_upload(p: dict[str, Any]) -> BulkUpload:
    """The domain's command for an upload_bulk_invoices payload."""
    scheduled = str(p.get("isScheduled", "false")).lower() == "true"
    return BulkUpload(file_type=str(p.get("fileType", "csv")), csv_base64=str(p.get("invoices", "")),
                      scheduled=scheduled, schedule_time=p.get("scheduleTime"))


def bulk_row_changes(p: dict[str, Any]) -> BulkRowChanges:
    """The domain's command for an update_bulk_invoice payload: only the fields sent change."""
    return BulkRowChanges(
        name=_text_or_none(p, "name"), email=_text_or_none(p, "email"), phone=_text_or_none(p, "phone"),
        reference_number=_text_or_none(p, "reference_number"),
        amount=format_amount(p["amount"]) if "amount" in p else None,
    )


def upload_bulk_invoices(call: Call) -> Reply:
    rows = call.domain.bulk.upload(call.merchant, bulk_upload(call.payload))
    return Reply([serialize.bulk_row(r) for r in rows])


def list_bulk_invoices(call: Call) -> Reply:
    page = page_number(call.payload.get("page", 1))
    scheduled = str(call.payload.get("type", BulkListType.BULK)) == BulkListType.SCHEDULED
    found = call.domain.bulk.list(call.merchant, scheduled, (page - 1) * call.per_page, call.per_page)
    rows = [serialize.bulk_row(r) for r in found.items]
    return Reply({"data": rows, "pagination": pagination(call.page_url, page, call.per_page, found.total,
                                                          len(rows))})


def update_bulk_invoice(call: Call) -> Reply:
    row = call.domain.bulk.update(call.merchant, int(call.params["id"]), bulk_row_changes(call.payload))
    return Reply(serialize.bulk_row(row))


def delete_bulk_invoice(call: Call) -> Reply:
    call.domain.bulk.delete(call.merchant, int(call.params["id"]))
    return Reply(None)
