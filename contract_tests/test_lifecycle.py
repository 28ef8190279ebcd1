"""The invoice lifecycle state machine (see :mod:`contract_tests.lifecycle`)."""

from __future__ import annotations

import pytest
from hypothesis.stateful import run_state_machine_as_test

from contract_tests.lifecycle import lifecycle_machine
from contract_tests.profiles import contract_settings
from contract_tests.session import ContractSession


@pytest.mark.hesabe_lifecycle
@pytest.mark.hesabe_mutating
def test_invoice_lifecycle(contract: ContractSession) -> None:
    # a server serving part of the API (--hesabe-operations) runs the rules it can serve; creating
    # is what every other rule needs
    if not any(contract.serves(op) for op in ("create_invoice", "create_subscription_invoice",
                                              "create_split_invoice", "create_installment_invoice")):
        pytest.skip("creates no invoice: --hesabe-operations leaves every create out")
    run_state_machine_as_test(lifecycle_machine(contract), settings=contract_settings())
