"""The compiled fast validator (jsonschema_rs) and jsonschema agree on valid vs invalid.

``validate_request``/``validate_response`` trust the fast validator only when it says "valid", so
the one disagreement that would matter is fast-valid but jsonschema-invalid. Checked over every
seed and doc sample and many one-field mutations of each (removed, retyped, out of range).
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from typing import Any

import pytest
from spec_data import DOC_SAMPLES, SEED_REQUESTS, SEED_RESPONSES

from hesabe_spec.operations import get_operation
from hesabe_spec.validation import _fast_validator, _validator

pytest.importorskip("jsonschema_rs")

_ODD_VALUES: list[Any] = [
    None, "", "x", " ", 0, -1, 1, 1.5, 10**30, True, False, [], {}, ["1"], [{}], "0", "1", "4",
    "2025-02-30", "2025-02-28", "20250228", "a@b", "a@b.c", "0.000", "20.000", "20", "20.0001",
    "1,2", "1,99", "https://x.test/h", "en", "ar", "fr", "[]", "[{}]", "not json", "\u00e9\u0644",
]


def _samples() -> list[tuple[str, Any]]:
    out: list[tuple[str, Any]] = []
    for record in SEED_REQUESTS:
        out.append((get_operation(record["operation"]).request_schema_name, record["json"]))
    for record in SEED_RESPONSES:
        out.append((get_operation(record["operation"]).response_schema_name, record["json"]))
    for sample in DOC_SAMPLES.values():
        op = get_operation(sample["operation"])
        name = op.request_schema_name if sample["direction"] == "request" else op.response_schema_name
        out.append((name, sample["json"]))
    return out


def _mutations(value: Any, depth: int = 0) -> Iterator[Any]:
    """``value`` with one field removed or replaced, down to two levels of nesting."""
    yield value
    if depth > 2:
        return
    if isinstance(value, dict):
        for key in value:
            removed = {k: v for k, v in value.items() if k != key}
            yield removed
            for odd in _ODD_VALUES:
                yield {**value, key: odd}
            for inner in _mutations(value[key], depth + 1):
                if inner is not value[key]:
                    yield {**value, key: inner}
        yield {**value, "unexpectedField": "1"}
    elif isinstance(value, list) and value:
        for inner in _mutations(value[0], depth + 1):
            yield [inner, *value[1:]]
        yield []


@pytest.mark.parametrize(("name", "instance"), _samples(), ids=lambda x: x if isinstance(x, str) else "")
def test_fast_validator_agrees_with_jsonschema(name: str, instance: Any) -> None:
    fast, slow = _fast_validator(name), _validator(name)
    seen = 0
    for variant in _mutations(copy.deepcopy(instance)):
        seen += 1
        assert fast.is_valid(variant) == slow.is_valid(variant), (name, variant)
    assert seen >= 1
