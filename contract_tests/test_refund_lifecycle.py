"""The refund lifecycle state machine (see :mod:`contract_tests.refund_lifecycle`)."""

from __future__ import annotations

import pytest
from hypothesis.stateful import run_state_machine_as_test

from contract_tests.errors import CapabilityMissing
from contract_tests.profiles import contract_settings
from contract_tests.refund_lifecycle import refund_machine
from contract_tests.resources import Resources
from contract_tests.session import ContractSession


@pytest.mark.hesabe_lifecycle
@pytest.mark.hesabe_mutating
def test_refund_lifecycle(contract: ContractSession, resources: Resources) -> None:
    try:
        resources.paid_transaction()  # refunds need payments: only a target that can pay has them
    except CapabilityMissing as exc:
        pytest.skip(str(exc))
    # Refunds exist only several steps into a run (pay, ask, then decide or cancel): a mock gets
    # longer runs than the profile's default; a live target keeps its gentle profile.
    profile = contract_settings()
    steps = profile.stateful_step_count if contract.target.live else max(profile.stateful_step_count, 30)
    run_state_machine_as_test(refund_machine(contract, resources),
                              settings=contract_settings(stateful_step_count=steps))
