"""Request validation on the mock's hot path: a compiled validator answers "valid" first.

:func:`hesabe_spec.validation.validate_request` is the reference: jsonschema, every finding with
its JSON pointer. Here a ``jsonschema_rs`` validator of the same inlined schema, with the same
format checks, settles the common case (a valid payload) on its own; a payload it rejects, or
cannot judge, goes to ``validate_request`` for the findings, so they never depend on which ran.
Without ``jsonschema_rs``, or with one that cannot be built with these options (0.20-0.22 lack
``validate_formats``), ``validate_request`` does all of it.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from typing import Any

from hesabe_spec import validation
from hesabe_spec.operations import get_operation
from hesabe_spec.schema_store import FORMAT_CHECKS, load_schema
from hesabe_spec.validation import Violation

__all__ = ["validate_request"]


def validate_request(operation: str, payload: Any) -> list[Violation]:
    """:func:`hesabe_spec.validation.validate_request`, valid-first."""
    compiled = _compiled_for(operation)
    try:
        if compiled is not None and compiled.is_valid(payload):
            return []
    except Exception:  # e.g. a lone surrogate it cannot encode: jsonschema judges
        pass
    return validation.validate_request(operation, payload)


@cache
def _compiled_for(operation: str) -> Any:
    """The compiled validator of ``operation``'s request schema (one look-up per request)."""
    return _compiled(get_operation(operation).request_schema_name)


@cache
def _compiled(schema_name: str) -> Any:
    """``schema_name`` compiled by ``jsonschema_rs``; None when it is missing or refuses the options."""
    formats = {name: _conforms(check) for name, check in FORMAT_CHECKS.items()}
    try:
        import jsonschema_rs

        return jsonschema_rs.validator_for(load_schema(schema_name, inline=True), validate_formats=True,
                                           formats=formats, ignore_unknown_formats=False)
    except Exception:  # not installed, or too old for these keyword arguments
        return None


def _conforms(check: Callable[[object], bool]) -> Callable[[object], bool]:
    """A spec format check as jsonschema_rs calls it (a ValueError means "does not conform")."""

    def conforms(value: object) -> bool:
        try:
            return bool(check(value))
        except ValueError:
            return False

    return conforms
