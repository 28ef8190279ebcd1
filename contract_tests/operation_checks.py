"""The per-operation checks behind ``test_operations``, callable on any session (proof tests too)."""

from __future__ import annotations

import secrets
from dataclasses import replace
from typing import Any

from hypothesis import strategies as st

from contract_tests.errors import hides_violations
from contract_tests.exchange import Exchange
from contract_tests.findings import Finding
from contract_tests.mutations import Mutation
from contract_tests.resources import Resources
from contract_tests.session import ContractSession
from contract_tests.strategies import invalid_payloads, valid_payloads
from hesabe_spec.operations import OPERATIONS

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
    """Draw a payload broken at exactly one place: it must be refused naming the broken field,
    and a refused invoice create must make no invoice (``refusal_changes_nothing``)."""
    bind = lambda p: resources.bind(operation, p)  # noqa: E731 - a one-line adapter
    mutation = data.draw(invalid_payloads(operation, session.gen, bind), label="mutation")
    reference = _created_reference(operation, mutation)
    if reference is not None:
        # a reference this call alone carries: the drawn ones repeat (Hypothesis favours small
        # numbers), and another worker of the run creating one between the two searches would
        # read as this refusal's invoice
        reference = f"{session.gen.reference_prefix}r{secrets.randbelow(10**8):08d}"
        mutation = replace(mutation, payload={**mutation.payload, "referenceNumber": reference})
    before = _carrying(session, reference) if reference is not None else None
    ex = session.call(
        operation,
        mutation.payload,
        intent="invalid",
        mutation=mutation,
        path_params=resources.path_params(operation, mutation.payload),
    )
    if reference is not None and before is not None and not ex.accepted:
        after = _carrying(session, reference)
        if after is not None and after > before:
            finding = Finding(operation, "refusal_changes_nothing", "/referenceNumber",
                              f"no new invoice carrying reference {reference!r} after the refusal "
                              f"(HTTP {ex.status}; {before} carried it before)", f"{after} carry it now",
                              "request")
            raise session.violation([finding], {"method": ex.method, "path": ex.path,
                                                "payload": mutation.payload, "refused with": ex.envelope})
    return ex


def _created_reference(operation: str, mutation: Mutation) -> str | None:
    """The reference number an invoice create's broken payload carries, when it can find what the
    create might have made anyway: a single invoice's, not the broken field itself."""
    op = OPERATIONS[operation]
    if op.family != "invoices" or op.kind != "create" or mutation.pointer == "/referenceNumber":
        return None
    payload: Any = mutation.payload
    reference = payload.get("referenceNumber") if isinstance(payload, dict) else None
    return reference if isinstance(reference, str) and reference.strip() else None


def _carrying(session: ContractSession, reference: str) -> int | None:
    """How many of the merchant's invoices a search for ``reference`` finds (None: unreadable).
    A search, not the whole list's total: on a shared sandbox others create invoices too, never
    with this run's references."""
    ex = session.call("list_invoices", {"search": reference})
    block = (ex.response or {}).get("invoices") if isinstance(ex.response, dict) else None
    total = (block.get("pagination") or {}).get("total") if isinstance(block, dict) else None
    return total if isinstance(total, int) and not isinstance(total, bool) else None
