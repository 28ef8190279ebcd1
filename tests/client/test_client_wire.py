"""Every operation's wire shape: method, path, headers, where the payload went, what it decrypts to."""

from __future__ import annotations

import base64
import datetime as dt
import json
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from client_fakes import BASE, FakeResponse, FakeSession, encrypted, plain, token_reply

from hesabe_spec import OPERATIONS, SANDBOX
from hesabe_spec.client import HesabeClient
from hesabe_spec.client.methods import filter_fields
from hesabe_spec.enums import (
    AmountType,
    BulkListType,
    InvoiceKind,
    InvoiceSubType,
    PaymentType,
    RefundMethod,
    SubscriptionType,
)
from hesabe_spec.errors import RequestValidationError

MC = SANDBOX.merchant_code
#: a transaction token shaped like the refund details sample's
TXN = "84221717602504449336555368722"

INVOICE_KW: dict[str, Any] = dict(
    amount=Decimal("20"),
    customer_name="TEST",
    mobile_number="66666666",
    country_code="965",
    customer_email="test@gmail.com",
    reference_number="12349899",
    description="Invoice testing",
    expires_at=dt.date(2025, 12, 12),
    invoice_type="1",
    invoice_sub_type=InvoiceSubType.URL,
    allocate_pay_type=[PaymentType.KNET, 2],
)
#: the decrypted seed-001 request, exactly (key order aside)
INVOICE_WIRE = {
    "merchantCode": MC,
    "mobileNumber": "66666666",
    "customerName": "TEST",
    "referenceNumber": "12349899",
    "amount": "20.000",
    "countryCode": "965",
    "invoiceType": "1",
    "invoiceSubType": "3",
    "allocatePayType": "1,2",
    "description": "Invoice testing",
    "customerEmail": "test@gmail.com",
    "expiresAt": "2025-12-12",
}
SPLIT_ITEMS = [
    {
        "amount": "100.000",
        "expires_at": "2026-12-12",
        "reference_number": "8849404",
        "invoice_type": "1",
        "invoice_sub_type": "0",
        "language": "en",
        "customer_name": "Mohammed",
        "mobile_number": "66666666",
    },
    {"amount": 150, "expiresAt": "2026-12-12", "referenceNumber": "88445604", "allocatePayType": "1,2"},
]
SPLIT_WIRE = [
    {
        "merchantCode": MC,
        "amount": "100.000",
        "expiresAt": "2026-12-12",
        "referenceNumber": "8849404",
        "invoiceType": "1",
        "invoiceSubType": "0",
        "language": "en",
        "customerName": "Mohammed",
        "mobileNumber": "66666666",
    },
    {
        "merchantCode": MC,
        "amount": "150.000",
        "expiresAt": "2026-12-12",
        "referenceNumber": "88445604",
        "allocatePayType": "1,2",
    },
]
CSV = "name,phone,email,amount,reference_number,description\nbb8,66666666,t@x.com,8.999,bb01,Due\n"

Case = tuple[Callable[[HesabeClient], Any], dict[str, Any], Any, dict[str, str]]

