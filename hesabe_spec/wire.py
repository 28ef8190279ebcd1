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
import re
from dataclasses import dataclass
from typing import Any, Literal

from hesabe_spec import crypto
from hesabe_spec.crypto import CipherKeys
from hesabe_spec.errors import EnvelopeError

__all__ = [
    "NOT_SHOWN",
    "REDACTED",
    "SECRET_FIELDS",
    "SHOWN_DEPTH",
    "DecodedBody",
    "EnvelopeStyle",
    "client_json",
    "decode_request_data",
    "decode_response",
    "encode_request",
    "encode_response",
    "has_lone_surrogate",
    "is_secret_field",
    "looks_like_hex",
    "parse_plaintext",
    "php_escape",
    "redact",
    "redact_reply",
    "server_json",
    "without_url_password",
    "wrap_ciphertext",
]

#: field names (any case) whose values are secrets wherever they stand, in a payload, a reply or a
#: header: what journals, cassettes and reports show as ``[redacted]``
SECRET_FIELDS = frozenset({
    "password", "access_token", "refresh_token", "refreshtoken", "token_secret", "secret_key",
    "secretkey", "iv_key", "ivkey", "accesscode", "access_code", "authorization",
})
#: what stands in for a secret's value wherever one would be shown
REDACTED = "[redacted]"
#: how deep a shown payload goes: real ones nest a few levels, a hostile one as deep as a JSON parser
#: takes (hundreds), deeper than a copy or an encoder can recurse
SHOWN_DEPTH = 32
NOT_SHOWN = f"[nested deeper than {SHOWN_DEPTH} levels: not shown]"


def is_secret_field(name: str) -> bool:
    """Whether a value under this field name is a secret (:data:`SECRET_FIELDS`, any case)."""
    return name.lower() in SECRET_FIELDS


#: a URL's scheme and authority: ``scheme://`` then everything up to the path, query or fragment
_URL_AUTHORITY = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*://)([^/?#]*)")
#: what URL parsers drop before reading a URL (the WHATWG rules, and Python's urlsplit): leading C0
#: controls and spaces, and tabs and line breaks anywhere
_LEADING = "".join(map(chr, range(0x21)))
_DROPPED = str.maketrans("", "", "\t\r\n")


def without_url_password(text: str) -> str:
    """``text`` with the user info of every URL in it hidden: a webhook's
    ``https://user:pw@host/...`` keeps its user and shows the password as :data:`REDACTED`; a user
    info without a ``:`` (``https://TOKEN@host``, how a token often rides) is all
    :data:`REDACTED`. A URL the text starts with is read as a client reads it (leading controls and
    spaces, and tabs and line breaks, dropped); URLs further in (a callback URL in a query, a URL in
    a sentence) are found as written. The user info is everything before the last ``@`` of the
    authority (a user name may hold an ``@``), the password what follows its first ``:``."""
    if "@" not in text:
        return text
    stripped = text.lstrip(_LEADING)
    lead = text[:len(text) - len(stripped)]
    found = _URL_AUTHORITY.match(stripped.translate(_DROPPED))
    if found is not None:
        userinfo, at, host = found.group(2).rpartition("@")
        if at:
            rest = stripped.translate(_DROPPED)[found.end():]
            text = f"{lead}{found.group(1)}{_hidden(userinfo)}@{host}{rest}"
    return _EMBEDDED_USERINFO.sub(lambda m: f"{m.group(1)}{_hidden(m.group(2))}@", text)


#: a URL's user info anywhere in a text: the scheme, then the authority's characters up to its
#: last ``@``. A scheme starts where no scheme character precedes it, and its characters are taken
#: possessively: a long run of letters is tried once, not once per letter (which took seconds for
#: 20,000 letters and an ``@``)
_EMBEDDED_USERINFO = re.compile(r"(?<![A-Za-z0-9+.-])([A-Za-z][A-Za-z0-9+.-]*+://)([^/?#\s]*)@")


def _hidden(userinfo: str) -> str:
    """``user:pw`` -> ``user:[redacted]``; a user info without a password is hidden whole."""
    user, colon, _password = userinfo.partition(":")
    return f"{user}:{REDACTED}" if colon and user else REDACTED


def redact(value: Any, depth: int = 0) -> Any:
    """A copy of ``value`` to show (a journal, a cassette, a report): every secret field's value
    :data:`REDACTED`, at any depth, the password of any URL too (:func:`without_url_password`),
    and whatever is nested deeper than :data:`SHOWN_DEPTH` :data:`NOT_SHOWN`."""
    if isinstance(value, dict | list) and depth >= SHOWN_DEPTH:
        return NOT_SHOWN
    if isinstance(value, dict):
        return {k: REDACTED if is_secret_field(str(k)) else redact(v, depth + 1) for k, v in value.items()}
    if isinstance(value, list):
        return [redact(v, depth + 1) for v in value]
    if isinstance(value, str):
        return without_url_password(value)
    return value


def _field_errors(response: Any) -> bool:
    """Whether a refusal's ``response`` is Laravel's field errors: each field, a list of messages."""
    return isinstance(response, dict) and all(
        isinstance(messages, list) and all(isinstance(m, str) for m in messages)
        for messages in response.values())


