"""How a request's body arrived: what may be shown of a plain one, and why no ``data`` was read.

* :func:`shown_plain_fields` and :func:`shown_plain_query`: the login and token-refresh bodies
  arrive unencrypted, and a mistaken one can carry the password anywhere (a misspelt field name,
  the query string, or a JSON body sent with a form's Content-Type, which the server reads as one
  form field whose *name* is the whole JSON; an unencoded ``&`` in a password even splits it into
  a second field's name). The journal and the recorder keep only what is safe to show.
  :func:`plain_field_findings` names a field of such a body that spells one of the operation's own
  in another style (``refresh_token``), and no other name.
* :func:`unread_data`: when the server finds no ``data`` to decrypt (the Merchant API answers 400
  "Request not found", the payment gateway 506 "Invalid Request Data"), the transport mistake
  that usually lies behind it, as a ``data_unreadable`` finding, so that the journal, the
  inspector and the test fixtures say why.
* :func:`access_code_refused`: why an ``accessCode`` header was refused (none, another merchant's,
  nobody's) and whose keys the request's ``data`` has, as an ``access_code`` finding.

Each runs only for those requests (a plain body, a refused one), never on an encrypted request
that was read.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from functools import cache
from typing import Any
from urllib.parse import parse_qsl, urlencode

from hesabe_spec.errors import CryptoError, EnvelopeError
from hesabe_spec.operations import OPERATIONS, Operation
from hesabe_spec.schema_store import request_fields
from hesabe_spec.tolerance import restyled_field
from hesabe_spec.wire import REDACTED, is_secret_field
from mock_server.findings import Finding, finding
from mock_server.inbound import Inbound
from mock_server.json_out import decode_request_data
from mock_server.merchants import Merchant
from mock_server.protocol import FORM, MULTIPART, is_json, media_type

__all__ = ["access_code_refused", "plain_field_findings", "shown_path", "shown_plain_fields",
           "shown_plain_query", "unread_data"]

#: a field name shown as sent in a finding: what the name of a real form or JSON field looks like
_PLAIN_NAME = re.compile(r"[A-Za-z0-9_.\[\]-]{1,64}")
_HEX = re.compile(rb"\s*[0-9A-Fa-f]+\s*")
#: a Content-Type named in a finding as it came (anything else is not repeated)
_MEDIA_TYPE = re.compile(r"[a-z0-9][a-z0-9.+-]{0,40}/[a-z0-9][a-z0-9.+-]{0,60}")
_BOM = b"\xef\xbb\xbf"
#: how many of the plain fields of a body without ``data`` a finding names
_NAMED = 5


@cache
def _fields(operation: str) -> tuple[frozenset[str], frozenset[str]]:
    """The operation's own fields, and those of them whose values may be shown (not its secrets)."""
    own = request_fields(operation)
    return own, frozenset(name for name in own if not is_secret_field(name))


def _shown_pairs(op: Operation, pairs: Iterable[tuple[Any, Any]]) -> dict[str, Any]:
    """A plain request's fields to show: the operation's own non-secret fields with a text,
    number or boolean value as sent; every other value ``[redacted]``, under its own name if it
    is one of the operation's fields, else as ``[redacted] field N`` (the name itself may be, or
    hold part of, a password)."""
    own, visible = _fields(op.name)
    shown: dict[str, Any] = {}
    hidden = 0
    for name, value in pairs:
        if name in visible:
            shown[name] = value if value is None or isinstance(value, str | int | float) else REDACTED
        elif name in own:
            shown[name] = REDACTED
        else:
            hidden += 1
            shown[f"{REDACTED} field {hidden}"] = REDACTED
    return shown


def plain_field_findings(op: Operation, fields: Any) -> list[Finding]:
    """``unknown_field`` for each field of a plain body that spells one of the operation's own in
    another case or style (``refresh_token`` for ``refreshToken``): the server ignores it, and
    then asks for the field it wanted. Only such a name is quoted: any other may be, or hold part
    of, a password."""
    if not isinstance(fields, dict):
        return []
    own = _fields(op.name)[0]
    found = []
    for name in fields:
        meant = restyled_field(str(name), own) if name not in own else None
        if meant is not None:
            found.append(finding("unknown_field", f"{name} is not a field of {op.name}: the server ignores "
                                                  f"it (did you mean {meant}?)", f"/{name}"))
    return found


