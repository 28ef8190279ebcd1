"""Every seed ciphertext, byte for byte, and wire.decode_response on every body shape."""

from __future__ import annotations

import json
from typing import Any

import pytest
from spec_data import SEED_EXCHANGES, SEED_REQUESTS, SEED_RESPONSES, USABLE, ids

from hesabe_spec.crypto import CipherKeys, decrypt, encrypt
from hesabe_spec.errors import CryptoError, EnvelopeError
from hesabe_spec.operations import OPERATIONS
from hesabe_spec.sandbox import SANDBOX
from hesabe_spec.wire import (
    client_json,
    decode_request_data,
    decode_response,
    encode_request,
    encode_response,
    server_json,
)

KEYS = SANDBOX.keys


@pytest.mark.parametrize("record", USABLE, ids=ids(USABLE))
def test_decrypt_gives_the_recorded_plaintext(record: dict[str, Any]) -> None:
    plain = decrypt(record["hex"], SANDBOX.secret_key, SANDBOX.iv_key)
    assert plain == record["plaintext"].encode("utf-8")
    assert json.loads(plain) == record["json"]
    assert len(record["hex"]) // 2 - len(plain) == record["pad_length"]
    assert record["padding"] in record["padding_matches"]


@pytest.mark.parametrize("record", SEED_RESPONSES, ids=ids(SEED_RESPONSES))
def test_response_reencrypts_byte_exact_with_server_json_and_32_byte_pad(record: dict[str, Any]) -> None:
    text = server_json(json.loads(record["plaintext"]))
    assert text == record["plaintext"].encode("ascii")
    assert encrypt(text, SANDBOX.secret_key, SANDBOX.iv_key, block_size=32) == record["hex"]


@pytest.mark.parametrize("record", SEED_REQUESTS, ids=ids(SEED_REQUESTS))
def test_request_reencrypts_byte_exact_with_client_json_and_pkcs7(record: dict[str, Any]) -> None:
    assert client_json(json.loads(record["plaintext"])) == record["plaintext"].encode("utf-8")
    assert encode_request(json.loads(record["plaintext"]), KEYS) == record["hex"]
    assert decode_request_data(record["hex"], KEYS) == record["json"]


def test_fixture_covers_every_seed_page_and_both_split_samples() -> None:
    seeds = {r["seed"][:3] for r in SEED_EXCHANGES}
    assert seeds == {"000", "001", "002", "003", "004"}
    assert all(r["operation"] in OPERATIONS for r in SEED_EXCHANGES)
    split_requests = [r for r in SEED_REQUESTS if r["seed"].startswith("004")]
    sub_types = {inv["invoiceSubType"] for r in split_requests for inv in r["json"]["invoices"]}
    assert sorted(sub_types) == ["0", "1"]
    # The docs' request samples use 16-byte PKCS#7: at least one pad rules out the 32-byte scheme.
    assert any(r["padding_matches"] == ["pkcs7-16"] for r in SEED_REQUESTS)
    assert any(r["padding_matches"] == ["block-32"] for r in SEED_RESPONSES)


def test_seed_002_response_is_recorded_as_an_unusable_placeholder() -> None:
    (placeholder,) = [r for r in SEED_EXCHANGES if not r["usable"]]
    assert placeholder["seed"].startswith("002") and placeholder["direction"] == "response"
    assert "placeholder" in placeholder["reason"]
    with pytest.raises(CryptoError):
        decrypt(placeholder["hex"], SANDBOX.secret_key, SANDBOX.iv_key)


# ------------------------------------------------------------------------------ body shapes

RESPONSE = SEED_RESPONSES[0]


def _shapes(hex_text: str) -> dict[str, bytes | str]:
    return {
        "response": json.dumps({"response": hex_text}),
        "response-bytes": json.dumps({"response": hex_text}).encode(),
        "bare": hex_text,
        "bare-upper-with-newline": hex_text.upper() + "\n",
        "json-string": json.dumps(hex_text),
    }


@pytest.mark.parametrize(("label", "body"), _shapes(RESPONSE["hex"]).items())
def test_decode_response_reads_every_encrypted_shape(label: str, body: bytes | str) -> None:
    decoded = decode_response(body, KEYS)
    assert decoded.encrypted
    assert decoded.envelope == RESPONSE["json"]
    assert decoded.shape == label.split("-bytes")[0].split("-upper")[0]


@pytest.mark.parametrize(
    "body",
    [{"message": "Internal server error occurred"},
     {"status": True, "message": "Success", "response": {"token": {"token_type": "Bearer"}}},
     {"status": False, "code": 506, "message": "Invalid Request Data", "response": None},
     {"response": "not hex at all"}],
)
def test_decode_response_passes_plain_json_through(body: Any) -> None:
    decoded = decode_response(json.dumps(body), KEYS)
    assert (decoded.shape, decoded.encrypted, decoded.envelope) == ("plain", False, body)


@pytest.mark.parametrize("body", [b"\xff\xfe", "<html>oops</html>", '"not hex"', ""])
def test_decode_response_rejects_unreadable_bodies(body: bytes | str) -> None:
    with pytest.raises(EnvelopeError):
        decode_response(body, KEYS)


def test_decode_response_hex_that_does_not_decrypt_is_a_crypto_error() -> None:
    with pytest.raises(CryptoError):
        decode_response(RESPONSE["hex"], CipherKeys("Y" * 32, SANDBOX.iv_key))


def test_decrypted_non_json_is_an_envelope_error() -> None:
    with pytest.raises(EnvelopeError):
        decode_response(KEYS.encrypt("not json"), KEYS)


@pytest.mark.parametrize("style", ["response", "bare"])
def test_encode_response_round_trips_and_matches_the_seed(style: str) -> None:
    body = encode_response(RESPONSE["json"], KEYS, style=style)  # type: ignore[arg-type]
    decoded = decode_response(body, KEYS)
    assert decoded.envelope == RESPONSE["json"] and decoded.shape == style
    assert RESPONSE["hex"].encode() in body
