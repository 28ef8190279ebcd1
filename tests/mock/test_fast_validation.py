"""The mock's compiled validator (jsonschema_rs) and the spec's jsonschema agree on valid vs invalid.

``mock_server.fast_validation.validate_request`` trusts the compiled validator only when it says
"valid", so the one disagreement that would matter is fast-valid but jsonschema-invalid. Checked
over every seed and doc sample (requests and responses) and many one-field mutations of each
(removed, retyped, out of range).
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from typing import Any

import pytest
from spec.spec_data import DOC_SAMPLES, SEED_REQUESTS, SEED_RESPONSES

from hesabe_spec import validation
from hesabe_spec.operations import get_operation
from hesabe_spec.validation import _validator
from mock_server import fast_validation
from mock_server.fast_validation import _compiled

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
        if sample["direction"] == "outbound":  # not an operation's, and never validated on the hot path
            continue
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
    fast, slow = _compiled(name), _validator(name)
    seen = 0
    for variant in _mutations(copy.deepcopy(instance)):
        seen += 1
        assert fast.is_valid(variant) == slow.is_valid(variant), (name, variant)
    assert seen >= 1


@pytest.mark.parametrize("payload", [{}, {"merchantCode": "842217"}, {"amount": "\ud800"}, []])
def test_the_findings_are_the_specs_whatever_answered_first(payload: Any) -> None:
    for operation in ("create_invoice", "list_invoices", "cancel_invoice"):
        assert fast_validation.validate_request(operation, payload) == validation.validate_request(
            operation, payload)


def test_a_valid_payload_is_settled_without_jsonschema(monkeypatch: pytest.MonkeyPatch) -> None:
    valid = next(r["json"] for r in SEED_REQUESTS if r["operation"] == "create_invoice")
    monkeypatch.setattr(validation, "validate_request", lambda *_a: pytest.fail("jsonschema ran"))
    assert fast_validation.validate_request("create_invoice", valid) == []


def test_without_a_usable_jsonschema_rs_the_spec_validates(monkeypatch: pytest.MonkeyPatch) -> None:
    """jsonschema-rs 0.20-0.22 refuse ``validate_formats``: a TypeError, not an ImportError."""
    import jsonschema_rs

    def too_old(*_a: Any, **_k: Any) -> Any:
        raise TypeError("validator_for() got an unexpected keyword argument 'validate_formats'")

    monkeypatch.setattr(jsonschema_rs, "validator_for", too_old)
    _compiled.cache_clear()
    try:
        assert _compiled("create_invoice.request") is None
        assert fast_validation.validate_request("create_invoice", {}) == validation.validate_request(
            "create_invoice", {})
    finally:
        _compiled.cache_clear()


def test_compiled_validators_are_built_once() -> None:
    valid = next(r["json"] for r in SEED_REQUESTS if r["operation"] == "create_invoice")
    fast_validation.validate_request("create_invoice", valid)
    before = _compiled.cache_info().misses
    for _ in range(5):
        assert fast_validation.validate_request("create_invoice", valid) == []
        assert fast_validation.validate_request("create_invoice", {})
    assert _compiled.cache_info().misses == before