def redact_reply(envelope: Any) -> Any:
    """:func:`redact` for a reply envelope, except that a refusal's field errors keep their
    messages: in ``{"status": false, "message": ..., "response": {"refreshToken": ["The refresh
    token field is required."]}}`` each message is the server's own text about a field, which
    names it and never quotes the value sent."""
    if not (isinstance(envelope, dict) and envelope.get("status") is False
            and _field_errors(envelope.get("response"))):
        return redact(envelope)
    return {k: ({field: [without_url_password(m) for m in messages] for field, messages in v.items()}
                if k == "response" else redact(v, 1)) for k, v in envelope.items()}


EnvelopeStyle = Literal["response", "bare"]

_NON_ASCII = re.compile(r"[^\x00-\x7f]+")


def _u_escapes(run: re.Match[str]) -> str:
    # The json module's ASCII escapes: \uXXXX in lower case, a UTF-16 pair beyond U+FFFF. A run
    # of non-ASCII characters holds no quote or backslash, so only the outer quotes are dropped.
    return json.dumps(run.group())[1:-1]


def php_escape(compact: str) -> bytes:
    """PHP ``json_encode``'s escapes over compact JSON text written with characters as they are:
    every non-ASCII character as ``\\uXXXX`` and ``/`` as ``\\/``. Both occur only inside JSON
    strings, so a pass over the whole text is exact. DEL (0x7f) stays as it is, as in PHP."""
    return _NON_ASCII.sub(_u_escapes, compact).replace("/", "\\/").encode("ascii")


def _compact(obj: Any) -> str:
    """Compact JSON text, characters as they are; NaN and infinities refused."""
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def server_json(obj: Any) -> bytes:
    """Serialise like PHP ``json_encode($obj)`` with default flags (the server's style): compact,
    keys in insertion order, ``/`` as ``\\/``, every non-ASCII character as lower-case ``\\uXXXX``
    (UTF-16 pairs beyond U+FFFF). NaN and infinities are refused, as PHP refuses them."""
    # ensure_ascii=True would also write DEL as \u007f, which PHP does not; hence php_escape.
    return php_escape(_compact(obj))


def client_json(obj: Any) -> bytes:
    """Serialise compactly as UTF-8, like ``JSON.stringify`` (the clients' style)."""
    return _compact(obj).encode("utf-8")


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


#: a UTF-16 surrogate on its own: JSON's ``\u`` escapes can spell one, UTF-8 cannot
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def parse_plaintext(plaintext: bytes) -> Any:
    """The JSON value of a decrypted payload; :class:`EnvelopeError` when it is not UTF-8 JSON.

    A string holding a lone surrogate (``"\\ud800"`` with no low half after it) is refused as
    well: PHP's ``json_decode`` reads no such text (JSON_ERROR_UTF16), and no UTF-8 can hold it.
    """
    try:
        value = json.loads(plaintext.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise EnvelopeError("decrypted data is not UTF-8 JSON") from None
    if has_lone_surrogate(value):
        raise EnvelopeError("decrypted data holds a lone UTF-16 surrogate")
    return value


def has_lone_surrogate(value: Any) -> bool:
    """Whether any string of a JSON value (object keys too) holds a lone surrogate. A loop over the
    value, not recursion: a value as deep as the parser allows is still looked at."""
    pending = [value]
    while pending:
        item = pending.pop()
        if isinstance(item, str):
            if _LONE_SURROGATE.search(item):
                return True
        elif isinstance(item, dict):
            pending.extend(item)
            pending.extend(item.values())
        elif isinstance(item, list):
            pending.extend(item)
    return False


def decode_request_data(data_hex: str, keys: CipherKeys) -> Any:
    """Decrypt the ``data`` of a request and parse its JSON (any JSON value).

    Raises :class:`~hesabe_spec.errors.CryptoError` when it does not decrypt and
    :class:`EnvelopeError` when the plaintext is not UTF-8 JSON.
    """
    return parse_plaintext(keys.decrypt(data_hex))


def encode_response(
    envelope: Any, keys: CipherKeys, *, style: EnvelopeStyle = "response", block_size: int = crypto.MAX_PAD
) -> bytes:
    """Encrypt a response envelope the way the server does and wrap it in the outer body."""
    return wrap_ciphertext(keys.encrypt(server_json(envelope), block_size=block_size), style)


def wrap_ciphertext(hex_text: str, style: EnvelopeStyle = "response") -> bytes:
    """The outer body around an encrypted reply: ``{"response":"<hex>"}`` or the bare hex."""
    if style == "bare":
        return hex_text.encode("ascii")
    return b'{"response":"' + hex_text.encode("ascii") + b'"}'


@dataclass(frozen=True, slots=True)
class DecodedBody:
    """A response body, decrypted when it was encrypted.

    ``shape`` says how it arrived: ``"response"`` (``{"response": hex}``), ``"bare"`` (hex text),
    ``"json-string"`` (a JSON string holding hex) or ``"plain"`` (unencrypted JSON).
    """

    envelope: Any
    shape: Literal["response", "bare", "json-string", "plain"]
    encrypted: bool


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
