"""``/_mock/checkouts``: pay, decline, cancel or expire a checkout without a browser, over real HTTP."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from hesabe_spec.sandbox import SANDBOX
from hesabe_spec.validation import validate_outbound
from hesabe_spec.wire import parse_plaintext
from mock_server.control import MockControlError
from mock_server.handlers.checkout import new_checkout
from mock_server.testing import MockHandle

pytest_plugins = ["mock_server.testing"]


def _checkout(mock: MockHandle, **fields: Any) -> str:
    payload = {"merchantCode": "842217", "amount": "7.250", "paymentType": "0",
               "orderReferenceNumber": "ORD-5", "responseUrl": "https://shop.example/ok?lang=en",
               "failureUrl": "https://shop.example/no", "variable1": "cart-9", **fields}
    runtime = mock.runtime
    return runtime.checkouts.create(runtime.merchants.merchants[0], new_checkout(payload)).token


def _callback(url: str) -> dict[str, Any]:
    data = parse_qs(urlsplit(url).query)["data"][-1]
    body: dict[str, Any] = parse_plaintext(SANDBOX.keys.decrypt(data))
    assert validate_outbound("checkout_callback", body) == []
    return body


def test_pay_returns_the_redirect_a_browser_would_follow(hesabe_mock: MockHandle) -> None:
    token = _checkout(hesabe_mock)
    state = hesabe_mock.control.pay_checkout(token, payment_type=2)
    assert state["status"] == "SUCCESSFUL" and state["result_code"] == "CAPTURED" and state["paid_type"] == 2
    url = state["callback_url"]
    assert url.startswith("https://shop.example/ok?lang=en&data=")
    body = _callback(url)
    assert body == state["callback"]
    assert (body["status"], body["code"], body["message"]) == (True, 1, "Transaction Success")
    fields = body["response"]
    assert (fields["resultCode"], fields["amount"], fields["paymentToken"], fields["method"]) == (
        "CAPTURED", 7.25, token, 2)
    assert (fields["orderReferenceNumber"], fields["variable1"]) == ("ORD-5", "cart-9")


@pytest.mark.parametrize(("outcome", "result_code", "expected"), [
    ("failure", None, "NOT CAPTURED"), ("cancelled", None, "CANCELED"),
    ("failure", "EXPIRED_CARD", "EXPIRED_CARD"),
    ("failure", "TIMED_OUT", "TIMED_OUT"), ("expired", None, "NOT CAPTURED"),
])
def test_every_failure_goes_to_the_failure_url(hesabe_mock: MockHandle, outcome: str, result_code: str | None,
                                               expected: str) -> None:
    token = _checkout(hesabe_mock)
    state = hesabe_mock.control.pay_checkout(token, outcome, result_code=result_code)
    assert state["status"] == "FAILED" and state["result_code"] == expected
    body = _callback(state["callback_url"])
    assert state["callback_url"].startswith("https://shop.example/no?data=")
    assert (body["status"], body["code"], body["response"]["resultCode"]) == (False, 0, expected)
    if result_code in ("EXPIRED_CARD", "TIMED_OUT"):  # MPGS outcomes: paid on the MPGS rail, not KNET
        assert body["response"]["method"] == 2


@pytest.mark.parametrize("result_code", ["ACCEPT", "SUCCESS"])
def test_other_success_codes(hesabe_mock: MockHandle, result_code: str) -> None:
    state = hesabe_mock.control.pay_checkout(_checkout(hesabe_mock), result_code=result_code)
    assert (state["status"], state["result_code"]) == ("SUCCESSFUL", result_code)


def test_a_result_code_magic_name_decides_a_plain_payment(hesabe_mock: MockHandle) -> None:
    state = hesabe_mock.control.pay_checkout(_checkout(hesabe_mock, name="expired_card"))
    assert (state["status"], state["result_code"]) == ("FAILED", "EXPIRED_CARD")
    token = _checkout(hesabe_mock, name="NOT CAPTURED")
    state = hesabe_mock.control.pay_checkout(token, result_code="CAPTURED")
    assert state["status"] == "SUCCESSFUL"  # the control plane's own result code wins


def test_authorize_checkouts_are_authorized_and_the_card_decides(hesabe_mock: MockHandle) -> None:
    token = _checkout(hesabe_mock, paymentType="2", authorize="1")
    card = {"number": "5453010000095539", "expiry": "12/25", "cvv": "300"}
    assert hesabe_mock.control.pay_checkout(token, card=card)["status"] == "AUTHORIZED"
    token = _checkout(hesabe_mock, paymentType="2")
    declined = hesabe_mock.control.pay_checkout(token, card={**card, "expiry": "08/28"})
    assert (declined["status"], declined["result_code"]) == ("FAILED", "TIMED_OUT")


@pytest.mark.parametrize(("body", "status", "reason"), [
    ({"outcome": "won"}, 400, "outcome"),
    ({"result_code": "LUCKY"}, 400, "result_code"),
    ({"outcome": "failure", "result_code": "CAPTURED"}, 400, "result_code"),
    ({"payment_type": 5}, 400, "payment_type"),
    ({"outcome": "expired", "result_code": "NOT CAPTURED"}, 400, "result_code"),
    ({"outcome": "failure", "result_code": "EXPIRED_CARD", "payment_type": 1}, 400, "result_code"),
    ({"outcome": "failure", "result_code": "DECLINED", "payment_type": 1}, 400, "result_code"),
])
def test_requests_that_make_no_sense_are_refused_and_change_nothing(
        hesabe_mock: MockHandle, body: dict[str, Any], status: int, reason: str) -> None:
    token = _checkout(hesabe_mock)
    answer = requests.post(f"{hesabe_mock.url}/_mock/checkouts/{token}/pay", json=body, timeout=5)
    assert (answer.status_code, answer.json()["reason"]) == (status, reason)
    assert hesabe_mock.control.checkout(token)["status"] == "PENDING"


def test_unknown_fields_tokens_and_second_payments(hesabe_mock: MockHandle) -> None:
    token = _checkout(hesabe_mock)
    url = f"{hesabe_mock.url}/_mock/checkouts/{token}/pay"
    answer = requests.post(url, json={"outcom": "failure"}, timeout=5)
    assert answer.status_code == 400 and "unknown checkout payment field" in answer.json()["error"]
    with pytest.raises(MockControlError) as unknown:
        hesabe_mock.control.pay_checkout("84221700000000009000000000000")
    assert unknown.value.status == 404
    with pytest.raises(MockControlError) as bad:
        hesabe_mock.control.checkout("not-a-token")
    assert bad.value.status == 400
    hesabe_mock.control.pay_checkout(token, "cancelled")
    with pytest.raises(MockControlError) as again:
        hesabe_mock.control.pay_checkout(token)
    assert (again.value.status, again.value.reason) == (409, "completed")


def test_state_shows_the_page_and_the_notes(hesabe_mock: MockHandle) -> None:
    token = _checkout(hesabe_mock, amount="3")
    state = hesabe_mock.control.checkout(token)
    assert state["payment_url"].startswith(f"{hesabe_mock.url}/payment?data=")
    assert state["merchant_code"] == "842217" and "callback_url" not in state
    assert any("amount sent as '3'" in note for note in state["notes"])


def test_a_webhook_url_nothing_can_be_sent_to_is_noted(hesabe_mock: MockHandle) -> None:
    """The checkout is taken (as the server takes it), but the note says no webhook will come."""
    cases = (("not a url", True), ("ftp://shop.example/hook", True), ("https://shop.example/hook", False))
    for url, noted in cases:
        notes = hesabe_mock.control.checkout(_checkout(hesabe_mock, webhookUrl=url))["notes"]
        assert any("no webhook will be sent" in note for note in notes) is noted, (url, notes)


def test_a_currency_other_than_kwd_is_noted_as_not_converted(hesabe_mock: MockHandle) -> None:
    for currency, noted in (("usd", True), ("KWD", False), ("kwd", False)):
        state = hesabe_mock.control.checkout(_checkout(hesabe_mock, currency=currency))
        assert any("converts nothing" in note for note in state["notes"]) is noted, (currency, state["notes"])
