"""The JSON Schema documents in ``hesabe_spec/schemas/``: loading, the ``$ref`` registry, formats.

Layout (one source of truth; every file carries an ``$id`` equal to its path under
:data:`SCHEMA_BASE_URI`, so relative ``$ref`` s resolve the same in tools and here)::

    schemas/defs.json                shared $defs: Invoice, Customer, Transaction, Pagination, Stats,
                                     Token, Money3, Date, FieldErrors, ErrorBody, InvoiceRequest ...
    schemas/requests/<operation>.json   the request payload (decrypted ``data`` / plain JSON body)
    schemas/responses/<operation>.json  the response body: success envelope or any refusal shape
    schemas/outbound/<message>.json     what Hesabe sends on its own: the checkout callback's
                                        decrypted ``data`` and the webhook body

Conditional requirements are written ``allOf: [{"if": ..., "then": {"required": [...]}}]``;
validation reports those as rule ``"if-then"``. An if/then elsewhere only picks a shape.

Schema names are ``"<operation>.request"`` / ``"<operation>.response"``, exactly
:attr:`Operation.request_schema_name` / :attr:`Operation.response_schema_name`, and
``"<message>.outbound"`` (:data:`OUTBOUND`).

Files are read once per process (``functools.cache``); callers get deep copies.
"""

from __future__ import annotations

import base64
import binascii
import copy
import json
import re
from collections.abc import Callable
from datetime import date
from functools import cache
from importlib import resources
from typing import Any
from urllib.parse import urldefrag, urljoin

from jsonschema import FormatChecker
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

__all__ = [
    "FORMAT_CHECKER",
    "FORMAT_CHECKS",
    "OUTBOUND",
    "SCHEMA_BASE_URI",
    "documents",
    "load_schema",
    "outbound_schema",
    "registry",
    "request_fields",
    "request_schema",
    "response_schema",
    "schema_names",
    "schema_uri",
]

#: Base of every ``$id``; ``.invalid`` so nothing ever tries to fetch it.
SCHEMA_BASE_URI = "https://hesabe-harness.invalid/schemas/"

_KINDS = {"request": "requests", "response": "responses", "outbound": "outbound"}

#: the messages Hesabe sends on its own initiative, each with an ``outbound/<name>.json`` schema
OUTBOUND = ("checkout_callback", "checkout_webhook")


@cache
def documents() -> dict[str, dict[str, Any]]:
    """Every schema document, keyed by ``$id`` (shared, read-only: use :func:`load_schema` to edit).

    Checks that each ``$id`` matches its file path.
    """
    root = resources.files("hesabe_spec") / "schemas"
    docs: dict[str, dict[str, Any]] = {}
    entries = [("", root / "defs.json")]
    for folder in _KINDS.values():
        entries += [(folder + "/", f) for f in (root / folder).iterdir() if f.name.endswith(".json")]
    for prefix, entry in entries:
        doc = json.loads(entry.read_text(encoding="utf-8"))
        expected = SCHEMA_BASE_URI + prefix + entry.name
        if doc.get("$id") != expected:
            raise RuntimeError(f"schema {prefix}{entry.name}: $id {doc.get('$id')!r}, expected {expected!r}")
        docs[expected] = doc
    return docs


@cache
def registry() -> Registry[Any]:
    """A ``referencing`` registry holding every schema document (for ``$ref`` resolution)."""
    resources_ = [(uri, Resource.from_contents(doc, default_specification=DRAFT202012))
                  for uri, doc in documents().items()]
    return Registry().with_resources(resources_).crawl()


def schema_uri(name: str) -> str:
    """``"create_invoice.request"`` -> the ``$id`` of ``schemas/requests/create_invoice.json``."""
    operation, _, kind = name.rpartition(".")
    if kind not in _KINDS or not operation:
        raise KeyError(f"schema name must be '<operation>.request', '<operation>.response' or "
                       f"'<message>.outbound', got {name!r}")
    uri = f"{SCHEMA_BASE_URI}{_KINDS[kind]}/{operation}.json"
    if uri not in documents():
        raise KeyError(f"no schema {name!r}")
    return uri


def schema_names() -> list[str]:
    """Every request and response schema name, sorted."""
    names = []
    for uri in documents():
        rest = uri.removeprefix(SCHEMA_BASE_URI)
        for kind, folder in _KINDS.items():
            if rest.startswith(folder + "/"):
                names.append(f"{rest.removeprefix(folder + '/').removesuffix('.json')}.{kind}")
    return sorted(names)