#: operation -> (call, path params, expected decrypted payload, expected plain query filters)
CASES: dict[str, Case] = {
    "login": (lambda c: c.login(), {}, {"username": "Test", "password": "Test@1234"}, {}),
    "refresh_token": (lambda c: c.refresh_token(), {}, {"refreshToken": "ref-0"}, {}),
    "create_invoice": (lambda c: c.create_invoice(**INVOICE_KW), {}, INVOICE_WIRE, {}),
    "create_subscription_invoice": (
        lambda c: c.create_subscription_invoice(
            amount="80.000",
            invoice_type="0",
            frequency=1,
            no_of_recurrence=3,
            subscription_type=SubscriptionType.ON_DEMAND,
            start_date="2025-02-12",
            expires_at="2026-12-12",
            items_list=[{"item_title": "Gym", "rate": 40, "quantity": 2, "amount": "80"}],
        ),
        {},
        {
            "merchantCode": MC,
            "subscription": "1",
            "amount": "80.000",
            "invoiceType": "0",
            "frequency": "1",
            "noofRecurrence": "3",
            "SubscriptionType": "1",
            "startDate": "2025-02-12",
            "expiresAt": "2026-12-12",
            "itemsList": [{"itemTitle": "Gym", "rate": "40.000", "quantity": "2", "amount": "80.000"}],
        },
        {},
    ),
    "create_split_invoice": (
        lambda c: c.create_split_invoice(SPLIT_ITEMS),
        {},
        {"merchantCode": MC, "invoices": SPLIT_WIRE},
        {},
    ),
    "create_installment_invoice": (
        lambda c: c.create_installment_invoice(SPLIT_ITEMS),
        {},
        {"merchantCode": MC, "invoices": SPLIT_WIRE},
        {},
    ),
    "list_invoices": (
        lambda c: c.list_invoices(
            from_date=dt.date(2025, 1, 1), to_date="2025-12-31", page=2, invoice_type=InvoiceKind.SPLIT
        ),
        {},
        {"merchantCode": MC},
        {"fromDate": "2025-01-01", "toDate": "2025-12-31", "page": "2", "invoiceType": "6"},
    ),
    "get_invoice": (lambda c: c.get_invoice(14696), {"id": 14696}, {"merchantCode": MC}, {}),
    "resend_invoice": (
        lambda c: c.resend_invoice(1782, mobile_number="66666666"),
        {},
        {"merchantCode": MC, "mobileNumber": "66666666", "resendId": "1782", "countryCode": "965"},
        {},
    ),
    "send_bulk_invoices": (
        lambda c: c.send_bulk_invoices([12880, "12881"]),
        {},
        {"merchantCode": MC, "ids": ["12880", "12881"]},
        {},
    ),
    "cancel_invoice": (
        lambda c: c.cancel_invoice("8417596678339677489"),
        {"token": "8417596678339677489"},
        {"merchantCode": MC, "statusId": "3"},
        {},
    ),
    "create_open_invoice": (
        lambda c: c.create_open_invoice(
            title="Donate",
            amount_type=AmountType.OPEN,
            min_amount=1,
            max_amount="50.5",
            expiry_date="2026-12-05",
        ),
        {},
        {
            "merchantCode": MC,
            "title": "Donate",
            "amountType": "1",
            "minAmount": "1.000",
            "maxAmount": "50.500",
            "expiryDate": "2026-12-05",
        },
        {},
    ),
    "list_open_invoices": (
        lambda c: c.list_open_invoices(page=1, paid_status=0),
        {},
        {"merchantCode": MC},
        {"page": "1", "paidStatus": "0"},
    ),
    "get_open_invoice": (lambda c: c.get_open_invoice(926), {"id": 926}, {"merchantCode": MC}, {}),
    "update_open_invoice": (
        lambda c: c.update_open_invoice(927, expiry_date=dt.date(2026, 1, 31)),
        {"id": 927},
        {"merchantCode": MC, "expiryDate": "2026-01-31"},
        {},
    ),
    "cancel_open_invoice": (lambda c: c.cancel_open_invoice(926), {"id": 926}, {"merchantCode": MC}, {}),
    "upload_bulk_invoices": (
        lambda c: c.upload_bulk_invoices(CSV),
        {},
        {
            "merchantCode": MC,
            "isScheduled": "false",
            "fileType": "csv",
            "invoices": base64.b64encode(CSV.encode()).decode(),
        },
        {},
    ),
    "list_bulk_invoices": (
        lambda c: c.list_bulk_invoices(list_type=BulkListType.SCHEDULED),
        {},
        {"merchantCode": MC},
        {"type": "1"},
    ),
    "update_bulk_invoice": (
        lambda c: c.update_bulk_invoice(
            12887, amount="100", name="bb8", phone="96512345678", reference_number="bb01-0000008"
        ),
        {"id": 12887},
        {
            "merchantCode": MC,
            "amount": "100.000",
            "name": "bb8",
            "phone": "96512345678",
            "reference_number": "bb01-0000008",
        },
        {},
    ),
    "delete_bulk_invoice": (lambda c: c.delete_bulk_invoice(12885), {"id": 12885}, {"merchantCode": MC}, {}),
    "create_refund": (  # the reference ciphertext's four fields (a partial refund here)
        lambda c: c.create_refund(TXN, 10),
        {},
        {"merchantCode": MC, "token": TXN, "refundMethod": "2", "refundAmount": "10.000"},
        {},
    ),
    "list_refunds": (
        lambda c: c.list_refunds(page=2, search="ORD-1", from_date=dt.date(2025, 10, 1)),
        {},
        {"merchantCode": MC},
        {"page": "2", "search": "ORD-1", "fromDate": "2025-10-01"},
    ),
    "get_refund": (lambda c: c.get_refund(1468), {"id": 1468}, {"merchantCode": MC}, {}),
    "cancel_refund": (lambda c: c.cancel_refund(1461), {"id": 1461}, {"merchantCode": MC}, {}),
    "get_profile": (lambda c: c.get_profile(), {}, {"merchantCode": MC}, {}),
    "create_checkout": (
        lambda c: c.checkout(Decimal("12.5"), response_url="https://shop.example/ok",
                             order_reference_number=7,
                             authorize=True, payment_type=PaymentType.MPGS, variable1="cart-9",
                             webhook_url="https://shop.example/hook"),
        {},
        {"merchantCode": MC, "amount": "12.500", "paymentType": "2", "responseUrl": "https://shop.example/ok",
         "failureUrl": "https://shop.example/ok", "currency": "KWD", "version": "2.0",
         "orderReferenceNumber": "7", "authorize": "1", "variable1": "cart-9",
         "webhookUrl": "https://shop.example/hook"},
        {},
    ),
    "transaction_enquiry": (
        lambda c: c.get_transaction("ORD-7", by_order_reference=True),
        {"reference": "ORD-7"}, None, {"isOrderReference": "1"},
    ),
    "capture_authorization": (
        lambda c: c.capture("84221717000000009000000000001", 10),
        {},
        {"merchantCode": MC, "amount": "10.000", "paymentToken": "84221717000000009000000000001"},
        {},
    ),
    "cancel_authorization": (
        lambda c: c.void("84221717000000009000000000001"),
        {"token": "84221717000000009000000000001"}, None, {},
    ),
    "capture_subscription": (
        lambda c: c.capture_subscription("84221717000000009000000000001", "4.5",
                                         order_reference_number="S-1"),
        {}, {"merchantCode": MC, "amount": "4.500", "paymentToken": "84221717000000009000000000001",
             "orderReferenceNumber": "S-1"}, {},
    ),
    "cancel_subscription": (
        lambda c: c.cancel_subscription("84221717000000009000000000001"),
        {"token": "84221717000000009000000000001"}, None, {},
    ),
    "create_pos_invoice": (
        lambda c: c.create_pos_invoice("7.25", 84221701, reference_number="POS-1", mobile_number=66666666),
        {}, {"merchantCode": MC, "amount": "7.250", "terminal_id": "84221701", "reference_number": "POS-1",
             "mobile_number": "66666666"}, {},
    ),
    "resend_pos_invoice": (lambda c: c.resend_pos_invoice(12), {},
                           {"merchantCode": MC, "resend": "1", "invoice_id": "12"}, {}),
    "list_pos_invoices": (lambda c: c.list_pos_invoices(page=2), {}, {"merchantCode": MC}, {"page": "2"}),
    "get_pos_invoice": (lambda c: c.get_pos_invoice(12), {"id": 12}, {"merchantCode": MC}, {}),
    "list_pos_terminals": (lambda c: c.list_pos_terminals(), {}, {"merchantCode": MC}, {}),
    "list_open_invoice_customers": (lambda c: c.list_open_invoice_customers(926, page=2), {"id": 926},
                                    {"merchantCode": MC}, {"page": "2"}),
    "get_transactions_report": (
        lambda c: c.get_transactions_report(from_date=dt.date(2025, 10, 1), nostats=True, page=3),
        {}, {"merchantCode": MC}, {"fromDate": "2025-10-01", "nostats": "1", "page": "3"},
    ),
    "create_card_customer": (
        lambda c: c.create_card_customer("Test", "t@x.com", 12345678, customer_id="u-7"),
        {}, {"merchantCode": MC, "name": "Test", "email": "t@x.com", "mobile_number": "12345678",
             "customer_id": "u-7"}, {},
    ),
    "list_saved_cards": (lambda c: c.list_saved_cards(4026), {}, {"merchantCode": MC, "customer_id": 4026},
                         {}),
    "charge_saved_card": (
        lambda c: c.charge_saved_card(2269, Decimal("9.9"), customer_id=4026, order_reference="ORD-9"),
        {}, {"merchantCode": MC, "card_id": 2269, "amount": "9.900", "customer_id": 4026,
             "order_reference": "ORD-9"}, {},
    ),
    "delete_saved_card": (lambda c: c.delete_saved_card(2268), {"id": 2268}, {"merchantCode": MC}, {}),
}

