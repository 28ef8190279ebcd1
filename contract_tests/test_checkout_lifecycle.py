"""The payment-gateway checkout lifecycle state machine (see :mod:`contract_tests.checkout_lifecycle`)."""

from __future__ import annotations

import pytest
from hypothesis.stateful import run_state_machine_as_test

from contract_tests.checkout_lifecycle import checkout_machine
from contract_tests.profiles import contract_settings
from contract_tests.session import ContractSession


@pytest.mark.hesabe_lifecycle
@pytest.mark.hesabe_mutating
def test_checkout_lifecycle(contract: ContractSession) -> None:
    # a server serving part of the API (--hesabe-operations) runs the rules it can serve; opening
    # a checkout is what every other rule needs
    if not contract.serves("create_checkout"):
        pytest.skip("opens no checkout: --hesabe-operations leaves create_checkout out")
    run_state_machine_as_test(checkout_machine(contract), settings=contract_settings())
