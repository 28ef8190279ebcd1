"""How the SQL stores keep a record: one JSON document per row (the id is the row's own column),
and the statements that read every record once, for :meth:`Store.fingerprint`."""

from __future__ import annotations

import json
from dataclasses import fields, is_dataclass
from typing import Any

from mock_server.state.models import BulkRow, CardCustomer, Checkout, Invoice, OpenInvoice, Refund, SavedCard

__all__ = ["FINGERPRINT_QUERIES", "document"]

#: (table, statement) in the order a SQL store's fingerprint hashes them
FINGERPRINT_QUERIES: tuple[tuple[str, str], ...] = (
    ("invoices", "SELECT id, doc FROM invoices ORDER BY id"),
    ("open_invoices", "SELECT id, doc FROM open_invoices ORDER BY id"),
    ("bulk_rows", "SELECT id, doc FROM bulk_rows ORDER BY id"),
    ("refunds", "SELECT id, doc FROM refunds ORDER BY id"),
    ("tokens", "SELECT kind, token, merchant_id, expires_at FROM tokens ORDER BY kind, token"),
    ("checkouts", "SELECT id, doc FROM checkouts ORDER BY id"),
    ("card_customers", "SELECT id, doc FROM card_customers ORDER BY id"),
    ("saved_cards", "SELECT id, doc FROM saved_cards ORDER BY id"),
)


def document(record: Invoice | OpenInvoice | BulkRow | Refund | Checkout | CardCustomer | SavedCard) -> str:
    """The record as its row's document: ``to_record()`` as sorted compact JSON, without the id
    (the row id is the one truth). Written without ``to_record``'s deep copy (``asdict``, a third
    of an insert's Python time): json.dumps only reads the values, and meets a nested record (the
    customer) through ``default``, so the text is the same."""
    rec = _fields(record)
    del rec["id"]
    return json.dumps(rec, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=_fields)


def _fields(record: Any) -> dict[str, Any]:
    """A record's fields by name, one level deep; anything else is not JSON (TypeError)."""
    if not is_dataclass(record) or isinstance(record, type):
        raise TypeError(f"{type(record).__name__} is not JSON serializable")
    return {f.name: getattr(record, f.name) for f in fields(record)}
