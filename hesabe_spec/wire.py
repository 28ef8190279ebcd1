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

import codecs
import contextlib
import json
import secrets
import threading
from dataclasses import dataclass
from typing import Any, Literal

from hesabe_spec.crypto import CipherKeys
from hesabe_spec.errors import CryptoError, EnvelopeError

__all__ = [
    "DecodedBody",
    "EnvelopeStyle",
    "RawJSON",
    "client_json",
    "compact_json",
    "decode_request_data",
    "decode_response",
    "encode_request",
    "encode_response",
    "looks_like_hex",
    "php_escape",
    "server_json",
    "wrap_ciphertext",
]

EnvelopeStyle = Literal["response", "bare"]


try:  # optional: writes the same text ~8x faster, and the mock writes every reply with it
    import orjson as _orjson
except ImportError:  # pragma: no cover - the json module writes it then
    _orjson = None  # type: ignore[assignment]


def _u_escape(err: UnicodeError) -> tuple[str, int]:
    """Codec error handler: non-ASCII characters as JSON ``\\uXXXX`` (lower case, UTF-16 pairs)."""
    assert isinstance(err, UnicodeEncodeError)
    out = []
    for ch in err.object[err.start:err.end]:
        code = ord(ch)
        if code > 0xFFFF:
            code -= 0x10000
            out.append(f"\\u{0xD800 | (code >> 10):04x}\\u{0xDC00 | (code & 0x3FF):04x}")
        else:
            out.append(f"\\u{code:04x}")
    return "".join(out), err.end


_U_ESCAPE = "hesabe-json-u-escape"
codecs.register_error(_U_ESCAPE, _u_escape)


def php_escape(compact: bytes | str) -> bytes:
    """PHP ``json_encode``'s escapes over compact JSON text: every non-ASCII character as
    ``\\uXXXX`` and ``/`` as ``\\/``. Both occur only inside JSON strings, so a pass over the whole
    text is exact."""
    if isinstance(compact, str):
        compact = compact.encode("ascii", _U_ESCAPE)
    elif not compact.isascii():
        compact = compact.decode("utf-8").encode("ascii", _U_ESCAPE)
    return compact.replace(b"/", b"\\/")


class RawJSON:
    """A value written once as compact JSON; :func:`server_json` splices it in wherever it occurs."""

    __slots__ = ("_native", "text")

    def __init__(self, value: Any) -> None:
        compact = compact_json(value)
        self.text = compact.decode("utf-8") if isinstance(compact, bytes) else compact
        self._native: Any = None
        if _orjson is not None:
            # a lone surrogate is no UTF-8: such a value goes through the json module
            with contextlib.suppress(UnicodeEncodeError):
                self._native = _orjson.Fragment(self.text.encode("utf-8"))

    def __repr__(self) -> str:
        return f"RawJSON({self.text[:40]}...)"


def _for_orjson(value: Any) -> Any:
    if isinstance(value, RawJSON) and value._native is not None:
        return value._native
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


#: a marker no JSON text can contain: a NUL and a per-process random word, never leaving the process
_NONCE = secrets.token_hex(8)
_MARK = f'"\\u0000{_NONCE}:'
_spliced = threading.local()


def _placeholder(value: Any) -> str:
    if isinstance(value, RawJSON):
        seen: list[str] = _spliced.seen
        seen.append(value.text)
        return f"\0{_NONCE}:{len(seen) - 1}"
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


_compact_encoder = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False, allow_nan=False,
                                    default=_placeholder)


def _compact_by_json_module(obj: Any) -> str:
    seen: list[str] = []
    _spliced.seen = seen
    text = _compact_encoder.encode(obj)
    if not seen:
        return text
    head, *rest = text.split(_MARK)
    out = [head]
    for part in rest:
        index, _, tail = part.partition('"')
        out += (seen[int(index)], tail)
    return "".join(out)


def compact_json(obj: Any) -> bytes | str:
    """Compact JSON, characters as they are (UTF-8 when bytes), :class:`RawJSON` spliced in.

    orjson when it is installed and takes the value; the json module otherwise (integers beyond
    64 bits, non-string keys, lone surrogates). Both write the same text for every JSON value,
    property-tested, except that the json module refuses NaN and infinities, which orjson writes
    as null, and that each writes a float's exponent its own way (``1e+16`` / ``1e16``).
    """
    if _orjson is not None:
        try:
            return _orjson.dumps(obj, default=_for_orjson)
        except TypeError:  # orjson.JSONEncodeError is a TypeError
            pass
    return _compact_by_json_module(obj)


def server_json(obj: Any) -> bytes:
    """Serialise like PHP ``json_encode($obj)`` with default flags (the server's style)."""
    return php_escape(compact_json(obj))


_client_encoder = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False, allow_nan=False)


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
    if (_orjson is not None and plaintext.count(b"[") + plaintext.count(b"{") <= _FAST_NESTING
            and _NINETEEN_DIGITS not in plaintext.translate(_DIGITS_AS_NINE)):
        # ~3x faster, to the same value: orjson differs from json.loads only on integers too long
        # for 64 bits (a float to orjson) and on nesting json.loads refuses as too deep, both of
        # which the tests above leave to json.loads, and on what it refuses (NaN, lone
        # surrogates), which json.loads then decides.
        with contextlib.suppress(_orjson.JSONDecodeError):
            return _orjson.loads(plaintext)
    try:
        return json.loads(plaintext.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise EnvelopeError("decrypted data is not UTF-8 JSON") from None


#: brackets a payload may hold and still be parsed by orjson (real payloads hold a handful)
_FAST_NESTING = 64
#: 19 digits in a row may be an integer beyond 64 bits (the shortest is 9223372036854775808);
#: found as nineteen 9s once every digit reads as 9 (a C translate and a substring search)
_DIGITS_AS_NINE = bytes.maketrans(b"012345678", b"999999999")
_NINETEEN_DIGITS = b"9" * 19


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
