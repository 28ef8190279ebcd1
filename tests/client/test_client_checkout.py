"""The payment gateway in the reference client: hosts, checkout, callbacks, enquiry, typed errors.

Against the real mock (in-process) where the answer matters, against the scripted network where
the exact request or a failure does.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import Any

import pytest
from client_fakes import BASE, FakeSession, encrypted, plain

from hesabe_spec.client import ASGITransport, HesabeClient, parse_callback, parse_callback_url, parse_webhook
from hesabe_spec.client.config import ClientConfig
from hesabe_spec.crypto import CipherKeys
from hesabe_spec.enums import GatewayErrorCode
from hesabe_spec.errors import (
    GATEWAY_ERRORS,
    AuthenticationError,
    CryptoError,
    EnvelopeError,
    InvalidMerchantError,
    NotFoundError,
    PaymentNotConfirmedError,
    RequestValidationError,
    ServerError,
    ValidationError,
)
from hesabe_spec.sandbox import SANDBOX
from hesabe_spec.wire import server_json
from mock_server.app import create_app
from mock_server.control import MockControl

OK, NO = "https://shop.example/ok?lang=en", "https://shop.example/failed"


@pytest.fixture
def gateway() -> Iterator[tuple[HesabeClient, MockControl]]:
    with ASGITransport(create_app()) as transport:
        client = HesabeClient(base_url="http://mock", transport=transport)
        yield client, MockControl("http://mock", session=transport)


# -- hosts -------------------------------------------------------------------------------------------
@pytest.mark.parametrize(("base", "gateway", "expected"), [
    (None, None, "https://sandbox.hesabe.com"),
    ("https://merchantapi.hesabe.com", None, "https://api.hesabe.com"),
    ("http://127.0.0.1:8000/", None, "http://127.0.0.1:8000"),
    ("http://127.0.0.1:8000", "http://127.0.0.1:9000/", "http://127.0.0.1:9000"),
])
def test_gateway_url_is_paired_with_the_merchant_api(base: str | None, gateway: str | None,
                                                     expected: str) -> None:
    merchant = {"merchant_code": "1234", "access_code": "a-b-c", "secret_key": "k" * 32, "iv_key": "i" * 16,
                "username": "shop", "password": "pw"}  # a production host takes none of the sandbox's
    assert ClientConfig.from_env({}, base_url=base, gateway_url=gateway, **merchant).gateway == expected


def test_gateway_url_comes_from_hesabe_gateway_url() -> None:
    env = {"HESABE_MERCHANT_API_URL": "http://127.0.0.1:8000", "HESABE_GATEWAY_URL": "http://127.0.0.1:9000"}
    config = ClientConfig.from_env(env)
    assert (config.url_for("merchant_api"), config.url_for("gateway")) == ("http://127.0.0.1:8000",
                                                                            "http://127.0.0.1:9000")
    assert "9000" in repr(config)


def test_checkout_goes_to_the_gateway_and_invoices_to_the_merchant_api(session: FakeSession) -> None:
    client = HesabeClient(transport=session, base_url=BASE, gateway_url="http://gateway.test", validate=False)
    client.tokens.adopt({"access_token": "t", "refresh_token": "r"})
    session.reply(encrypted({"data": "s1"}, code=200, token="84221717", style="bare"), encrypted({"id": 1}))
    made = client.checkout(1, response_url=OK)
    client.get_invoice(1)
    checkout, invoice = session.sent
    assert checkout.url == "http://gateway.test/checkout" and "Authorization" not in checkout.headers
    assert invoice.url.startswith(BASE + "/api/v1/invoice/")
    assert made.payment_url == "http://gateway.test/payment?data=s1" and made.token == "84221717"


# -- checkout ---------------------------------------------------------------------------------------
def test_checkout_returns_the_session_to_redirect_to(gateway: tuple[HesabeClient, MockControl]) -> None:
    client, control = gateway
    session = client.checkout("12.5", response_url=OK, failure_url=NO, order_reference_number="ORD-1",
                              name="Huda")
    assert session.payment_url == f"http://mock/payment?data={session.data}" and session.webview_url is None
    assert session.token.startswith(SANDBOX.merchant_code) and len(session.token) == 29
    state = control.checkout(session.token)
    assert (state["amount"], state["version"], state["currency"], state["notes"]) == ("12.500", "2.0", "KWD",
                                                                                      [])


def test_mobile_checkout_sends_version_3_and_gets_the_webview(gateway: tuple[HesabeClient,
                                                                             MockControl]) -> None:
    client, control = gateway
    session = client.checkout(5, response_url=OK, channel="mobile", payment_type=2)
    assert session.webview_url == f"http://mock/pay/webview?data={session.data}"
    assert control.checkout(session.token)["version"] == "3.0"


def test_bad_checkouts_are_refused_before_sending(session: FakeSession) -> None:
    client = HesabeClient(transport=session, base_url=BASE)
    with pytest.raises(RequestValidationError):
        client.checkout("1.2345", response_url=OK)
    with pytest.raises(RequestValidationError) as authorize:
        client.checkout(1, response_url=OK, authorize=True, payment_type=1)
    assert "paymentType" in authorize.value.field_errors
    with pytest.raises(TypeError, match="order_ref"):
        client.checkout(1, response_url=OK, order_ref="x")
    assert session.sent == []


@pytest.mark.parametrize("code", list(GatewayErrorCode))
def test_every_gateway_code_raises_its_own_error(gateway: tuple[HesabeClient, MockControl],
                                                 code: GatewayErrorCode) -> None:
    client, _control = gateway
    with pytest.raises(GATEWAY_ERRORS[code]) as info:  # the mock's magic amount 999.<code>
        client.checkout(f"{Decimal(999) + Decimal(int(code)) / 1000:.3f}", response_url=OK)
    error = info.value
    assert (error.code, error.message, error.operation) == (code, code.text, "create_checkout")
    assert not isinstance(error, ServerError)  # code 500 "Invalid Token" is not an outage
    if code in (GatewayErrorCode.INVALID_INPUT, GatewayErrorCode.INVALID_REQUEST_DATA):
        assert isinstance(error, ValidationError)
    if code == GatewayErrorCode.INVALID_MERCHANT:
        assert isinstance(error, AuthenticationError) and error.status == 401


def test_an_unknown_access_code_is_an_invalid_merchant(gateway: tuple[HesabeClient, MockControl]) -> None:
    client, _control = gateway
    unknown = client.config.with_changes(access_code="00000000-0000-0000-0000-000000000000")
    stranger = HesabeClient(config=unknown, transport=client.transport)
    with pytest.raises(InvalidMerchantError) as info:
        stranger.checkout(1, response_url=OK)
    assert info.value.envelope == {"status": False, "code": 501, "message": "Invalid Merchant"}


# -- callback ---------------------------------------------------------------------------------------
def test_callback_of_a_payment_through_the_control_plane(gateway: tuple[HesabeClient, MockControl]) -> None:
    client, control = gateway
    session = client.checkout("7.25", response_url=OK, failure_url=NO, order_reference_number="ORD-2",
                              variable1="cart-9")
    url = control.pay_checkout(session.token, payment_type=1)["callback_url"]
    assert url.startswith(OK + "&data=")
    result = client.parse_callback_url(url)
    assert result.successful and not result.nested
    assert (result.result_code, result.amount, result.payment_token, result.method) == (
        "CAPTURED", Decimal("7.25"), session.token, 1)
    assert (result.order_reference_number, result.variables[0]) == ("ORD-2", "cart-9")
    confirmed = client.get_transaction(result.payment_token or "").transaction
    assert confirmed.paid and confirmed.amount == result.amount and confirmed.payment_id == result.payment_id


def test_a_declined_callback_is_not_successful(gateway: tuple[HesabeClient, MockControl]) -> None:
    client, control = gateway
    session = client.checkout(3, response_url=OK, failure_url=NO)
    url = control.pay_checkout(session.token, "failure", result_code="DECLINED")["callback_url"]
    assert url.startswith(NO + "?data=")
    result = client.parse_callback_url(url)
    assert not result.successful and (result.status, result.result_code) == (False, "DECLINED")


def _encrypted_callback(body: Any, keys: CipherKeys = SANDBOX.keys) -> str:
    return keys.encrypt(server_json(body))


FIELDS = {"resultCode": "CAPTURED", "amount": 10, "paymentToken": "1569830677725743478",
          "paymentId": "100201927384634224", "paidOn": "2019-09-30 11:05:16", "orderReferenceNumber": None,
          "variable1": None, "variable2": None, "variable3": None, "variable4": None, "variable5": None,
          "method": 1, "administrativeCharge": "5"}


@pytest.mark.parametrize("nested", [False, True])
def test_callback_reads_both_nestings(nested: bool) -> None:
    response = {"data": FIELDS} if nested else FIELDS
    body = {"status": True, "code": 1, "message": "Transaction Success", "response": response}
    result = parse_callback(_encrypted_callback(body), SANDBOX.keys)
    assert result.nested is nested and result.successful and result.amount == Decimal(10)
    assert result.administrative_charge == "5" and result.raw == body


def test_callback_amount_as_a_string_and_status_as_an_integer() -> None:
    body = {"status": 1, "response": {**FIELDS, "amount": "9.900", "resultCode": "ACCEPT"}}
    result = parse_callback(_encrypted_callback(body), SANDBOX.keys)
    assert result.successful and result.amount == Decimal("9.900") and result.code is None


@pytest.mark.parametrize(("data", "error"), [
    (_encrypted_callback({"status": True}), EnvelopeError),
    (_encrypted_callback({"status": True, "response": {"amount": 1}}), EnvelopeError),
    (_encrypted_callback([1, 2]), EnvelopeError),
    (_encrypted_callback({"status": True, "response": {**FIELDS, "amount": "ten"}}), EnvelopeError),
    (_encrypted_callback({"status": True, "response": FIELDS}, CipherKeys("A" * 32, "B" * 16)), CryptoError),
    ("not hex", CryptoError),
])
def test_what_is_not_a_callback_is_refused(data: str, error: type[Exception]) -> None:
    with pytest.raises(error):
        parse_callback(data, SANDBOX.keys)


def test_callback_url_takes_the_data_hesabe_appended() -> None:
    data = _encrypted_callback({"status": True, "response": FIELDS})
    assert parse_callback_url(f"https://shop.example/ok?data=mine&x=1&data={data}", SANDBOX.keys).amount == 10
    for url in ("https://shop.example/ok", "https://shop.example/ok?data="):
        with pytest.raises(EnvelopeError):
            parse_callback_url(url, SANDBOX.keys)


# -- enquiry, capture, void ---------------------------------------------------------------------------
def test_enquiry_not_found_is_typed(gateway: tuple[HesabeClient, MockControl]) -> None:
    client, _control = gateway
    with pytest.raises(NotFoundError) as info:
        client.get_transaction("NO-SUCH-ORDER", by_order_reference=True)
    assert info.value.status == 404 and info.value.envelope["data"] is None


@pytest.mark.parametrize("reference", ["INV#12", "R?x=1&y=2", "50% off", "طلب 7"])
def test_an_order_reference_of_any_text_but_a_slash_is_found(gateway: tuple[HesabeClient, MockControl],
                                                              reference: str) -> None:
    """It goes in the enquiry's path: sent as one percent-encoded segment, the mock (as Laravel)
    decodes it and finds the order it paid."""
    client, control = gateway
    session = client.checkout(2, response_url=OK, order_reference_number=reference)
    control.pay_checkout(session.token)
    found = client.get_transaction(reference, by_order_reference=True)
    assert found.transaction.paid and found.transaction.reference_number == reference


def test_an_order_reference_with_a_slash_is_noted_and_found_only_by_token(
        gateway: tuple[HesabeClient, MockControl]) -> None:
    client, control = gateway
    session = client.checkout(2, response_url=OK, order_reference_number="ORD/2024/1")
    assert any("holds '/'" in note for note in control.checkout(session.token)["notes"])
    paid = client.parse_callback_url(control.pay_checkout(session.token)["callback_url"])
    assert paid.payment_token is not None and client.get_transaction(paid.payment_token).transaction.paid
    with pytest.raises(RequestValidationError, match="contains '/'"):
        client.get_transaction("ORD/2024/1", by_order_reference=True)
    raw = client.call("transaction_enquiry", {}, path_params={"reference": "ORD/2024/1"},
                      query={"isOrderReference": 1}, validate=False, raise_errors=False)
    assert raw.status == 404  # %2F decoded before routing: the path no longer names the enquiry


def test_enquiry_is_retried_after_a_5xx_but_a_checkout_never(
        make_client: Callable[..., HesabeClient], session: FakeSession, sleeps: list[float]) -> None:
    client = make_client()
    record = {"token": "8422171", "amount": "1.000", "status": "PENDING"}
    session.reply(plain({"message": "Internal server error occurred"}, http=500),
                  plain({"status": True, "message": "Transaction found", "data": record,
                         "results": [record]}))
    assert client.get_transaction("8422171").transaction.status == "PENDING"
    assert len(session.sent) == 2 and sleeps == [0.5]
    session.reply(plain({"message": "Internal server error occurred"}, http=500))
    with pytest.raises(ServerError):
        client.checkout(1, response_url=OK)
    assert len(session.sent) == 3


def test_capture_and_void_errors_are_typed(gateway: tuple[HesabeClient, MockControl]) -> None:
    client, control = gateway
    session = client.checkout(10, response_url=OK, payment_type=2, authorize=True)
    control.pay_checkout(session.token)
    with pytest.raises(GATEWAY_ERRORS[GatewayErrorCode.INVALID_INPUT]) as over:
        client.capture(session.token, "10.001")
    assert list(over.value.field_errors) == ["amount"]
    assert client.capture(session.token, 10).status == "SUCCESSFUL"
    with pytest.raises(GATEWAY_ERRORS[GatewayErrorCode.TRANSACTION_ERROR]):
        client.capture(session.token, 10)
    with pytest.raises(GATEWAY_ERRORS[GatewayErrorCode.INVALID_PAYMENT_TOKEN]):
        client.capture("84221700000000009000000000000", 1)
    with pytest.raises(ValidationError) as void:
        client.void(session.token)  # captured: nothing to void
    assert void.value.envelope == {"status": False, "code": 400, "message": "Invalid Request"}
    with pytest.raises(NotFoundError):
        client.void("84221700000000009000000000000")


# -- webhook ------------------------------------------------------------------------------------------
def test_webhook_from_bytes_text_or_a_dict() -> None:
    body = {"blocks": [], "token": "84221716951937729753667644493", "amount": "49.000",
            "reference_number": "1695193758", "status": "SUCCESSFUL", "payment_type": "KNET",
            "service_type": "Payment Gateway", "datetime": "2023-09-20 10:09:36"}
    for given in (server_json(body), server_json(body).decode(), body):
        event = parse_webhook(given)
        assert (event.token, event.amount, event.status, event.service_type) == (
            body["token"], Decimal("49.000"), "SUCCESSFUL", "Payment Gateway")
    for bad in (b"{not json", b"[1]", {"status": "SUCCESSFUL"}, {"token": "1", "status": 1}):
        with pytest.raises(EnvelopeError):
            parse_webhook(bad)


def test_an_optional_field_given_none_is_left_out(gateway: tuple[HesabeClient, MockControl]) -> None:
    """``webhook_url=settings.webhook_url or None`` and the like: None sends what leaving the
    field out sends (the TypedDicts allow it, so one call serves both cases)."""
    client, control = gateway
    client.checkout("5", response_url=OK, order_reference_number="N-1")
    without = control.journal(limit=1)[0]["request"]
    client.checkout("5", response_url=OK, order_reference_number="N-1", webhook_url=None, name=None,
                    channel=None, embedded=None, authorize=None, subscription=None, variable1=None)
    assert control.journal(limit=1)[0]["request"] == without
    invoice = {"amount": "5", "invoice_type": "0", "expires_at": "2099-01-01", "customer_name": "A"}
    client.create_invoice(**invoice)
    plain_invoice = control.journal(limit=1)[0]["request"]
    client.create_invoice(**invoice, webhook=None, items_list=None, allocate_pay_type=None, language=None,
                          mobile_number=None, country_code=None, reference_number=None)
    assert control.journal(limit=1)[0]["request"] == plain_invoice
    client.list_invoices(search=None, page=None, status=None)
    assert control.journal(limit=1)[0]["status"] == 200


# -- confirming a payment -------------------------------------------------------------------------------
def test_confirm_payment_asks_hesabe_and_checks_order_status_and_amount(
        gateway: tuple[HesabeClient, MockControl]) -> None:
    client, control = gateway
    session = client.checkout("12.5", response_url=OK, order_reference_number="SHOP-1")
    with pytest.raises(PaymentNotConfirmedError) as unpaid:
        client.confirm_payment("SHOP-1", "12.500")
    assert unpaid.value.reason == "not_paid" and unpaid.value.transaction is not None
    control.pay_checkout(session.token)
    confirmed = client.confirm_payment("SHOP-1", Decimal("12.5"))
    assert confirmed.paid and confirmed.token == session.token and confirmed.amount == Decimal("12.5")
    with pytest.raises(PaymentNotConfirmedError) as other_amount:  # a cart changed after checkout
        client.confirm_payment("SHOP-1", "13")
    assert other_amount.value.reason == "amount" and "not the 13.000 expected" in str(other_amount.value)
    with pytest.raises(PaymentNotConfirmedError) as unknown:
        client.confirm_payment("SHOP-404", "12.500")
    assert unknown.value.reason == "not_found" and unknown.value.transaction is None


def test_an_order_paid_twice_is_confirmed_with_a_warning(gateway: tuple[HesabeClient, MockControl],
                                                         caplog: pytest.LogCaptureFixture) -> None:
    """Two checkouts under one order reference, both paid: it is paid (ship it), and the client
    says so loudly, naming both tokens, so that the second payment is refunded."""
    client, control = gateway
    first = client.checkout("5", response_url=OK, order_reference_number="SHOP-3")
    control.pay_checkout(first.token)
    with caplog.at_level(logging.WARNING, logger="hesabe.client"):
        client.confirm_payment("SHOP-3", "5")
    assert not [r for r in caplog.records if "paid 2 times" in r.getMessage()]
    second = client.checkout("5", response_url=OK, order_reference_number="SHOP-3")
    control.pay_checkout(second.token)
    with caplog.at_level(logging.WARNING, logger="hesabe.client"):
        assert client.confirm_payment("SHOP-3", "5").paid
    warned = [r.getMessage() for r in caplog.records if "paid 2 times" in r.getMessage()]
    assert len(warned) == 1 and first.token in warned[0] and second.token in warned[0]


def test_an_order_is_confirmed_by_its_paid_attempt_whichever_one_data_names(
        gateway: tuple[HesabeClient, MockControl]) -> None:
    """Which attempt ``data`` is, when an order has several, is the server's choice (the mock
    names the one that holds the money; another server may name the latest, a refunded
    duplicate): the client confirms from the paid attempt among them."""
    client, control = gateway
    first = client.checkout("5", response_url=OK, order_reference_number="SHOP-4")
    control.pay_checkout(first.token)
    second = client.checkout("5", response_url=OK, order_reference_number="SHOP-4")
    control.pay_checkout(second.token)
    control.add_fault("mutate_reply", "transaction_enquiry", patch=[
        {"op": "replace", "path": "/data/token", "value": second.token},
        {"op": "replace", "path": "/data/status", "value": "REFUNDED"},
        {"op": "replace", "path": "/results/1/status", "value": "REFUNDED"}])
    confirmed = client.confirm_payment("SHOP-4", "5")
    assert (confirmed.token, confirmed.paid) == (first.token, True)


@pytest.mark.parametrize("reference", ["ORD/2024/1", "..", "."])
def test_an_order_reference_the_enquiry_cannot_carry_is_not_confirmed_saying_so(
        gateway: tuple[HesabeClient, MockControl], reference: str) -> None:
    client, control = gateway
    session = client.checkout("10", response_url=OK, order_reference_number=reference)
    control.pay_checkout(session.token)
    unchecked = HesabeClient(base_url="http://mock", transport=client.transport, validate=False)
    for checking in (client, unchecked):
        with pytest.raises(PaymentNotConfirmedError) as caught:
            checking.confirm_payment(reference, "10")
        assert caught.value.reason == "not_enquirable" and "get_transaction(token)" in str(caught.value)
    assert client.get_transaction(session.token).transaction.paid  # what it points to instead


def test_a_forged_callback_is_not_confirmed(gateway: tuple[HesabeClient, MockControl]) -> None:
    """A callback that decrypts and says CAPTURED (anyone holding the keys can make one): the
    enquiry by the shop's own order reference decides, and says not paid."""
    client, _control = gateway
    client.checkout("7", response_url=OK, order_reference_number="SHOP-2")
    forged = client.parse_callback(_encrypted_callback({"status": True, "response": {
        **FIELDS, "orderReferenceNumber": "SHOP-2", "resultCode": "CAPTURED", "amount": 7}}))
    assert forged.successful
    with pytest.raises(PaymentNotConfirmedError, match="not paid"):
        client.confirm_payment(forged.order_reference_number or "", forged.amount)
