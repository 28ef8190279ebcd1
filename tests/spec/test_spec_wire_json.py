"""server_json (PHP json_encode defaults) and client_json (JSON.stringify) text details."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st
from support.json_texts import ANY_TEXT, JSON_TEXTS, UNICODE_TEXT, utf8

from hesabe_spec.errors import EnvelopeError, HesabeError
from hesabe_spec.sandbox import SANDBOX
from hesabe_spec.wire import (
    DecodedBody,
    client_json,
    decode_request_data,
    decode_response,
    has_lone_surrogate,
    server_json,
)


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


_AWKWARD = st.sampled_from(["a/b", "\x7f", "\\u007f", "\\\x7f", "\u2028", "\x1f", "\x00", "\\/", "\U0001f600",
                            "\ud800", "\udc00x", "\u00e9\u0644", "</script>"])
_FINITE = st.floats(allow_nan=False, allow_infinity=False)


@given(st.recursive(st.none() | st.booleans() | st.integers() | _FINITE | ANY_TEXT | _AWKWARD,
                    lambda inner: st.lists(inner, max_size=4)
                    | st.dictionaries(ANY_TEXT | _AWKWARD, inner, max_size=4),
                    max_leaves=20))
def test_server_json_is_the_json_modules_ascii_text_with_php_slashes_and_del(value: object) -> None:
    """PHP's text is the json module's ASCII mode (``\\uXXXX`` in lower case, UTF-16 pairs, lone
    surrogates as ``\\ud800``) except that ``/`` is written ``\\/`` and DEL is written as it is."""
    ascii_mode = json.dumps(value, separators=(",", ":"), ensure_ascii=True, allow_nan=False).encode()
    ours = server_json(value)
    assert ours.isascii()
    # every "/" PHP writes has the escaping backslash right before it, and a raw DEL is always one
    assert ours.replace(b"\\/", b"/").replace(b"\x7f", b"\\u007f") == ascii_mode


def test_server_json_writes_del_raw_and_refuses_what_php_refuses() -> None:
    assert server_json("a\x7fb") == b'"a\x7fb"'
    assert server_json("\\u007f") == b'"\\\\u007f"'
    for bad in (float("nan"), float("inf"), [float("-inf")]):
        with pytest.raises(ValueError):
            server_json(bad)


@given(value=st.recursive(st.none() | st.booleans() | st.integers() | UNICODE_TEXT,
                          lambda inner: st.lists(inner, max_size=3)
                          | st.dictionaries(st.text(), inner, max_size=3),
                          max_leaves=10),
       pad=st.sampled_from(["", " ", "\n"]), block_size=st.sampled_from([16, 32]))
def test_every_encrypted_body_shape_decodes_to_the_envelope(value: object, pad: str, block_size: int) -> None:
    keys = SANDBOX.keys
    hex_text = keys.encrypt(server_json(value), block_size=block_size)
    shapes = {"response": pad + '{"response":"' + hex_text + '"}' + pad, "bare": pad + hex_text.upper() + pad,
              "json-string": json.dumps(hex_text)}
    for shape, body in shapes.items():
        assert decode_response(body, keys) == DecodedBody(value, shape, True)  # type: ignore[arg-type]
        assert decode_response(body.encode(), keys) == DecodedBody(value, shape, True)  # type: ignore[arg-type]


@given(inner=st.text(alphabet="0123456789abcdefABCDEFxyz \"\\/", max_size=80),
       pad=st.sampled_from(["", " ", "\n"]))
def test_a_response_member_that_is_not_our_hex_is_plain_json_or_a_typed_error(inner: str, pad: str) -> None:
    body = pad + '{"response":"' + inner + '"}' + pad
    try:
        decoded = decode_response(body, SANDBOX.keys)
    except HesabeError:
        return  # hex that does not decrypt, or text that is not JSON: typed, never a crash
    assert decoded == DecodedBody(json.loads(body), "plain", False)


@given(JSON_TEXTS)
def test_request_data_is_what_json_loads_gives(text: str) -> None:
    """json.loads' value, unless a string of it holds a lone surrogate (PHP's json_decode reads
    none): then an EnvelopeError."""
    keys = SANDBOX.keys
    expected = json.loads(text)
    if has_lone_surrogate(expected):
        with pytest.raises(EnvelopeError):
            decode_request_data(keys.encrypt(utf8(text)), keys)
        return
    assert repr(decode_request_data(keys.encrypt(utf8(text)), keys)) == repr(expected)  # NaN != NaN


@pytest.mark.parametrize("text", ['"\\ud800"', '{"a": ["x", "\\udfff"]}', '{"\\udc00": 1}',
                                  '"\\ud800\\ud800"', '"\\udcb8\\ud83d"'])
def test_a_lone_surrogate_is_not_request_data(text: str) -> None:
    keys = SANDBOX.keys
    with pytest.raises(EnvelopeError):
        decode_request_data(keys.encrypt(text), keys)


def test_a_surrogate_pair_is_its_character() -> None:
    keys = SANDBOX.keys
    assert decode_request_data(keys.encrypt('{"a": "\\ud83d\\udcb8"}'), keys) == {"a": "\U0001f4b8"}


@pytest.mark.parametrize("plaintext", [b"\xff{}", b"not json", b"{} x", "\ufeff{}".encode(), b"[" * 100_000])
def test_request_data_that_is_not_utf8_json_is_an_envelope_error(plaintext: bytes) -> None:
    keys = SANDBOX.keys
    with pytest.raises(EnvelopeError):
        decode_request_data(keys.encrypt(plaintext), keys)


@pytest.mark.parametrize(("text", "shown"), [
    ("http://hookuser:S3cret@127.0.0.1:9/h?k=1", "http://hookuser:[redacted]@127.0.0.1:9/h?k=1"),
    ("https://u:p%40ss@shop.example", "https://u:[redacted]@shop.example"),
    ("https://u:a@b@shop.example/x", "https://u:[redacted]@shop.example/x"),
    ("https://shop.example/a@b", "https://shop.example/a@b"),  # an @ in the path is no user info
    ("http://TOKEN5@shop.example/x", "http://[redacted]@shop.example/x"),  # how a token often rides
    ("mailto:sara@example.com", "mailto:sara@example.com"),
    ("Sara said http://u:pw@h", "Sara said http://u:[redacted]@h"),  # a URL further in a text
    ("http://u:p@h/ok?next=http://a:PW8@b/", "http://u:[redacted]@h/ok?next=http://a:[redacted]@b/"),
    ("sara@example.com", "sara@example.com"),
    ("http://us@er:PwAT@127.0.0.1:9/x", "http://us@er:[redacted]@127.0.0.1:9/x"),  # an @ in the user
    (" https://u:pw@h/x", " https://u:[redacted]@h/x"),  # a leading space the field did not refuse
    ("\x01http://u:pw@h/x", "\x01http://u:[redacted]@h/x"),  # what a client drops before reading it
    ("ht\ttp://u:pw@h/x", "http://u:[redacted]@h/x"),
])
def test_redact_hides_a_urls_user_info_and_nothing_else(text: str, shown: str) -> None:
    from hesabe_spec.wire import redact

    assert redact({"webhook": text, "items": [text]}) == {"webhook": shown, "items": [shown]}


def test_redact_reply_keeps_a_refusals_field_messages_and_hides_every_secret() -> None:
    from hesabe_spec.wire import REDACTED, redact_reply

    refused = {"status": False, "message": "The refresh token field is required.",
               "response": {"refreshToken": ["The refresh token field is required."],
                            "password": ["The password field must be a string."]}}
    assert redact_reply(refused) == refused  # the server's own words about the fields, no value
    issued = {"status": True, "message": "ok", "response": {"access_token": "eyJ.a.b", "refreshToken": "r1"}}
    assert redact_reply(issued) == {"status": True, "message": "ok",
                                    "response": {"access_token": REDACTED, "refreshToken": REDACTED}}
    # a refusal whose response is not field errors is redacted as anything else
    odd = {"status": False, "message": "no", "response": {"password": "Test@1234", "list": ["a"]}}
    assert redact_reply(odd)["response"] == {"password": REDACTED, "list": ["a"]}
    # a message naming a URL with a password still hides it
    hook = {"status": False, "message": "bad", "response": {"webhookUrl": ["http://u:pw@h/x is invalid."]}}
    assert redact_reply(hook)["response"] == {"webhookUrl": ["http://u:[redacted]@h/x is invalid."]}
