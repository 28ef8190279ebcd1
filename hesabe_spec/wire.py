"""Hesabe's wire format: JSON text styles and the request/response envelopes.

Requests carry the encrypted payload as ``{"data": "<hex>"}`` (POST/PUT/DELETE body) or as the
``?data=<hex>`` query parameter (GET). Responses carry the encrypted envelope
``{"status": bool, "message": str, "response": ...}`` either as ``{"response": "<hex>"}`` (what
the docs show, the mock's default) or as the bare hex text (what Hesabe's own app reads).
Login, token refresh and some errors are plain JSON.

Two JSON writers, because the two sides of the wire write JSON differently and byte-exact
ciphertexts depend on it:

* :func:`server_json` - PHP ``json_encode`` with default flags: compact, ``/`` as ``\\/``, every
  non-ASCII character as lower-case ``\\uXXXX``, keys in insertion order.
* :func:`client_json` - what JavaScript's ``JSON.stringify`` (and Hesabe's samples) produce:
  compact, UTF-8, no slash escaping.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from hesabe_spec.crypto import CipherKeys
from hesabe_spec.errors import CryptoError, EnvelopeError

__all__ = [
    "DecodedBody",
    "EnvelopeStyle",
    "client_json",
    "decode_request_data",
    "decode_response",
    "encode_request",
    "encode_response",
    "escape_slashes",
    "looks_like_hex",
    "server_encoder",
    "server_json",
    "wrap_ciphertext",
]

EnvelopeStyle = Literal["response", "bare"]


def server_encoder(default: Callable[[Any], Any] | None = None) -> json.JSONEncoder:
    """An encoder writing PHP ``json_encode``'s default style but for its ``/`` escape: compact,
    non-ASCII as ``\\uXXXX``, no NaN. Finish its text with :func:`escape_slashes`."""
    return json.JSONEncoder(separators=(",", ":"), ensure_ascii=True, allow_nan=False, default=default)


def escape_slashes(text: str) -> str:
    """PHP writes ``/`` as ``\\/``. A "/" can only occur inside a JSON string: a global replace is exact."""
    return text.replace("/", "\\/")


_server_encoder = server_encoder()
_client_encoder = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def server_json(obj: Any) -> bytes:
    """Serialise like PHP ``json_encode($obj)`` with default flags (the server's style)."""
    return escape_slashes(_server_encoder.encode(obj)).encode("ascii")


def client_json(obj: Any) -> bytes:
    """Serialise compactly as UTF-8, like ``JSON.stringify`` (the clients' style)."""
    return _client_encoder.encode(obj).encode("utf-8")


def looks_like_hex(text: str) -> bool:
    """True when ``text`` is non-empty, even-length hex (either case)."""
    if not text or len(text) % 2:
        return False
    try:
        bytes.fromhex(text)
    except ValueError:
        return False
    return text.isascii() and " " not in text


def encode_request(payload: Any, keys: CipherKeys, *, block_size: int = 16) -> str:
    """Encrypt a request payload (client-style JSON, 16-byte PKCS#7 like Hesabe's samples)."""
    return keys.encrypt(client_json(payload), block_size=block_size)


def decode_request_data(data_hex: str, keys: CipherKeys) -> Any:
    """Decrypt the ``data`` of a request and parse its JSON (any JSON value).

    Raises :class:`~hesabe_spec.errors.CryptoError` when it does not decrypt and
    :class:`EnvelopeError` when the plaintext is not UTF-8 JSON.
    """
    plaintext = keys.decrypt(data_hex)
    try:
        return json.loads(plaintext.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise EnvelopeError("decrypted data is not UTF-8 JSON") from None


def encode_response(
    envelope: Any, keys: CipherKeys, *, style: EnvelopeStyle = "response", block_size: int = 32
) -> bytes:
    """Encrypt a response envelope the way the server does and wrap it in the outer body."""
    return wrap_ciphertext(keys.encrypt(server_json(envelope), block_size=block_size), style)


#: the documented outer body is ``{"response":"<hex>"}``: written by wrap_ciphertext, read first
_RESPONSE_HEAD = b'{"response":"'


def wrap_ciphertext(hex_text: str, style: EnvelopeStyle = "response") -> bytes:
    """The outer body around an encrypted reply: ``{"response":"<hex>"}`` or the bare hex."""
    if style == "bare":
        return hex_text.encode("ascii")
    return _RESPONSE_HEAD + hex_text.encode("ascii") + b'"}'


@dataclass(frozen=True, slots=True)
class DecodedBody:
    """A response body, decrypted when it was encrypted.

    ``shape`` says how it arrived: ``"response"`` (``{"response": hex}``), ``"bare"`` (hex text),
    ``"json-string"`` (a JSON string holding hex) or ``"plain"`` (unencrypted JSON).
    """

    envelope: Any
    shape: Literal["response", "bare", "json-string", "plain"]
    encrypted: bool


_RESPONSE_OPEN = _RESPONSE_HEAD.decode("ascii")  # what decode_response looks for first


def decode_response(body: bytes | str, keys: CipherKeys) -> DecodedBody:
    """Read any body shape Hesabe is known to send and return the JSON inside.

    Accepts ``{"response": "<hex>"}``, bare hex, a JSON string holding hex, and plain JSON
    (login, refresh, ``{"message": ...}`` errors). Raises :class:`EnvelopeError` for anything else
    and :class:`~hesabe_spec.errors.CryptoError` for hex that does not decrypt.
    """
    if isinstance(body, bytes):
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError:
            raise EnvelopeError("response body is not UTF-8", body=body) from None
    else:
        text = body
    stripped = text.strip()
    if stripped.startswith(_RESPONSE_OPEN) and stripped.endswith('"}'):
        # The documented shape. With no quote or backslash between the quotes, the JSON parse
        # below would return exactly those characters, so take them as they are (a dashboard
        # page is ~30 KB of hex); if they do not decrypt, the full reading below decides.
        inner = stripped[len(_RESPONSE_OPEN):-2]
        if inner.isascii() and '"' not in inner and "\\" not in inner:
            try:
                return DecodedBody(decode_request_data(inner, keys), "response", True)
            except CryptoError:
                pass  # not hex after all, or not ours: the full reading below decides

    if looks_like_hex(stripped):
        return DecodedBody(decode_request_data(stripped, keys), "bare", True)
    try:
        outer = json.loads(stripped)
    except (ValueError, RecursionError):
        raise EnvelopeError("response body is neither hex nor JSON", body=body) from None
    if isinstance(outer, str):
        if looks_like_hex(outer.strip()):
            return DecodedBody(decode_request_data(outer.strip(), keys), "json-string", True)
        raise EnvelopeError("response body is a JSON string that is not hex", body=body)
    if isinstance(outer, dict) and isinstance(outer.get("response"), str) and len(outer) == 1:
        inner = outer["response"].strip()
        if looks_like_hex(inner):
            return DecodedBody(decode_request_data(inner, keys), "response", True)
    return DecodedBody(outer, "plain", False)
