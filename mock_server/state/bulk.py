"""Bulk-upload rows: the lines of an uploaded file become rows that can be listed, edited and
deleted (the file itself is read by the handler: mock_server/handlers/bulk_invoices.py)."""

from __future__ import annotations

from dataclasses import dataclass, replace

from mock_server.clock import Clock
from mock_server.merchants import Merchant
from mock_server.state.commands import BulkRowChanges, BulkUpload
from mock_server.state.errors import NotFound
from mock_server.state.models import BulkRow, Page
from mock_server.state.open_invoices import OPEN_NOT_FOUND
from mock_server.state.store import Store

__all__ = ["BulkService"]


@dataclass
class BulkService:
    store: Store
    clock: Clock

    def upload(self, merchant: Merchant, upload: BulkUpload) -> list[BulkRow]:
        scheduled = upload.scheduled
        now = self.clock.stamp()
        rows = [
            BulkRow(
                merchant_id=merchant.merchant_id,
                reference_number=line.reference_number,
                name=line.name,
                phone=line.phone,
                email=line.email,
                amount=line.amount,
                description=line.description,
                created_at=now,
                updated_at=now,
                has_schedule=1 if scheduled else 0,
                schedule_time=upload.schedule_time if scheduled else None,
            )
            for line in upload.lines
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
