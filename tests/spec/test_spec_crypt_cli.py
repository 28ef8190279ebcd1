"""The hesabe-crypt CLI: decrypt/encrypt, input forms, key overrides, exit 2 on bad input."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from typing import Any

import pytest
from spec_data import SEED_REQUESTS, SEED_RESPONSES, USABLE, ids

from hesabe_spec.crypt_cli import main
from hesabe_spec.crypto import encrypt
from hesabe_spec.sandbox import SANDBOX

Cap = pytest.CaptureFixture[str]

OTHER_SECRET, OTHER_IV = "S" * 32, "I" * 16
CREATED = next(r for r in SEED_RESPONSES if r["operation"] == "create_invoice")  # has Arabic text


@pytest.fixture(autouse=True)
def _no_key_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("HESABE_SECRET_KEY", raising=False)
    monkeypatch.delenv("HESABE_IV_KEY", raising=False)


def _run(capsys: Cap, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize("record", USABLE, ids=ids(USABLE))
def test_decrypt_prints_each_seed_plaintext(capsys: Cap, record: dict[str, Any]) -> None:
    assert _run(capsys, "decrypt", record["hex"]) == (0, record["plaintext"] + "\n", "")


def test_pretty_indents_and_shows_arabic_as_characters(capsys: Cap) -> None:
    code, out, _ = _run(capsys, "decrypt", "--pretty", CREATED["hex"])
    assert code == 0
    assert json.loads(out) == CREATED["json"]
    assert "\n  \"status\": true," in out
    assert "مبلغ" in out and "\\u0645" not in out


@pytest.mark.parametrize("wrap", ['{{"response": "{h}"}}', '{{"data": "{h}"}}', '"{h}"', "  {h}\n", "{H}"])
def test_decrypt_accepts_pasted_bodies(capsys: Cap, wrap: str) -> None:
    hex_text = CREATED["hex"]
    code, out, _ = _run(capsys, "decrypt", wrap.format(h=hex_text, H=hex_text.upper()))
    assert (code, out) == (0, CREATED["plaintext"] + "\n")


def test_decrypt_and_encrypt_read_stdin(capsys: Cap, monkeypatch: pytest.MonkeyPatch) -> None:
    request = SEED_REQUESTS[0]
    monkeypatch.setattr(sys, "stdin", io.StringIO(json.dumps({"data": request["hex"]}) + "\n"))
    assert _run(capsys, "decrypt")[:2] == (0, request["plaintext"] + "\n")
    monkeypatch.setattr(sys, "stdin", io.StringIO(request["plaintext"] + "\n"))
    assert _run(capsys, "encrypt", "--block-size", "16")[:2] == (0, request["hex"] + "\n")


@pytest.mark.parametrize("record", SEED_REQUESTS, ids=ids(SEED_REQUESTS))
def test_encrypt_16_reproduces_seed_requests(capsys: Cap, record: dict[str, Any]) -> None:
    assert _run(capsys, "encrypt", "--block-size", "16", record["plaintext"]) == (0, record["hex"] + "\n", "")


def test_encrypt_defaults_to_the_servers_32_byte_padding(capsys: Cap) -> None:
    for record in SEED_RESPONSES:
        assert _run(capsys, "encrypt", record["plaintext"])[:2] == (0, record["hex"] + "\n")


def test_keys_from_env_and_flags_win_over_env(
    capsys: Cap, monkeypatch: pytest.MonkeyPatch
) -> None:
    text = '{"merchantCode":"1"}'
    other = encrypt(text, OTHER_SECRET, OTHER_IV)
    monkeypatch.setenv("HESABE_SECRET_KEY", OTHER_SECRET)
    monkeypatch.setenv("HESABE_IV_KEY", OTHER_IV)
    assert _run(capsys, "encrypt", text)[1] == other + "\n"
    assert _run(capsys, "decrypt", other)[1] == text + "\n"
    monkeypatch.setenv("HESABE_SECRET_KEY", "too short")
    flags = ("--secret-key", OTHER_SECRET, "--iv-key", OTHER_IV)
    assert _run(capsys, "decrypt", *flags, other)[:2] == (0, text + "\n")


BAD = {
    "odd hex": ("decrypt", "abc"),
    "not hex": ("decrypt", "zz" * 16),
    "not whole blocks": ("decrypt", "00" * 8),
    "placeholder": ("decrypt", "60a8f6...d8......"),
    "json without data": ("decrypt", '{"other": "00"}'),
    "broken json": ("decrypt", '{"data": '),
    "json number": ("decrypt", "[1]"),
    "short secret": ("decrypt", "--secret-key", "short", CREATED["hex"]),
    "long iv": ("encrypt", "--iv-key", "x" * 17, "{}"),
    "wrong secret": ("decrypt", "--secret-key", OTHER_SECRET, CREATED["hex"]),
    "wrong iv": ("decrypt", "--iv-key", OTHER_IV, CREATED["hex"]),
    "pretty of non-json": ("decrypt", "--pretty", encrypt("plain words", SANDBOX.secret_key, SANDBOX.iv_key)),
    "encrypt non-json": ("encrypt", "{bad"),
    "encrypt empty": ("encrypt", ""),
    "block size 8": ("encrypt", "--block-size", "8", "{}"),
    "unknown command": ("bogus",),
    "no command": (),
}


@pytest.mark.parametrize("argv", BAD.values(), ids=BAD.keys())
def test_bad_input_gives_one_line_and_exit_2(capsys: Cap, argv: tuple[str, ...]) -> None:
    code, out, err = _run(capsys, *argv)
    assert code == 2 and out == ""
    assert err.startswith("hesabe-crypt: error: ") and err.count("\n") == 1
    assert "Traceback" not in err
    assert SANDBOX.secret_key not in err and OTHER_SECRET not in err


def test_raw_prints_non_json_plaintext(capsys: Cap) -> None:
    hex_text = encrypt("plain words", SANDBOX.secret_key, SANDBOX.iv_key)
    assert _run(capsys, "decrypt", "--raw", hex_text)[:2] == (0, "plain words\n")


def test_console_script_entry_point_end_to_end() -> None:
    cmd = [sys.executable, "-m", "hesabe_spec.crypt_cli"]
    ok = subprocess.run([*cmd, "decrypt", CREATED["hex"]], capture_output=True, text=True, encoding="utf-8",
                        check=False)
    assert (ok.returncode, ok.stdout) == (0, CREATED["plaintext"] + "\n")
    bad = subprocess.run([*cmd, "decrypt", "xyz"], capture_output=True, text=True, check=False)
    assert bad.returncode == 2 and "Traceback" not in bad.stderr and bad.stderr.count("\n") == 1
