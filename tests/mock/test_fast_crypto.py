"""The mock's OpenSSL CBC (mock_server/fast_crypto.py) is the spec's cipher: same bytes, same errors."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from hesabe_spec.crypto import CipherKeys
from hesabe_spec.errors import HesabeError
from hesabe_spec.sandbox import SANDBOX
from mock_server import fast_crypto

ascii_keys = st.builds(CipherKeys, st.text(st.characters(min_codepoint=33, max_codepoint=126), min_size=32,
                                           max_size=32),
                       st.text(st.characters(min_codepoint=33, max_codepoint=126), min_size=16, max_size=16))
keys = st.one_of(st.just(SANDBOX.keys), ascii_keys)


def test_openssl_is_in_use() -> None:
    assert fast_crypto.Cipher is not None  # [speedups] is part of the test environment


@given(keys, st.binary(max_size=600), st.sampled_from([16, 32]))
def test_encrypt_writes_the_specs_hex(k: CipherKeys, plaintext: bytes, block_size: int) -> None:
    expected = k.encrypt(plaintext, block_size=block_size)
    assert fast_crypto.encrypt(k, plaintext, block_size=block_size) == expected


@given(keys, st.binary(max_size=600), st.sampled_from([16, 32]), st.booleans())
def test_decrypt_reads_what_the_spec_wrote(k: CipherKeys, plaintext: bytes, block_size: int,
                                           upper: bool) -> None:
    hex_text = k.encrypt(plaintext, block_size=block_size)
    assert fast_crypto.decrypt(k, hex_text.upper() if upper else hex_text) == plaintext


def _outcome(fn: object, *args: object) -> tuple[str, object]:
    try:
        return "ok", fn(*args)  # type: ignore[operator]
    except HesabeError as exc:
        return type(exc).__name__, str(exc)


junk = st.one_of(
    st.text(max_size=80),
    st.text("0123456789abcdefABCDEF \n", max_size=130),
    st.binary(max_size=64).map(bytes.hex),
    st.binary(min_size=16, max_size=64).map(lambda b: f" {b.hex()} "),
)


@given(keys, junk)
def test_anything_else_gets_the_specs_answer(k: CipherKeys, text: str) -> None:
    """Wrong pads (a wrong key), odd lengths, partial blocks, whitespace, non-hex: the same plaintext
    or the same error, message included."""
    assert _outcome(fast_crypto.decrypt, k, text) == _outcome(k.decrypt, text)


def test_a_wrong_key_is_the_specs_padding_error() -> None:
    other = CipherKeys("x" * 32, "y" * 16)
    hex_text = SANDBOX.keys.encrypt(b'{"status": true}')
    fast = _outcome(fast_crypto.decrypt, other, hex_text)
    assert fast == _outcome(other.decrypt, hex_text)
    assert fast[0] == "InvalidPaddingError"
