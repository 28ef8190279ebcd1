"""Authentication rules: no, bad and expired bearers are 401; refresh works and rotates."""

from __future__ import annotations

from typing import Any

import pytest

from contract_tests.errors import CapabilityMissing
from contract_tests.resources import Resources
from contract_tests.session import ContractSession
from hesabe_spec.operations import OPERATIONS

pytestmark = pytest.mark.hesabe_readonly

_BEARER_OPS = [name for name, op in OPERATIONS.items() if op.auth == "bearer"]
_GATEWAY_OPS = [name for name, op in OPERATIONS.items() if op.auth == "access_code"]
#: path parameters that name nothing: the merchant is refused before anything is looked up
_ANY_PATH = {"reference": "0", "token": "0", "id": "0"}
_BAD_BEARER = "not-a-token.not-a-token.not-a-token"


def _login(contract: ContractSession) -> dict[str, Any]:
    cfg = contract.target.config
    ex = contract.call("login", {"username": cfg.username, "password": cfg.password})
    return dict(ex.response["token"])


@pytest.mark.parametrize("case", ["no bearer", "bad bearer"])
@pytest.mark.parametrize("operation", _BEARER_OPS)
def test_missing_or_bad_bearer_is_401(
    contract: ContractSession, resources: Resources, operation: str, case: str
) -> None:
    # The payload is deliberately minimal: authentication comes before anything else.
    bearer = None if case == "no bearer" else _BAD_BEARER
    contract.call(
        operation,
        {},
        intent="unauthenticated",
        bearer=bearer,
        path_params=resources.any_path_params(operation),
        context={"why": case},
    )


@pytest.mark.parametrize("operation", _GATEWAY_OPS)
def test_unknown_access_code_is_invalid_merchant(contract: ContractSession, operation: str) -> None:
    params = {p: _ANY_PATH[p] for p in OPERATIONS[operation].path_params}
    contract.call(
        operation,
        {},
        intent="unauthenticated",
        access_code="00000000-0000-0000-0000-000000000000",
        path_params=params,
        context={"why": "unknown accessCode"},
    )


def test_expired_bearer_is_401(contract: ContractSession) -> None:
    token = _login(contract)
    ttl = float(token.get("expires_in") or 900) + 5
    try:
        contract.target.clock_forward(ttl)
    except CapabilityMissing as exc:
        pytest.skip(str(exc))
    try:
        contract.call(
            "list_invoices",
            {},
            intent="unauthenticated",
            bearer=token["access_token"],
            context={"why": "expired bearer"},
        )
    finally:
        contract.target.clock_forward(-ttl)


def test_refresh_works_and_rotates(contract: ContractSession) -> None:
    old = _login(contract)
    ex = contract.call("refresh_token", {"refreshToken": old["refresh_token"]}, context={"old_tokens": old})
    new = ex.response["token"]
    contract.call("list_invoices", {}, bearer=new["access_token"])
    contract.call(
        "refresh_token",
        {"refreshToken": old["refresh_token"]},
        intent="refused",
        context={"why": "this refresh token was rotated away"},
    )
    contract.call(
        "list_invoices",
        {},
        intent="unauthenticated",
        bearer=old["access_token"],
        context={"why": "access token of a rotated-away pair"},
    )


def test_wrong_password_is_refused(contract: ContractSession) -> None:
    cfg = contract.target.config
    contract.call(
        "login",
        {"username": cfg.username, "password": cfg.password + "-wrong"},
        intent="refused",
        context={"why": "wrong password"},
    )
