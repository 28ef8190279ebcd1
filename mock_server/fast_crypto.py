"""The mock's AES-256-CBC on its hot path: OpenSSL's, through the ``cryptography`` package.

:mod:`hesabe_spec.crypto` is the reference (pycryptodome, one ``AES.new`` per message). Setting up
a pycryptodome cipher is Python-level work paid for every message, on top of the encryption itself
(two per request; ``python -m bench.callgrind`` counts it, docs/benchmarks.md has the figures), so the
mock's request decryption and reply encryption use ``cryptography``'s CBC when the ``[speedups]``
extra is installed, and the spec's functions otherwise. Same key, same IV, same padding, same
bytes: ``tests/mock/test_fast_crypto.py`` checks both ways against the spec for any plaintext,
both pad sizes and any junk, and every error comes from the spec itself (anything the fast path
does not take, the spec decides).
"""

from __future__ import annotations

from functools import lru_cache

from hesabe_spec.crypto import MAX_PAD, CipherKeys, pad, unpad

try:  # the [speedups] extra
    from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
except ImportError:  # pragma: no cover - exercised by the install check's base install
    Cipher = None  # type: ignore[assignment,misc]

__all__ = ["decrypt", "encrypt"]

_BLOCK = 16


@lru_cache(maxsize=256)
def _cipher(keys: CipherKeys) -> Cipher[modes.CBC]:
    """AES-256-CBC under one merchant's key and IV (validated by CipherKeys itself). A ``Cipher``
    only holds the algorithm and the mode; each message gets a fresh context from it
    (``encryptor()`` / ``decryptor()``), so nothing carries over from one message to the next."""
    return Cipher(algorithms.AES(keys.secret_key.encode("utf-8")), modes.CBC(keys.iv_key.encode("utf-8")))


def encrypt(keys: CipherKeys, plaintext: bytes, *, block_size: int = MAX_PAD) -> str:
    """:meth:`CipherKeys.encrypt`: the same lower-case hex."""
    if Cipher is None:
        return keys.encrypt(plaintext, block_size=block_size)
    encryptor = _cipher(keys).encryptor()
    return (encryptor.update(pad(plaintext, block_size)) + encryptor.finalize()).hex()


def decrypt(keys: CipherKeys, ciphertext_hex: str) -> bytes:
    """:meth:`CipherKeys.decrypt`: the same plaintext, or the spec's own error."""
    if Cipher is None or not isinstance(ciphertext_hex, str):
        return keys.decrypt(ciphertext_hex)
    try:
        raw = bytes.fromhex(ciphertext_hex)
    except ValueError:
        return keys.decrypt(ciphertext_hex)  # raises the spec's InvalidCiphertextError
    if not raw or len(raw) % _BLOCK or len(ciphertext_hex) != 2 * len(raw):
        return keys.decrypt(ciphertext_hex)  # empty, partial blocks, whitespace: the spec decides
    decryptor = _cipher(keys).decryptor()
    return unpad(decryptor.update(raw) + decryptor.finalize())
