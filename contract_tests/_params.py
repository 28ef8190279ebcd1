"""Operation parameters for the contract tests, marked from the operation table."""

from __future__ import annotations

from typing import Any

import pytest

from hesabe_spec.operations import OPERATIONS, Operation, get_operation
from hesabe_spec.schema_store import request_fields

__all__ = ["identity_only", "marks_for", "operation_params"]


def marks_for(op: Operation) -> list[Any]:
    marks = [pytest.mark.hesabe_mutating if op.mutating else pytest.mark.hesabe_readonly]
    if op.sends_sms:
        marks.append(pytest.mark.hesabe_sms)
    return marks


def operation_params(*, exclude: tuple[str, ...] = ()) -> list[Any]:
    return [
        pytest.param(name, marks=marks_for(op), id=name)
        for name, op in OPERATIONS.items()
        if name not in exclude
    ]


def identity_only(operation: str) -> bool:
    """Is ``merchantCode`` (the caller's identity, never mutated) the request's only field, or has
    it none at all (the path names the record: the gateway's void)?"""
    fields = request_fields(operation)
    return fields == {"merchantCode"} or (not fields and get_operation(operation).payload_in == "none")
