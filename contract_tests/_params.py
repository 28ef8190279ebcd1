"""Operation parameters for the contract tests, marked from the operation table."""

from __future__ import annotations

from typing import Any

import pytest

from hesabe_spec.operations import OPERATIONS, Operation

__all__ = ["marks_for", "operation_params"]


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
