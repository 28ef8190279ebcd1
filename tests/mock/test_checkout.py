"""The payment gateway on the mock, over the wire: checkout, enquiry, capture, void, their refusals.

Raw requests (no reference client) through an in-process ASGI transport, so each test says
exactly what a kit sends: ``data`` as form, JSON, multipart or query, amounts as Hesabe's kits
write them, a wrong accessCode. Every answer is checked against its response schema.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest

from hesabe_spec.client import ASGITransport, HesabeClient
from hesabe_spec.enums import GatewayErrorCode
from hesabe_spec.errors import ValidationError
from hesabe_spec.sandbox import SANDBOX
from hesabe_spec.validation import validate_response
from hesabe_spec.wire import DecodedBody, decode_response, encode_request, server_json
from mock_server.app import create_app
from mock_server.clock import Clock
from mock_server.faults import FaultRule, rule_from_json
from mock_server.runtime import MockRuntime
from mock_server.settings import MockSettings

BASE = "http://gateway.test"
JSON = "application/json"
HEADERS = {"accessCode": SANDBOX.access_code, "Accept": "application/json"}
ORDER = {
    "merchantCode": SANDBOX.merchant_code, "amount": "12.500", "currency": "KWD", "paymentType": "0",
    "version": "2.0", "orderReferenceNumber": "ORD-7", "responseUrl": "https://shop.example/ok",
    "failureUrl": "https://shop.example/failed",
}


class Gateway:
    """The mock app, a transport to it and helpers speaking the gateway's wire format."""

    def __init__(self, transport: ASGITransport, mock: MockRuntime) -> None:
        self.transport, self.mock = transport, mock

    def send(self, method: str, path: str, *, body: bytes | str | None = None,
             content_type: str | None = None, params: dict[str, str] | None = None,
             access_code: str = SANDBOX.access_code) -> Any:
        headers = {**HEADERS, "accessCode": access_code}
        if content_type:
            headers["Content-Type"] = content_type
        return self.transport.request(method, BASE + path, headers=headers, data=body, params=params)

    def checkout_raw(self, payload: Any, form: str = "json", block_size: int = 16, **kw: Any) -> Any:
        data = encode_request(payload, SANDBOX.keys, block_size=block_size)
        if form == "json":
            return self.send("POST", "/checkout", body=json.dumps({"data": data}), content_type=JSON, **kw)
        if form == "form":
            return self.send("POST", "/checkout", body=f"data={data}",
                             content_type="application/x-www-form-urlencoded", **kw)
        if form == "multipart":
            body = (f'--XyZ\r\nContent-Disposition: form-data; name="data"\r\n\r\n{data}\r\n--XyZ--\r\n')
            return self.send("POST", "/checkout", body=body, content_type="multipart/form-data; boundary=XyZ",
                             **kw)
        return self.send("POST", "/checkout", body=b"{}", content_type=JSON, params={"data": data}, **kw)

    def checkout(self, **fields: Any) -> dict[str, Any]:
        answer = self.read(self.checkout_raw({**ORDER, **fields}), "create_checkout")
        assert answer.envelope["status"] is True, answer.envelope
        return dict(answer.envelope)

    @staticmethod
    def read(response: Any, operation: str) -> DecodedBody:
        decoded = decode_response(response.content, SANDBOX.keys)
        assert validate_response(operation, decoded.envelope) == [], decoded.envelope
        return decoded

    def enquire(self, key: str, **params: str) -> tuple[int, dict[str, Any]]:
        response = self.send("GET", f"/api/transaction/{key}", params=params or None)
        return response.status_code, dict(self.read(response, "transaction_enquiry").envelope)


@pytest.fixture
def gw() -> Iterator[Gateway]:
    clock = Clock()
    clock.freeze(1767214800)  # 2026-01-01 00:00 Kuwait
    app = create_app(clock=clock)
    with ASGITransport(app) as transport:
        yield Gateway(transport, app.state.mock)


# -- POST /checkout ----------------------------------------------------------------------------------
@pytest.mark.parametrize("form", ["json", "form", "multipart", "query"])
@pytest.mark.parametrize("block_size", [16, 32])
def test_checkout_reads_data_however_the_kits_send_it(gw: Gateway, form: str, block_size: int) -> None:
    response = gw.checkout_raw(ORDER, form, block_size)
    assert response.status_code == 200
    assert response.content.isalnum()  # bare hex, no JSON wrapper: what the kits read
    answer = gw.read(response, "create_checkout")
    assert answer.shape == "bare"
    env = answer.envelope
    assert list(env) == ["status", "code", "message", "token", "response"]
    assert env["code"] == 200 and env["message"] == "Checkout created successfully"
    assert env["token"].startswith("842217" + "1767214800")  # merchant code + epoch seconds + 13 digits
    assert len(env["token"]) == 6 + 10 + 13
    assert len(env["response"]["data"]) >= 32


