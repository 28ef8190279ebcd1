"""fixtures/crypto_conformance.json: the conformance set other kits check themselves against. The
vectors are checked here against pycryptodome directly, then passed by hesabe_spec, the mock's
decoder and the ``hesabe-crypt`` program; every broken ciphertext gets its diagnosis."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from Crypto.Cipher import AES

from hesabe_spec.crypt_cli import main
from hesabe_spec.crypto import CipherKeys
from hesabe_spec.wire_facts import describe_ciphertext
from mock_server.json_out import decrypt_request

ROOT = Path(__file__).resolve().parents[2]
SET = json.loads((ROOT / "fixtures" / "crypto_conformance.json").read_text(encoding="utf-8"))
KEYS = CipherKeys(SET["secret_key"], SET["iv_key"])
CASES: list[dict[str, Any]] = SET["cases"]
BROKEN: list[dict[str, Any]] = SET["broken"]
CRYPT = str(Path(sys.executable).with_name("hesabe-crypt"))


def _names(items: list[dict[str, Any]]) -> list[str]:
    return [item["name"] for item in items]


def test_the_set_covers_the_lengths_and_texts_kits_get_wrong() -> None:
    sizes = {case["plaintext_bytes"] for case in CASES}
    assert {15, 16, 31, 32, 33} <= sizes
    assert any(case["pad_32"] == 32 for case in CASES)
    texts = "".join(case["plaintext"] for case in CASES)
    assert any("\u0600" <= ch <= "\u06ff" for ch in texts) and any(ord(ch) > 0xFFFF for ch in texts)
    assert {b["diagnosis"] for b in BROKEN} >= {"wrong_key", "wrong_iv", "pkcs7_16", "pad_by_utf16",
                                                "pad_by_characters", "not_whole_blocks", "uppercase_hex",
                                                "not_json", "double_padding", "pad_of_32_with_space",
                                                "zero_padding", "space_padding", "base64_hex"}


@pytest.mark.parametrize("case", CASES, ids=_names(CASES))
def test_the_vectors_are_textbook_aes(case: dict[str, Any]) -> None:
    data = case["plaintext"].encode("utf-8")
    assert len(data) == case["plaintext_bytes"]
    for block in (32, 16):
        raw = AES.new(SET["secret_key"].encode(), AES.MODE_CBC, SET["iv_key"].encode()).decrypt(
            bytes.fromhex(case[f"hex_{block}"]))
        pad = case[f"pad_{block}"]
        assert raw == data + bytes([pad]) * pad and (len(data) + pad) % block == 0


@pytest.mark.parametrize("case", CASES, ids=_names(CASES))
def test_hesabe_spec_and_the_mock_pass(case: dict[str, Any]) -> None:
    assert KEYS.encrypt(case["plaintext"]) == case["hex_32"]
    assert KEYS.encrypt(case["plaintext"], block_size=16) == case["hex_16"]
    for block in (32, 16):
        assert KEYS.decrypt(case[f"hex_{block}"]).decode("utf-8") == case["plaintext"]
        value, plaintext = decrypt_request(case[f"hex_{block}"], KEYS)
        assert value == json.loads(case["plaintext"]) and plaintext == case["plaintext"].encode()


@pytest.mark.parametrize("case", CASES, ids=_names(CASES))
def test_hesabe_crypt_passes(capsys: pytest.CaptureFixture[str], case: dict[str, Any]) -> None:
    keys = ["--secret-key", SET["secret_key"], "--iv-key", SET["iv_key"]]
    for block in ("32", "16"):
        assert main(["encrypt", case["plaintext"], "--block-size", block, *keys]) == 0
        assert capsys.readouterr().out == case[f"hex_{block}"] + "\n"
        assert main(["decrypt", case[f"hex_{block}"], *keys]) == 0
        assert capsys.readouterr().out == case["plaintext"] + "\n"


def test_the_hesabe_crypt_program_passes_as_a_program() -> None:
    case = next(c for c in CASES if c["name"] == "emoji")
    keys = ["--secret-key", SET["secret_key"], "--iv-key", SET["iv_key"]]
    run = subprocess.run([CRYPT, "encrypt", "--block-size", "16", *keys], input=case["plaintext"],
                         capture_output=True, text=True, timeout=60, check=True)
    assert run.stdout.strip() == case["hex_16"]


@pytest.mark.parametrize("broken", BROKEN, ids=_names(BROKEN))
def test_each_broken_ciphertext_gets_its_diagnosis(broken: dict[str, Any]) -> None:
    codes = [d["code"] for d in describe_ciphertext(broken["hex"], KEYS)["diagnosis"]]
    assert broken["diagnosis"] in codes, codes


def test_the_committed_set_is_what_the_builder_makes() -> None:
    sys.path.insert(0, str(ROOT / "fixtures"))
    try:
        import build_crypto_conformance
    finally:
        sys.path.remove(str(ROOT / "fixtures"))
    assert build_crypto_conformance.build() == SET