RECORD = {"token": "84221717000000009000000000001", "amount": "10.000", "reference_number": "ORD-7",
          "status": "SUCCESSFUL", "TransactionID": "1", "Id": 3, "PaymentID": "2", "Terminal": None,
          "TrackID": None, "payment_type": "MPGS", "service_type": "Payment Gateway", "customerName": None,
          "customerEmail": None, "customerMobile": None, "customerCardType": "VISA",
          "customerCard": "401200******1112", "datetime": "2026-01-01 00:00:00"}
#: the answer each gateway operation's method reads (the rest get a generic one)
REPLIES: dict[str, FakeResponse] = {
    "create_checkout": encrypted({"data": "ab12"}, code=200, token=RECORD["token"], style="bare"),
    "transaction_enquiry": plain({"status": True, "message": "Transaction found", "data": RECORD,
                                  "results": [RECORD]}),
    "capture_authorization": encrypted(RECORD, code=200, style="bare"),
    "cancel_authorization": plain({"status": True, "code": 200, "message": "Authorization cancelled."}),
    "create_card_customer": encrypted(None, style="bare", data={
        "id": 1, "customer_id": "84221701", "name": "Test", "mobile_number": "12345678", "email": "t@x.com"}),
    "list_saved_cards": encrypted({"cards": []}, style="bare"),
    "capture_subscription": encrypted(RECORD, code=200, style="bare"),
    "cancel_subscription": plain({"status": True, "code": 200, "message": "Subscription cancelled."}),
    "charge_saved_card": encrypted({"resultCode": "CAPTURED", "amount": "9.900", "baseAmount": "9.900",
                                    "currency": "KWD", "paymentToken": RECORD["token"], "paymentId": "1",
                                    "paidOn": "2026-01-01 00:00:00", "orderReferenceNumber": "ORD-9"},
                                   style="bare"),
}