def load_schema(name: str, *, inline: bool = False) -> dict[str, Any]:
    """The schema document called ``name`` (a deep copy; mutate freely).

    With ``inline=True`` every ``$ref`` is replaced by its target (a ``$ref`` with sibling keywords
    becomes ``allOf: [target, siblings]``), giving one self-contained dict without ``$id``/``$defs``:
    convenient for deriving Hypothesis strategies. The schemas are not recursive, so this ends.
    """
    uri = schema_uri(name)
    doc = copy.deepcopy(documents()[uri])
    return _inline(doc, uri) if inline else doc


def request_schema(operation: str, *, inline: bool = False) -> dict[str, Any]:
    """The request payload schema of ``operation``."""
    return load_schema(f"{operation}.request", inline=inline)


@cache
def request_fields(operation: str) -> frozenset[str]:
    """The members the request payload of ``operation`` defines (its schema's ``properties``)."""
    return frozenset(request_schema(operation, inline=True).get("properties", {}))


def response_schema(operation: str, *, inline: bool = False) -> dict[str, Any]:
    """The response body schema of ``operation``."""
    return load_schema(f"{operation}.response", inline=inline)


def outbound_schema(message: str, *, inline: bool = False) -> dict[str, Any]:
    """The schema of an outbound message (:data:`OUTBOUND`)."""
    return load_schema(f"{message}.outbound", inline=inline)


def _resolve(base: str, ref: str) -> tuple[Any, str]:
    target = urljoin(base, ref)
    resolved = registry().resolver(base_uri=base).lookup(target)
    return resolved.contents, urldefrag(target).url


def _inline(node: Any, base: str) -> Any:
    if isinstance(node, list):
        return [_inline(item, base) for item in node]
    if not isinstance(node, dict):
        return node
    out = {k: _inline(v, base) for k, v in node.items() if k not in ("$ref", "$id", "$schema", "$defs")}
    if "$ref" not in node:
        return out
    contents, target_base = _resolve(base, node["$ref"])
    target = _inline(copy.deepcopy(contents), target_base)
    return {"allOf": [target, out]} if out else target


# ----------------------------------------------------------------------------------------- formats
# Only the formats the schemas use, each a real check ("date" rejects 2025-02-30).

FORMAT_CHECKER = FormatChecker(formats=())
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")


def _is_date(value: object) -> bool:
    if not isinstance(value, str):
        return True
    # fromisoformat alone would also take "20251212" on 3.11+, hence the shape check first.
    return bool(_DATE.fullmatch(value)) and bool(date.fromisoformat(value))


def _is_date_or_empty(value: object) -> bool:
    return value == "" or _is_date(value)


def _is_email(value: object) -> bool:
    return not isinstance(value, str) or bool(_EMAIL.fullmatch(value))


@cache
def _items_validator() -> Any:
    from jsonschema import Draft202012Validator

    schema = {"type": "array", "items": {"$ref": SCHEMA_BASE_URI + "defs.json#/$defs/Item"}}
    return Draft202012Validator(schema, registry=registry())


def _is_json_items(value: object) -> bool:
    """A JSON-encoded ``itemsList``: its items must be as valid as those of an array ``itemsList``.

    Checking only "a list of objects" let ``'[{"rate":"abc"}]'`` through to the server's arithmetic
    (a 500), while the array form of the same items is refused field by field; and a deeply nested
    string raised RecursionError out of the validator.
    """
    if not isinstance(value, str):
        return True
    try:
        decoded = json.loads(value)
    except (ValueError, RecursionError):
        return False
    return bool(_items_validator().is_valid(decoded))


def _is_base64(value: object) -> bool:
    if not isinstance(value, str):
        return True
    try:
        base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        return False
    return len(value) % 4 == 0


#: the custom formats: True when a value conforms; a ValueError also means it does not
FORMAT_CHECKS: dict[str, Callable[[object], bool]] = {
    "date": _is_date, "date-or-empty": _is_date_or_empty, "email": _is_email,
    "json-items": _is_json_items, "base64": _is_base64,
}
# Registered by call, not decorator, so the functions keep their types.
for _name, _check in FORMAT_CHECKS.items():
    FORMAT_CHECKER.checks(_name, raises=ValueError)(_check)