def test_bare_hex_is_labelled_as_laravel_labels_a_string_and_json_as_json(gw: Gateway) -> None:
    """The gateway's hex is no JSON: a client that trusts the label (Jackson, Gson) must not be
    led to parse it. Laravel labels a string a controller returns text/html."""
    assert gw.checkout_raw(ORDER).headers["content-type"] == "text/html; charset=UTF-8"
    unknown = gw.checkout_raw(ORDER, access_code="00000000-0000-0000-0000-000000000000")
    assert unknown.headers["content-type"] == "application/json"  # plain JSON: 501 Invalid Merchant


def test_a_wrong_method_is_refused_by_the_router_and_journaled(gw: Gateway) -> None:
    """GET /checkout: the router's 405, before any fault or handler; the inspector shows it."""
    gw.mock.faults.add(rule_from_json({"kind": "error_500", "operation": "create_checkout"}))
    before = gw.mock.store.fingerprint()
    response = gw.send("GET", "/checkout", params={"data": encode_request(ORDER, SANDBOX.keys)})
    assert (response.status_code, response.headers["allow"]) == (405, "POST")
    assert response.json() == {"message": "The GET method is not supported for this route."}
    [entry] = gw.mock.journal.entries(limit=1)
    assert (entry["operation"], entry["status"], entry["fault"]) == ("create_checkout", 405, None)
    assert [f["rule"] for f in entry["findings"]] == ["wrong_method"]
    assert "this path answers POST" in entry["findings"][0]["message"]
    assert gw.mock.store.fingerprint() == before


