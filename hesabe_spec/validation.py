"""Validate payloads and response bodies against the operation schemas, with precise findings.

``validate_request(operation, payload)`` checks a request payload (the decrypted ``data``, or the
plain JSON of login/refresh; for GETs, ``data`` merged with the plain query filters; for an
operation without a payload, its plain query filters).
``validate_response(operation, body)`` checks a response body (the decrypted envelope, or the
plain JSON of login/refresh and ``{"message": ...}`` errors). ``validate_outbound(message,
body)`` checks what Hesabe sends on its own: a checkout callback's decrypted ``data``
(``"checkout_callback"``) or a webhook body (``"checkout_webhook"``). All return a list of
:class:`Violation` (empty when valid), sorted by pointer, and never raise for bad input; an
unknown operation or message name is a ``KeyError``.

Each schema's validator is compiled once and kept.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from typing import Any, Literal

from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError as SchemaError
from jsonschema.exceptions import best_match

from hesabe_spec.operations import get_operation
from hesabe_spec.schema_store import (
    FORMAT_CHECKER,
    OUTBOUND,
    load_schema,
    request_schema,
    response_schema,
)

__all__ = [
    "MISSING",
    "Violation",
    "load_schema",
    "request_schema",
    "response_schema",
    "validate_outbound",
    "validate_request",
    "validate_response",
]

#: ``Violation.actual`` of a required property that is absent.
MISSING = "missing"

Direction = Literal["request", "response", "outbound"]


@dataclass(frozen=True, slots=True)
class Violation:
    """One way a payload or body breaks its operation's schema.

    Attributes:
        operation: the operation name, e.g. ``"create_invoice"`` (for ``"outbound"``: the message's).
        direction: ``"request"``, ``"response"`` or ``"outbound"``.
        rule: stable short name: the JSON Schema keyword that failed (``type``, ``required``,
            ``pattern``, ``enum``, ``const``, ``format``, ``minItems``, ``additionalProperties``,
            ``dependentRequired`` ...), except ``"if-then"`` for a conditional requirement
            (e.g. ``mobileNumber`` when ``invoiceType`` is ``"1"``).
        pointer: JSON pointer of the offending value; for a missing or unknown property, the
            pointer that property has or would have (``"/invoices/0/amount"``). ``""`` is the root.
        field: the wire field the violation concerns (the last property name in ``pointer``;
            ``None`` at the root), for Laravel-style ``{"field": ["msg"]}`` errors.
        expected: what the schema wanted, in words.
        actual: what was found: compact JSON text (shortened), or :data:`MISSING`.
        message: one human sentence.
        keyword: the JSON Schema keyword behind ``rule`` (differs only for ``"if-then"``).
        schema_path: where in the schema the rule lives (``/``-joined), for debugging.
    """

    operation: str
    direction: Direction
    rule: str
    pointer: str
    field: str | None
    expected: str
    actual: str
    message: str
    keyword: str
    schema_path: str

    @property
    def dotted_key(self) -> str:
        """Laravel's key for this location, e.g. ``"invoices.0.amount"`` (``""`` at the root)."""
        return ".".join(_unescape(t) for t in self.pointer.split("/")[1:])


def validate_request(operation: str, payload: Any) -> list[Violation]:
    """Check a request payload of ``operation``; ``[]`` when it is valid."""
    return _validate(operation, "request", payload)


def validate_response(operation: str, body: Any) -> list[Violation]:
    """Check a (decrypted or plain) response body of ``operation``; ``[]`` when it is valid."""
    return _validate(operation, "response", body)


def validate_outbound(message: str, body: Any) -> list[Violation]:
    """Check a message Hesabe sends on its own (``schema_store.OUTBOUND``); ``[]`` when valid."""
    if message not in OUTBOUND:
        raise KeyError(f"unknown outbound message {message!r}; known: {', '.join(OUTBOUND)}")
    return _findings(f"{message}.outbound", message, "outbound", body)


@cache
def _validator(name: str) -> Draft202012Validator:
    # Compiled on the inlined schema (no $ref): one self-contained document, so a finding's
    # schema_path is a path in it.
    schema = load_schema(name, inline=True)
    Draft202012Validator.check_schema(schema)
    _index_conditionals(schema)
    return Draft202012Validator(schema, format_checker=FORMAT_CHECKER)


def _validate(operation: str, direction: Direction, instance: Any) -> list[Violation]:
    op = get_operation(operation)
    name = op.request_schema_name if direction == "request" else op.response_schema_name
    return _findings(name, operation, direction, instance)


def _findings(name: str, operation: str, direction: Direction, instance: Any) -> list[Violation]:
    found: list[Violation] = []
    for error in _validator(name).iter_errors(instance):
        found.extend(_translate(error, operation, direction))
    # One error can be reported twice through different branches; keep the first of each.
    unique = {(v.pointer, v.rule, v.expected): v for v in reversed(found)}
    return sorted(unique.values(), key=lambda v: (v.pointer, v.rule, v.expected))


# ------------------------------------------------------------------------------------ translation


def _translate(error: SchemaError, operation: str, direction: Direction) -> list[Violation]:
    if error.context:  # anyOf / oneOf: report the branch that came closest
        error = best_match(error.context)
    keyword = str(error.validator)
    path = list(error.absolute_path)
    spath = list(error.absolute_schema_path)
    rule = keyword

    def make(tokens: list[Any], expected: str, actual: str, message: str) -> Violation:
        pointer = "".join("/" + _escape(str(t)) for t in tokens)
        field = next((str(t) for t in reversed(tokens) if isinstance(t, str)), None)
        return Violation(operation, direction, rule, pointer, field, expected, actual,
                         message, keyword, "/".join(str(s) for s in spath))

    if keyword in ("required", "dependentRequired"):
        missing = _named_missing(error)
        if keyword == "required" and id(error.schema) in _IF_OF_THEN:
            rule = "if-then"
            condition = _condition(error.schema)
            return [make([*path, p], f"property {p!r} when {condition}", MISSING,
                         f"{p!r} is required when {condition}") for p in missing]
        where = f" (by {keyword})" if keyword != "required" else ""
        return [make([*path, p], f"property {p!r}", MISSING, f"{p!r} is required{where}") for p in missing]
    if keyword == "additionalProperties":
        known = error.schema.get("properties", {}) if isinstance(error.schema, dict) else {}
        body = error.instance if isinstance(error.instance, dict) else {}  # always an object here
        extras = [k for k in body if k not in known]
        return [make([*path, k], "only the documented properties", _show(body[k]),
                     f"{k!r} is not a known field") for k in extras]
    expected = _expected(keyword, error.validator_value)
    actual = _show(error.instance)
    where = "".join("/" + _escape(str(t)) for t in path) or "the body"
    # A pattern says little to a reader; the schema's own description says it in words.
    description = error.schema.get("description") if isinstance(error.schema, dict) else None
    wanted = description.rstrip(".") if keyword == "pattern" and description else expected
    return [make(path, expected, actual, f"{where}: expected {wanted}, got {actual}")]


def _named_missing(error: SchemaError) -> list[str]:
    """The property names this ``required``-style error is about (one per error in jsonschema)."""
    value = error.validator_value  # required: a list of names; dependentRequired: name -> names
    if isinstance(value, dict):
        candidates = [d for deps in value.values() for d in deps]
    else:
        candidates = value if isinstance(value, list) else []
    instance = error.instance if isinstance(error.instance, dict) else {}
    named = [p for p in candidates if p not in instance and error.message.startswith(repr(p))]
    return named or [p for p in candidates if p not in instance]


#: ``id(then-subschema) -> its if-subschema`` for the conditional requirements of every compiled
#: schema. By the schemas' convention those are ``allOf: [{"if": ..., "then": ...}]`` entries; an
#: if/then anywhere else picks a shape (success vs refusal, dashboard vs paid transaction) and its
#: findings keep their plain keyword. jsonschema's errors do not point back at the ``if``, so the
#: failing subschema is recognised by identity (compiled schemas live as long as the cache).
_IF_OF_THEN: dict[int, dict[str, Any]] = {}


def _index_conditionals(node: Any) -> None:
    if isinstance(node, dict):
        for entry in node.get("allOf", []):
            if isinstance(entry, dict) and isinstance(entry.get("then"), dict) and "if" in entry:
                _IF_OF_THEN[id(entry["then"])] = entry["if"]
        for value in node.values():
            _index_conditionals(value)
    elif isinstance(node, list):
        for value in node:
            _index_conditionals(value)


def _condition(then: Any) -> str:
    """Describe the ``if`` next to a failing ``then``, e.g. ``invoiceType is "1"``."""
    props = _IF_OF_THEN.get(id(then), {}).get("properties", {})
    parts = [f"{k} is {json.dumps(v['const'])}" for k, v in props.items() if "const" in v]
    return " and ".join(parts) or "the condition holds"


def _expected(keyword: str, value: Any) -> str:
    if keyword == "type":
        return "type " + " or ".join(value if isinstance(value, list) else [value])
    if keyword == "pattern":
        return f"a string matching {value}"
    if keyword == "enum":
        return "one of " + ", ".join(json.dumps(v) for v in value)
    if keyword == "const":
        return json.dumps(value)
    if keyword == "format":
        return f"format {value}"
    return f"{keyword} {json.dumps(value)}"


def _show(value: Any, limit: int = 80) -> str:
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=repr)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _escape(token: str) -> str:
    return token.replace("~", "~0").replace("/", "~1")


def _unescape(token: str) -> str:
    return token.replace("~1", "/").replace("~0", "~")
