"""How a request's body arrived: what may be shown of a plain one, and why no ``data`` was read.

* :func:`shown_plain_fields`: the login and token-refresh bodies arrive unencrypted, and a
  mistaken one can carry the password anywhere (a misspelt field name, or a JSON body sent with a
  form's Content-Type, which the server reads as one form field whose *name* is the whole JSON).
  The journal keeps only what is safe to show.
* :func:`unread_data`: when the server finds no ``data`` to decrypt (the Merchant API answers 400
  "Request not found", the payment gateway 506 "Invalid Request Data"), the transport mistake
  that usually lies behind it, as a ``data_unreadable`` finding, so that the journal, the
  inspector and the test fixtures say why.

Both run only for those requests (a plain body, a refused one), never on an encrypted request
that was read.
"""

from __future__ import annotations

import json
import re
from functools import cache
from typing import Any

from hesabe_spec.operations import Operation
from hesabe_spec.schema_store import request_schema
from hesabe_spec.wire import REDACTED
from mock_server.findings import Finding, finding

__all__ = ["shown_plain_fields", "unread_data"]

#: a field name shown as sent: what the name of a real form or JSON field looks like
_PLAIN_NAME = re.compile(r"[A-Za-z0-9_.\[\]-]{1,64}")
_HEX = re.compile(rb"\s*[0-9A-Fa-f]+\s*")
#: a Content-Type named in a finding as it came (anything else is not repeated)
_MEDIA_TYPE = re.compile(r"[a-z0-9][a-z0-9.+-]{0,40}/[a-z0-9][a-z0-9.+-]{0,60}")
_FORM = "application/x-www-form-urlencoded"
_MULTIPART = "multipart/form-data"
#: how many of the plain fields of a body without ``data`` a finding names
_NAMED = 5


@cache
def _own_fields(operation: str) -> frozenset[str]:
    return frozenset(request_schema(operation).get("properties", {}))


def shown_plain_fields(op: Operation, fields: Any) -> Any:
    """What the journal keeps of a plain (login, token-refresh) body: the operation's own fields as
    sent (a password or refresh token among them is redacted wherever an entry is shown, as
    everywhere), every other field's value ``[redacted]``, and the name of a field that is not a
    plain field name ``[redacted] field N`` as well. A body that is not a JSON object is
    ``[redacted]`` whole; an unreadable one (None) stays None."""
    if fields is None:
        return None
    if not isinstance(fields, dict):
        return REDACTED
    own = _own_fields(op.name)
    shown: dict[str, Any] = {}
    hidden = 0
    for name, value in fields.items():
        if name in own:
            shown[name] = value
        elif isinstance(name, str) and _PLAIN_NAME.fullmatch(name):
            shown[name] = REDACTED
        else:
            hidden += 1
            shown[f"{REDACTED} field {hidden}"] = REDACTED
    return shown


def _json_value(body: bytes) -> Any:
    try:
        return json.loads(body)
    except (UnicodeDecodeError, ValueError, RecursionError):
        return None


def _named(names: list[str]) -> str:
    shown = [name if _PLAIN_NAME.fullmatch(name) else "…" for name in names[:_NAMED]]
    return ", ".join(shown) + (", …" if len(names) > _NAMED else "")


def _why_no_data(content_type: str, body: bytes, method: str) -> str:
    """The likeliest reason a body with no readable ``data`` field has none."""
    kind = content_type.split(";", 1)[0].strip().lower()
    text = body.strip()
    if not text:
        where = "and no data query parameter" if method in ("GET", "HEAD") else "(and no data in the query)"
        return f"the request had an empty body {where}: send {{\"data\": \"<hex>\"}}"
    as_json = _json_value(text) if text[:1] in (b"{", b"[", b'"') else None
    if kind not in (_FORM, _MULTIPART) and isinstance(as_json, dict) and "data" in as_json:
        return "data was null: it must be the ciphertext as a hex string"
    if kind in (_FORM, _MULTIPART) and isinstance(as_json, dict) and "data" in as_json:
        return (f"the body is JSON but its Content-Type is {kind}, so the server reads it as a form and "
                "finds no data field: send Content-Type: application/json")
    if kind in (_FORM, _MULTIPART) and isinstance(as_json, dict):
        return (f"the body is JSON without a data field (and its Content-Type is {kind}, so it is read "
                "as a form): encrypt the payload and send {\"data\": \"<hex>\"} as application/json")
    if text.startswith(b"data=") and kind != _FORM:
        named = kind if _MEDIA_TYPE.fullmatch(kind) else "not a form's"
        label = f"its Content-Type is {named}" if kind else "it has no Content-Type"
        return (f"the body is a urlencoded form (data=...) but {label}: send Content-Type: "
                f"{_FORM}, or {{\"data\": \"<hex>\"}} as application/json")
    if _HEX.fullmatch(text):
        return "the body is the bare hex ciphertext: send it as {\"data\": \"<hex>\"} (or a form field data)"
    if isinstance(as_json, dict):
        names = [str(name) for name in as_json]
        fields = f" (its fields: {_named(names)})" if names else ""
        return (f"the body is a JSON object without data{fields}: the payload travels encrypted, as "
                "{\"data\": \"<hex>\"}, never in plain fields")
    if as_json is not None:
        return "the body is JSON but not an object: send {\"data\": \"<hex>\"}"
    if kind == _MULTIPART:
        return "the multipart body has no data field: add a form field named data holding the hex"
    if kind == _FORM:
        return "the form has no data field: send data=<hex>"
    return "the body holds no data field: send {\"data\": \"<hex>\"} as application/json"


def unread_data(content_type: str, body: bytes, method: str, data: Any) -> Finding:
    """The ``data_unreadable`` finding of a request whose ``data`` was missing (``data`` None or
    ``""``) or not a hex string (any other value)."""
    if data is None or data == "":
        why = _why_no_data(content_type, body, method) if data is None else "data was an empty string"
    else:
        kind = {dict: "an object", list: "an array", bool: "a boolean"}.get(type(data), "a number")
        why = f"data was {kind} in JSON: it must be the ciphertext as a hex string"
    return finding("data_unreadable", why, "/data")
