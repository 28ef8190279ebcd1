"""Hesabe's payload encryption: AES-256-CBC with a fixed per-merchant IV, hex on the wire.

Facts this module encodes (see docs/fidelity.md, "Encryption"):

* key = the 32 UTF-8 bytes of the merchant's secret key, IV = the 16 UTF-8 bytes of its IV key;
  the IV never changes, so equal plaintexts give equal ciphertexts.
* The server pads to a **32-byte** block (pad byte = pad length, 1..32). Hesabe's own samples and
  apps send requests with standard 16-byte PKCS#7, so decryption accepts any consistent pad of
  1..32 bytes, exactly like Hesabe's PHP ``pkcs5Unpad``.
* Output is lower-case hex; input may be either case.

Every failure is a typed :class:`~hesabe_spec.errors.HesabeError`, never a bare ``ValueError``.
"""

from __future__ import annotations

import binascii
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from Crypto.Cipher import AES

from hesabe_spec.errors import ConfigurationError, InvalidCiphertextError, InvalidPaddingError

__all__ = ["MAX_PAD", "CipherKeys", "decrypt", "encrypt", "pad", "unpad"]

#: Largest pad the decryptor accepts (the server's own block size).
MAX_PAD = 32
_AES_BLOCK = 16


@dataclass(frozen=True, slots=True)
class CipherKeys:
    """A merchant's secret key and IV key. ``repr`` never shows them."""

    secret_key: str = field(repr=False)
    iv_key: str = field(repr=False)

    def __post_init__(self) -> None:
        _key_bytes(self.secret_key, self.iv_key)

    def __repr__(self) -> str:
        return "CipherKeys(secret_key=***, iv_key=***)"

    def encrypt(self, plaintext: bytes | str, *, block_size: int = 32) -> str:
        """Encrypt with these keys; see :func:`encrypt`."""
        return encrypt(plaintext, self.secret_key, self.iv_key, block_size=block_size)

    def decrypt(self, ciphertext_hex: str) -> bytes:
        """Decrypt with these keys; see :func:`decrypt`."""
        return decrypt(ciphertext_hex, self.secret_key, self.iv_key)


@lru_cache(maxsize=64)
def _key_bytes(secret_key: str, iv_key: str) -> tuple[bytes, bytes]:
    if not isinstance(secret_key, str) or not isinstance(iv_key, str):
        raise ConfigurationError("secret key and IV key must be str")
    key = secret_key.encode("utf-8")
    iv = iv_key.encode("utf-8")
    if len(key) != 32:
        raise ConfigurationError(f"secret key must be 32 bytes of UTF-8, got {len(key)} bytes")
    if len(iv) != 16:
        raise ConfigurationError(f"IV key must be 16 bytes of UTF-8, got {len(iv)} bytes")
    return key, iv


def pad(data: bytes, block_size: int = 32) -> bytes:
    """Pad ``data`` to a multiple of ``block_size`` with n bytes of value n (n in 1..block_size).

    ``block_size=32`` is the server's scheme; ``block_size=16`` is standard PKCS#7.
    """
    if block_size not in (16, 32):
        raise ConfigurationError(f"block_size must be 16 or 32, got {block_size!r}")
    n = block_size - (len(data) % block_size)
    return data + bytes([n]) * n


def unpad(data: bytes) -> bytes:
    """Strip a consistent pad of 1..32 bytes, or raise :class:`InvalidPaddingError`."""
    if not data:
        raise InvalidPaddingError("nothing to unpad: empty plaintext")
    n = data[-1]
    if n == 0:
        raise InvalidPaddingError("invalid padding: pad byte is 0 (wrong key?)")
    if n > MAX_PAD:
        raise InvalidPaddingError(f"invalid padding: pad byte {n} exceeds {MAX_PAD} (wrong key?)")
    if n > len(data):
        raise InvalidPaddingError(f"invalid padding: pad {n} longer than the {len(data)}-byte plaintext")
    if data[-n:] != bytes([n]) * n:
        raise InvalidPaddingError(f"invalid padding: the last {n} bytes are not all {n} (wrong key?)")
    return data[:-n]


