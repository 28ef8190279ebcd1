"""What the real server accepts beyond the letter of the docs, and what it makes of it.

The request schemas (``schemas/requests``) describe what Hesabe's docs define, and the reference
client sends nothing else. The real server is a Laravel application, and Laravel takes more than
that: its validator returns only the fields it names, its ConvertEmptyStringsToNull middleware
turns ``""`` into null, its paginator reads an unusable ``page`` as page 1. This module states
those leniencies once. :func:`tolerate` applies them to a decrypted payload and says what it did,
one :class:`Note` per change; the mock runs it in front of validation (and shows every note to the
integrator as a finding), the contract suite runs it to know which broken payloads a faithful
server accepts. Sources and confidence: docs/fidelity.md, "Leniency".

Rules (``Note.rule``):

* ``unknown_field``: a field the docs do not define is ignored.
* ``empty_value``: ``""`` where the field's schema refuses ``""`` is treated as absent (a
  required field is then missing, as Laravel's ``required`` rule says of null).
* ``empty_list``: ``[]`` where the field's schema wants items is treated as absent (the old docs'
  ``allocatePayType: []`` gets the default payment types).
* ``amount_format``: an amount with 0-2 decimals (``"20"``, ``"20.5"``) or a JSON number is
  normalised to the 3-decimal string the docs ask for (``"20.500"``).
* ``amount_precision``: an amount with more than 3 decimals (float drift, ``"20.100000001"``)
  makes the whole request "Invalid Request Data" (code 506), as the third-party SDK documents
  from the live API.
* ``number_as_text``: a JSON integer where the field is one of a list of digit strings, or one
  (``"refundMethod": 2`` for ``"2"``, ``"statusId": 3`` for ``"3"``) is read as its text:
  Laravel's ``in:`` rule compares the value as a string, and the guide's own refund sample sends
  ``refundMethod`` as a number.
* ``page_unusable``: a ``page`` that is not a positive integer (``"abc"``, ``0``, ``-1``) is page 1.
* ``empty_filter``: an empty plain query parameter (:func:`tolerate_query`) is absent.

A payload the schemas accept is never changed and gets no note: every leniency concerns a
value the schemas refuse.
"""

from __future__ import annotations

import difflib
import math
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any

from jsonschema import Draft202012Validator

from hesabe_spec.operations import get_operation
from hesabe_spec.schema_store import FORMAT_CHECKER, SCHEMA_BASE_URI, documents, request_schema

__all__ = ["RULES", "Note", "Tolerated", "amount_decimals", "amount_format_note", "normalise_amount",
           "restyled_field", "tolerate", "tolerate_query", "unknown_field_note"]

#: every rule :func:`tolerate` and :func:`tolerate_query` may report, with what it means
RULES: dict[str, str] = {
    "unknown_field": "a field the docs do not define: the server ignores it",
    "empty_value": 'an empty string the field cannot hold: the server treats it as absent',
    "empty_list": "an empty list the field cannot hold: the server treats it as absent",
    "amount_format": "an amount with 0-2 decimals or as a JSON number: normalised to 3 decimals",
    "amount_precision": "an amount with more than 3 decimals: the request is Invalid Request Data (506)",
    "number_as_text": "a number where the field is one of a list of digit strings: read as its text",
    "page_unusable": "a page that is not a positive integer: page 1",
    "empty_filter": "an empty plain query parameter: the server treats it as absent",
}

#: the shared definitions whose values are money, and the page number
_MONEY_DEFS = ("Money3", "PositiveMoney3", "Money3OrEmpty")
_PAGE_DEF = "Page"
#: a decimal amount as people and programs write it: digits, optionally a point and decimals
_DECIMAL = re.compile(r"(0|[1-9][0-9]*)(?:\.([0-9]*))?")


@dataclass(frozen=True, slots=True)
class Note:
    """One leniency applied: which rule, where (JSON pointer into the payload), and in words."""

    rule: str
    pointer: str
    message: str

    @property
    def field(self) -> str:
        """The wire field concerned (the last member name of ``pointer``)."""
        return next((t for t in reversed(self.pointer.split("/")) if t and not t.isdigit()), "")


@dataclass(frozen=True, slots=True)
class Tolerated:
    """A payload as the real server goes on with it.

    ``invalid_data`` is true when the server refuses the whole request as "Invalid Request Data"
    (code 506) instead; ``notes`` say what was changed or why it was refused.
    """

    payload: Any
    notes: tuple[Note, ...]
    invalid_data: bool = False


def normalise_amount(value: Any) -> str | None:
    """A money value as the 3-decimal string the server keeps, when it reads it as one.

    ``"20"``, ``"20.5"``, ``20.5`` and ``"20.50"`` give ``"20.500"``; a value with more than 3
    decimals gives ``None`` here and is "Invalid Request Data" (:func:`amount_decimals`); anything
    that is not a non-negative decimal number gives ``None``.
    """
    text = _amount_text(value)
    match = _DECIMAL.fullmatch(text) if text is not None else None
    if match is None or len(match.group(2) or "") > 3:
        return None
    return f"{match.group(1)}.{(match.group(2) or '').ljust(3, '0')}"