def shown_plain_fields(op: Operation, fields: Any) -> Any:
    """What the journal and the recorder keep of a plain (login, token-refresh) body; see
    :func:`_shown_pairs`. A body that is not a JSON object is ``[redacted]`` whole; an unreadable
    one (None) stays None."""
    if fields is None:
        return None
    if not isinstance(fields, dict):
        return REDACTED
    return _shown_pairs(op, fields.items())


def shown_plain_query(op: Operation, query: str) -> str:
    """A plain request's query string as it may be shown (the server reads a login's fields from
    the query too): the same rule as its body's fields, encoded again."""
    if not query:
        return query
    return urlencode(_shown_pairs(op, parse_qsl(query, keep_blank_values=True)))


#: the paths of the plain operations (login, refresh), with and without a trailing slash
_PLAIN_PATHS = {path.rstrip("/"): op for op in OPERATIONS.values() if op.payload_in == "plain"
                for path in (op.path, *op.aliases)}


def shown_path(path_and_query: str) -> str:
    """A request line's path and query as a log may show it: a login's or refresh's query by
    :func:`shown_plain_query`, any other with its secret-named parameters (``accessCode``, ...)
    ``[redacted]``."""
    path, _, query = path_and_query.partition("?")
    if not query:
        return path_and_query
    op = _PLAIN_PATHS.get(path.rstrip("/"))
    if op is not None:
        return f"{path}?{shown_plain_query(op, query)}"
    pairs = parse_qsl(query, keep_blank_values=True)
    if not any(is_secret_field(name) for name, _ in pairs):
        return path_and_query
    return f"{path}?{urlencode([(k, REDACTED if is_secret_field(k) else v) for k, v in pairs])}"


def _json_value(body: bytes) -> Any:
    try:
        return json.loads(body)
    except (UnicodeDecodeError, ValueError, RecursionError):
        return None


def _named(names: list[str]) -> str:
    shown = [name if _PLAIN_NAME.fullmatch(name) else "…" for name in names[:_NAMED]]
    return ", ".join(shown) + (", …" if len(names) > _NAMED else "")


def _why_no_data(content_type: str, body: bytes, method: str) -> str:
    """The likeliest reason a body with no readable ``data`` has none."""
    kind = media_type(content_type)
    text = body.strip()
    if not text:
        where = "and no data query parameter" if method in ("GET", "HEAD") else "(and no data in the query)"
        return f"the request had an empty body {where}: send {{\"data\": \"<hex>\"}}"
    if text.startswith(_BOM):
        return ("the body starts with a UTF-8 byte-order mark, which a JSON parser refuses: send the "
                "JSON without it")
    looks_json = text[:1] in (b"{", b"[", b'"')
    as_json = _json_value(text) if looks_json else None
    if looks_json and as_json is None:
        return ("the body looks like JSON but is not valid JSON (single quotes, a trailing comma, bytes "
                "that are not UTF-8?), so no data field is read: send {\"data\": \"<hex>\"} as valid JSON")
    is_form = kind in (FORM, MULTIPART)
    if not is_form and not is_json(content_type) and as_json is not None:
        named = f"its Content-Type is {kind}" if _MEDIA_TYPE.fullmatch(kind) else (
            "its Content-Type is not JSON" if kind else "it has no Content-Type")
        return (f"the body is JSON but {named}: the server reads a JSON body only under a JSON "
                "Content-Type (fetch sends a string as text/plain): send Content-Type: application/json")
    if not is_form and isinstance(as_json, dict) and "data" in as_json:
        return "data was null: it must be the ciphertext as a hex string"
    if is_form and isinstance(as_json, dict) and "data" in as_json:
        return (f"the body is JSON but its Content-Type is {kind}, so the server reads it as a form and "
                "finds no data field: send Content-Type: application/json")
    if is_form and isinstance(as_json, dict):
        return (f"the body is JSON without a data field (and its Content-Type is {kind}, so it is read "
                "as a form): encrypt the payload and send {\"data\": \"<hex>\"} as application/json")
    if text.startswith(b"data=") and kind != FORM:
        named = kind if _MEDIA_TYPE.fullmatch(kind) else "not a form's"
        label = f"its Content-Type is {named}" if kind else "it has no Content-Type"
        return (f"the body is a urlencoded form (data=...) but {label}: send Content-Type: "
                f"{FORM}, or {{\"data\": \"<hex>\"}} as application/json")
    if _HEX.fullmatch(text):
        return "the body is the bare hex ciphertext: send it as {\"data\": \"<hex>\"} (or a form field data)"
    if isinstance(as_json, dict):
        names = [str(name) for name in as_json]
        fields = f" (its fields: {_named(names)})" if names else ""
        return (f"the body is a JSON object without data{fields}: the payload travels encrypted, as "
                "{\"data\": \"<hex>\"}, never in plain fields")
    if as_json is not None:
        return "the body is JSON but not an object: send {\"data\": \"<hex>\"}"
    if kind == MULTIPART:
        return "the multipart body has no data field: add a form field named data holding the hex"
    if kind == FORM:
        return "the form has no data field: send data=<hex>"
    return "the body holds no data field: send {\"data\": \"<hex>\"} as application/json"


