"""Wire facts: one JSON shape per ciphertext, and ``hesabe-crypt diagnose`` naming the cause of each
bug class on a crafted example."""

from __future__ import annotations

import base64
import json
from typing import Any, get_type_hints

import pytest
from Crypto.Cipher import AES
from hypothesis import given, settings
from hypothesis import strategies as st
from spec_data import USABLE, ids

from hesabe_spec.crypt_cli import main
from hesabe_spec.crypto import CipherKeys, pad
from hesabe_spec.sandbox import SANDBOX
from hesabe_spec.wire import client_json, server_json
from hesabe_spec.wire_facts import WireFacts, describe_body, describe_ciphertext, pad_scheme, pad_unit

KEYS = SANDBOX.keys


def _aes(data: bytes, key: bytes = KEYS.secret_key.encode(), iv: bytes = KEYS.iv_key.encode()) -> str:
    return AES.new(key, AES.MODE_CBC, iv).encrypt(data).hex()


def _by_units(text: str, units: int) -> bytes:
    n = 32 - units % 32
    return (text + chr(n) * n).encode()


@pytest.mark.parametrize("record", USABLE, ids=ids(USABLE))
def test_every_seed_ciphertext_is_described_as_the_seed_record_says(record: dict[str, Any]) -> None:
    facts = describe_ciphertext(record["hex"], KEYS, envelope="data")
    assert facts["decrypts"] and facts["hex_case"] == "lower" and facts["whole_blocks"]
    assert facts["padding"] is not None and facts["padding"]["length"] == record["pad_length"]
    assert facts["plaintext"] is not None and facts["plaintext"]["bytes"] == len(record["plaintext"].encode())
    faults = [d for d in facts["diagnosis"] if d["kind"] == "fault"]
    assert faults == []
    parsed = facts["plaintext"]["json"]
    assert parsed is not None and parsed["keys"] == list(json.loads(record["plaintext"]))
    if record["direction"] == "response":  # what the server wrote: PHP's json_encode, 32-byte padding
        assert parsed["style"] == "php" and facts["padding"]["scheme"] in ("server-32", "either")


@settings(max_examples=60, deadline=None)
@given(st.dictionaries(st.text(max_size=5), st.text(max_size=20), max_size=4), st.sampled_from([16, 32]))
def test_the_facts_are_plain_json_and_the_pad_is_told_right(value: dict[str, str], block: int) -> None:
    text = client_json(value)
    facts = describe_ciphertext(KEYS.encrypt(text, block_size=block), KEYS)
    assert json.loads(json.dumps(facts)) == facts
    assert set(facts) == set(get_type_hints(WireFacts))
    assert facts["padding"] is not None
    scheme = facts["padding"]["scheme"]
    assert scheme in ("either", "server-32" if block == 32 else "pkcs7-16")
    assert facts["plaintext"] is not None and facts["plaintext"]["json"] is not None
    assert facts["plaintext"]["json"]["style"] in ("php", "compact")
    assert ("pkcs7_16" in [d["code"] for d in facts["diagnosis"]]) == (scheme == "pkcs7-16")


def test_the_json_text_style_and_escapes() -> None:
    value = {"url": "https://x/y", "name": "\u062d"}
    php = describe_ciphertext(KEYS.encrypt(server_json(value)), KEYS)["plaintext"]
    js = describe_ciphertext(KEYS.encrypt(client_json(value)), KEYS)["plaintext"]
    py = describe_ciphertext(KEYS.encrypt(json.dumps(value)), KEYS)["plaintext"]
    assert php and js and py and php["json"] and js["json"] and py["json"]
    assert php["json"]["style"] == "php" and php["json"]["escapes"]["escaped_slashes"]
    assert php["json"]["escapes"]["unicode_escape_case"] == "lower"
    assert not php["json"]["escapes"]["raw_non_ascii"]
    assert js["json"]["style"] == "compact" and js["json"]["escapes"]["raw_slashes"]
    assert js["json"]["escapes"]["raw_non_ascii"] and js["utf16_units"] == js["characters"] < js["bytes"]
    assert py["json"]["style"] == "spaced" and py["json"]["keys"] == ["url", "name"]


def test_describe_body_finds_the_hex_in_every_body_form() -> None:
    hex_text = KEYS.encrypt(b'{"merchantCode":"842217"}')
    forms: list[tuple[str | bytes, str]] = [
        (hex_text, "bare"), (json.dumps({"data": hex_text}), "data"),
        (json.dumps({"response": hex_text}).encode(), "response"), (json.dumps(hex_text), "json-string")]
    for body, form in forms:
        facts = describe_body(body, KEYS)
        assert facts["envelope"] == form and facts["decrypts"]


# -- hesabe-crypt diagnose names the cause of each bug class --------------------------------------