def test_every_operation_has_a_method_and_a_case() -> None:
    assert set(CASES) == set(OPERATIONS)
    for name in OPERATIONS:
        assert callable(getattr(HesabeClient, name)), name


@pytest.mark.parametrize("name", list(CASES))
def test_wire_shape(name: str, client: HesabeClient, session: FakeSession) -> None:
    op = OPERATIONS[name]
    call, path_params, expected_payload, expected_filters = CASES[name]
    session.reply(token_reply("tok-1", "ref-1") if op.kind == "auth" else REPLIES.get(name,
                                                                                      encrypted({"id": 1})))

    call(client)

    (sent,) = session.sent
    assert sent.method == op.method
    assert sent.url == client.config.url_for(op.host) + op.format_path(**path_params)
    assert sent.allow_redirects is False
    assert sent.timeout == client.config.timeout
    assert sent.headers["Accept"] == "application/json"
    assert sent.headers["Content-Type"] == "application/json"
    assert sent.headers.get("accessCode") == (None if op.auth == "none" else SANDBOX.access_code)
    assert sent.headers.get("Authorization") == ("Bearer tok-0" if op.auth == "bearer" else None)
    if op.payload_in == "none":
        assert sent.data is None and (sent.params or {}) == expected_filters
        return
    if op.payload_in == "query":
        assert sent.data is None
        assert next(iter(sent.params or {})) == "data"
        assert {k: v for k, v in (sent.params or {}).items() if k != "data"} == expected_filters
    elif op.payload_in == "body":
        assert sent.params is None
        assert set(json.loads(sent.data or b"")) == {"data"}
    else:
        assert sent.params is None
        assert json.loads(sent.data or b"") == expected_payload
    assert sent.payload() == expected_payload


