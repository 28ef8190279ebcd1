"""Reading ``data`` from a request body: the shortcut for ``{"data":"<hex>"}`` equals a JSON parse."""

from __future__ import annotations

import json

from hypothesis import given
from hypothesis import strategies as st

from mock_server.protocol import NO_DATA, read_data_field

_FORM = "application/x-www-form-urlencoded"


def _parsed(body: bytes) -> object:
    try:
        value = json.loads(body)
    except ValueError:
        return NO_DATA
    return value["data"] if isinstance(value, dict) and "data" in value else NO_DATA


@given(st.text(max_size=40))
def test_any_data_string_reads_as_json_would(text: str) -> None:
    text_body = json.dumps({"data": text}, separators=(",", ":"), ensure_ascii=False)
    body = text_body.encode("utf-8", "surrogatepass")
    assert read_data_field("application/json", body) == _parsed(body)


@given(st.binary(max_size=40))
def test_any_bytes_between_the_quotes_read_as_json_would(inner: bytes) -> None:
    body = b'{"data":"' + inner + b'"}'
    assert read_data_field("application/json", body) == _parsed(body)


def test_form_bodies_are_never_read_as_json() -> None:
    assert read_data_field(_FORM, b'{"data":"abc"}') is NO_DATA
    assert read_data_field(_FORM, b"data=abc") == "abc"
