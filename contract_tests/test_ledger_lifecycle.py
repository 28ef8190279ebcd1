"""The one-ledger state machine across every family (see :mod:`contract_tests.ledger_lifecycle`)."""

from __future__ import annotations

import pytest
from hypothesis.stateful import run_state_machine_as_test

from contract_tests.errors import CapabilityMissing
from contract_tests.ledger_lifecycle import ledger_machine
from contract_tests.profiles import contract_settings
from contract_tests.resources import Resources
from contract_tests.session import ContractSession


@pytest.mark.hesabe_lifecycle
@pytest.mark.hesabe_mutating
def test_ledger_lifecycle(contract: ContractSession, resources: Resources) -> None:
    try:
        resources.paid_transaction()  # the ledger needs payments: only a target that can pay has them
        resources.saved_card()
    except CapabilityMissing as exc:
        pytest.skip(str(exc))
    # payments of every family take a few steps each before an audit: a mock gets longer runs
    profile = contract_settings()
    steps = profile.stateful_step_count if contract.target.live else max(profile.stateful_step_count, 25)
    run_state_machine_as_test(ledger_machine(contract, resources),
                              settings=contract_settings(stateful_step_count=steps))
