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
import threading
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
    return _encryptor(key, iv).encrypt(pad(data, block_size)).hex()


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


class _FixedIvEncryptor:
    """CBC encryption under one key and one fixed IV, from a single long-lived cipher object.

    A CBC object chains on: after a message, its state is that message's last ciphertext block,
    not the IV. Since C[0] = E(P[0] xor state), xoring the first plaintext block with
    ``IV xor state`` makes the object encrypt exactly as a fresh ``AES.new(key, MODE_CBC, IV)``
    would, without building a cipher per message (Hesabe's IV never changes, and the mock
    encrypts every reply). Uses only pycryptodome's public API; property-tested against
    ``AES.new`` over message sequences. Not thread-safe: :func:`_encryptor` keeps one per thread.
    """

    __slots__ = ("_chain", "_cipher", "_iv")

    def __init__(self, key: bytes, iv: bytes) -> None:
        self._cipher = AES.new(key, AES.MODE_CBC, iv)
        self._iv = self._chain = int.from_bytes(iv, "big")

    def __repr__(self) -> str:
        return "_FixedIvEncryptor(***)"

    def encrypt(self, padded: bytes) -> bytes:
        rebase = self._iv ^ self._chain
        if rebase:
            head = int.from_bytes(padded[:_AES_BLOCK], "big") ^ rebase
            padded = head.to_bytes(_AES_BLOCK, "big") + padded[_AES_BLOCK:]
        ciphertext: bytes = self._cipher.encrypt(padded)
        self._chain = int.from_bytes(ciphertext[-_AES_BLOCK:], "big")
        return ciphertext


_per_thread = threading.local()
#: distinct (key, IV) pairs one thread keeps encryptors for before starting afresh
_MAX_ENCRYPTORS = 64


def _encryptor(key: bytes, iv: bytes) -> _FixedIvEncryptor:
    """This thread's encryptor for (key, iv); built on first use."""
    try:
        cache: dict[tuple[bytes, bytes], _FixedIvEncryptor] = _per_thread.encryptors
    except AttributeError:
        cache = _per_thread.encryptors = {}
    found = cache.get((key, iv))
    if found is None:
        if len(cache) >= _MAX_ENCRYPTORS:
            cache.clear()
        found = cache[(key, iv)] = _FixedIvEncryptor(key, iv)
    return found


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
