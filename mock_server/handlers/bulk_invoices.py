"""Bulk-upload handlers: upload a CSV, list, edit and delete its rows.

The file travels base64-encoded in ``invoices``; it is read here, so the domain gets its lines.
Its header row names the row fields: name,phone,email,amount,reference_number,description (in any
case and order, extra columns ignored; name, phone and amount required). UTF-8, with or without a
byte-order mark; quoted fields as spreadsheets write them (a quote left open is refused).
``fileType`` xlsx is refused with a field error until supported.
"""

from __future__ import annotations

import base64
import binascii
import csv
import io
import re
from decimal import Decimal, InvalidOperation
from typing import Any

from hesabe_spec.amounts import format_amount
from hesabe_spec.enums import BulkListType
from mock_server.pagination import page_number, pagination
from mock_server.runtime import Call, Reply
from mock_server.shapes import invoices as invoice_shapes
from mock_server.state.commands import BulkLine, BulkRowChanges, BulkUpload
from mock_server.state.errors import Unprocessable

__all__ = ["MAX_ROWS", "delete_bulk_invoice", "list_bulk_invoices", "read_csv", "update_bulk_invoice",
           "upload_bulk_invoices"]

MAX_ROWS = 1000
#: a positive KWD amount as a spreadsheet writes it ("8.999", "8", "8.5"), within the schema's bound;
#: Decimal() alone also takes "NaN", "-5" and "1e5", which the CSV used to store as such
_CSV_AMOUNT = re.compile(r"(0|[1-9][0-9]{0,8})(\.[0-9]{1,3})?")


def _invalid(message: str) -> Unprocessable:
    return Unprocessable(message, {"invoices": [message]})


def _amount_fault(amount: str) -> str:
    """What is wrong with a CSV amount ``_CSV_AMOUNT`` refused."""
    whole, dot, fraction = amount.partition(".")
    if dot and len(fraction) > 3 and fraction.isdigit() and whole.isdigit():
        return "has more than 3 decimals"
    return "is not a positive amount of at most 9 digits and 3 decimals"


def read_csv(encoded: str) -> tuple[BulkLine, ...]:
    """The lines of a base64 CSV upload, or the refusal naming ``invoices``."""
    try:
        text = base64.b64decode(encoded, validate=True).decode("utf-8-sig")
    except (binascii.Error, ValueError):
        raise _invalid("The invoices file must be base64-encoded UTF-8 CSV.") from None
    # strict: a quote left open is an error, not a field running to the end of the file
    reader = csv.DictReader(io.StringIO(text), strict=True)
    try:
        return _lines(reader)
    except csv.Error as exc:  # a quote left open, a field over csv.field_size_limit() ...
        raise _invalid(f"The invoices file is not valid CSV (after line {reader.line_num}: {exc}).") from None


def _lines(reader: csv.DictReader[str]) -> tuple[BulkLine, ...]:
    header = [h.strip().casefold() for h in reader.fieldnames or []]
    missing = [c for c in ("name", "phone", "amount") if c not in header]
    if missing:
        raise _invalid(f"The invoices file header is missing: {', '.join(missing)}.")
    lines: list[BulkLine] = []
    for n, raw in enumerate(reader, start=2):
        row = {k.strip().casefold(): (v or "").strip() for k, v in raw.items() if isinstance(k, str) and k}
        amount = row.get("amount", "")
        try:
            if not _CSV_AMOUNT.fullmatch(amount) or not Decimal(amount):
                raise ValueError(amount)
            amount = format_amount(amount)
        except (InvalidOperation, ValueError):
            raise _invalid(f"Line {n}: amount {amount!r} {_amount_fault(amount)}.") from None
        if not row.get("name") or not row.get("phone"):
            raise _invalid(f"Line {n}: name and phone are required.")
        lines.append(BulkLine(name=row["name"], phone=row["phone"], email=row.get("email", ""), amount=amount,
                              reference_number=row.get("reference_number", ""),
                              description=row.get("description", "")))
        if len(lines) > MAX_ROWS:
            raise _invalid(f"The invoices file has more than {MAX_ROWS} rows.")
    if not lines:
        raise _invalid("The invoices file has no rows.")
    return tuple(lines)


def _text_or_none(p: dict[str, Any], name: str) -> str | None:
    return str(p[name]) if name in p else None


def bulk_upload(p: dict[str, Any]) -> BulkUpload:
    """The domain's command for an upload_bulk_invoices payload."""
    if str(p.get("fileType", "csv")).lower() != "csv":
        message = "The mock reads csv files only; xlsx is not supported yet."
        raise Unprocessable(message, {"fileType": [message]})
    scheduled = str(p.get("isScheduled", "false")).lower() == "true"
    return BulkUpload(lines=read_csv(str(p.get("invoices", ""))), scheduled=scheduled,
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
