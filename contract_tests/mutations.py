"""Invalid payloads that break exactly one rule, each knowing the field it broke.

From a valid payload and its operation's request schema, :func:`mutations` lists every single
change that makes the payload invalid at exactly one place: remove a required member, break an
active ``if``/``then`` requirement, give a member the wrong JSON type, a value outside its enum or
const, a string that misses its pattern or format, too short, too long, an empty array below
``minItems``, a number below ``minimum`` or above ``maximum``, an amount with float drift
(``drift``: more than 3 decimals, which the real server refuses as a whole with 506), and a
member the schema does not
define (``unknown``: a documented field in snake_case, which the real server ignores). Each
candidate is re-validated with ``hesabe_spec.validate_request`` and kept only when every violation
sits at the mutated pointer,
so "exactly one rule broken" is checked, not assumed.

``merchantCode`` is never mutated: a wrong merchant code is an identity failure ("Invalid
Signature."), not a field error, on Hesabe and on the mock.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from contract_tests.schemagen import (
    check_keywords,
    flatten,
    json_type,
    matches,
    money_patterns,
    object_shape,
    satisfies,
    types_of,
)
from hesabe_spec.schema_store import request_schema
from hesabe_spec.validation import validate_request

__all__ = ["IDENTITY_FIELDS", "Mutation", "mutations"]

IDENTITY_FIELDS = frozenset({"merchantCode"})

_WRONG_TYPES: list[Any] = [12345, "text", ["x"], {"x": "y"}, True, None, 1.5]
_BAD_STRINGS = ["", "x", "abc def", "20.5", "-1", "12/12/2025", "1,2,x", "٣٣", "0"]
_BAD_FORMATS = {
    "date": "2025-02-30",
    "date-or-empty": "2025-13-01",
    "email": "not-an-email",
    "json-items": "[1,2]",
    "base64": "a",
}


@dataclass(frozen=True, slots=True)
class Mutation:
    """One way the payload was broken. ``payload`` is the whole broken payload."""

    kind: str
    pointer: str
    description: str
    payload: Any = field(repr=False, compare=False)

    @property
    def field(self) -> str:
        """The wire field broken (the last member name in ``pointer``)."""
        return next((t for t in reversed(self.pointer.split("/")) if t and not t.isdigit()), "")

    @property
    def dotted_key(self) -> str:
        """Laravel's error key for the pointer, e.g. ``invoices.0.amount``."""
        return ".".join(self.pointer.split("/")[1:])

    def describe(self) -> str:
        return f"{self.kind} broken at {self.pointer}: {self.description}"


@lru_cache(maxsize=64)
def _schema_parts(operation: str) -> tuple[dict[str, Any], ...]:
    schema = request_schema(operation, inline=True)
    check_keywords(schema, f"{operation}.request")
    return tuple(flatten(schema))


def mutations(operation: str, payload: Any) -> list[Mutation]:
    """Every exactly-one-rule break of ``payload`` (empty if none applies)."""
    candidates = _walk(list(_schema_parts(operation)), payload, [], payload)
    out: list[Mutation] = []
    seen: set[tuple[str, str]] = set()
    for m in candidates:
        violations = validate_request(operation, m.payload)
        if violations and all(v.pointer == m.pointer for v in violations) and (m.kind, m.pointer) not in seen:
            seen.add((m.kind, m.pointer))
            out.append(m)
    return out


def _pointer(tokens: list[str | int]) -> str:
    return "".join("/" + str(t).replace("~", "~0").replace("/", "~1") for t in tokens)


def _set(root: Any, tokens: list[str | int], value: Any) -> Any:
    out = copy.deepcopy(root)
    node = out
    for t in tokens[:-1]:
        node = node[t]
    node[tokens[-1]] = value
    return out


def _delete(root: Any, tokens: list[str | int]) -> Any:
    out = copy.deepcopy(root)
    node = out
    for t in tokens[:-1]:
        node = node[t]
    del node[tokens[-1]]
    return out


