"""Every operation with generated payloads: valid ones accepted, one-rule-broken ones refused.

Every call is judged by every rule of :mod:`contract_tests.rules`.
"""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from contract_tests._params import operation_params
from contract_tests.operation_checks import check_invalid, check_valid
from contract_tests.profiles import contract_settings
from contract_tests.resources import Resources
from contract_tests.session import ContractSession

#: login/refresh need the real credentials/tokens, which cannot be generated: test_auth covers them
_NEEDS_SECRETS = ("login", "refresh_token")
#: operations whose only member is merchantCode (identity, never mutated): nothing to break
_NOTHING_TO_BREAK = ("get_invoice", "get_open_invoice", "cancel_open_invoice", "delete_bulk_invoice",
                     "cancel_authorization")


@pytest.mark.parametrize("operation", operation_params(exclude=_NEEDS_SECRETS))
@contract_settings()
@given(data=st.data())
def test_valid_payload_accepted(
    contract: ContractSession, resources: Resources, operation: str, data: st.DataObject
) -> None:
    check_valid(contract, resources, operation, data)


@pytest.mark.parametrize("operation", operation_params(exclude=_NOTHING_TO_BREAK))
@contract_settings()
@given(data=st.data())
def test_invalid_payload_rejected(
    contract: ContractSession, resources: Resources, operation: str, data: st.DataObject
) -> None:
    check_invalid(contract, resources, operation, data)
