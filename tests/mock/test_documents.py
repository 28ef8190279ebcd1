"""A SQL store's row document (mock_server/state/documents.py): orjson's text reads back as the
json module's (the reference) for any record fields, and is the same text where no float is
involved; what orjson refuses goes to the json module."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import Any

from hypothesis import given
from hypothesis import strategies as st
from test_store_contract import rich_invoice

from mock_server.state.documents import _fields, document, document_json, plain_document_json
from mock_server.state.models import Invoice


@dataclass(frozen=True, slots=True)
class _Nested:
    """A record inside a record, as the customer is inside an invoice."""

    name: str
    score: Any = None


_scalars = (st.none() | st.booleans() | st.integers() | st.floats() | st.text()
            | st.builds(_Nested, st.text(), st.none() | st.integers() | st.floats()))


def _containers(inner: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return (st.lists(inner, max_size=3) | st.lists(inner, max_size=3).map(tuple)
            | st.dictionaries(st.text(max_size=5), inner, max_size=3))


_values = st.recursive(_scalars, _containers, max_leaves=8)
_records = st.dictionaries(st.text(max_size=12), _values, max_size=8)


def _finite(value: Any) -> Any:
    """The value as JSON reads it back when non-finite floats are written as null."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_finite(v) for v in value]
    return value


def _has_float(value: Any) -> bool:
    if isinstance(value, float):
        return True
    if isinstance(value, dict):
        return any(_has_float(v) for v in value.values())
    return isinstance(value, list) and any(_has_float(v) for v in value)


@given(_records)
def test_a_document_reads_back_as_the_json_modules(rec: dict[str, Any]) -> None:
    plain = json.loads(plain_document_json(rec))
    written = document_json(rec)
    # orjson's text (non-finite floats as null), or the json module's own when orjson refused
    assert json.loads(written) == _finite(plain) or written == plain_document_json(rec)
    if not _has_float(plain):
        assert written == plain_document_json(rec)


def test_what_orjson_refuses_the_json_module_writes() -> None:
    for rec in ({"big": 2**70}, {"keys": {1: "a"}}, {"surrogate": "\ud800"}):
        assert document_json(rec) == plain_document_json(rec)


def test_an_invoice_document_is_the_json_modules_text_and_reads_back_equal() -> None:
    inv = rich_invoice()  # every field away from its default, a nested customer, products, transaction
    rec = _fields(inv)
    del rec["id"]
    assert document(inv) == plain_document_json(rec)
    assert Invoice.from_record({**json.loads(document(inv)), "id": inv.id}) == inv
