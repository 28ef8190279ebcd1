"""hesabe_spec.crypto: AES-256-CBC with the fixed IV, 16/32-byte padding, typed errors."""

from __future__ import annotations

import pytest
from Crypto.Cipher import AES
from hypothesis import given
from hypothesis import strategies as st

from hesabe_spec.crypto import CipherKeys, decrypt, encrypt, pad, unpad
from hesabe_spec.errors import (
    ConfigurationError,
    CryptoError,
    HesabeError,
    InvalidCiphertextError,
    InvalidPaddingError,
)
from hesabe_spec.sandbox import SANDBOX

SECRET, IV = SANDBOX.secret_key, SANDBOX.iv_key
ALPHABETS = {"ascii": "a", "arabic": "م"}  # 1 and 2 UTF-8 bytes per character


def _raw_cbc(data: bytes) -> str:
    """Encrypt already-padded bytes with the sandbox key and no padding of our own."""
    return AES.new(SECRET.encode(), AES.MODE_CBC, IV.encode()).encrypt(data).hex()


def _pad_of(hex_text: str) -> int:
    return AES.new(SECRET.encode(), AES.MODE_CBC, IV.encode()).decrypt(bytes.fromhex(hex_text))[-1]


@pytest.mark.parametrize("block_size", [16, 32])
@pytest.mark.parametrize("alphabet", sorted(ALPHABETS))
def test_round_trip_every_character_length_0_to_200(alphabet: str, block_size: int) -> None:
    for n in range(201):
        text = ALPHABETS[alphabet] * n
        hex_text = encrypt(text, SECRET, IV, block_size=block_size)
        raw_len = len(text.encode())
        assert len(hex_text) // 2 == (raw_len // block_size + 1) * block_size, n
        assert _pad_of(hex_text) == block_size - raw_len % block_size, n
        assert decrypt(hex_text, SECRET, IV) == text.encode(), n