@pytest.mark.parametrize(("call", "expected"), [
    (lambda c: c.create_refund(TXN), {"refundMethod": "1"}),  # full, no amount: as Hesabe's app sends it
    (lambda c: c.create_refund(TXN, "10", refund_method=RefundMethod.FULL),  # full naming the amount [PK]
     {"refundMethod": "1", "refundAmount": "10.000"}),
    (lambda c: c.create_refund(TXN, 0.1), {"refundMethod": "2", "refundAmount": "0.100"}),
])
def test_refund_method_follows_the_amount(call: Any, expected: dict[str, str], client: HesabeClient,
                                          session: FakeSession) -> None:
    session.reply(encrypted({"id": 1}))
    call(client)
    assert session.sent[0].payload() == {"merchantCode": MC, "token": TXN, **expected}


def test_a_refund_amount_that_needs_rounding_is_refused_before_sending(client: HesabeClient,
                                                                      session: FakeSession) -> None:
    with pytest.raises(RequestValidationError, match="refundAmount"):
        client.create_refund(TXN, "1.0005")
    assert session.sent == []


def test_wrapper_returns_the_decrypted_response(client: HesabeClient, session: FakeSession) -> None:
    session.reply(
        encrypted({"id": 14697, "url": "https://x/s/9Q6EE769"}, message="Invoice generated successfully")
    )
    assert client.create_invoice(amount=1) == {"id": 14697, "url": "https://x/s/9Q6EE769"}


def test_return_result_exposes_envelope_and_http_facts(client: HesabeClient, session: FakeSession) -> None:
    session.reply(encrypted(None, message="Invoice has been deleted", headers={"X-Request-Id": "r1"}))
    result = client.delete_bulk_invoice(1, return_result=True)
    assert result.ok and result.status == 200 and result.shape == "response"
    assert result.envelope == {"status": True, "message": "Invoice has been deleted", "response": None}
    assert result.headers["x-request-id"] == "r1"
    assert result.body.startswith(b'{"response":"')
    assert result.request.operation.name == "delete_bulk_invoice"


def test_extra_fields_are_sent_raw_and_win(client: HesabeClient, session: FakeSession) -> None:
    session.reply(encrypted({}))
    client.create_invoice(amount=1, extra={"amount": "1.5", "merchantCode": "000", "knetFixedCharges": "0"})
    assert session.sent[0].payload() == {"merchantCode": "000", "amount": "1.5", "knetFixedCharges": "0"}


def test_unknown_keyword_is_a_type_error_before_sending(client: HesabeClient, session: FakeSession) -> None:
    with pytest.raises(TypeError, match="custmer_name"):
        client.create_invoice(amount=1, custmer_name="x")
    assert session.sent == []


def test_filters_can_travel_inside_data(client: HesabeClient, session: FakeSession) -> None:
    session.reply(encrypted({}))
    client.list_invoices(page=3, search="abc", filters_in="data")
    sent = session.sent[0]
    assert set(sent.params or {}) == {"data"}
    assert sent.payload() == {"merchantCode": MC, "page": "3", "search": "abc"}


LIST_OPERATIONS = [op.name for op in OPERATIONS.values() if op.query_filters and op.payload_in == "query"]