def unread_data(inbound: Inbound, body: bytes, data: Any) -> Finding:
    """The ``data_unreadable`` finding of a request whose ``data`` was missing (``data`` None or
    ``""``) or not text (any other value)."""
    if data is None:
        why = _why_no_data(inbound.headers.get("content-type", ""), body, inbound.method)
    elif data == "":
        why = "data was an empty string"
    else:
        kind = {dict: "an object", list: "an array", bool: "a boolean"}.get(type(data), "a number")
        why = f"data was {kind} in JSON: it must be the ciphertext as a hex string"
    return finding("data_unreadable", why, "/data")


#: the longest ``data`` (hex characters) whose keys :func:`access_code_refused` looks for
_KEYS_TRIED_UP_TO = 64 * 1024


def _keys_of(merchants: Iterable[Merchant], data: Any) -> Merchant | None:
    """The merchant whose keys ``data`` decrypts under to a JSON object, if any."""
    if not isinstance(data, str) or not data:
        return None
    for merchant in merchants:
        try:
            payload = decode_request_data(data, merchant.keys)
        except (CryptoError, EnvelopeError):  # not this merchant's keys
            continue
        if isinstance(payload, dict):
            return merchant
    return None


def access_code_refused(merchants: Iterable[Merchant], inbound: Inbound, body: bytes,
                        bearer_merchant: Merchant | None = None) -> Finding:
    """``access_code``: why the ``accessCode`` header was refused (the answer, 401 "Invalid
    Signature." or the gateway's 501 "Invalid Merchant", says nothing of it): none sent, another
    merchant's than the bearer token's (``bearer_merchant``), or nobody's; and whose keys the
    request's ``data`` is encrypted with, when a merchant of this mock has them. The header's
    value is never repeated."""
    sent = inbound.headers.get("accesscode")
    if not sent:
        said = "no accessCode header was sent: the server finds the merchant's keys by it"
    elif bearer_merchant is not None:
        said = (f"the accessCode header is not the access code of merchant {bearer_merchant.merchant_code}, "
                "whose bearer token this is")
    else:
        said = "the accessCode header names no merchant this server knows"
    sent_data = inbound.data(body)
    # every merchant's keys are tried: only for data of a request's usual size
    owner = _keys_of(merchants, sent_data) if len(str(sent_data or "")) <= _KEYS_TRIED_UP_TO else None
    if owner is not None:
        said += f"; the data is encrypted with merchant {owner.merchant_code}'s keys: send its access code"
    return finding("access_code", said)