def encrypt(plaintext: bytes | str, secret_key: str, iv_key: str, *, block_size: int = 32) -> str:
    """Encrypt ``plaintext`` the way Hesabe does and return lower-case hex.

    ``str`` plaintext is encoded as UTF-8. ``block_size=32`` (default) pads like the server;
    ``block_size=16`` gives standard PKCS#7 like Hesabe's own request samples.
    """
    key, iv = _key_bytes(secret_key, iv_key)
    data = plaintext.encode("utf-8") if isinstance(plaintext, str) else bytes(plaintext)
    ciphertext: bytes = _new_cbc(key, iv).encrypt(pad(data, block_size))
    return ciphertext.hex()


def decrypt(ciphertext_hex: str, secret_key: str, iv_key: str) -> bytes:
    """Decrypt Hesabe hex (either case) and strip its 1..32-byte pad.

    Raises :class:`InvalidCiphertextError` for input that is not even-length hex of whole AES
    blocks, and :class:`InvalidPaddingError` when the pad is inconsistent (usually the wrong key).
    """
    key, iv = _key_bytes(secret_key, iv_key)
    if isinstance(ciphertext_hex, (bytes, bytearray)):
        try:
            ciphertext_hex = bytes(ciphertext_hex).decode("ascii")
        except UnicodeDecodeError:
            raise InvalidCiphertextError("ciphertext is not hex: non-ASCII bytes") from None
    if not isinstance(ciphertext_hex, str):
        raise InvalidCiphertextError(f"ciphertext must be a hex string, got {type(ciphertext_hex).__name__}")
    text = ciphertext_hex.strip()
    if not text:
        raise InvalidCiphertextError("ciphertext is empty")
    if len(text) % 2:
        raise InvalidCiphertextError(f"ciphertext has odd length {len(text)}")
    if not text.isascii():
        raise InvalidCiphertextError("ciphertext is not hex: non-ASCII characters")
    try:
        raw = binascii.unhexlify(text)
    except (binascii.Error, ValueError):
        raise InvalidCiphertextError("ciphertext is not hex") from None
    if len(raw) % _AES_BLOCK:
        raise InvalidCiphertextError(
            f"ciphertext is {len(raw)} bytes, not a whole number of {_AES_BLOCK}-byte AES blocks"
        )
    return unpad(_cbc_decrypt(key, iv, raw))


def _public_cbc(key: bytes, iv: bytes) -> Any:
    return AES.new(key, AES.MODE_CBC, iv)


def _pick_cbc_factory() -> Callable[[bytes, bytes], Any]:
    """How to get a fresh CBC encryptor: ``AES.new``, or the two constructors it ends in.

    ``AES.new`` spends most of its time (every reply and request is encrypted once) dispatching
    keyword arguments to the same two calls. They are pycryptodome internals, so they are used
    only if they exist and encrypt a probe exactly as ``AES.new`` does; otherwise ``AES.new``.
    """
    try:
        from Crypto.Cipher import _mode_cbc
        from Crypto.Cipher.AES import _create_base_cipher

        def direct(key: bytes, iv: bytes) -> Any:
            return _mode_cbc.CbcMode(_create_base_cipher({"key": key}), iv)  # type: ignore[no-untyped-call]

        probe_key, probe_iv, probe = bytes(range(32)), bytes(range(16, 32)), bytes(range(64))
        if direct(probe_key, probe_iv).encrypt(probe) == _public_cbc(probe_key, probe_iv).encrypt(probe):
            return direct
    except Exception:  # pragma: no cover - another pycryptodome layout
        pass
    return _public_cbc  # pragma: no cover


_new_cbc = _pick_cbc_factory()


@lru_cache(maxsize=64)
def _block_cipher(key: bytes) -> Any:
    """The bare AES block function for ``key`` (ECB: no chaining state, so one serves every call)."""
    return AES.new(key, AES.MODE_ECB)


def _cbc_decrypt(key: bytes, iv: bytes, raw: bytes) -> bytes:
    """CBC decryption, which (unlike encryption) needs no chain: P[i] = D(C[i]) xor C[i-1], C[-1] = IV.

    All blocks go through the cached block cipher in one call and the xor is one integer op, so no
    cipher object is built per message (the hot path decrypts every request).
    """
    decrypted = _block_cipher(key).decrypt(raw)
    chain = iv + raw[:-_AES_BLOCK]
    return (int.from_bytes(decrypted, "big") ^ int.from_bytes(chain, "big")).to_bytes(len(raw), "big")