def test_answer_is_padded_to_32_byte_blocks_and_written_like_php(gw: Gateway) -> None:
    raw = gw.checkout_raw(ORDER).content.decode()
    plain = SANDBOX.keys.decrypt(raw)
    assert (len(raw) // 2) % 32 == 0  # 32-byte pad
    assert plain == server_json(json.loads(plain))  # compact, PHP's escapes


@pytest.mark.parametrize(("amount", "stored", "noted"), [
    ("12.500", "12.500", False), ("3", "3.000", True), (10, "10.000", True), (10.0, "10.000", True),
    ("0.5", "0.500", True), (0.25, "0.250", True),
])
def test_kits_amounts_are_accepted_and_noted(gw: Gateway, amount: Any, stored: str, noted: bool) -> None:
    token = gw.checkout(amount=amount)["token"]
    checkout = gw.mock.checkouts.find(token)
    assert checkout.amount == stored
    assert any(note.startswith("amount sent as") for note in checkout.notes) == noted


def test_omitted_version_currency_and_reference_are_accepted_and_noted(gw: Gateway) -> None:
    payload = {k: v for k, v in ORDER.items() if k not in ("version", "currency", "orderReferenceNumber")}
    answer = gw.read(gw.checkout_raw({**payload, "amount": "3", "paymentType": 1}), "create_checkout")
    token = answer.envelope["token"]
    checkout = gw.mock.checkouts.find(token)
    assert checkout.currency == "KWD" and checkout.order_reference is None and checkout.payment_type == 1
    notes = " | ".join(checkout.notes)
    for word in ("version omitted", "currency omitted", "no orderReferenceNumber", "amount sent as '3'"):
        assert word in notes


@pytest.mark.parametrize(("fields", "noted"), [
    ({"channel": "mobile", "version": "2.0"}, "need version \"3.0\""),
    ({"channel": "mobile", "version": "3.0"}, None),
    ({"version": "4.0"}, "version '4.0': the docs send"),
    ({"version": 2.0}, None),
])
def test_a_version_unlike_the_docs_is_noted(gw: Gateway, fields: dict[str, Any], noted: str | None) -> None:
    token = gw.checkout(**fields)["token"]
    notes = [note for note in gw.mock.checkouts.find(token).notes if "version" in note]
    if noted is None:
        assert notes == []
    else:
        assert len(notes) == 1 and noted in notes[0]


def test_unknown_fields_are_ignored_and_noted(gw: Gateway) -> None:
    token = gw.checkout(responseURL="https://typo.example")["token"]
    assert "unknown field 'responseURL' ignored" in gw.mock.checkouts.find(token).notes


@pytest.mark.parametrize(("fields", "found"), [
    ({"webhookURL": "https://shop.example/hook"},
     [("unknown_field", "/webhookURL", "did you mean webhookUrl?")]),
    ({"amount": "12.5"}, [("amount_format", "/amount", "read as '12.500'")]),
    ({"amount": 5, "lang/x": "en"}, [("unknown_field", "/lang~1x", "the server ignores it"),
                                     ("amount_format", "/amount", "is a JSON number")]),
    ({"variable2": "", "amount": "12.500"}, []),  # as the docs send it: nothing to say
])
def test_what_the_gateway_takes_beyond_the_docs_is_a_finding(gw: Gateway, fields: dict[str, Any],
                                                            found: list[tuple[str, str, str]]) -> None:
    """A misspelt webhookUrl is ignored by the server, so no webhook ever comes: the exchange says
    so (the fixtures fail a test on an error finding), as the Merchant API's do."""
    gw.checkout(**fields)
    [entry] = gw.mock.journal.entries(limit=1)
    assert [(f["rule"], f["pointer"]) for f in entry["findings"]] == [(r, p) for r, p, _ in found]
    for shown, (_rule, _pointer, words) in zip(entry["findings"], found, strict=True):
        assert words in shown["message"]


def test_strict_refuses_on_the_gateway_what_it_would_report() -> None:
    app = create_app(settings=MockSettings(strict=True))
    with ASGITransport(app) as transport:
        strict = Gateway(transport, app.state.mock)
        before = strict.mock.store.fingerprint()
        sent = {**ORDER, "webhookURL": "https://h.example", "amount": 5}
        status, answer = _refusal(strict.checkout_raw(sent))
        assert (status, answer.envelope["code"]) == (422, 422)
        assert answer.envelope["data"] == {"webhookURL": ["The webhookURL field is not allowed."],
                                           "amount": ["The amount must be a string with 3 decimals."]}
        assert strict.mock.store.fingerprint() == before  # refused: nothing made
        assert strict.read(strict.checkout_raw(ORDER), "create_checkout").envelope["status"] is True


def test_a_callback_url_that_already_has_data_is_said(gw: Gateway) -> None:
    gw.checkout(responseUrl="https://shop.example/ok?order=7&data=OLD", failureUrl="https://shop.example/no")
    [entry] = gw.mock.journal.entries(limit=1)
    assert [(f["rule"], f["pointer"]) for f in entry["findings"]] == [("callback_url_data", "/responseUrl")]
    gw.checkout()  # the usual URLs: nothing to say
    assert gw.mock.journal.entries(limit=1)[0]["findings"] == []


def test_the_older_api_checkout_path_answers_the_same(gw: Gateway) -> None:
    data = encode_request(ORDER, SANDBOX.keys)
    response = gw.send("POST", "/api/checkout", body=json.dumps({"data": data}), content_type=JSON)
    assert gw.read(response, "create_checkout").envelope["status"] is True


def test_mobile_channel_adds_the_webview_url(gw: Gateway) -> None:
    env = gw.checkout(channel="mobile", version="3.0")
    assert env["webviewUrl"] == f"{BASE}/pay/webview?data={env['response']['data']}"
    assert "webviewUrl" not in gw.checkout()


def test_embedded_session_is_base64_json_holding_the_session(gw: Gateway) -> None:
    import base64

    env = gw.checkout(embeddedPayment=True, version="3.0")
    raw = base64.b64decode(env["response"]["data"])
    session = gw.mock.checkouts.find(env["token"]).session
    assert json.loads(raw) == {"data": session}
    assert raw == server_json({"data": session})  # compact, as the server writes JSON (no spaces)


# -- refusals ------------------------------------------------------------------------------------------
def _refusal(response: Any, operation: str = "create_checkout") -> tuple[int, DecodedBody]:
    return response.status_code, Gateway.read(response, operation)


def test_unknown_access_code_is_501_in_plain_json(gw: Gateway) -> None:
    status, answer = _refusal(gw.checkout_raw(ORDER, access_code="00000000-0000-0000-0000-000000000000"))
    assert status == 401 and answer.shape == "plain"
    assert answer.envelope == {"status": False, "code": 501, "message": "Invalid Merchant"}


def test_a_refused_access_code_says_why_and_whose_keys_the_data_has(gw: Gateway) -> None:
    """The 501 names nothing: the journal says whether the header was missing or nobody's, and
    whose keys encrypted the data. The header's value is never repeated."""
    gw.checkout_raw(ORDER, access_code="00000000-0000-0000-0000-00000000abcd")
    data = encode_request(ORDER, SANDBOX.keys)
    gw.transport.request("POST", BASE + "/checkout", headers={"Content-Type": JSON},
                         data=json.dumps({"data": data}))
    unknown, missing = gw.mock.journal.entries(limit=2)
    for entry, start in ((unknown, "the accessCode header names no merchant"),
                         (missing, "no accessCode header was sent")):
        [found] = entry["findings"]
        assert found["rule"] == "access_code" and found["message"].startswith(start)
        assert f"encrypted with merchant {SANDBOX.merchant_code}'s keys" in found["message"]
    assert "abcd" not in json.dumps(unknown)


def test_merchant_code_of_another_merchant_is_501_encrypted(gw: Gateway) -> None:
    status, answer = _refusal(gw.checkout_raw({**ORDER, "merchantCode": "999999"}))
    assert (status, answer.shape, answer.envelope["code"]) == (401, "bare", 501)


@pytest.mark.parametrize("body", [b"", b'{"data":""}', b'{"data":"zz"}',
                                  b'{"data":"00112233445566778899aabbccddeeff"}'])
def test_missing_or_undecryptable_data_is_506(gw: Gateway, body: bytes) -> None:
    status, answer = _refusal(gw.send("POST", "/checkout", body=body, content_type="application/json"))
    assert status == 400 and answer.shape == "bare"
    assert answer.envelope == {"status": False, "code": 506, "message": "Invalid Request Data"}


@pytest.mark.parametrize("amount", ["1.2345", 20.100000001, 0.30000000000000004])
def test_more_than_three_decimals_is_506(gw: Gateway, amount: Any) -> None:
    status, answer = _refusal(gw.checkout_raw({**ORDER, "amount": amount}))
    assert (status, answer.envelope["code"]) == (400, 506)
    [entry] = gw.mock.journal.entries(limit=1)  # the 506 names nothing: the journal says why
    assert [(f["rule"], f["pointer"]) for f in entry["findings"]] == [("amount_precision", "/amount")]


@pytest.mark.parametrize("reference", ["INV/2026/001", "..", "."])
def test_a_reference_the_enquiry_cannot_carry_is_taken_and_said(gw: Gateway, reference: str) -> None:
    env = gw.checkout(orderReferenceNumber=reference)
    [entry] = gw.mock.journal.entries(limit=1)
    assert [(f["rule"], f["pointer"]) for f in entry["findings"]] == [
        ("reference_not_enquirable", "/orderReferenceNumber")]
    assert gw.mock.checkouts.find(env["token"]).order_reference == reference  # taken as sent
    if "/" in reference:  # why it is said: by reference, encoded or not, the enquiry cannot find it
        response = gw.send("GET", "/api/transaction/" + reference.replace("/", "%2F"),
                           params={"isOrderReference": "1"})
        assert response.status_code == 404


@pytest.mark.parametrize("reference", ["INV-2026-001", "a.b", "..x", "INV 7"])
def test_an_enquirable_reference_is_not_said(gw: Gateway, reference: str) -> None:
    gw.checkout(orderReferenceNumber=reference)
    [entry] = gw.mock.journal.entries(limit=1)
    assert entry["findings"] == []


@pytest.mark.parametrize(("field", "value"), [
    ("amount", "0.000"), ("amount", -1), ("amount", "abc"), ("paymentType", "3"),
    ("responseUrl", "not a url"), ("failureUrl", None), ("orderReferenceNumber", "x" * 101),
])
def test_bad_fields_are_422_with_field_errors_under_data(gw: Gateway, field: str, value: Any) -> None:
    before = gw.mock.store.fingerprint()
    status, answer = _refusal(gw.checkout_raw({**ORDER, field: value}))
    env = answer.envelope
    assert (status, env["code"], env["message"], answer.shape) == (422, 422, "Invalid Input", "bare")
    assert list(env["data"]) == [field] and env["data"][field][0].startswith("The ")
    assert gw.mock.store.fingerprint() == before  # a refusal never changes state


def test_a_value_too_long_is_named_with_its_limit(gw: Gateway) -> None:
    _status, answer = _refusal(gw.checkout_raw({**ORDER, "variable1": "x" * 101, "variable2": "x" * 100}))
    message = "The variable1 must not be greater than 100 characters."
    assert answer.envelope["data"] == {"variable1": [message]}


@pytest.mark.parametrize(("field", "value", "message"), [
    ("name", 5, "The name must be a string."),
    ("email", ["a@b.c"], "The email must be a string."),
    ("orderReferenceNumber", 1.5, "The order reference number must be a string."),  # string or integer
    ("amount", [1], "The amount must be a number."),  # text or a number: numeric
    ("saveCard", "yes", "The save card field must be true or false."),
])
def test_a_value_of_the_wrong_type_is_named_as_laravel_does(gw: Gateway, field: str, value: Any,
                                                           message: str) -> None:
    _status, answer = _refusal(gw.checkout_raw({**ORDER, field: value}))
    assert answer.envelope["data"] == {field: [message]}


def test_a_required_field_missing_is_named(gw: Gateway) -> None:
    payload = {k: v for k, v in ORDER.items() if k != "responseUrl"}
    _status, answer = _refusal(gw.checkout_raw(payload))
    assert answer.envelope["data"] == {"responseUrl": ["The response url field is required."]}


def test_authorize_is_for_mpgs_only(gw: Gateway) -> None:
    _status, answer = _refusal(gw.checkout_raw({**ORDER, "authorize": "1", "paymentType": "1"}))
    assert answer.envelope["code"] == 422 and list(answer.envelope["data"]) == ["paymentType"]
    assert gw.checkout(authorize="1", paymentType="2")["status"] is True


SUBSCRIPTION = {"subscription": "1", "numberOfInstallments": "3", "recurringFrequency": "1",
                "recurringStartDate": "2026-02-01", "recurringAmount": "4.500", "amount": "0.000"}
SAVE_CARD = {"saveCard": True, "amount": "0.000", "version": "3.0"}


@pytest.mark.parametrize(("fields", "types"), [(SUBSCRIPTION, ("15", "19")), (SAVE_CARD, ("2",))],
                         ids=["subscription", "saved card"])
def test_subscriptions_and_saved_cards_go_with_their_payment_types(
        gw: Gateway, fields: dict[str, Any], types: tuple[str, ...]) -> None:
    """A subscription is paymentType 15 (Cybersource; 19, MPGS's, in Hesabe's Python SDK), a saved
    card Direct Payment (MPGS, 2): hesabe-checkout-api.md §2.3, §8.2, §8.3. Another type is a field
    error on paymentType, as an authorization's is."""
    if "saveCard" in fields:
        client = HesabeClient(base_url=BASE, transport=gw.transport)
        customer = client.create_card_customer("Sara", "s@example.com", "66666666")
        fields = {**fields, "customer_id": customer["id"]}
    for other in ("0", "1"):
        _status, answer = _refusal(gw.checkout_raw({**ORDER, **fields, "paymentType": other}))
        assert answer.envelope["code"] == 422 and list(answer.envelope["data"]) == ["paymentType"], other
    for allowed in types:
        assert gw.checkout(**fields, paymentType=allowed)["status"] is True


def test_a_subscription_cannot_start_before_today(gw: Gateway) -> None:
    """Its first recurrences would be charged and dated before it existed (a start in 2020 billed
    every installment at once, dated 2020): refused as Laravel's after_or_equal:today words it."""
    before = gw.mock.store.fingerprint()
    _status, answer = _refusal(gw.checkout_raw({**ORDER, **SUBSCRIPTION, "paymentType": "15",
                                                "recurringStartDate": "2025-12-31"}))
    assert answer.envelope["code"] == 422 and answer.envelope["data"] == {
        "recurringStartDate": ["The recurring start date must be a date after or equal to today."]}
    assert gw.mock.store.fingerprint() == before
    assert gw.checkout(**{**SUBSCRIPTION, "recurringStartDate": "2026-01-01"}, paymentType="15")["status"]


@pytest.mark.parametrize("code", list(GatewayErrorCode))
def test_magic_amounts_give_each_error_code(gw: Gateway, code: GatewayErrorCode) -> None:
    before = gw.mock.store.fingerprint()
    amount = f"{Decimal(999) + Decimal(int(code)) / 1000:.3f}"
    status, answer = _refusal(gw.checkout_raw({**ORDER, "amount": amount}))
    assert answer.envelope["code"] == code and answer.envelope["message"] == code.text
    assert answer.shape == ("plain" if code == GatewayErrorCode.INVALID_MERCHANT else "bare")
    assert status < 500 and gw.mock.store.fingerprint() == before
    if code == GatewayErrorCode.INVALID_INPUT:
        assert list(answer.envelope["data"]) == ["amount"]


def test_amounts_near_the_magic_ones_are_ordinary(gw: Gateway) -> None:
    for amount in ("999.001", "999.999", "998.503", "1999.503"):
        assert gw.checkout(amount=amount)["status"] is True


def test_faults_apply_to_checkout_operations(gw: Gateway) -> None:
    gw.mock.faults.add(FaultRule(kind="rate_limit", operation="create_checkout", times=1, retry_after=3))
    before = gw.mock.store.fingerprint()
    limited = gw.checkout_raw(ORDER)
    assert limited.status_code == 429 and limited.headers["retry-after"] == "3"
    assert gw.mock.store.fingerprint() == before
    assert gw.read(gw.checkout_raw(ORDER), "create_checkout").envelope["status"] is True


# -- enquiry -------------------------------------------------------------------------------------------
def test_enquiry_by_token_shows_pending_then_the_payment(gw: Gateway) -> None:
    token = gw.checkout(name="Huda", email="huda@example.com", mobile_number="66666666")["token"]
    status, env = gw.enquire(token)
    assert status == 200 and env["message"] == "Transaction found"
    record = env["data"]
    assert record["status"] == "PENDING" and record["PaymentID"] is None and record["payment_type"] is None
    assert (record["customerName"], record["customerMobile"]) == ("Huda", "66666666")
    assert record["amount"] == "12.500"
    assert env["results"] == [record]
    gw.mock.checkouts.pay(token, "success", payment_type=1)
    _status, env = gw.enquire(token)
    paid = env["data"]
    assert paid["status"] == "SUCCESSFUL" and paid["payment_type"] == "KNET"
    assert paid["PaymentID"].startswith("100") and len(paid["PaymentID"]) == 18
    assert paid["service_type"] == "Payment Gateway" and paid["datetime"] == "2026-01-01 00:00:00"


@pytest.mark.parametrize("paid_through", ["invoice", "open_invoice"])
def test_enquiry_of_an_invoice_payment_carries_its_ids(gw: Gateway, paid_through: str) -> None:
    """PaymentID, TransactionID and TrackID are the ones the invoice's own records show."""
    from hesabe_spec.enums import InvoiceKind
    from mock_server.handlers.invoices import new_invoice
    from mock_server.handlers.open_invoices import new_open_invoice

    merchant = gw.mock.merchants.merchants[0]
    if paid_through == "invoice":
        inv = gw.mock.invoices.create(merchant, new_invoice(
            {"invoiceType": "0", "invoiceSubType": "3", "amount": "15.000", "referenceNumber": "ID-1"}),
            InvoiceKind.SINGLE)
        txn = gw.mock.payments.pay_invoice(inv, 1, "success").transaction
    else:
        item = gw.mock.open_invoices.create(merchant, new_open_invoice(
            {"title": "T", "openInvoiceType": "0", "fixAmount": "3.000", "expiryDate": "2030-12-05"}))
        txn = gw.mock.payments.pay_open_invoice(item, None, 1, "success").transaction
    _status, env = gw.enquire(txn["token"])
    record = env["data"]
    assert record["PaymentID"] == txn["payment_id"] and record["PaymentID"].startswith("100")
    assert record["TransactionID"] == txn["transaction_id"] and record["TrackID"] == txn["list"]["track_id"]


def test_enquiry_by_reference_lists_every_attempt_and_names_the_one_that_paid(gw: Gateway) -> None:
    first = gw.checkout()["token"]
    second = gw.checkout()["token"]
    third = gw.checkout()["token"]
    gw.mock.checkouts.pay(first, "failure")
    gw.mock.checkouts.pay(second, "success", payment_type=2)
    gw.mock.checkouts.pay(third, "cancelled")
    _status, env = gw.enquire("ORD-7", isOrderReference="1")
    assert [r["token"] for r in env["results"]] == [first, second, third]
    assert [r["status"] for r in env["results"]] == ["FAILED", "SUCCESSFUL", "FAILED"]
    assert env["data"]["token"] == second and env["data"]["payment_type"] == "MPGS"
    _status, by_token = gw.enquire(third)  # by token: that one, with its reference's attempts
    assert by_token["data"]["token"] == third and len(by_token["results"]) == 3


def test_enquiry_takes_the_reference_flag_from_a_body_and_by_post(gw: Gateway) -> None:
    gw.checkout()
    for method, body, content_type in (("POST", '{"isOrderReference":1}', "application/json"),
                                       ("GET", "isOrderReference=1", "application/x-www-form-urlencoded"),
                                       ("POST", "isOrderReference=1", "application/x-www-form-urlencoded")):
        response = gw.send(method, "/api/transaction/ORD-7", body=body, content_type=content_type)
        assert response.status_code == 200, (method, body)
        assert gw.read(response, "transaction_enquiry").envelope["data"]["reference_number"] == "ORD-7"


@pytest.mark.parametrize(("key", "params", "said"), [
    ("ORD-7", {}, "add isOrderReference=1"),
    (None, {"isOrderReference": "1"}, "look it up without isOrderReference=1"),
    ("ORD-8", {}, None),  # nobody's reference: nothing to suggest
])
def test_an_enquiry_that_reads_its_key_the_wrong_way_says_so(gw: Gateway, key: str | None,
                                                            params: dict[str, str], said: str | None) -> None:
    token = gw.checkout()["token"]
    status, _env = gw.enquire(key or token, **params)
    assert status == 404
    [entry] = gw.mock.journal.entries(limit=1)
    if said is None:
        assert entry["findings"] == []
    else:
        assert [f["rule"] for f in entry["findings"]] == ["enquiry_flag"]
        assert said in entry["findings"][0]["message"]


def test_enquiry_not_found_is_404_with_null_data(gw: Gateway) -> None:
    for key, params in (("84221700000000009000000000000", {}), ("NO-SUCH-ORDER", {"isOrderReference": "1"}),
                        ("ORD-7", {})):
        status, env = gw.enquire(key, **params)
        assert (status, env) == (404, {"status": False, "message": "Transaction not found", "data": None})


def test_enquiry_of_another_merchants_transaction_is_not_found(tmp_path: Any) -> None:
    from mock_server.merchants import load_merchants

    other = {"merchant_code": "900001", "access_code": "acme-access", "secret_key": "A" * 32,
             "iv_key": "B" * 16, "username": "acme", "password": "pw", "merchant_id": 90}
    path = tmp_path / "merchants.json"
    path.write_text(json.dumps([other]))
    app = create_app(merchants=load_merchants(path))
    with ASGITransport(app) as transport:
        gw = Gateway(transport, app.state.mock)
        token = gw.checkout()["token"]
        response = gw.send("GET", f"/api/transaction/{token}", access_code="acme-access")
        assert response.status_code == 404


def test_bad_reference_flag_is_422_in_plain_json(gw: Gateway) -> None:
    response = gw.send("GET", "/api/transaction/ORD-7", params={"isOrderReference": "yes"})
    answer = gw.read(response, "transaction_enquiry")
    assert (response.status_code, answer.shape, answer.envelope["code"]) == (422, "plain", 422)
    text = gw.send("GET", "/api/transaction/ORD-7", params={"isOrderReference": "true"})
    assert gw.read(text, "transaction_enquiry").envelope["data"] == {  # Laravel's boolean rule
        "isOrderReference": ["The is order reference field must be true or false."]}


def test_unpaid_session_expires_on_the_mock_clock(gw: Gateway) -> None:
    token = gw.checkout()["token"]
    gw.mock.clock.advance(gw.mock.settings.checkout_ttl - 1)
    assert gw.enquire(token)[1]["data"]["status"] == "PENDING"
    gw.mock.clock.advance(1)
    assert gw.enquire(token)[1]["data"]["status"] == "FAILED"
    gw.mock.clock.advance(-3600)  # the clock going back does not revive it
    assert gw.enquire(token)[1]["data"]["status"] == "FAILED"


# -- authorize, capture, void ---------------------------------------------------------------------------
def _authorized(gw: Gateway, amount: str = "10.000") -> str:
    token = gw.checkout(authorize="1", paymentType="2", amount=amount)["token"]
    assert gw.mock.checkouts.pay(token, "success").status == "AUTHORIZED"
    return str(token)


def _capture(gw: Gateway, token: str, amount: Any) -> tuple[int, dict[str, Any]]:
    payload = {"merchantCode": int(SANDBOX.merchant_code), "amount": amount, "paymentToken": token}
    data = encode_request(payload, SANDBOX.keys)
    response = gw.send("POST", "/api/capture", body=json.dumps({"data": data}), content_type=JSON)
    return response.status_code, dict(gw.read(response, "capture_authorization").envelope)


def test_capture_takes_an_authorization_once(gw: Gateway) -> None:
    token = _authorized(gw)
    assert gw.enquire(token)[1]["data"]["status"] == "AUTHORIZED"
    status, env = _capture(gw, token, "10.000")
    assert status == 200 and env["code"] == 200 and env["message"] == "Capture successful."
    assert env["response"]["status"] == "SUCCESSFUL" and env["response"]["amount"] == "10.000"
    status, env = _capture(gw, token, "10.000")
    assert (status, env["code"], env["message"]) == (400, 507, "Transaction Error")


def test_partial_capture_and_over_capture(gw: Gateway) -> None:
    token = _authorized(gw)
    status, env = _capture(gw, token, "10.001")
    assert (status, env["code"], list(env["data"])) == (422, 422, ["amount"])
    status, env = _capture(gw, token, "4.5")
    assert status == 200 and env["response"]["amount"] == "4.500"
    assert gw.mock.checkouts.find(token).result_code == "PARTIALLY_CAPTURED"


def test_capture_refusals(gw: Gateway) -> None:
    assert _capture(gw, "84221700000000009000000000000", "1.000")[1]["code"] == 505
    paid = gw.checkout(paymentType="2")["token"]
    gw.mock.checkouts.pay(paid, "success")
    assert _capture(gw, paid, "1.000")[1]["code"] == 507  # not an authorization
    late = _authorized(gw)
    gw.mock.clock.advance(7 * 24 * 3600 + 1)
    assert _capture(gw, late, "1.000")[1]["code"] == 507  # past the capture window


def test_void_releases_an_authorization_once(gw: Gateway) -> None:
    token = _authorized(gw)
    response = gw.send("DELETE", f"/api/cancel/{token}")
    answer = gw.read(response, "cancel_authorization")
    assert answer.shape == "plain"
    assert (response.status_code, answer.envelope) == (200, {"status": True, "code": 200,
                                                              "message": "Authorization cancelled."})
    assert gw.enquire(token)[1]["data"]["status"] == "CANCELLED"
    again = gw.send("DELETE", f"/api/cancel/{token}")
    assert again.status_code == 400
    assert again.json() == {"status": False, "code": 400, "message": "Invalid Request"}
    unknown = gw.send("DELETE", "/api/cancel/84221700000000009000000000000")
    assert unknown.status_code == 404 and unknown.json()["message"] == "Invalid Token"
    assert _capture(gw, token, "1.000")[1]["code"] == 507  # a voided authorization cannot be captured


def _redirect(gw: Gateway, token: str) -> tuple[str, dict[str, Any]]:
    """The redirect the control plane reports for a completed checkout: its URL and its callback."""
    state = gw.send("GET", f"/_mock/checkouts/{token}").json()
    return state["callback_url"], state["callback"]


@pytest.mark.parametrize("after", ["partial capture", "capture", "void", "refund"])
def test_the_callback_stays_the_completions_whatever_comes_after(gw: Gateway, after: str) -> None:
    """The redirect happened once, when the customer completed the page: a capture, a void or a
    refund later moves the enquiry, never the callback (a page opened again links to the same one),
    so a voided authorization's never reads ``status: false`` beside ``resultCode`` AUTHORIZED."""
    if after == "refund":
        token = gw.checkout(amount="10.000", paymentType="1")["token"]
        gw.mock.checkouts.pay(token, "success")
    else:
        token = _authorized(gw)
    url, body = _redirect(gw, token)
    assert url.startswith(ORDER["responseUrl"] + "?data=") and body["status"] is True
    if after == "partial capture":
        assert _capture(gw, token, "4.000")[0] == 200
    elif after == "capture":
        assert _capture(gw, token, "10.000")[0] == 200
    elif after == "void":
        assert gw.send("DELETE", f"/api/cancel/{token}").status_code == 200
    else:
        client = HesabeClient(base_url=BASE, transport=gw.transport)
        merchant_id = gw.mock.merchants.merchants[0].merchant_id
        gw.mock.refunds.approve(merchant_id, client.create_refund(token)["id"])
    moved = {"partial capture": "SUCCESSFUL", "capture": "SUCCESSFUL", "void": "CANCELLED",
             "refund": "REFUNDED"}[after]
    assert gw.enquire(token)[1]["data"]["status"] == moved
    assert _redirect(gw, token) == (url, body)
    page_url = gw.send("GET", f"/_mock/checkouts/{token}").json()["payment_url"]
    page = gw.send("GET", page_url.removeprefix(BASE))
    assert url in page.text.replace("&amp;", "&")


# -- refunds (the Merchant API's, on the same port) ------------------------------------------------
def test_a_captured_checkout_is_refunded_by_its_token_then_reads_refunded(gw: Gateway) -> None:
    client = HesabeClient(base_url=BASE, transport=gw.transport)
    merchant_id = gw.mock.merchants.merchants[0].merchant_id
    token = gw.checkout(amount="20.000", paymentType="1")["token"]
    assert gw.mock.checkouts.find_paid(merchant_id, token) is None  # pending: nothing to refund
    with pytest.raises(ValidationError, match="token"):
        client.create_refund(token)
    gw.mock.checkouts.pay(token, "success")
    paid = gw.mock.checkouts.find_paid(merchant_id, token)
    assert paid is not None
    assert (paid.amount, paid.kind, paid.order_reference, paid.payment_type_id) == ("20.000", "checkout",
                                                                                  "ORD-7", 1)
    assert gw.mock.checkouts.find_paid(merchant_id + 1, token) is None  # another merchant's

    part = client.create_refund(token, "5")
    assert (part["amount"], part["order_reference_number"]) == ("5.000", "ORD-7")
    gw.mock.refunds.approve(merchant_id, part["id"])
    assert gw.enquire(token)[1]["data"]["status"] == "SUCCESSFUL"  # refunded in part
    rest = client.create_refund(token)  # full: all that is left
    assert rest["amount"] == "15.000"
    assert gw.enquire(token)[1]["data"]["status"] == "SUCCESSFUL"  # pending: nothing given back yet
    gw.mock.refunds.approve(merchant_id, rest["id"])
    status, env = gw.enquire(token)
    assert status == 200 and env["data"]["status"] == "REFUNDED"
    assert [r["status"] for r in gw.enquire("ORD-7", isOrderReference="1")[1]["results"]] == ["REFUNDED"]
    assert gw.mock.store.find_checkout(token).status == "SUCCESSFUL"  # the refunds are the record
    with pytest.raises(ValidationError, match="refundAmount"):
        client.create_refund(token, "0.001")  # nothing left


def test_an_order_paid_twice_reads_paid_by_reference_until_every_payment_is_refunded(gw: Gateway) -> None:
    """The shop that refunds the duplicate payment of an order still sees the order paid."""
    client = HesabeClient(base_url=BASE, transport=gw.transport)
    merchant_id = gw.mock.merchants.merchants[0].merchant_id
    first, declined, duplicate = (gw.checkout(amount="20.000")["token"] for _ in range(3))
    gw.mock.checkouts.pay(first, "success", payment_type=1)
    gw.mock.checkouts.pay(declined, "failure")
    gw.mock.checkouts.pay(duplicate, "success", payment_type=1)

    def by_reference() -> tuple[str, str, list[str]]:
        env = gw.enquire("ORD-7", isOrderReference="1")[1]
        return env["data"]["token"], env["data"]["status"], [r["status"] for r in env["results"]]

    assert by_reference() == (duplicate, "SUCCESSFUL", ["SUCCESSFUL", "FAILED", "SUCCESSFUL"])
    gw.mock.refunds.approve(merchant_id, client.create_refund(duplicate)["id"])
    assert by_reference() == (first, "SUCCESSFUL", ["SUCCESSFUL", "FAILED", "REFUNDED"])
    gw.mock.refunds.approve(merchant_id, client.create_refund(first)["id"])
    assert by_reference() == (duplicate, "REFUNDED", ["REFUNDED", "FAILED", "REFUNDED"])


@pytest.mark.parametrize("outcome", ["failure", "cancelled", "expired", "authorized"])
def test_only_a_captured_checkout_can_be_refunded(gw: Gateway, outcome: str) -> None:
    client = HesabeClient(base_url=BASE, transport=gw.transport)
    authorize = {"paymentType": "2", "authorize": "1"} if outcome == "authorized" else {}
    token = gw.checkout(**authorize)["token"]
    gw.mock.checkouts.pay(token, "success" if outcome == "authorized" else outcome)
    client.login()  # the bearer token is stored state too
    before = gw.mock.store.fingerprint()
    with pytest.raises(ValidationError, match="token"):
        client.create_refund(token)
    assert gw.mock.store.fingerprint() == before


def test_a_partial_capture_is_refundable_up_to_what_was_captured(gw: Gateway) -> None:
    client = HesabeClient(base_url=BASE, transport=gw.transport)
    token = gw.checkout(amount="30.000", paymentType="2", authorize="1")["token"]
    gw.mock.checkouts.pay(token, "success")
    gw.mock.checkouts.capture(gw.mock.merchants.merchants[0], token, "12.000")
    assert client.create_refund(token)["amount"] == "12.000"


def test_settings_pick_the_response_wrapper_of_the_gateway() -> None:
    app = create_app(MockSettings(gateway_envelope="response"))
    with ASGITransport(app) as transport:
        response = Gateway(transport, app.state.mock).checkout_raw(ORDER)
        assert decode_response(response.content, SANDBOX.keys).shape == "response"
