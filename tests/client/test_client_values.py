"""Amount rules, configuration from arguments and environment, and repr hygiene."""

from __future__ import annotations

import contextlib
import copy
import pickle
import types
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
import requests
from client_fakes import BASE, FakeSession, encrypted, plain, token_reply

from hesabe_spec import SANDBOX
from hesabe_spec.amounts import format_amount
from hesabe_spec.client import ClientConfig, HesabeClient, core
from hesabe_spec.errors import (
    ConfigurationError,
    HesabeError,
    HesabeTimeoutError,
    RateLimitError,
    RequestValidationError,
    TransportError,
)
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
    monkeypatch.setenv("HESABE_MERCHANT_API_URL", "http://127.0.0.1:8000")
    monkeypatch.setenv("HESABE_MERCHANT_PASSWORD", "")  # empty counts as unset
    client = HesabeClient(timeout=5)
    assert client.config.base_url == "http://127.0.0.1:8000" and client.config.timeout == 5.0
    assert client.config.password == SANDBOX.password
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


def test_a_login_result_and_the_config_show_no_token_and_no_access_code(
        client: HesabeClient, session: FakeSession) -> None:
    session.reply(token_reply("tok-secret", "ref-secret"))
    shown = repr(client.login(return_result=True)) + repr(client) + repr(client.config)
    for secret in ("tok-secret", "ref-secret", SANDBOX.access_code):
        assert secret not in shown, shown
    assert "[redacted]" in shown and SANDBOX.merchant_code in shown


def test_a_transport_error_names_no_query(client: HesabeClient, session: FakeSession) -> None:
    """A GET's data hex and plain filters (a customer's name in ``search``) stay out of the message
    and out of the exception chain, which error trackers report too."""
    url = f"{BASE}/api/v1/invoice-dashboard?data=abcdef&search=Sara+Ali+96566666666"
    refused = requests.ConnectionError(f"Max retries exceeded with url: {url} (Caused by refused)")
    session.reply(refused, refused, refused)  # a read: tried three times
    with pytest.raises(TransportError) as caught:
        client.list_invoices(search="Sara Ali 96566666666")
    text = str(caught.value)
    assert "Sara" not in text and "abcdef" not in text and "/api/v1/invoice-dashboard?…" in text
    assert caught.value.__cause__ is None and caught.value.__suppress_context__


@pytest.mark.parametrize("error", [
    RequestValidationError("2 request violation(s)", violations=["a", "b"], operation="create_invoice"),
    RateLimitError("Too Many Attempts.", retry_after=3.0, status=429, operation="get_invoice"),
    HesabeTimeoutError("no answer", operation="list_invoices"),
])
def test_every_error_pickles_and_copies_with_its_attributes(error: HesabeError) -> None:
    for twin in (pickle.loads(pickle.dumps(error)), copy.deepcopy(error)):
        assert type(twin) is type(error) and str(twin) == str(error) and vars(twin) == vars(error)


@pytest.mark.parametrize(("reference", "sent"), [
    ("INV#12", "INV%2312"), ("R?x=1", "R%3Fx%3D1"), ("50%off", "50%25off"), ("A B", "A%20B"),
    ("طلب", "%D8%B7%D9%84%D8%A8"),
])
def test_a_path_parameter_is_sent_as_one_segment(client: HesabeClient, session: FakeSession,
                                                 reference: str, sent: str) -> None:
    session.reply(plain({"status": True, "message": "Transaction found", "response": {}}))
    with contextlib.suppress(HesabeError):  # an empty answer: only what was sent matters here
        client.get_transaction(reference, by_order_reference=True)
    assert session.api_calls[0].url.split("?")[0].endswith(f"/api/transaction/{sent}")


@pytest.mark.parametrize(("reference", "why"), [("ORD/2024/1", "contains '/'"), ("", "is empty"),
                                                ("..", "is a dot segment")])
def test_a_path_parameter_no_record_can_have_is_refused_before_sending(
        make_client: Callable[..., HesabeClient], session: FakeSession, reference: str, why: str) -> None:
    with pytest.raises(RequestValidationError) as caught:
        make_client(validate=True).get_transaction(reference, by_order_reference=True)
    assert why in str(caught.value) and caught.value.field_errors.keys() == {"reference"}
    assert not session.sent


@pytest.mark.parametrize(("environ", "missing"), [
    ({"HESABE_MERCHANT_CODE": "123456"}, "HESABE_ACCESS_CODE"),
    ({"HESABE_SECRET_KEY": "k" * 32, "HESABE_IV_KEY": "i" * 16, "HESABE_MERCHANT_CODE": "1",
      "HESABE_ACCESS_CODE": ""}, "HESABE_ACCESS_CODE"),
    ({"HESABE_MERCHANT_USERNAME": "shop"}, "HESABE_MERCHANT_PASSWORD"),
])
def test_a_partly_configured_merchant_does_not_borrow_the_sandbox_credentials(
        environ: dict[str, str], missing: str) -> None:
    """One missing or misspelt variable would pair the merchant's settings with the public sandbox's
    (a signature Hesabe refuses, or the sandbox password sent elsewhere): refused, naming them."""
    with pytest.raises(ConfigurationError, match=r"set but .* not") as caught:
        ClientConfig.from_env(environ)
    assert missing in str(caught.value).split("set but", 1)[1]


@pytest.mark.parametrize("settings", [{"base_url": "https://merchantapi.hesabe.com"},
                                      {"gateway_url": "https://api.hesabe.com"}])
def test_the_sandbox_credentials_are_refused_on_production(settings: dict[str, str]) -> None:
    with pytest.raises(ConfigurationError, match="Hesabe's production, but the merchant code"):
        ClientConfig(**settings)


def test_a_whole_merchant_from_the_environment_is_taken() -> None:
    mine = {"HESABE_MERCHANT_API_URL": "https://merchantapi.hesabe.com", "HESABE_MERCHANT_CODE": "1234",
            "HESABE_ACCESS_CODE": "a-b-c", "HESABE_SECRET_KEY": "k" * 32, "HESABE_IV_KEY": "i" * 16,
            "HESABE_MERCHANT_USERNAME": "shop", "HESABE_MERCHANT_PASSWORD": "pw"}
    config = ClientConfig.from_env(mine)
    assert (config.merchant_code, config.gateway) == ("1234", "https://api.hesabe.com")
    assert ClientConfig.from_env({"HESABE_MERCHANT_API_URL": "http://127.0.0.1:8000"}).merchant_code == \
        SANDBOX.merchant_code  # the sandbox identity, whole, anywhere but production


def test_a_missing_subscription_field_is_said_once_with_the_keyword_to_pass(
        make_client: Callable[..., HesabeClient], session: FakeSession) -> None:
    with pytest.raises(RequestValidationError) as caught:
        make_client(validate=True).create_subscription_invoice(
            amount="5", invoice_type="0", expires_at="2099-01-01", start_date="2099-01-01")
    errors = caught.value.field_errors
    assert errors["SubscriptionType"] == ["'SubscriptionType' is required"]  # not twice
    assert "SubscriptionType is subscription_type=" in str(caught.value)
    text = str(caught.value)
    assert "noofRecurrence is no_of_recurrence=" in text and "frequency is" not in text  # same spelling
    assert len(caught.value.violations) == 6 and not session.sent  # every violation kept, nothing sent