@pytest.mark.parametrize("name", LIST_OPERATIONS)
def test_list_filters_come_from_the_operation_table(
        name: str, client: HesabeClient, session: FakeSession) -> None:
    """Each list method takes exactly its operation's ``query_filters`` (in snake_case), sends
    them under their wire names, and names them all in its docstring."""
    table = filter_fields(name)
    assert sorted(wire for wire, _ in table.values()) == sorted(OPERATIONS[name].query_filters)
    method = getattr(client, name)
    for python_name in table:
        assert python_name in (method.__doc__ or ""), (name, python_name)
    if name == "list_bulk_invoices":  # explicit keywords: list_type, page
        filters: dict[str, Any] = {"list_type": BulkListType.SCHEDULED, "page": 2}
    else:
        filters = {python_name: "1" for python_name in table}
    session.reply(encrypted({}))
    method(*[926] * len(OPERATIONS[name].path_params), **filters)  # a list of one record's rows
    sent = dict(session.sent[0].params or {})
    sent.pop("data")
    assert sent == {table[k][0]: str(getattr(v, "value", v)) for k, v in filters.items()}


@pytest.mark.parametrize("name", ["list_invoices", "list_open_invoices"])
def test_a_filter_of_another_list_is_a_type_error(
        name: str, client: HesabeClient, session: FakeSession) -> None:
    foreign = "paid_status" if name == "list_invoices" else "invoice_type"
    with pytest.raises(TypeError, match=foreign):
        getattr(client, name)(**{foreign: "1"})
    assert session.sent == []


def test_items_list_json_string_and_pay_type_string_pass_through(
    client: HesabeClient, session: FakeSession
) -> None:
    session.reply(encrypted({}))
    client.create_invoice(amount="5.250", items_list='[{"itemTitle":"a"}]', allocate_pay_type="1,2,7")
    assert session.sent[0].payload() == {
        "merchantCode": MC,
        "amount": "5.250",
        "itemsList": '[{"itemTitle":"a"}]',
        "allocatePayType": "1,2,7",
    }


def test_call_sends_payload_as_given_with_path_params_and_query(
    client: HesabeClient, session: FakeSession
) -> None:
    session.reply(encrypted({}))
    result = client.call(
        "get_invoice",
        {"merchantCode": 42, "junk": [1]},
        path_params={"id": "x/y"},
        query={"page": 1, "skip": None},
    )
    sent = session.sent[0]
    assert sent.url == BASE + "/api/v1/invoice/x%2Fy"  # one path segment, as sent without validation
    assert sent.payload() == {"merchantCode": 42, "junk": [1]}
    assert sent.params is not None and sent.params["page"] == "1" and "skip" not in sent.params
    assert result.ok


def test_call_accepts_non_object_payloads_for_negative_tests(
    client: HesabeClient, session: FakeSession
) -> None:
    session.reply(encrypted({}))
    client.call("send_bulk_invoices", ["not", "an", "object"], validate=False)
    assert session.sent[0].payload() == ["not", "an", "object"]


def test_request_block_size_32_pads_like_the_server(make_client: Callable[..., HesabeClient]) -> None:
    c16, c32 = make_client(), make_client(request_block_size=32)
    payload = {"merchantCode": MC}  # 25 bytes: 16-byte pad -> 32 bytes, 32-byte pad -> 32 bytes too
    assert len(c16.prepare("get_invoice", payload,
                           path_params={"id": 1}).params["data"]) == 64  # type: ignore[index]
    long = {"merchantCode": MC, "x": "y" * 10}
    assert len(c16.prepare("get_invoice", long,
                           path_params={"id": 1}).params["data"]) == 96  # type: ignore[index]
    assert len(c32.prepare("get_invoice", long,
                           path_params={"id": 1}).params["data"]) == 128  # type: ignore[index]


def test_prepare_repr_hides_credentials(client: HesabeClient) -> None:
    prepared = client.prepare("get_invoice", path_params={"id": 1}, bearer="secret-bearer")
    text = repr(prepared)
    assert "secret-bearer" not in text and SANDBOX.access_code not in text
    assert "GET http://hesabe.test/api/v1/invoice/1" in text
