"""Bulk-upload rows: a base64 CSV becomes rows that can be listed, edited and deleted.

The CSV has a header row naming the row fields: name,phone,email,amount,reference_number,description
(column order free, extra columns ignored). xlsx is refused with a field error until supported.
"""

from __future__ import annotations

import base64
import binascii
import csv
import io
import re
from dataclasses import dataclass, replace
from decimal import Decimal, InvalidOperation

from hesabe_spec.amounts import format_amount
from mock_server.clock import Clock
from mock_server.merchants import Merchant
from mock_server.state.commands import BulkRowChanges, BulkUpload
from mock_server.state.errors import NotFound, Unprocessable
from mock_server.state.models import BulkRow, Page
from mock_server.state.open_invoices import OPEN_NOT_FOUND
from mock_server.state.store import Store

__all__ = ["MAX_ROWS", "BulkService"]

MAX_ROWS = 1000
#: a positive KWD amount as a spreadsheet writes it ("8.999", "8", "8.5"), within the schema's bound;
#: Decimal() alone also takes "NaN", "-5" and "1e5", which the CSV used to store as such
_CSV_AMOUNT = re.compile(r"(0|[1-9][0-9]{0,8})(\.[0-9]{1,3})?")


def _invalid(message: str) -> Unprocessable:
    return Unprocessable(message, {"invoices": [message]})


def parse_csv(encoded: str) -> list[dict[str, str]]:
    try:
        text = base64.b64decode(encoded, validate=True).decode("utf-8-sig")
    except (binascii.Error, ValueError):
        raise _invalid("The invoices file must be base64-encoded UTF-8 CSV.") from None
    reader = csv.DictReader(io.StringIO(text))
    try:
        return _rows(reader)
    except csv.Error:  # a field over csv.field_size_limit(), a bare CR inside a field ...
        raise _invalid(f"The invoices file is not valid CSV (line {reader.line_num}).") from None


def _rows(reader: csv.DictReader[str]) -> list[dict[str, str]]:
    header = [h.strip() for h in reader.fieldnames or []]
    missing = [c for c in ("name", "phone", "amount") if c not in header]
    if missing:
        raise _invalid(f"The invoices file header is missing: {', '.join(missing)}.")
    rows = []
    for n, raw in enumerate(reader, start=2):
        row = {k.strip(): (v or "").strip() for k, v in raw.items() if isinstance(k, str) and k}
        amount = row.get("amount", "")
        try:
            if not _CSV_AMOUNT.fullmatch(amount) or not Decimal(amount):
                raise ValueError(amount)
            row["amount"] = format_amount(amount)
        except (InvalidOperation, ValueError):
            raise _invalid(f"Line {n}: amount {amount!r} is not a positive amount.") from None
        if not row.get("name") or not row.get("phone"):
            raise _invalid(f"Line {n}: name and phone are required.")
        rows.append(row)
        if len(rows) > MAX_ROWS:
            raise _invalid(f"The invoices file has more than {MAX_ROWS} rows.")
    if not rows:
        raise _invalid("The invoices file has no rows.")
    return rows


@dataclass
class BulkService:
    store: Store
    clock: Clock

    def upload(self, merchant: Merchant, upload: BulkUpload) -> list[BulkRow]:
        if upload.file_type.lower() != "csv":
            message = "The mock reads csv files only; xlsx is not supported yet."
            raise Unprocessable(message, {"fileType": [message]})
        scheduled = upload.scheduled
        now = self.clock.stamp()
        rows = [
            BulkRow(
                merchant_id=merchant.merchant_id,
                reference_number=r.get("reference_number", ""),
                name=r["name"],
                phone=r["phone"],
                email=r.get("email", ""),
                amount=r["amount"],
                description=r.get("description", ""),
                created_at=now,
                updated_at=now,
                has_schedule=1 if scheduled else 0,
                schedule_time=upload.schedule_time if scheduled else None,
            )
            for r in parse_csv(upload.csv_base64)
        ]
        return self.store.insert_bulk_rows(rows)

    def get(self, merchant: Merchant, row_id: int) -> BulkRow:
        row = self.store.get_bulk_row(merchant.merchant_id, row_id)
        if row is None:
            raise NotFound(OPEN_NOT_FOUND)
        return row

    def list(self, merchant: Merchant, scheduled: bool, offset: int, limit: int) -> Page:
        return self.store.list_bulk_rows(merchant.merchant_id, scheduled, offset, limit)

    def update(self, merchant: Merchant, row_id: int, changes: BulkRowChanges) -> BulkRow:
        row = self.get(merchant, row_id)
        updated = replace(
            row,
            name=row.name if changes.name is None else changes.name,
            email=row.email if changes.email is None else changes.email,
            phone=row.phone if changes.phone is None else changes.phone,
            reference_number=row.reference_number if changes.reference_number is None
            else changes.reference_number,
            amount=row.amount if changes.amount is None else changes.amount,
            updated_at=self.clock.stamp(),
        )
        self.store.update_bulk_row(updated)
        return updated

    def delete(self, merchant: Merchant, row_id: int) -> None:
        if not self.store.delete_bulk_row(merchant.merchant_id, row_id):
            raise NotFound(OPEN_NOT_FOUND)
