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
from dataclasses import dataclass, field

from Crypto.Cipher import AES

from hesabe_spec.errors import ConfigurationError, InvalidCiphertextError, InvalidPaddingError

__all__ = ["MAX_PAD", "PAD_BLOCKS", "PKCS7_BLOCK", "CipherKeys", "decrypt", "decrypt_blocks", "encrypt",
           "pad", "unpad"]

#: The server's pad block and the largest pad the decryptor accepts.
MAX_PAD = 32
#: Standard PKCS#7's pad block (AES's block size), what Hesabe's own request samples use.
PKCS7_BLOCK = AES.block_size
#: The two pad blocks a request may be padded to: the server's, then PKCS#7's.
PAD_BLOCKS = (MAX_PAD, PKCS7_BLOCK)


@dataclass(frozen=True, slots=True)
class CipherKeys:
    """A merchant's secret key and IV key. ``repr`` never shows them."""

    secret_key: str = field(repr=False)
    iv_key: str = field(repr=False)

    def __post_init__(self) -> None:
        _key_bytes(self.secret_key, self.iv_key)

    def __repr__(self) -> str:
        return "CipherKeys(secret_key=***, iv_key=***)"

    def encrypt(self, plaintext: bytes | str, *, block_size: int = MAX_PAD) -> str:
        """Encrypt with these keys; see :func:`encrypt`."""
        return encrypt(plaintext, self.secret_key, self.iv_key, block_size=block_size)

    def decrypt(self, ciphertext_hex: str) -> bytes:
        """Decrypt with these keys; see :func:`decrypt`."""
        return decrypt(ciphertext_hex, self.secret_key, self.iv_key)

    def decrypt_blocks(self, ciphertext_hex: str) -> bytes:
        """Decrypt with these keys, pad left on; see :func:`decrypt_blocks`."""
        return decrypt_blocks(ciphertext_hex, self.secret_key, self.iv_key)


def _key_bytes(secret_key: str, iv_key: str) -> tuple[bytes, bytes]:
    """The AES key and IV as bytes, or :class:`ConfigurationError` for anything but 32 + 16 bytes."""
    if not isinstance(secret_key, str) or not isinstance(iv_key, str):
        raise ConfigurationError("secret key and IV key must be str")
    key = secret_key.encode("utf-8")
    iv = iv_key.encode("utf-8")
    if len(key) != 32:
        raise ConfigurationError(f"secret key must be 32 bytes of UTF-8, got {len(key)} bytes")
    if len(iv) != 16:
        raise ConfigurationError(f"IV key must be 16 bytes of UTF-8, got {len(iv)} bytes")
    return key, iv


def pad(data: bytes, block_size: int = MAX_PAD) -> bytes:
    """Pad ``data`` to a multiple of ``block_size`` with n bytes of value n (n in 1..block_size).

    ``block_size=32`` is the server's scheme; ``block_size=16`` is standard PKCS#7.
    """
    if block_size not in PAD_BLOCKS:
        raise ConfigurationError(f"block_size must be 16 or 32, got {block_size!r}")
    n = block_size - len(data) % block_size
    return data + bytes([n]) * n


def unpad(data: bytes) -> bytes:
    """Strip a consistent pad of 1..:data:`MAX_PAD` bytes, or raise :class:`InvalidPaddingError`."""
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


def encrypt(plaintext: bytes | str, secret_key: str, iv_key: str, *, block_size: int = MAX_PAD) -> str:
    """Encrypt ``plaintext`` the way Hesabe does and return lower-case hex.

    ``str`` plaintext is encoded as UTF-8. ``block_size=32`` (default) pads like the server;
    ``block_size=16`` gives standard PKCS#7 like Hesabe's own request samples.
    """
    key, iv = _key_bytes(secret_key, iv_key)
    data = plaintext.encode("utf-8") if isinstance(plaintext, str) else bytes(plaintext)
    cipher = AES.new(key, AES.MODE_CBC, iv)
    return cipher.encrypt(pad(data, block_size)).hex()


def decrypt(ciphertext_hex: str, secret_key: str, iv_key: str) -> bytes:
    """Decrypt Hesabe hex (either case) and strip its 1..32-byte pad.

    Raises :class:`InvalidCiphertextError` for input that is not even-length hex of whole AES
    blocks, and :class:`InvalidPaddingError` when the pad is inconsistent (usually the wrong key).
    """
    return unpad(decrypt_blocks(ciphertext_hex, secret_key, iv_key))


def decrypt_blocks(ciphertext_hex: str, secret_key: str, iv_key: str) -> bytes:
    """Decrypt Hesabe hex (either case) and keep the pad: what a diagnosis looks at.

    Raises :class:`InvalidCiphertextError` for input that is not even-length hex of whole AES blocks.
    """
    key, iv = _key_bytes(secret_key, iv_key)
    raw = _unhex(ciphertext_hex)
    if len(raw) % AES.block_size:
        raise InvalidCiphertextError(
            f"ciphertext is {len(raw)} bytes, not a whole number of {AES.block_size}-byte AES blocks"
        )
    cipher = AES.new(key, AES.MODE_CBC, iv)
    return cipher.decrypt(raw)


def _unhex(ciphertext_hex: str) -> bytes:
    """The bytes of a hex ciphertext (str, or ASCII bytes), or :class:`InvalidCiphertextError`."""
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
        return binascii.unhexlify(text)
    except (binascii.Error, ValueError):
        raise InvalidCiphertextError("ciphertext is not hex") from None
