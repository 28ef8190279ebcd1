"""Journal, clock and payment simulation through the control plane, over real HTTP."""

from __future__ import annotations

from typing import Any

import pytest
import requests

from hesabe_spec.client import HesabeClient
from hesabe_spec.errors import HesabeError
from hesabe_spec.sandbox import SANDBOX
from mock_server.control import MockControlError
from mock_server.settings import MockSettings
from mock_server.testing import MockHandle, running_mock

pytest_plugins = ["mock_server.testing"]


def _send(client: HesabeClient, operation: str, bearer: str, **kw: Any) -> requests.Response:
    """One raw request with a given bearer (no client-side renewal or replay)."""
    prepared = client.prepare(operation, bearer=bearer, **kw)
    with requests.Session() as s:
        return s.request(prepared.method, prepared.url, headers=dict(prepared.headers), data=prepared.body,
                         params=dict(prepared.params or {}), timeout=5)


# -- journal ------------------------------------------------------------------------------------
def test_journal_records_decrypted_exchanges_without_secrets(hesabe_mock: MockHandle) -> None:
    client = hesabe_mock.client()
    created = hesabe_mock.create_invoice(client, reference_number="J-1")
    client.get_invoice(created["id"])
    entries = hesabe_mock.control.journal()
    assert [e["operation"] for e in entries] == ["login", "create_invoice", "get_invoice"]
    login, create, get = entries
    assert login["request"]["password"] == "[redacted]" and login["request"]["username"] == SANDBOX.username
    token = login["response"]["response"]
    assert "[redacted]" in str(token) and client.tokens.token is not None
    assert create["request"]["referenceNumber"] == "J-1" and create["encrypted"] is True
    assert create["response"]["response"]["id"] == created["id"]
    assert get["method"] == "GET" and get["status"] == 200
    assert get["path"] == f"/api/v1/invoice/{created['id']}"
    assert get["duration_ms"] >= 0 and get["merchant_code"] == SANDBOX.merchant_code
    text = str(entries)
    for secret in (SANDBOX.secret_key, SANDBOX.iv_key, SANDBOX.password, SANDBOX.access_code,
                   client.tokens.token.access_token, client.tokens.token.refresh_token):
        assert secret not in text


def test_journal_filters_by_operation_and_limit(hesabe_mock: MockHandle) -> None:
    client = hesabe_mock.client()
    ids = [hesabe_mock.create_invoice(client, reference_number=f"L-{i}")["id"] for i in range(3)]
    for i in ids:
        client.get_invoice(i)
    gets = hesabe_mock.control.journal(operation="get_invoice")
    assert [e["path"].rsplit("/", 1)[1] for e in gets] == [str(i) for i in ids]
    assert [e["request"]["referenceNumber"] for e in hesabe_mock.control.journal(2, "create_invoice")] \
        == ["L-1", "L-2"]
    hesabe_mock.control.clear_journal()
    assert hesabe_mock.control.journal() == []


def test_journal_is_bounded() -> None:
    with running_mock(settings=MockSettings(journal_capacity=3)) as mock:
        client = mock.client()
        created = mock.create_invoice(client)
        for _ in range(4):
            client.get_invoice(created["id"])
        res = mock.control.request("GET", "/journal")
        assert res["capacity"] == 3 and res["recorded"] == 6
        assert [e["seq"] for e in res["entries"]] == [4, 5, 6]


# -- clock --------------------------------------------------------------------------------------
def test_clock_set_freeze_advance(hesabe_mock: MockHandle) -> None:
    control = hesabe_mock.control
    state = control.set_clock("2026-01-01T00:00:00+03:00", freeze=True)
    assert state["frozen"] is True and state["today"] == "2026-01-01"
    assert state["now"] == "2026-01-01T00:00:00+03:00" and state["epoch"] == 1767214800  # exactly
    assert control.advance(86400 + 5)["now"] == "2026-01-02T00:00:05+03:00"
    assert control.set_clock(1767225600)["epoch"] == 1767225600  # epoch seconds work too
    unfrozen = control.set_clock(freeze=False)
    assert unfrozen["frozen"] is False and unfrozen["today"] == "2026-01-01"
    assert control.set_clock(reset=True)["today"] != "2026-01-01"


def test_access_token_expires_when_the_clock_moves(hesabe_mock: MockHandle) -> None:
    client = hesabe_mock.client()
    created = hesabe_mock.create_invoice(client)
    bearer = client.tokens.bearer()
    assert _send(client, "get_invoice", bearer, path_params={"id": created["id"]}).status_code == 200
    hesabe_mock.control.advance(901)  # past the 900 s token lifetime
    res = _send(client, "get_invoice", bearer, path_params={"id": created["id"]})
    assert res.status_code == 401 and res.json() == {"message": "Unauthenticated."}
    assert client.get_invoice(created["id"])["id"] == created["id"]  # the client logs in again