def amount_decimals(value: Any) -> int | None:
    """How many decimals a money value is written with; None when it is not a decimal number."""
    text = _amount_text(value)
    match = _DECIMAL.fullmatch(text) if text is not None else None
    return None if match is None else len(match.group(2) or "")


def _amount_text(value: Any) -> str | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        # repr is the shortest text that reads back as the same float: 20.1 -> "20.1", while
        # 0.1 + 0.2 -> "0.30000000000000004", the float drift the server answers 506 to.
        return repr(value) if math.isfinite(value) else None
    return value if isinstance(value, str) else None


def tolerate(operation: str, payload: Any) -> Tolerated:
    """Apply the server's leniencies to a decrypted request payload of ``operation``.

    The payload is not changed in place (the objects and lists the schema describes are built
    anew; values inside them are shared). A payload the request schema accepts comes back equal,
    with no notes.
    """
    if not isinstance(payload, dict):
        return Tolerated(payload, ())
    walker = _Walker(operation)
    result = walker.value(_schema_parts(get_operation(operation).name), payload, "")
    return Tolerated(result, tuple(walker.notes), walker.invalid_data)


def tolerate_query(operation: str, params: Mapping[str, str]) -> tuple[dict[str, str], tuple[Note, ...]]:
    """The plain query filters of ``operation`` as the server reads them, and what was dropped.

    Laravel's ConvertEmptyStringsToNull makes an empty query parameter null, so ``?fromDate=`` is
    the same as no ``fromDate``. Only the operation's :attr:`~Operation.query_filters` are read.
    """
    names = get_operation(operation).query_filters
    kept: dict[str, str] = {}
    notes: list[Note] = []
    for name in names:
        if name not in params:
            continue
        if params[name] == "":
            notes.append(Note("empty_filter", "/" + _escape(name),
                              f"the query parameter {name} is empty: the server reads it as absent"))
        else:
            kept[name] = params[name]
    return kept, tuple(notes)


# ---------------------------------------------------------------------------------------- walking

#: one subschema that applies at a location, and whether it applies only under a condition
_Part = tuple[dict[str, Any], bool]


@cache
def _schema_parts(operation: str) -> tuple[_Part, ...]:
    return tuple(_flatten(request_schema(operation, inline=True), False))


def _flatten(schema: Any, conditional: bool) -> Iterator[_Part]:
    """``schema`` and every subschema it applies through ``allOf`` or an ``if``'s ``then``/``else``."""
    if not isinstance(schema, dict):
        return
    yield schema, conditional
    for sub in schema.get("allOf", []):
        yield from _flatten(sub, conditional)
    for branch in ("then", "else"):
        yield from _flatten(schema.get(branch), True)


@cache
def _defs() -> dict[str, Any]:
    defs: dict[str, Any] = documents()[SCHEMA_BASE_URI + "defs.json"]["$defs"]
    return defs


def _is_def(part: dict[str, Any], names: tuple[str, ...]) -> bool:
    """Whether ``part`` is (the inlined copy of) one of the shared definitions ``names``."""
    defs = _defs()
    return any(part == defs[name] for name in names)


_VALIDATORS: dict[int, Draft202012Validator] = {}


def _accepts(parts: list[dict[str, Any]], value: Any) -> bool:
    """Whether every one of ``parts`` accepts ``value`` (the parts live as long as the cache)."""
    for part in parts:
        validator = _VALIDATORS.get(id(part))
        if validator is None:
            validator = _VALIDATORS[id(part)] = Draft202012Validator(part, format_checker=FORMAT_CHECKER)
        try:
            if not validator.is_valid(value):
                return False
        except RecursionError:  # absurdly deep nesting: no value the server would read
            return False
    return True