def _walk(parts: list[dict[str, Any]], value: Any, tokens: list[str | int], root: Any) -> Iterator[Mutation]:
    if tokens:
        yield from _leaf(parts, value, tokens, root)
    if isinstance(value, dict):
        shape = object_shape(parts)
        for name in shape.required:
            if name in value and name not in IDENTITY_FIELDS:
                yield Mutation(
                    "required",
                    _pointer([*tokens, name]),
                    f"required {name!r} removed",
                    _delete(root, [*tokens, name]),
                )
        extra: dict[str, list[dict[str, Any]]] = {}
        for condition, then in shape.conditionals:
            if matches(condition, value):
                then_shape = object_shape(flatten(then))
                for name in then_shape.required:
                    if name in value:
                        yield Mutation(
                            "if-then",
                            _pointer([*tokens, name]),
                            f"{name!r} removed although the condition requiring it holds",
                            _delete(root, [*tokens, name]),
                        )
                for name, more in then_shape.properties.items():
                    extra.setdefault(name, []).extend(more)
        for name, sub in shape.properties.items():
            if name in value and name not in IDENTITY_FIELDS:
                yield from _walk(sub + extra.get(name, []), value[name], [*tokens, name], root)
        if shape.closed and not tokens:
            # the commonest real mistake: a documented field in snake_case (customer_name), which
            # the server ignores (hesabe_spec.tolerance: unknown_field)
            known = [n for n in shape.properties if n in value and n not in IDENTITY_FIELDS]
            meant = next((n for n in known if _snake(n) != n and _snake(n) not in shape.properties), None)
            typo = _snake(meant) if meant else "unknownField"
            why = f"unknown member {typo!r} added (ignored by the server)"
            yield Mutation("unknown", _pointer([typo]), why, {**value, typo: value[meant] if meant else "x"})
    elif isinstance(value, list) and value:
        item_parts = [s for p in parts if "items" in p for s in flatten(p["items"])]
        if item_parts:
            yield from _walk(item_parts, value[0], [*tokens, 0], root)


def _snake(name: str) -> str:
    """``customerName`` -> ``customer_name``."""
    return "".join(f"_{c.lower()}" if c.isupper() else c for c in name).lstrip("_")


def _decimal_text(value: Any) -> bool:
    """Whether ``value`` is a plain decimal string (digits, at most one point) a float holds exactly
    enough to print back the same amount."""
    if not isinstance(value, str) or not 0 < len(value) <= 15 or value.count(".") > 1:
        return False
    return value.replace(".", "", 1).isdigit() and not value.startswith(".") and not value.endswith(".")


def _leaf(parts: list[dict[str, Any]], value: Any, tokens: list[str | int], root: Any) -> Iterator[Mutation]:
    where = _pointer(tokens)

    def make(kind: str, new: Any, why: str) -> Mutation:
        return Mutation(kind, where, why, _set(root, tokens, new))

    allowed = types_of(parts)
    wrong_types = _WRONG_TYPES
    if any(p.get("pattern") in money_patterns() for p in parts) and _decimal_text(value):
        # a money string as a JSON number of the same value ("12.500" -> 12.5): the server may read
        # it, and then the same amount meets the same rules (12345 could be more than the payment)
        wrong_types = [float(value) if "." in value else int(value), *_WRONG_TYPES]
    for bad in wrong_types:
        kind = json_type(bad)
        if kind not in allowed and not (kind == "integer" and "number" in allowed):
            yield make("type", bad, f"{json_type(value)} replaced by {kind} {bad!r}")
            break
    for p in parts:
        if "enum" in p:
            bad = next(c for c in ("9", "zz", "99", 9) if c not in p["enum"])
            yield make("enum", bad, f"{bad!r} is not one of {p['enum']}")
        if "const" in p:
            bad = "9" if p["const"] != "9" else "8"
            yield make("const", bad, f"{bad!r} instead of {p['const']!r}")
        if p.get("pattern") in money_patterns() and isinstance(value, str) and value.count(".") == 1:
            yield make("drift", value + "0001", f"{value + '0001'!r}: more than 3 decimals (float drift)")
        if "pattern" in p and isinstance(value, str):
            bad_text = next((s for s in _BAD_STRINGS if not satisfies({"pattern": p["pattern"]}, s)), None)
            if bad_text is not None:
                yield make("pattern", bad_text, f"{bad_text!r} does not match {p['pattern']}")
        if "format" in p and isinstance(value, str):
            yield make("format", _BAD_FORMATS[p["format"]], f"not a valid {p['format']}")
        if p.get("minLength", 0) >= 1 and isinstance(value, str):
            yield make("minLength", "", f"empty, minLength is {p['minLength']}")
        if "maxLength" in p and isinstance(value, str):
            yield make("maxLength", "a" * (p["maxLength"] + 1), f"longer than {p['maxLength']}")
        if p.get("minItems", 0) >= 1 and isinstance(value, list):
            yield make("minItems", [], f"empty, minItems is {p['minItems']}")
        if "minimum" in p and isinstance(value, int) and not isinstance(value, bool):
            yield make("minimum", p["minimum"] - 1, f"below the minimum {p['minimum']}")
        if "maximum" in p and isinstance(value, int | float) and not isinstance(value, bool):
            yield make("maximum", p["maximum"] + 1, f"above the maximum {p['maximum']}")