def test_invoice_past_expires_at_cannot_be_paid(hesabe_mock: MockHandle) -> None:
    control = hesabe_mock.control
    control.freeze("2026-03-10T12:00:00+03:00")
    created = hesabe_mock.create_invoice(expires_at="2026-03-11")
    control.advance(86400)
    assert control.invoice(created["id"])["expired"] is False  # the last day still counts
    control.advance(86400)
    assert control.invoice(created["id"])["expired"] is True
    with pytest.raises(MockControlError) as caught:
        control.pay_invoice(created["id"], 1)
    assert caught.value.status == 409 and caught.value.reason == "expired"
    assert control.invoice(created["id"])["invoice_status"] == 0


# -- payments -----------------------------------------------------------------------------------
def test_success_failure_and_cancelled_move_the_dashboard(hesabe_mock: MockHandle) -> None:
    client, control = hesabe_mock.client(), hesabe_mock.control
    ids = [hesabe_mock.create_invoice(client, reference_number=f"P-{i}")["id"] for i in range(3)]
    failed = control.pay_invoice(ids[0], 2, "failure")
    assert failed["paid"] is False and failed["invoice"]["payment_attempts"][0]["outcome"] == "failure"
    declined = control.pay_invoice(ids[1], outcome="cancelled")
    assert declined["transaction"]["payment_type_id"] == 1  # defaults to the first allocated type
    paid = control.pay_invoice(ids[2], 2, "success")
    assert paid["paid"] is True and paid["invoice"]["invoice_status"] == 1
    stats = client.list_invoices()["stats"]
    assert stats == {"total_invoice_count": 3, "invoice_paid": "1", "invoice_not_paid": "2",
                     "invoice_cancelled": "0"}
    details = client.get_invoice(ids[2])
    assert details["invoice_status"] == 1 and details["transaction"]["payment_type_id"] == 2
    assert details["transaction"]["token"] == paid["transaction"]["token"]
    row = next(r for r in client.list_invoices()["invoices"]["data"] if r["id"] == ids[2])
    assert row["transaction"]["transaction_id"] == paid["transaction"]["transaction_id"]


def test_cancelled_is_never_paid_and_paid_cannot_be_cancelled(hesabe_mock: MockHandle) -> None:
    client, control = hesabe_mock.client(), hesabe_mock.control
    cancelled = hesabe_mock.create_invoice(client)
    client.cancel_invoice(cancelled["token"])
    with pytest.raises(MockControlError) as caught:
        control.pay_invoice(cancelled["id"], 1)
    assert caught.value.reason == "cancelled" and control.invoice(cancelled["id"])["invoice_status"] == 3
    paid = hesabe_mock.create_invoice(client)
    control.pay_invoice(paid["id"], 1)
    with pytest.raises(HesabeError, match="Invoice status update failed"):
        client.cancel_invoice(paid["token"])
    with pytest.raises(MockControlError) as again:
        control.pay_invoice(paid["id"], 1)
    assert again.value.reason == "already_paid"
    assert control.invoice(paid["id"])["invoice_status"] == 1


def test_payment_type_must_be_allocated_over_http(hesabe_mock: MockHandle) -> None:
    created = hesabe_mock.create_invoice(allocate_pay_type=[1])
    with pytest.raises(MockControlError) as caught:
        hesabe_mock.control.pay_invoice(created["id"], 2)
    assert caught.value.status == 409 and "not allocated" in caught.value.body["error"]
    with pytest.raises(MockControlError) as bad:
        hesabe_mock.control.pay_invoice(created["id"], 1, "maybe")
    assert bad.value.reason == "outcome"


def test_open_invoice_takes_several_payments(hesabe_mock: MockHandle) -> None:
    client, control = hesabe_mock.client(), hesabe_mock.control
    item = client.create_open_invoice(title="Donations", amount_type="1", min_amount="5.000",
                                      max_amount="50.000", expiry_date="2099-01-01")
    control.pay_open_invoice(item["id"], "5.000")
    control.pay_open_invoice(item["id"], "20", payment_type=2, customer={"name": "Huda"})
    control.pay_open_invoice(item["id"], "7", outcome="failure")
    with pytest.raises(MockControlError) as caught:
        control.pay_open_invoice(item["id"], "50.001")
    assert caught.value.reason == "amount"
    details = client.get_open_invoice(item["id"])
    assert details["paid_status"] == 1 and details["total_customer_paid_count"] == 2
    assert details["total_amount_customer_paid"] == "25.000"
    assert len(control.open_invoice(item["id"])["payments"]) == 3