def _crafted() -> dict[str, str]:
    plain = b'{"merchantCode":"842217","page":1}'
    def only_by_units(text: str) -> bool:  # whole blocks, with a pad no byte-counting kit writes
        size, n = len(text.encode()), 32 - len(text) % 32
        return (size + n) % 16 == 0 and n not in (16 - size % 16, 32 - size % 32)

    # 16 two-byte Arabic letters: 16 bytes more than characters
    texts = ('{"search":"' + "\u0645\u062d\u0645\u062f" * 4 + "x" * j + '"}' for j in range(32))
    arabic = next(t for t in texts if only_by_units(t))
    assert pad_scheme(arabic.encode(), 32 - len(arabic) % 32) == "utf16-32"
    assert pad_unit("utf16-32", arabic.encode()).startswith("characters (or UTF-16 units")
    emoji = "\U0001f600" + "x"  # beyond U+FFFF: two UTF-16 units, one character
    assert pad_unit("utf16-32", emoji.encode()) == "UTF-16 units"
    assert pad_unit("characters-16", emoji.encode()) == "characters"
    return {
        "wrong_key": _aes(pad(plain), key=b"K" * 32),
        "wrong_iv": _aes(pad(plain), iv=b"V" * 16),
        "pkcs7_16": _aes(pad(plain, 16)),
        "pad_by_utf16": _aes(_by_units(arabic, len(arabic))),
        "not_whole_blocks": _aes(pad(plain))[:-2],
        "uppercase_hex": _aes(pad(plain)).upper(),
        "not_json": _aes(pad(b"merchantCode=842217&page=1")),
        "not_php_json": _aes(pad(b'{"merchantCode": "842217", "url": "https://x/y"}')),  # Python's defaults
        "double_padding": _aes(pad(pad(plain), 16)),
        "not_hex": "0e78zz",
        # PHP's usual mistakes: mcrypt's NUL pad, a pad of spaces, and bin2hex of openssl_encrypt's
        # default answer (base64 of the PKCS#7-padded ciphertext)
        "zero_padding": _aes(plain + b"\0" * (32 - len(plain) % 32)),
        "space_padding": _aes(plain + b" " * (32 - len(plain) % 32)),
        "base64_hex": base64.b64encode(bytes.fromhex(_aes(pad(plain, 16)))).hex(),
    }


@pytest.mark.parametrize(("cause", "hex_text"), list(_crafted().items()))
def test_diagnose_names_the_cause(capsys: pytest.CaptureFixture[str], cause: str, hex_text: str) -> None:
    status = main(["diagnose", hex_text])
    out = capsys.readouterr().out
    assert f" {cause}: " in out, out
    faulty = cause not in ("pkcs7_16", "uppercase_hex", "not_php_json")
    assert status == (1 if faulty else 0)
    assert main(["diagnose", "--json", json.dumps({"data": hex_text})]) == status
    facts = json.loads(capsys.readouterr().out)
    assert facts["envelope"] == "data" and cause in [d["code"] for d in facts["diagnosis"]]


def test_diagnose_shows_a_clean_request_as_clean(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["diagnose", "0e7898bd7464d0c402fe8a949d9cbf9b826ccb9b83b56fa003373275f1947a65"]) == 0
    out = capsys.readouterr().out
    assert "padding:    last byte 7, scheme either" in out and "diagnosis:  nothing unusual" in out


def test_diagnose_warns_of_a_pad_of_32_spaces(capsys: pytest.CaptureFixture[str]) -> None:
    reply = server_json({"status": True, "message": "Invoice sent", "x": ""})
    reply = reply[:-2] + b"y" * (64 - len(reply)) + b'"}'
    assert len(reply) == 64
    assert main(["diagnose", KEYS.encrypt(reply)]) == 0
    assert "fragile pad_of_32_with_space" in capsys.readouterr().out


def test_diagnose_takes_other_keys(capsys: pytest.CaptureFixture[str]) -> None:
    other = CipherKeys("S" * 32, "I" * 16)
    hex_text = other.encrypt(b'{"merchantCode":"1"}')
    assert main(["diagnose", hex_text]) == 1 and "wrong_key" in capsys.readouterr().out
    assert main(["diagnose", hex_text, "--secret-key", "S" * 32, "--iv-key", "I" * 16]) == 0


@pytest.mark.parametrize("size", [1, 16, 40, 200])
def test_hex_of_openssl_s_base64_is_named_whatever_its_length(size: int) -> None:
    """bin2hex(openssl_encrypt(...)) without OPENSSL_RAW_DATA: the base64 text's length is rarely whole
    AES blocks, and when it is, it decrypts to garbage; either way the cause is named."""
    plain = json.dumps({"merchantCode": "842217", "x": "y" * size}).encode()
    hex_text = base64.b64encode(bytes.fromhex(_aes(pad(plain, 16)))).hex()
    codes = [d["code"] for d in describe_ciphertext(hex_text, KEYS)["diagnosis"]]
    assert codes == ["base64_hex"]
    assert "base64_hex" not in [d["code"] for d in describe_ciphertext(_aes(pad(plain)), KEYS)["diagnosis"]]
