"""Schema violations -> Laravel-style field errors, the shape Hesabe's app reads.

``{"status": false, "message": "<first error>", "response": {"amount": ["The amount ..."]}}``
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from typing import Any

from hesabe_spec.tolerance import Note

__all__ = ["field_errors", "human", "strict_field_errors"]

_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")


def human(field: str) -> str:
    """``customerEmail`` -> ``customer email`` (how Laravel names fields in messages)."""
    return _CAMEL.sub(" ", field.replace("_", " ")).lower()


def _human_condition(condition: str) -> str:
    """``invoiceType is 1`` -> ``invoice type is 1`` (Laravel's required_if wording)."""
    name, sep, rest = condition.partition(" ")
    return f"{human(name)}{sep}{rest}"


#: Laravel's message of each type rule, by the JSON type the schema wants
_TYPE_WORDS = {"string": "must be a string", "integer": "must be an integer", "number": "must be a number",
               "array": "must be an array", "object": "must be an array",
               "boolean": "field must be true or false"}


#: a schema enum of exactly what Laravel's ``boolean`` rule accepts, as a violation's ``expected``
#: states it (hesabe_spec.validation writes an enum as ``one of`` and its members as JSON)
_BOOLEAN_CHOICES = "one of " + ", ".join(json.dumps(v) for v in ("0", "1", 0, 1, True, False))


def _type_sentence(field: str, expected: str) -> str:
    """``type string`` -> "The x must be a string." (Laravel's wording of its string, integer,
    numeric, array and boolean rules); a field taking text or any number reads as ``numeric``,
    else the first type it takes names the rule."""
    types = expected.removeprefix("type ").split(" or ")
    if "string" in types and "number" in types:
        types = ["number"]
    words = _TYPE_WORDS.get(types[0])
    return f"The {field} {words}." if words else f"The {field} format is invalid."


def _sentence(v: Any) -> str:
    field = human(str(getattr(v, "field", "") or "payload"))
    rule = str(getattr(v, "rule", ""))
    if rule == "required":
        return f"The {field} field is required."
    if rule in ("if-then", "dependentRequired"):
        _, when, condition = str(getattr(v, "expected", "")).partition(" when ")
        condition = condition.replace('"', "")
        return f"The {field} field is required when {_human_condition(condition)}." if when else (
            f"The {field} field is required.")
    if rule == "type":
        return _type_sentence(field, str(getattr(v, "expected", "")))
    if rule == "enum":
        if str(getattr(v, "expected", "")) == _BOOLEAN_CHOICES:  # what Laravel's boolean rule takes
            return f"The {field} {_TYPE_WORDS['boolean']}."
        return f"The selected {field} is invalid."
    if rule in ("additionalProperties", "unevaluatedProperties"):
        return f"The {field} field is not allowed."
    if rule in ("maxLength", "minLength"):  # Laravel's max:n / min:n on a string
        limit = str(getattr(v, "expected", "")).rpartition(" ")[2]
        if limit.isdigit():
            return (f"The {field} must not be greater than {limit} characters." if rule == "maxLength"
                    else f"The {field} must be at least {limit} characters.")
    return f"The {field} format is invalid."


def field_errors(violations: Sequence[Any]) -> dict[str, list[str]]:
    """Group violations by wire field, one sentence each, in the order found."""
    errors: dict[str, list[str]] = {}
    for v in violations:
        pointer = str(getattr(v, "pointer", "") or "")
        key = pointer.strip("/").replace("/", ".") or str(getattr(v, "field", "") or "payload")
        sentence = _sentence(v)
        if sentence not in errors.setdefault(key, []):
            errors[key].append(sentence)
    return errors


def _strict_sentence(note: Note) -> str:
    field = note.field or "payload"
    if note.rule == "unknown_field":
        return f"The {field} field is not allowed."  # its own spelling: it names no documented field
    name = human(field)
    if note.rule in ("empty_value", "empty_list", "empty_filter"):
        return f"The {name} field must not be empty."
    if note.rule == "page_unusable":
        return f"The {name} must be a positive integer."
    if note.rule == "amount_format":
        return f"The {name} must be a string with 3 decimals."
    if note.rule == "number_as_text":
        return f"The {name} must be a string."
    return f"The {name} format is invalid."


def strict_field_errors(notes: Sequence[Note]) -> dict[str, list[str]]:
    """What a server as strict as the docs answers to what the real one tolerates (``--strict``)."""
    errors: dict[str, list[str]] = {}
    for note in notes:
        key = note.pointer.strip("/").replace("/", ".") or "payload"
        sentence = _strict_sentence(note)
        if sentence not in errors.setdefault(key, []):
            errors[key].append(sentence)
    return errors
