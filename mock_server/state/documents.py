"""How the SQL stores keep a record: one JSON document per row (the id is the row's own column),
and the statements that read every record once, for :meth:`Store.fingerprint`."""

from __future__ import annotations

import contextlib
import json
from dataclasses import fields, is_dataclass
from typing import Any

from mock_server.state.models import BulkRow, CardCustomer, Checkout, Invoice, OpenInvoice, Refund, SavedCard

try:
    import orjson
except ImportError:  # pragma: no cover - the json module writes every document then
    orjson = None  # type: ignore[assignment]

__all__ = ["FINGERPRINT_QUERIES", "document", "document_json", "plain_document_json"]

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
    (the row id is the one truth). Written without ``to_record``'s deep copy (``asdict``): the
    writer only reads the values, and meets a nested record (the customer) through ``default``."""
    rec = _fields(record)
    del rec["id"]
    return document_json(rec)


def document_json(rec: dict[str, Any]) -> str:
    """Sorted compact JSON of a record's fields, by orjson when it is installed and takes them.

    :func:`plain_document_json` (the json module) is the reference; orjson writes the same
    documents in less time, and every SQLite create writes one. The json module writes whatever
    orjson refuses (integers beyond 64 bits, non-string keys, lone surrogates). Both read back as
    the same values but for NaN and the infinities, which orjson writes as null, as the mock's
    replies do (json_out.server_json); the texts differ only there and in the notation of some
    floats (``1e-07`` / ``1e-7``). Property-tested in tests/mock/test_documents.py.
    """
    if orjson is not None:
        with contextlib.suppress(TypeError):  # orjson.JSONEncodeError is a TypeError
            return orjson.dumps(rec, option=orjson.OPT_SORT_KEYS | orjson.OPT_PASSTHROUGH_DATACLASS,
                                default=_fields).decode()
    return plain_document_json(rec)


def plain_document_json(rec: dict[str, Any]) -> str:
    """The json module's sorted compact JSON of a record's fields (the reference)."""
    return json.dumps(rec, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=_fields)


#: field names per record class (``dataclasses.fields`` filters the class's field table per call)
_NAMES: dict[type, tuple[str, ...]] = {}


def _fields(record: Any) -> dict[str, Any]:
    """A record's fields by name, one level deep; anything else is not JSON (TypeError)."""
    names = _NAMES.get(type(record))
    if names is None:
        if not is_dataclass(record) or isinstance(record, type):
            raise TypeError(f"{type(record).__name__} is not JSON serializable")
        names = _NAMES[type(record)] = tuple(f.name for f in fields(record))
    return {name: getattr(record, name) for name in names}
