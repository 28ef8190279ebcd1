"""Pre-encoded rows: spliced replies equal plain ones byte for byte, and a cache is never stale."""

from __future__ import annotations

from dataclasses import replace
from typing import Any
from unittest import mock

from hypothesis import given
from hypothesis import strategies as st

from hesabe_spec import wire
from hesabe_spec.client import HesabeClient
from mock_server import json_out
from mock_server.fragments import Fragment, FragmentCache
from mock_server.state.models import Invoice

_SCALARS = (st.none() | st.booleans() | st.integers() | st.text(max_size=12)
            | st.sampled_from(["a/b", "\u0000", '"', "\\u0000", "\u0627", "</script>"]))
_JSON = st.recursive(_SCALARS, lambda inner: st.lists(inner, max_size=4)
                     | st.dictionaries(st.text(max_size=6), inner, max_size=4), max_leaves=20)


def _fragmented(value: Any, draw: Any) -> Any:
    """``value`` with some of its parts replaced by Fragments of themselves."""
    if draw(st.booleans()):
        return Fragment(value)
    if isinstance(value, dict):
        return {k: _fragmented(v, draw) for k, v in value.items()}
    if isinstance(value, list):
        return [_fragmented(v, draw) for v in value]
    return value


@given(value=_JSON, data=st.data())
def test_a_reply_with_fragments_is_the_reply_without_them(value: Any, data: st.DataObject) -> None:
    fragmented = _fragmented(value, data.draw)
    assert json_out.server_json(fragmented) == wire.server_json(value)
    # and by the json module, which writes what orjson refuses (or everything, without orjson)
    with mock.patch.object(json_out, "orjson", None):
        assert json_out.server_json(fragmented) == wire.server_json(value)


def _invoice(**changes: Any) -> Invoice:
    return replace(Invoice(84, 1, 3, "tok", "AK", "ref", "1.000", "2020", "2020", id=1), **changes)


def test_the_cache_serves_a_record_object_and_context_it_has_seen_and_nothing_else() -> None:
    cache, built = FragmentCache(capacity=2), []

    def build(inv: Invoice) -> Any:
        built.append(inv)
        return {"id": inv.id, "status": inv.invoice_status}

    first = _invoice()
    a = cache.get(first, ("u", "m"), lambda: build(first))
    assert cache.get(first, ("u", "m"), lambda: build(first)) is a and built == [first]
    assert cache.get(first, ("other", "m"), lambda: build(first)).value == a.value and len(built) == 2
    paid = replace(first, invoice_status=1)  # a change is a new record: never the old row
    assert cache.get(paid, ("u", "m"), lambda: build(paid)).value == {"id": 1, "status": 1}
    cache.get(_invoice(id=2), ("u", "m"), lambda: build(_invoice(id=2)))
    cache.get(_invoice(id=3), ("u", "m"), lambda: build(_invoice(id=3)))
    before = len(built)
    cache.get(first, ("u", "m"), lambda: build(first))  # evicted (capacity 2): built again
    assert len(built) == before + 1


def test_a_listed_invoice_shows_its_changes(hesabe_mock_inprocess: Any) -> None:
    client: HesabeClient = hesabe_mock_inprocess.client()
    created = hesabe_mock_inprocess.create_invoice(client)
    row = next(r for r in client.list_invoices()["invoices"]["data"] if r["id"] == created["id"])
    assert row["invoice_status"] == 0
    client.list_invoices()
    client.cancel_invoice(created["token"])
    row = next(r for r in client.list_invoices()["invoices"]["data"] if r["id"] == created["id"])
    assert row["invoice_status"] == 3
