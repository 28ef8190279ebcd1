"""Amount rules, configuration from arguments and environment, and repr hygiene."""

from __future__ import annotations

import types
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from client_fakes import FakeSession, encrypted

from hesabe_spec import SANDBOX
from hesabe_spec.amounts import format_amount
from hesabe_spec.client import ClientConfig, HesabeClient, core
from hesabe_spec.errors import ConfigurationError, RequestValidationError
from hesabe_spec.sandbox import SANDBOX_URL

MakeClient = Callable[..., HesabeClient]


@pytest.mark.parametrize(
    ("value", "wire"),
    [
        (20, "20.000"),
        ("20", "20.000"),
        (" 8.999 ", "8.999"),
        (Decimal("1.5"), "1.500"),
        (0.1, "0.100"),
        (14.9, "14.900"),
        (1.005, "1.005"),
        (0, "0.000"),
        (Decimal("-0"), "0.000"),
        ("1.2300", "1.230"),
    ],
)
def test_amounts_become_3_decimal_strings(value: Any, wire: str) -> None:
    assert format_amount(value) == wire


@pytest.mark.parametrize(
    "value",
    [
        -1,
        "-0.001",
        "1.0005",
        0.0001,
        float("nan"),
        float("inf"),
        "NaN",
        "Infinity",
        "abc",
        "",
        True,
        None,
        [1],
        "1e30",
        Decimal("1E+40"),
    ],
)
def test_bad_amounts_are_refused_with_a_typed_error(value: Any) -> None:
    with pytest.raises(RequestValidationError) as info:
        format_amount(value, field="fixAmount", operation="create_open_invoice")
    err = info.value
    assert not isinstance(err, ValueError)
    assert list(err.field_errors) == ["fixAmount"] and err.operation == "create_open_invoice"
    assert err.violations[0].rule == "amount" and err.violations[0].pointer == "/fixAmount"


@pytest.mark.parametrize(
    "call",
    [
        lambda c: c.create_invoice(amount="10.0001"),
        lambda c: c.create_open_invoice(title="t", min_amount=-5),
        lambda c: c.update_bulk_invoice(1, amount=float("nan")),
        lambda c: c.create_split_invoice([{"amount": 1}, {"amount": "1.2345"}]),
        lambda c: c.create_subscription_invoice(items_list=[{"rate": "0.0001"}]),
    ],
)
def test_bad_amounts_are_refused_before_any_request(
    call: Callable[[HesabeClient], Any], client: HesabeClient, session: FakeSession
) -> None:
    with pytest.raises(RequestValidationError):
        call(client)
    assert session.sent == []


def test_split_amount_error_names_the_entry(client: HesabeClient) -> None:
    with pytest.raises(RequestValidationError) as info:
        client.create_split_invoice([{"amount": 1}, {"amount": "1.2345"}])
    assert list(info.value.field_errors) == ["invoices/1/amount"]


def test_defaults_are_the_public_sandbox() -> None:
    config = ClientConfig.from_env({})
    assert config.base_url == SANDBOX_URL and config.merchant_code == SANDBOX.merchant_code
    assert config.secret_key == SANDBOX.secret_key and config.username == SANDBOX.username
    assert config.timeout == 30.0 and config.request_block_size == 16


def test_environment_then_arguments() -> None:
    env = {
        "HESABE_MERCHANT_API_URL": "http://127.0.0.1:8000/",
        "HESABE_MERCHANT_CODE": "111",
        "HESABE_ACCESS_CODE": "ac",
        "HESABE_SECRET_KEY": "k" * 32,
        "HESABE_IV_KEY": "i" * 16,
        "HESABE_MERCHANT_USERNAME": "u",
        "HESABE_MERCHANT_PASSWORD": "p",
        "HESABE_TIMEOUT": "2.5",
    }
    config = ClientConfig.from_env(env, merchant_code="222", timeout=None)
    assert config.base_url == "http://127.0.0.1:8000"  # trailing slash dropped
    assert (config.merchant_code, config.access_code, config.username, config.password) == (
        "222",
        "ac",
        "u",
        "p",
    )
    assert (config.secret_key, config.iv_key, config.timeout) == ("k" * 32, "i" * 16, 2.5)


def test_client_reads_the_process_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HESABE_MERCHANT_CODE", "999")
    monkeypatch.setenv("HESABE_SECRET_KEY", "")  # empty counts as unset
    client = HesabeClient(timeout=5)
    assert client.config.merchant_code == "999" and client.config.timeout == 5.0
    assert client.config.secret_key == SANDBOX.secret_key
    client.close()


@pytest.mark.parametrize(
    "settings",
    [
        {"secret_key": "short"},
        {"iv_key": "x" * 17},
        {"base_url": "merchantapisandbox.hesabe.com"},
        {"timeout": "soon"},
        {"timeout": 0},
        {"request_block_size": 8},
        {"bogus": 1},
    ],
)
def test_bad_settings_are_configuration_errors(settings: dict[str, Any]) -> None:
    with pytest.raises(ConfigurationError):
        ClientConfig.from_env({}, **settings)


def test_repr_never_shows_secrets(client: HesabeClient, session: FakeSession) -> None:
    secrets = [SANDBOX.secret_key, SANDBOX.iv_key, SANDBOX.password, "tok-0", "ref-0"]
    session.reply(encrypted({}))
    result = client.get_invoice(1, return_result=True)
    for text in (repr(client), repr(client.config), repr(client.tokens), repr(result), repr(result.request)):
        for secret in secrets:
            assert secret not in text, text


def test_owned_session_is_closed_injected_one_is_not(session: FakeSession) -> None:
    with HesabeClient(transport=session) as client:
        assert client.transport is session
    assert session.closed is False


def _fake_validation(monkeypatch: pytest.MonkeyPatch, violations: list[Any]) -> list[tuple[str, Any]]:
    seen: list[tuple[str, Any]] = []

    def validate_request(operation: str, payload: Any) -> list[Any]:
        seen.append((operation, payload))
        return violations

    monkeypatch.setattr(core, "validate_request", validate_request)
    return seen


def test_validation_runs_before_sending(
    monkeypatch: pytest.MonkeyPatch, make_client: MakeClient, session: FakeSession
) -> None:
    violation = types.SimpleNamespace(field="amount", pointer="/amount", message="amount is required")
    seen = _fake_validation(monkeypatch, [violation])
    client = make_client(validate=True)
    with pytest.raises(RequestValidationError) as info:
        client.create_invoice(customer_name="x")
    assert session.sent == []
    assert seen == [("create_invoice", {"merchantCode": SANDBOX.merchant_code, "customerName": "x"})]
    assert info.value.violations == [violation] and info.value.field_errors == {
        "amount": ["amount is required"]
    }


def test_validation_can_be_switched_off_per_call(
    monkeypatch: pytest.MonkeyPatch, make_client: MakeClient, session: FakeSession
) -> None:
    seen = _fake_validation(monkeypatch, [types.SimpleNamespace(field="x", message="bad")])
    client = make_client(validate=True)
    client.tokens.adopt({"access_token": "t"})
    session.reply(encrypted({}))
    client.call("get_invoice", {"merchantCode": None}, path_params={"id": 1}, validate=False)
    assert seen == [] and len(session.sent) == 1