class _Walker:
    """One pass over a payload, collecting notes."""

    def __init__(self, operation: str) -> None:
        self.operation = operation
        self.notes: list[Note] = []
        self.invalid_data = False

    def note(self, rule: str, pointer: str, message: str) -> None:
        self.notes.append(Note(rule, pointer, message))

    def value(self, parts: tuple[_Part, ...], value: Any, pointer: str) -> Any:
        if isinstance(value, dict):
            return self.object(parts, value, pointer)
        if isinstance(value, list):
            items = tuple(p for schema, cond in parts if "items" in schema
                          for p in _flatten(schema["items"], cond))
            if not items:
                return value
            return [self.value(items, item, f"{pointer}/{n}") for n, item in enumerate(value)]
        return value

    def object(self, parts: tuple[_Part, ...], value: dict[str, Any], pointer: str) -> dict[str, Any]:
        known: dict[str, list[_Part]] = {}
        for schema, cond in parts:
            for name, sub in schema.get("properties", {}).items():
                known.setdefault(name, []).extend(_flatten(sub, cond))
        closed = any(schema.get("additionalProperties") is False for schema, _cond in parts)
        out: dict[str, Any] = {}
        for name, item in value.items():
            where = f"{pointer}/{_escape(name)}"
            if name not in known:
                if closed:
                    self.notes.append(unknown_field_note(self.operation, name, list(known), pointer))
                    continue
                out[name] = item
                continue
            kept = self.member(known[name], name, item, where)
            if kept is not _ABSENT:
                out[name] = kept
        return out

    def member(self, parts: list[_Part], name: str, value: Any, pointer: str) -> Any:
        base = [schema for schema, cond in parts if not cond]
        if any(_is_def(schema, (_PAGE_DEF,)) for schema in base) and not _accepts(base, value):
            self.note("page_unusable", pointer, f"{name} {_show(value)} is not a positive integer: "
                                                "the server shows page 1")
            return _ABSENT
        if value in ("", []) and not _accepts(base, value):
            what = "an empty string" if value == "" else "an empty list"
            self.note("empty_value" if value == "" else "empty_list", pointer,
                      f"{name} is {what}: the server treats it as absent")
            return _ABSENT
        if any(_is_def(schema, _MONEY_DEFS) for schema, _cond in parts):
            return self.amount(base, name, value, pointer)
        if _is_integer(value) and _digit_choices(base) and not _accepts(base, value) \
                and _accepts(base, str(value)):
            self.note("number_as_text", pointer, f"{name} {value} is a JSON number; the docs send "
                                                 f"the string {str(value)!r}: read as that")
            return str(value)
        return self.value(tuple(parts), value, pointer)

    def amount(self, base: list[dict[str, Any]], name: str, value: Any, pointer: str) -> Any:
        if _accepts(base, value):
            return value
        decimals = amount_decimals(value)
        if decimals is not None and decimals > 3:
            self.invalid_data = True
            self.note("amount_precision", pointer,
                      f"{name} {_show(value)} has {decimals} decimals: the server refuses the request as "
                      "Invalid Request Data (506); send 3 decimals")
            return value
        normal = normalise_amount(value)
        if normal is None or not _accepts(base, normal):
            return value  # not an amount the server reads: the schema's field error says so
        self.notes.append(amount_format_note(name, value, normal, pointer))
        return normal



#: a member dropped by a leniency
_ABSENT: Any = object()


def unknown_field_note(operation: str, name: str, known: list[str], parent: str = "") -> Note:
    """The ``unknown_field`` note of member ``name`` of the object at JSON pointer ``parent``
    (the payload itself: ``""``), naming the field of ``known`` it probably meant
    (:func:`_closest`), if any."""
    hint = _closest(name, known)
    tail = f" (did you mean {hint}?)" if hint else ""
    return Note("unknown_field", f"{parent}/{_escape(name)}",
                f"{name} is not a field of {operation}: the server ignores it{tail}")


def amount_format_note(name: str, value: Any, normal: str, pointer: str) -> Note:
    """The ``amount_format`` note of an amount ``value`` the server reads as ``normal``."""
    decimals = amount_decimals(value)
    written = "is a JSON number" if not isinstance(value, str) else (
        "has no decimals" if not decimals else f"has {decimals} decimal{'s' if decimals > 1 else ''}")
    return Note("amount_format", pointer,
                f"{name} {_show(value)} {written}; the docs ask for a 3-decimal string: read as {normal!r}")


def _is_integer(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _digit_choices(parts: list[dict[str, Any]]) -> bool:
    """Whether a field is one of a list of digit strings (what Laravel checks with ``in:1,2``), or
    one digit string (``"statusId": "3"``, a ``const``: ``in:3``)."""
    def digits(choices: Any) -> bool:
        return isinstance(choices, list) and bool(choices) and all(
            isinstance(v, str) and v.isdigit() for v in choices)

    return any(digits(part.get("enum")) or ("const" in part and digits([part["const"]])) for part in parts)


def restyled_field(name: str, known: Iterable[str]) -> str | None:
    """The field of ``known`` that ``name`` spells in another case or style (``customer_name``
    and ``CustomerName`` for ``customerName``), if any."""
    squashed = name.replace("_", "").replace("-", "").lower()
    return next((candidate for candidate in known if candidate.replace("_", "").lower() == squashed), None)


def _closest(name: str, known: list[str]) -> str | None:
    """The documented field ``name`` was probably meant to be: same letters in another case or
    style (:func:`restyled_field`), else a close spelling (``refrenceNumber``)."""
    restyled = restyled_field(name, known)
    if restyled is not None:
        return restyled
    close = difflib.get_close_matches(name, known, n=1, cutoff=0.8)
    return close[0] if close else None


def _show(value: Any) -> str:
    return repr(value) if isinstance(value, str) else str(value)


def _escape(token: str) -> str:
    return token.replace("~", "~0").replace("/", "~1")
