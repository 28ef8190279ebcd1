"""server_json (PHP json_encode defaults) and client_json (JSON.stringify) text details."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import assume, given
from hypothesis import strategies as st

from hesabe_spec.errors import HesabeError
from hesabe_spec.sandbox import SANDBOX
from hesabe_spec.wire import client_json, server_json


def test_server_json_escapes_slashes() -> None:
    assert server_json({"url": "http://demo.hesabe.com/s/9Q6EE769"}) == (
        b'{"url":"http:\\/\\/demo.hesabe.com\\/s\\/9Q6EE769"}'
    )


def test_server_json_writes_non_ascii_as_lower_case_u_escapes() -> None:
    assert server_json("مبلغ") == b'"\\u0645\\u0628\\u0644\\u063a"'
    assert server_json("é") == b'"\\u00e9"'
    # Outside the BMP PHP writes a surrogate pair, also lower case.
    assert server_json("😀") == b'"\\ud83d\\ude00"'


def test_server_json_is_compact_and_keeps_insertion_order() -> None:
    obj = {"status": True, "message": "m", "response": {"z": 1, "a": [None, 1.5, "x"]}}
    assert server_json(obj) == b'{"status":true,"message":"m","response":{"z":1,"a":[null,1.5,"x"]}}'


def test_server_json_keeps_control_escapes_like_php() -> None:
    # seed 001's en_sms carries "\r\n"
    assert server_json("a\r\nb\t\"q\"\\") == b'"a\\r\\nb\\t\\"q\\"\\\\"'


def test_client_json_is_compact_utf8_without_slash_escapes() -> None:
    assert client_json({"webhook": "https://x.y/z", "name": "محمد"}) == (
        '{"webhook":"https://x.y/z","name":"محمد"}'.encode()
    )


@given(st.recursive(st.none() | st.booleans() | st.integers() | st.text(),
                    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
                    max_leaves=20))
def test_both_writers_parse_back_to_the_same_value(value: object) -> None:
    assert json.loads(server_json(value)) == value
    assert json.loads(client_json(value)) == value
    assert server_json(value).isascii()


@given(inner=st.text(alphabet="0123456789abcdefABCDEFxyz \"\\/", max_size=80),
       pad=st.sampled_from(["", " ", "\n"]))
def test_the_response_shape_shortcut_decodes_exactly_like_the_full_parse(inner: str, pad: str) -> None:
    """decode_response takes {"response":"<hex>"} without a JSON parse; any other text gets one."""
    import hesabe_spec.wire as wire

    keys = SANDBOX.keys
    bodies = [pad + '{"response":"' + inner + '"}' + pad,
              pad + '{"response":"' + keys.encrypt(inner or "x") + '"}' + pad]
    for body in bodies:
        slow = _outcome(lambda b, k: _decode_without_shortcut(wire, b, k), body)
        assert _outcome(wire.decode_response, body) == slow


def _outcome(fn: Any, body: str) -> Any:
    try:
        return fn(body, SANDBOX.keys)
    except HesabeError as exc:
        return type(exc)


def _decode_without_shortcut(wire: Any, body: str, keys: Any) -> Any:
    saved = wire._RESPONSE_OPEN
    wire._RESPONSE_OPEN = "\0never"
    try:
        return wire.decode_response(body, keys)
    finally:
        wire._RESPONSE_OPEN = saved


_PLAIN_FLOATS = st.floats(allow_nan=False, allow_infinity=False).filter(lambda f: "e" not in repr(f))
_ANY_TEXT = st.text(st.characters(codec=None, exclude_categories=()), max_size=12)  # lone surrogates too


@given(st.recursive(st.none() | st.booleans() | st.integers(-(2**63), 2**64 - 1) | _PLAIN_FLOATS
                    | st.text() | st.sampled_from(["a/b", "\x7f", "\u2028", "\x1f", "\\/", "\U0001f600"]),
                    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
                    max_leaves=20))
def test_orjson_and_the_json_module_write_the_same_server_json(value: object) -> None:
    """The mock writes with orjson when it can; the json module's text must be the same bytes."""
    import hesabe_spec.wire as wire

    assert wire.php_escape(wire.compact_json(value)) == wire.php_escape(wire._compact_by_json_module(value))


@given(st.recursive(st.integers() | _ANY_TEXT,
                    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_ANY_TEXT, inner, max_size=3),
                    max_leaves=8))
def test_what_orjson_refuses_is_written_by_the_json_module(value: object) -> None:
    """Beyond-64-bit integers and lone surrogates: the same escapes as the json module's ASCII
    mode gives (``\\ud800``), never an error."""
    text = server_json(value)
    assert text.isascii()
    assert json.loads(text) == value


_JSON_TEXT = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | _ANY_TEXT,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(_ANY_TEXT, inner, max_size=4),
    max_leaves=20,
).flatmap(lambda v: st.sampled_from([json.dumps(v), json.dumps(v, ensure_ascii=False),
                                       json.dumps(v, indent=1)]))


@given(_JSON_TEXT | st.sampled_from(['{"a":1,"a":2}', "[1e400, -0, -0.0, 1E5]", ' {"x": "\\u0000"} ',
                                     "[9223372036854775807, -9223372036854775808, 18446744073709551616]",
                                     '"0123456789012345678"', "[1.23456789012345678901]", "NaN",
                                     '"\\ud800"']))
def test_request_data_parses_to_exactly_what_json_loads_gives(text: str) -> None:
    """decode_request_data tries orjson first; the value must be json.loads' (NaN, lone surrogates
    and integers beyond 64 bits included), compared by repr since NaN != NaN."""
    from hesabe_spec.wire import decode_request_data

    try:
        raw = text.encode("utf-8")
    except UnicodeEncodeError:  # a raw lone surrogate: no client can send that as UTF-8
        assume(False)
    keys = SANDBOX.keys
    ours = decode_request_data(keys.encrypt(raw), keys)
    expected = json.loads(text)
    assert repr(ours) == repr(expected)
    assert [type(x) for x in _leaves(ours)] == [type(x) for x in _leaves(expected)]


def _leaves(value: object) -> list[object]:
    if isinstance(value, dict):
        return [k for k in value] + [x for v in value.values() for x in _leaves(v)]
    if isinstance(value, list):
        return [x for v in value for x in _leaves(v)]
    return [value]
