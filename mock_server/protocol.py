"""HTTP <-> Hesabe wire: where ``data`` is read from and how replies are written.

``data`` is taken, in order, from the JSON body, a urlencoded or multipart form field, or the
query string, because real clients use all of these (docs: JSON body; Hesabe's app: multipart).
Failures raise :class:`Failure`, which already holds the exact response to send.
"""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import parse_qs

from starlette.responses import Response

from hesabe_spec.crypto import CipherKeys
from hesabe_spec.wire import has_lone_surrogate
from mock_server.json_out import server_json

__all__ = [
    "FORM",
    "INTERNAL_ERROR",
    "MULTIPART",
    "NO_DATA",
    "Failure",
    "ascii_number",
    "envelope",
    "is_json",
    "media_type",
    "method_not_allowed",
    "plain_reply",
    "read_data_field",
    "read_plain_fields",
]

INTERNAL_ERROR = {"message": "Internal server error occurred"}
_JSON = "application/json"


def ascii_number(text: str, most_digits: int = 18) -> int | None:
    """``text`` as a number when it is 1 to ``most_digits`` ASCII digits (ids, limits, codes in a
    path, a query or a header); None otherwise. ``str.isdigit`` alone also takes "\u00b2", which
    ``int`` refuses (a 500), and "\u0661", which ``int`` reads as 1; 18 digits fit every id."""
    if not (text.isascii() and text.isdigit()) or len(text) > most_digits:
        return None
    return int(text)


def envelope(status: bool, message: str, response: Any = None, code: int | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"status": status}
    if code is not None:
        body["code"] = code
    body["message"] = message
    body["response"] = response
    return body


def method_not_allowed(method: str) -> dict[str, str]:
    """Laravel's (Symfony's) 405 body for a path that answers other methods."""
    return {"message": f"The {method} method is not supported for this route."}


def plain_reply(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(server_json(body), status_code=status, media_type=_JSON, headers=headers)


class Failure(Exception):
    """A refusal with the response already decided (encrypted when the merchant is known)."""

    def __init__(self, status: int, body: Any, *, keys: CipherKeys | None = None) -> None:
        super().__init__(body.get("message") if isinstance(body, dict) else str(body))
        self.status = status
        self.body = body
        self.keys = keys


class BodyTooLarge(Exception):
    pass


FORM = "application/x-www-form-urlencoded"
MULTIPART = "multipart/form-data"


#: where PHP ends a Content-Type's media type (``sapi_read_post_data``)
_MEDIA_TYPE_END = re.compile(r"[;, ]")


def media_type(content_type: str) -> str:
    """The media type of a Content-Type as PHP reads it to parse a form: lower case, cut at the
    first ``;``, ``,`` or space."""
    return _MEDIA_TYPE_END.split(content_type.strip().lower(), maxsplit=1)[0]


def _form_fields(content_type: str, body: bytes) -> dict[str, str]:
    """Text fields of a urlencoded or multipart body (files are ignored). A byte that is not
    UTF-8 in one field spoils only that field (PHP reads the others, ``data`` among them)."""
    kind = media_type(content_type)
    if kind == FORM:
        parsed = parse_qs(body.decode("utf-8", errors="replace"), keep_blank_values=True)
        return {k: v[-1] for k, v in parsed.items()}
    if kind == MULTIPART:
        return _multipart_fields(content_type, body)
    return {}


def _multipart_fields(content_type: str, body: bytes) -> dict[str, str]:
    from email.parser import BytesParser
    from email.policy import HTTP

    message = BytesParser(policy=HTTP).parsebytes(
        b"Content-Type: " + content_type.encode("latin-1") + b"\r\n\r\n" + body
    )
    fields: dict[str, str] = {}
    if not message.is_multipart():
        return fields
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        if not name or part.get_filename():
            continue
        payload = part.get_payload(decode=True)
        if isinstance(payload, bytes):
            fields[str(name)] = payload.decode("utf-8", errors="replace")
    return fields


def is_json(content_type: str) -> bool:
    """Whether the server reads the body as JSON: Laravel's ``Request::isJson``, a Content-Type
    holding ``/json`` or ``+json`` (``application/json; charset=UTF-8``, ``application/vnd.api+json``).
    Under any other (``text/plain``, fetch's default for a string body; none at all) it reads no
    JSON: only a form's fields, which PHP parses for the form types alone."""
    return "/json" in content_type or "+json" in content_type


def read_plain_fields(content_type: str, body: bytes) -> Any:
    """The body's fields as the server reads them: a form's (urlencoded or multipart), the JSON
    value under a JSON Content-Type, none (``{}``) under any other. None when the JSON is
    unreadable, as for PHP's ``json_decode`` a text with an unpaired surrogate escape is."""
    if media_type(content_type) in (FORM, MULTIPART):
        return _form_fields(content_type, body)
    if not is_json(content_type):
        return {}
    try:
        value = json.loads(body.decode("utf-8")) if body.strip() else {}
    except (UnicodeDecodeError, ValueError, RecursionError):
        return None
    return None if has_lone_surrogate(value) else value


#: ``read_data_field``'s answer when the body carries no ``data`` (the query string may)
NO_DATA: Any = object()


_DATA_OPEN, _DATA_CLOSE = b'{"data":"', b'"}'


def read_data_field(content_type: str, body: bytes) -> Any:
    """The ``data`` value from the body (JSON or form), or :data:`NO_DATA`."""
    if body.startswith(_DATA_OPEN) and body.endswith(_DATA_CLOSE):
        # What every client sends: {"data":"<hex>"}. ASCII letters and digits only between the
        # quotes means no escape, quote or control character, so the JSON parser would return
        # exactly these characters; anything else is parsed in full below.
        inner = body[len(_DATA_OPEN):-len(_DATA_CLOSE)]
        if inner.isalnum() and is_json(content_type):
            return inner.decode("ascii")
    if body.strip():
        fields = read_plain_fields(content_type, body)
        if isinstance(fields, dict) and "data" in fields:
            return fields["data"]
    return NO_DATA
