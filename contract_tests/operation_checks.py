"""The per-operation checks behind ``test_operations``, callable on any session (proof tests too)."""

from __future__ import annotations

from hypothesis import strategies as st

from contract_tests.errors import hides_violations
from contract_tests.exchange import Exchange
from contract_tests.resources import Resources
from contract_tests.session import ContractSession
from contract_tests.strategies import invalid_payloads, valid_payloads

__all__ = ["check_invalid", "check_valid"]

#: their frames stay out of a ContractViolation's traceback (contract_tests.errors.hides_violations)
__tracebackhide__ = hides_violations


def check_valid(
    session: ContractSession, resources: Resources, operation: str, data: st.DataObject
) -> Exchange:
    """Draw a valid payload, point it at real records, send it: it must be accepted."""
    payload = resources.bind(operation, data.draw(valid_payloads(operation, session.gen), label="payload"))
    return session.call(operation, payload, path_params=resources.path_params(operation, payload))


def check_invalid(
    session: ContractSession, resources: Resources, operation: str, data: st.DataObject
) -> Exchange:
    """Draw a payload broken at exactly one place: it must be refused naming the broken field."""
    bind = lambda p: resources.bind(operation, p)  # noqa: E731 - a one-line adapter
    mutation = data.draw(invalid_payloads(operation, session.gen, bind), label="mutation")
    return session.call(
        operation,
        mutation.payload,
        intent="invalid",
        mutation=mutation,
        path_params=resources.path_params(operation, mutation.payload),
    )