@pytest.mark.parametrize("block_size", [16, 32])
def test_round_trip_every_byte_length_0_to_200_mixed_text(block_size: int) -> None:
    # Arabic characters plus one ASCII letter for odd lengths: every byte length is hit.
    for n in range(201):
        text = "ب" * (n // 2) + "x" * (n % 2)
        assert len(text.encode()) == n
        assert decrypt(encrypt(text, SECRET, IV, block_size=block_size), SECRET, IV).decode() == text


@given(text=st.text(max_size=300), block_size=st.sampled_from([16, 32]))
def test_round_trip_property(text: str, block_size: int) -> None:
    hex_text = encrypt(text, SECRET, IV, block_size=block_size)
    assert hex_text == hex_text.lower()
    assert len(hex_text) % (2 * block_size) == 0
    assert decrypt(hex_text, SECRET, IV) == text.encode("utf-8")
    assert decrypt(hex_text.upper(), SECRET, IV) == text.encode("utf-8")


@given(data=st.binary(max_size=100))
def test_bytes_in_bytes_out(data: bytes) -> None:
    assert decrypt(encrypt(data, SECRET, IV), SECRET, IV) == data


def test_fixed_iv_makes_equal_prefixes_equal() -> None:
    # hesabe-api.md §2.4: every payload starting {"merchantCode":"842217" shares its first block.
    a = encrypt('{"merchantCode":"842217"}', SECRET, IV, block_size=16)
    b = encrypt('{"merchantCode":"842217","statusId":"3"}', SECRET, IV, block_size=16)
    assert a[:32] == b[:32] == "0e7898bd7464d0c402fe8a949d9cbf9b"
    assert encrypt("same", SECRET, IV) == encrypt("same", SECRET, IV)


def test_default_block_is_32_and_16_is_pkcs7() -> None:
    # 40 bytes: the cancel request of hesabe-api.md §2.4 (pad 8 with PKCS#7, 24 with 32-byte blocks).
    assert _pad_of(encrypt("x" * 40, SECRET, IV)) == 24
    assert _pad_of(encrypt("x" * 40, SECRET, IV, block_size=16)) == 8
    assert pad(b"x" * 20, 16) == b"x" * 20 + bytes([12]) * 12
    assert pad(b"x" * 20, 32) == b"x" * 20 + bytes([12]) * 12
    assert pad(b"x" * 16, 16) == b"x" * 16 + bytes([16]) * 16
    assert pad(b"x" * 16, 32) == b"x" * 16 + bytes([16]) * 16
    assert pad(b"", 32) == bytes([32]) * 32


@pytest.mark.parametrize("n", [1, 7, 16, 17, 31, 32])
def test_decrypt_accepts_any_consistent_pad_up_to_32(n: int) -> None:
    body = b"{}" + b"z" * ((-(2 + n)) % 16)
    padded = body + bytes([n]) * n
    assert len(padded) % 16 == 0
    assert decrypt(_raw_cbc(padded), SECRET, IV) == body


# ------------------------------------------------------------------------------- typed errors

BAD_CIPHERTEXTS = {
    "empty": "",
    "whitespace only": "   ",
    "odd length": "abc",
    "non-hex": "zz" * 16,
    "non-ascii": "é" * 32,
    "not whole blocks": "00" * 8,
    "one block and a half": "00" * 24,
}


@pytest.mark.parametrize("text", BAD_CIPHERTEXTS.values(), ids=BAD_CIPHERTEXTS.keys())
def test_malformed_ciphertext_is_invalid_ciphertext(text: str) -> None:
    with pytest.raises(InvalidCiphertextError):
        decrypt(text, SECRET, IV)


def test_non_string_ciphertext_is_typed() -> None:
    with pytest.raises(InvalidCiphertextError):
        decrypt(12345, SECRET, IV)  # type: ignore[arg-type]
    with pytest.raises(InvalidCiphertextError):
        decrypt(b"\xff\xfe" * 16, SECRET, IV)  # type: ignore[arg-type]


BAD_PADS = {
    "pad 0": b"a" * 15 + b"\x00",
    "pad 33": b"a" * 31 + bytes([33]),
    "pad 255": b"a" * 15 + b"\xff",
    "inconsistent pad bytes": b"a" * 12 + b"\x01\x04\x04\x04",
    "pad longer than plaintext": b"a" * 0 + bytes([32]) * 16,
}


@pytest.mark.parametrize("padded", BAD_PADS.values(), ids=BAD_PADS.keys())
def test_bad_padding_is_invalid_padding(padded: bytes) -> None:
    with pytest.raises(InvalidPaddingError):
        decrypt(_raw_cbc(padded), SECRET, IV)
    with pytest.raises(InvalidPaddingError):
        unpad(padded)


def test_unpad_empty_is_typed() -> None:
    with pytest.raises(InvalidPaddingError):
        unpad(b"")


def test_wrong_key_is_a_crypto_error_not_a_crash() -> None:
    hex_text = encrypt('{"merchantCode":"842217"}', SECRET, IV)
    wrong = "X" * 32
    with pytest.raises(InvalidPaddingError):
        decrypt(hex_text, wrong, IV)


BAD_KEYS = {
    "secret 31 bytes": (SECRET[:-1], IV),
    "secret 33 bytes": (SECRET + "x", IV),
    "secret 32 chars but 33 bytes": ("é" + SECRET[:31], IV),
    "iv 15 bytes": (SECRET, IV[:-1]),
    "iv 17 bytes": (SECRET, IV + "x"),
    "empty secret": ("", IV),
}


@pytest.mark.parametrize(("secret", "iv"), BAD_KEYS.values(), ids=BAD_KEYS.keys())
def test_bad_key_lengths_are_configuration_errors(secret: str, iv: str) -> None:
    with pytest.raises(ConfigurationError) as info:
        encrypt("x", secret, iv)
    assert secret not in str(info.value) or not secret
    with pytest.raises(ConfigurationError):
        decrypt("00" * 16, secret, iv)
    with pytest.raises(ConfigurationError):
        CipherKeys(secret, iv)


def test_non_string_keys_and_bad_block_size_are_configuration_errors() -> None:
    with pytest.raises(ConfigurationError):
        encrypt("x", SECRET.encode(), IV)  # type: ignore[arg-type]
    with pytest.raises(ConfigurationError):
        encrypt("x", SECRET, IV, block_size=8)


def test_every_crypto_error_is_a_hesabe_error_and_never_a_bare_value_error() -> None:
    assert issubclass(InvalidCiphertextError, CryptoError)
    assert issubclass(InvalidPaddingError, CryptoError)
    assert issubclass(CryptoError, HesabeError)
    assert not issubclass(CryptoError, ValueError)
    assert not issubclass(ConfigurationError, ValueError)


def test_key_repr_never_shows_secrets() -> None:
    keys = CipherKeys(SECRET, IV)
    for text in (repr(keys), str(keys), repr(SANDBOX), str(SANDBOX)):
        assert SECRET not in text
        assert IV not in text
    assert SANDBOX.password not in repr(SANDBOX)
    assert "***" in repr(keys)


def test_cipher_keys_methods_match_functions() -> None:
    keys = CipherKeys(SECRET, IV)
    assert keys.encrypt("abc", block_size=16) == encrypt("abc", SECRET, IV, block_size=16)
    assert keys.decrypt(keys.encrypt("abc")) == b"abc"


_ASCII_KEYS = st.text(st.characters(min_codepoint=0x21, max_codepoint=0x7E), min_size=32, max_size=32)
_ASCII_IVS = st.text(st.characters(min_codepoint=0x21, max_codepoint=0x7E), min_size=16, max_size=16)


@given(secret=_ASCII_KEYS, iv=_ASCII_IVS, messages=st.lists(st.binary(max_size=120), min_size=1, max_size=6),
       block_size=st.sampled_from([16, 32]))
def test_every_message_is_its_own_cbc_encryption_under_the_fixed_iv(
        secret: str, iv: str, messages: list[bytes], block_size: int) -> None:
    """No state carries from one message to the next: each message of a sequence (repeats
    included) is exactly pycryptodome's CBC of its padded bytes, and decrypts back."""
    for data in messages + messages[:1]:
        expected = AES.new(secret.encode(), AES.MODE_CBC, iv.encode()).encrypt(pad(data, block_size))
        hex_text = encrypt(data, secret, iv, block_size=block_size)
        assert hex_text == expected.hex()
        assert decrypt(hex_text, secret, iv) == data


@given(secret=_ASCII_KEYS, iv=_ASCII_IVS, blocks=st.integers(min_value=1, max_value=40),
       pad_length=st.integers(min_value=1, max_value=32), fill=st.binary(min_size=1, max_size=64))
def test_decrypt_is_cbc_decryption_then_the_consistent_pad_stripped(
        secret: str, iv: str, blocks: int, pad_length: int, fill: bytes) -> None:
    body = (fill * (16 * blocks // len(fill) + 1))[: 16 * blocks - pad_length % 16]
    padded = body + bytes([pad_length]) * pad_length
    assert len(padded) % 16 == 0
    raw = AES.new(secret.encode(), AES.MODE_CBC, iv.encode()).encrypt(padded)
    assert decrypt(raw.hex(), secret, iv) == padded[:-pad_length]


def test_encryption_is_right_on_every_thread_at_once() -> None:
    """Encryption keeps no state between calls, so threads encrypting at once cannot disturb each other."""
    import threading

    barrier = threading.Barrier(4)
    failures: list[str] = []

    def worker(n: int) -> None:
        barrier.wait()
        for i in range(300):
            text = f"thread {n} message {i}" * (i % 7 + 1)
            ours = encrypt(text, SECRET, IV)
            fresh = AES.new(SECRET.encode(), AES.MODE_CBC, IV.encode()).encrypt(pad(text.encode()))
            if ours != fresh.hex():
                failures.append(text)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert failures == []
