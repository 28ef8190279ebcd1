"""mock_server.json_out: orjson writes and reads exactly what the spec's plain functions do."""

from __future__ import annotations

import json
from unittest import mock

import pytest
from hypothesis import given
from hypothesis import strategies as st
from support.json_texts import ANY_TEXT, JSON_TEXTS, utf8

from hesabe_spec import wire
from hesabe_spec.errors import HesabeError
from hesabe_spec.sandbox import SANDBOX
from mock_server import json_out

_PLAIN_FLOATS = st.floats(allow_nan=False, allow_infinity=False).filter(lambda f: "e" not in repr(f))


@given(st.recursive(st.none() | st.booleans() | st.integers(-(2**63), 2**64 - 1) | _PLAIN_FLOATS
                    | st.text() | st.sampled_from(["a/b", "\x7f", "\u2028", "\x1f", "\\/", "\U0001f600"]),
                    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
                    max_leaves=20))
def test_orjson_and_the_json_module_write_the_same_server_json(value: object) -> None:
    """The mock writes with orjson when it can; the spec's json-module text must be the same bytes."""
    assert json_out.server_json(value) == wire.server_json(value)


@given(st.recursive(st.integers() | ANY_TEXT,
                    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(ANY_TEXT, inner, max_size=3),
                    max_leaves=8))
def test_what_orjson_refuses_is_written_by_the_json_module(value: object) -> None:
    """Beyond-64-bit integers and lone surrogates: the same escapes as the json module's ASCII
    mode gives (``\\ud800``), never an error."""
    text = json_out.server_json(value)
    assert text.isascii()
    assert json.loads(text) == value
    assert text == wire.server_json(value)


def test_without_orjson_the_spec_writes_every_reply() -> None:
    value = {"url": "https://x.test/a", "name": "\u0645\u062d", "row": {"id": 1}}
    with mock.patch.object(json_out, "orjson", None):
        assert json_out.server_json(value) == wire.server_json(value)


@given(JSON_TEXTS)
def test_request_data_parses_to_exactly_what_json_loads_gives(text: str) -> None:
    """The mock tries orjson first; the value must be json.loads' (NaN and integers beyond 64
    bits included), compared by repr since NaN != NaN; a lone surrogate is the spec's refusal."""
    keys = SANDBOX.keys
    expected = json.loads(text)
    if wire.has_lone_surrogate(expected):
        with pytest.raises(HesabeError):
            json_out.decode_request_data(keys.encrypt(utf8(text)), keys)
        return
    ours = json_out.decode_request_data(keys.encrypt(utf8(text)), keys)
    assert repr(ours) == repr(expected)
    assert [type(x) for x in _leaves(ours)] == [type(x) for x in _leaves(expected)]


@given(st.binary(max_size=40) | st.sampled_from([b"[" * 3000, b"{} x", "\ufeff{}".encode(), b"\xff{}"]))
def test_request_data_fails_exactly_as_the_spec_does(plaintext: bytes) -> None:
    keys = SANDBOX.keys
    hex_text = keys.encrypt(plaintext)
    assert _outcome(json_out.decode_request_data, hex_text) == _outcome(wire.decode_request_data, hex_text)


def _outcome(decode: object, hex_text: str) -> object:
    try:
        return repr(decode(hex_text, SANDBOX.keys))  # type: ignore[operator]
    except HesabeError as exc:
        return type(exc)


def _leaves(value: object) -> list[object]:
    if isinstance(value, dict):
        return [k for k in value] + [x for v in value.values() for x in _leaves(v)]
    if isinstance(value, list):
        return [x for v in value for x in _leaves(v)]
    return [value]
