"""End to end: every operation against the mock, in-process (ASGI) and over real HTTP (uvicorn).

Validation is on, so the payloads the methods build also pass the request schemas.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
import uvicorn

from hesabe_spec import OPERATIONS
from hesabe_spec.client import ASGITransport, HesabeClient
from hesabe_spec.errors import NotFoundError, RequestValidationError
from mock_server.app import create_app
from mock_server.control import MockControl

CSV = "name,phone,email,amount,reference_number,description\nbb8,66666666,t@x.com,8.999,bb01,Due\n"
INVOICE = dict(
    customer_name="TEST",
    mobile_number="66666666",
    country_code="965",
    customer_email="t@x.com",
    description="d",
    expires_at="2030-12-12",
    invoice_type="1",
    invoice_sub_type="3",
    allocate_pay_type=[1, 2],
)


@pytest.fixture(scope="module")
def http_url() -> Iterator[str]:
    config = uvicorn.Config(
        create_app(), host="127.0.0.1", port=0, log_level="error", lifespan="off", ws="none"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(10)


@pytest.fixture(params=["asgi", "http"])
def client(request: pytest.FixtureRequest) -> Iterator[HesabeClient]:
    if request.param == "asgi":
        with ASGITransport(create_app()) as transport:
            yield HesabeClient(transport=transport, base_url="http://mock")
    else:
        # A fresh mock per module is shared by both HTTP tests; ids are read back, never assumed.
        with HesabeClient(base_url=request.getfixturevalue("http_url")) as c:
            yield c


def _record(client: HesabeClient) -> list[str]:
    called: list[str] = []
    real = client.call

    def call(operation: Any, *args: Any, **kwargs: Any) -> Any:
        called.append(operation)
        return real(operation, *args, **kwargs)

    client.call = call  # type: ignore[method-assign]
    return called


def test_every_operation_against_the_mock(client: HesabeClient) -> None:
    called = _record(client)
    invoice = client.create_invoice(amount="20", reference_number="E2E-1", **INVOICE)
    assert invoice["amount"] == "20.000" and invoice["reference_number"] == "E2E-1"
    sub = client.create_subscription_invoice(
        amount=80, frequency=1, no_of_recurrence=3, subscription_type="1", start_date="2030-01-12", **INVOICE
    )
    assert sub["amount"] == "80.000"
    item = {**INVOICE, "amount": 100, "reference_number": "E2E-S"}
    assert len(client.create_split_invoice([item, {**item, "amount": 150}])) == 2
    assert len(client.create_installment_invoice([item, {**item, "amount": "150.000"}])) == 2
    dashboard = client.list_invoices(page=1)
    assert dashboard["stats"]["total_invoice_count"] >= 6
    assert client.get_invoice(invoice["id"])["token"] == invoice["token"]
    assert client.resend_invoice(invoice["id"], mobile_number="66666666")["id"] == invoice["id"]
    client.send_bulk_invoices([invoice["id"]])
    cancelled = client.cancel_invoice(invoice["token"], return_result=True)
    assert cancelled.message == "Invoice status update successful"
    assert client.get_invoice(invoice["id"])["invoice_status"] == 3

    opened = client.create_open_invoice(title="T", amount_type="0", fix_amount=100, expiry_date="2030-12-05")
    assert any(o["id"] == opened["id"] for o in client.list_open_invoices(page=1)["data"])
    assert client.get_open_invoice(opened["id"])["title"] == "T"
    client.update_open_invoice(opened["id"], expiry_date="2031-01-01")
    client.cancel_open_invoice(opened["id"])

    client.upload_bulk_invoices(CSV)
    row = client.list_bulk_invoices(list_type="0")["data"][0]
    updated = client.update_bulk_invoice(
        row["id"], amount=100, name="n", email="e@x.com", phone="96512345678", reference_number="r"
    )
    assert updated["amount"] == "100.000" and updated["reference_number"] == "r"
    client.delete_bulk_invoice(row["id"])

    paid = client.create_invoice(amount="10", reference_number="E2E-R", **INVOICE)
    # the control plane through the client's own transport: in-process or over the same HTTP session
    control = MockControl(client.config.base_url, session=client.transport)
    control.pay_invoice(paid["id"])
    txn = client.get_invoice(paid["id"])["transaction"]["token"]
    partial = client.create_refund(txn, "4")
    assert partial["amount"] == "4.000" and partial["refund_status"] == "PENDING"
    assert client.get_refund(partial["id"])["refund_method"] == "2"
    listed = client.list_refunds(search=txn)["refund_request_list"]["data"]
    assert [r["id"] for r in listed] == [partial["id"]]
    assert client.cancel_refund(partial["id"]) is True
    assert client.create_refund(txn)["amount"] == "10.000"  # full: all that is left after the cancel
    assert client.get_profile()["username"] == client.config.merchant_code

    ok = "https://shop.example/ok"
    authorized = client.checkout("5.5", response_url=ok, order_reference_number="E2E-C", payment_type=2,
                                 authorize=True)
    assert client.get_transaction(authorized.token).transaction.status == "PENDING"
    callback = client.parse_callback_url(control.pay_checkout(authorized.token)["callback_url"])
    assert callback.successful and callback.result_code == "AUTHORIZED"
    assert callback.payment_token == authorized.token
    captured = client.capture(authorized.token, "5.000")
    assert captured.status == "SUCCESSFUL" and captured.amount == Decimal("5.000")
    voided = client.checkout(1, response_url=ok, order_reference_number="E2E-C", payment_type=2,
                             authorize=True)
    control.pay_checkout(voided.token)
    client.void(voided.token)
    enquiry = client.get_transaction("E2E-C", by_order_reference=True)
    assert [t.status for t in enquiry.attempts] == ["SUCCESSFUL", "CANCELLED"]
    assert enquiry.transaction.token == authorized.token
    # a captured checkout is refunded like an invoice, by its token: what was captured, not authorized
    refund = client.create_refund(authorized.token)
    assert refund["amount"] == "5.000"
    control.approve_refund(refund["id"])
    assert client.get_transaction(authorized.token).transaction.status == "REFUNDED"

    # saved cards: a customer, a VERIFY session paid once, charges approved and declined, delete
    customer = client.create_card_customer("Sara", "sara@example.com", "66666666")
    verify = client.checkout(0, response_url=ok, payment_type=2, save_card=True, customer_id=customer["id"],
                             version="3.0")
    saved = client.parse_callback_url(control.pay_checkout(verify.token)["callback_url"])
    cards = client.list_saved_cards(customer["id"])
    assert [c["card_id"] for c in cards] == [saved.raw["response"]["cardId"]]
    charge = client.charge_saved_card(cards[0]["card_id"], "9.9", order_reference="E2E-SC")
    assert charge.paid and charge.amount == Decimal("9.900")
    assert client.get_transaction(charge.payment_token).transaction.status == "SUCCESSFUL"
    control.decide_next_charge("failure", result_code="DECLINED")
    declined = client.charge_saved_card(cards[0]["card_id"], 2, customer_id=customer["id"])
    assert not declined.paid and declined.result_code == "DECLINED"

    # the one ledger: the paid invoice, the captured checkout and the charge, nothing else
    report = client.get_transactions_report(search="E2E-SC")
    assert [r["token"] for r in report["transactions"]["data"]] == [charge.payment_token]
    tokens = {r["token"] for r in client.get_transactions_report(nostats=True)["transactions"]["data"]}
    assert {txn, authorized.token, charge.payment_token} <= tokens
    assert declined.payment_token not in tokens and verify.token not in tokens
    client.delete_saved_card(cards[0]["card_id"])
    assert client.list_saved_cards(customer["id"]) == []

    # subscriptions: on demand (captured), and monthly (the mock clock bills it), then cancelled
    on_demand = client.checkout(0, response_url=ok, payment_type=15, subscription=True,
                                number_of_installments=2, recurring_frequency="0",
                                recurring_start_date="2030-01-01", recurring_amount=4)
    control.pay_checkout(on_demand.token)
    recurrence = client.capture_subscription(on_demand.token, "4.000")
    assert recurrence.status == "SUCCESSFUL" and recurrence.token != on_demand.token
    client.cancel_subscription(on_demand.token)

    # Smart POS: an invoice at a terminal, paid there (the control plane), a payment of the ledger
    terminal = client.list_pos_terminals()["terminals"][0]["terminal_id"]
    pos = client.create_pos_invoice("6.5", terminal, reference_number="E2E-POS")
    assert client.resend_pos_invoice(pos["id"])["status"] == "PENDING"
    [resent] = control.journal(limit=1, operation="resend_pos_invoice")  # the docs' one path for both
    assert resent["routed_as"] is None and "routed_by_payload" not in {f["rule"] for f in resent["findings"]}
    sold = control.pay_checkout(pos["token"])
    assert sold["callback_url"] is None  # a terminal sale redirects no browser
    assert client.get_pos_invoice(pos["id"])["status"] == "SUCCESSFUL"
    assert [p["id"] for p in client.list_pos_invoices(page=1)["data"]] == [pos["id"]]
    row = client.get_transactions_report(search="E2E-POS")["transactions"]["data"][0]
    assert row["source"] == "pos"
    enquired = client.get_transaction(pos["token"]).envelope["data"]  # the enquiry agrees with the report
    assert (enquired["service_type"], enquired["Terminal"]) == (row["service_type"], terminal)
    assert row["service_type"] == "POS"
    unpaid = client.create_pos_invoice("2", terminal, reference_number="E2E-POS-2")
    control.pay_checkout(unpaid["token"], "failure")
    assert client.get_pos_invoice(unpaid["id"])["paid_at"] is None  # declined at the terminal: never paid

    payer_link = client.create_open_invoice(title="P", amount_type="0", fix_amount=3,
                                            expiry_date="2030-12-05")
    control.pay_open_invoice(payer_link["id"])
    payers = client.list_open_invoice_customers(payer_link["id"])["customer_details"]["data"]
    assert [p["amount"] for p in payers] == ["3.000"]

    assert client.refresh_token()["token"]["access_token"]
    assert client.login()["token"]["access_token"] == client.tokens.token.access_token  # type: ignore[union-attr]
    assert set(called) == set(OPERATIONS)


def test_errors_from_the_mock_are_typed(client: HesabeClient) -> None:
    with pytest.raises(NotFoundError) as info:
        client.get_invoice(987654)
    assert info.value.status is not None and info.value.operation == "get_invoice"
    with pytest.raises(RequestValidationError):
        client.create_invoice(amount=1)  # local schema check: required fields missing, nothing sent
    result = client.call("create_invoice", {"amount": "1"}, validate=False, raise_errors=False)
    assert not result.ok and result.error is not None and result.error.field_errors  # type: ignore[attr-defined]
