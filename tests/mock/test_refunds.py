"""Refunds through the API, in-process and over real HTTP (uvicorn), with the reference client.

The lifecycle (pending -> approved | rejected, or cancelled), what a payment has left, the real
field errors (and that a refusal changes nothing), approved refunds in the invoice details, the
stats and pages of the list, and auto-approval on the mock's clock. Every answer is checked
against its response schema.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from hesabe_spec.client import HesabeClient, Result
from hesabe_spec.enums import PaymentStatus, RefundStatus
from hesabe_spec.sandbox import SANDBOX
from hesabe_spec.validation import validate_response
from mock_server.control import MockControlError
from mock_server.state.sqlite import SqliteStore
from mock_server.testing import MockHandle, inprocess_mock, running_mock

NOON = 1_767_258_000  # 2026-01-01 12:00 Kuwait


@pytest.fixture(params=["inprocess", "http", "http-sqlite"])
def mock(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[MockHandle]:
    options: dict[str, Any] = {}
    if request.param == "http-sqlite":
        options["store"] = SqliteStore(str(tmp_path / "refunds.sqlite"))
    opener = inprocess_mock if request.param == "inprocess" else running_mock
    with opener(**options) as handle:
        handle.control.freeze(NOON)
        yield handle
    if "store" in options:
        options["store"].close()


def _call(client: HesabeClient, operation: str, payload: dict[str, Any], **params: Any) -> Result:
    """Send exactly ``payload`` (no local validation), never raise: the server's own answer."""
    result = client.call(operation, payload, path_params=params or None, validate=False, raise_errors=False)
    assert validate_response(operation, result.envelope) == [], result.envelope
    return result


def _paid(mock: MockHandle, amount: str = "10.000", **fields: Any) -> str:
    """A new invoice of ``amount``, paid; the token of its transaction."""
    invoice = mock.create_invoice(amount=amount, **fields)
    mock.control.pay_invoice(invoice["id"])
    token: str = mock.default_client.get_invoice(invoice["id"])["transaction"]["token"]
    return token


def _refund(client: HesabeClient, token: str, amount: str | None = None) -> dict[str, Any]:
    result = client.create_refund(token, amount, return_result=True)
    assert result.message == "Your refund request is waiting for approval"
    assert validate_response("create_refund", result.envelope) == []
    refund: dict[str, Any] = result.response
    return refund


def _refused(mock: MockHandle, client: HesabeClient, operation: str, payload: dict[str, Any],
             field: str | None, **params: Any) -> Result:
    before = mock.runtime.store.fingerprint()
    result = _call(client, operation, payload, **params)
    assert not result.ok and 400 <= result.status < 500 and result.envelope["status"] is False
    if field is not None:
        errors = result.envelope["response"]
        assert list(errors) == [field] and result.envelope["message"] == errors[field][0], result.envelope
    assert mock.runtime.store.fingerprint() == before, "a refused request changed the store"
    return result


# -- asking ---------------------------------------------------------------------------------------
def test_partial_then_the_rest_then_nothing_is_left(mock: MockHandle) -> None:
    client = mock.default_client
    token = _paid(mock, "10.000", reference_number="ORDER-77")
    part = _refund(client, token, "4")
    assert part == {**part, "token": token, "amount": "4.000", "order_reference_number": "ORDER-77",
                    "transaction_status": "SUCCESSFUL", "refund_status": "PENDING", "payment_type": "KNET",
                    "service_type": "SMS Invoice", "refund_requested_at": "2026-01-01 12:00:00"}
    rest = _refund(client, token)
    assert rest["amount"] == "6.000" and rest["id"] > part["id"]
    nothing = _refused(mock, client, "create_refund", {"token": token, "refundMethod": "1"}, "refundAmount")
    assert nothing.envelope["message"] == "The refund amount may not be greater than 0.000."
    _refused(mock, client, "create_refund", {"token": token, "refundMethod": "2", "refundAmount": "0.001"},
             "refundAmount")
    details = client.get_refund(part["id"], return_result=True)
    assert details.message == "Refund requests"
    assert details.response == {
        **details.response, "id": part["id"], "merchant_id": SANDBOX.merchant_id, "amount": "4.000",
        "refund_at": None, "status": RefundStatus.PENDING, "refund_method": "2", "recover_method": "1",
        "remarks": None, "approved_by": None, "total_balance_amount": "10.000",
        "total_refunded_amount": "0.000",
    }


def test_a_full_refund_may_name_the_payment_or_what_is_left_and_nothing_else(mock: MockHandle) -> None:
    client = mock.default_client
    token = _paid(mock, "10.000")
    _refund(client, token, "2.500")
    wrong = {"token": token, "refundMethod": "1", "refundAmount": "5.000"}
    assert _refused(mock, client, "create_refund", wrong, "refundAmount").envelope["message"] == (
        "The refund amount of a full refund must be 7.500.")
    whole = _call(client, "create_refund", {**wrong, "refundAmount": "10.000"})  # the payment's amount: [PK]
    assert whole.ok and whole.response["amount"] == "7.500"


@pytest.mark.parametrize(("payload", "field"), [
    ({"token": "84221700000000000000000000000", "refundMethod": "1"}, "token"),  # no such payment
    ({"token": "PAID", "refundMethod": "2"}, "refundAmount"),  # partial without an amount
    ({"token": "PAID", "refundMethod": "0", "refundAmount": "1.000"}, "refundMethod"),  # the docs' comment
    ({"token": "PAID", "refundMethod": "2", "refundAmount": "0.000"}, "refundAmount"),
    ({"token": "PAID", "refundMethod": "2", "refundAmount": "10.001"}, "refundAmount"),  # more than paid
    ({"refundMethod": "1"}, "token"),
    ({"token": "not digits", "refundMethod": "1"}, "token"),
])
def test_refusals_are_field_errors_and_change_nothing(mock: MockHandle, payload: dict[str, Any],
                                                       field: str) -> None:
    token = _paid(mock, "10.000")
    sent = {k: token if v == "PAID" else v for k, v in payload.items()}
    _refused(mock, mock.default_client, "create_refund", sent, field)


def test_refund_amounts_are_read_as_the_server_reads_amounts(mock: MockHandle) -> None:
    """More than 3 decimals is Invalid Request Data (506) for the whole request; a JSON number (the
    refund guide's PHP sample sends ``refundAmount`` as one) is read, like any amount (fidelity.md,
    "Leniency and strictness")."""
    client = mock.default_client
    token = _paid(mock, "10.000")
    before = mock.runtime.store.fingerprint()
    drift = _call(client, "create_refund", {"token": token, "refundMethod": "2", "refundAmount": "1.0001"})
    assert drift.status == 400 and drift.envelope["code"] == 506 and drift.envelope["response"] is None
    assert mock.runtime.store.fingerprint() == before
    number = _call(client, "create_refund", {"token": token, "refundMethod": "2", "refundAmount": 1})
    assert number.ok and number.response["amount"] == "1.000"
    # the guide's sample sends refundMethod as a number too: Laravel's in:1,2 compares it as text
    sample = _call(client, "create_refund", {"token": token, "refundMethod": 2, "refundAmount": 1.0})
    assert sample.ok and sample.response["amount"] == "1.000"
    noted = {f.finding.rule: f.finding.pointer for f in mock.runtime.findings.recent()[-2:]}
    assert noted == {"number_as_text": "/refundMethod", "amount_format": "/refundAmount"}
    mock.runtime.findings.clear()  # all were provoked on purpose


def test_nothing_unpaid_cancelled_or_of_another_merchant_is_refunded(mock: MockHandle) -> None:
    client = mock.default_client
    unpaid = mock.create_invoice()
    cancelled = mock.create_invoice()
    client.cancel_invoice(cancelled["token"])
    failed = mock.create_invoice()
    mock.control.pay_invoice(failed["id"], outcome="failure")
    for invoice in (unpaid, cancelled, failed):  # the only token such an invoice has is its own
        _refused(mock, client, "create_refund", {"token": invoice["token"], "refundMethod": "1"}, "token")
    paid = mock.create_invoice()
    mock.control.pay_invoice(paid["id"])
    # the invoice's own token is not its payment's: a refund names the transaction token
    _refused(mock, client, "create_refund", {"token": paid["token"], "refundMethod": "1"}, "token")


# -- deciding ------------------------------------------------------------------------------------
def test_pending_is_approved_or_rejected_once_and_only_pending_can_be_cancelled(mock: MockHandle) -> None:
    client = mock.default_client
    token = _paid(mock, "10.000")
    a, b, c = (_refund(client, token, amount) for amount in ("5", "3", "2"))
    mock.control.advance(600)  # less than the bearer's 900 s: the client's token stays valid
    approved = mock.control.approve_refund(a["id"])
    assert (approved["status"], approved["remarks"], approved["approved_by"], approved["refund_at"]) == (
        RefundStatus.APPROVED, "Refund Approved", "Admin", "2026-01-01")
    rejected = mock.control.reject_refund(b["id"], remarks="Customer kept the goods")
    assert (rejected["status"], rejected["remarks"], rejected["refund_at"]) == (
        RefundStatus.REJECTED, "Customer kept the goods", None)
    for decided in (a, b):
        with pytest.raises(MockControlError) as info:
            mock.control.approve_refund(decided["id"])
        assert info.value.status == 409 and info.value.reason == "already_decided"
        refused = _refused(mock, client, "cancel_refund", {}, None, id=decided["id"])
        assert refused.envelope["message"] == "Only a pending refund request can be cancelled."
    cancelled = client.cancel_refund(c["id"], return_result=True)
    assert (cancelled.message, cancelled.response) == ("Refund requests", True)
    assert _refused(mock, client, "get_refund", {}, None, id=c["id"]).status == 404
    assert _refused(mock, client, "cancel_refund", {}, None, id=c["id"]).status == 404
    with pytest.raises(MockControlError) as info:
        mock.control.approve_refund(c["id"])
    assert info.value.status == 404
    # rejected (3) and cancelled (2) amounts are free again: 5 approved, 5 left
    assert _refund(client, token)["amount"] == "5.000"


def test_approved_refunds_appear_in_the_invoice_and_a_full_refund_is_refunded(mock: MockHandle) -> None:
    client = mock.default_client
    invoice = mock.create_invoice(amount="10.000")
    mock.control.pay_invoice(invoice["id"])
    token = client.get_invoice(invoice["id"])["transaction"]["token"]
    first, second = _refund(client, token, "4"), _refund(client, token, "1")
    mock.control.approve_refund(first["id"])
    mock.control.reject_refund(second["id"])
    third = _refund(client, token)  # the rest: 6 (the rejected 1 is free again)

    def transaction() -> dict[str, Any]:
        details = _call(client, "get_invoice", {}, id=invoice["id"])
        txn: dict[str, Any] = details.response["transaction"]
        return txn

    txn = transaction()
    assert [(e["id"], e["amount"], e["balance_amount"], e["status"]) for e in txn["refund"]] == [
        (first["id"], "4.000", "6.000", RefundStatus.APPROVED)]
    assert txn["payment_status"] == PaymentStatus.SUCCESS
    mock.control.approve_refund(third["id"])  # 4 + 6: all of it
    txn = transaction()
    assert [e["balance_amount"] for e in txn["refund"]] == ["6.000", "0.000"]
    assert txn["payment_status"] == PaymentStatus.REFUNDED
    assert client.get_invoice(invoice["id"])["invoice_status"] == 1  # still a paid invoice
    details = client.get_refund(third["id"])
    assert (details["total_refunded_amount"], details["total_balance_amount"]) == ("10.000", "0.000")


def test_auto_approval_follows_the_mock_clock(mock: MockHandle) -> None:
    client = mock.default_client
    token = _paid(mock, "10.000")
    assert mock.control.auto_approve_refunds(60) == {"seconds": 60}
    refund = _refund(client, token, "4")
    mock.control.advance(59)
    assert client.get_refund(refund["id"])["status"] == RefundStatus.PENDING
    mock.control.advance(1)
    got = client.get_refund(refund["id"])
    assert (got["status"], got["remarks"], got["approved_by"], got["refund_at"]) == (
        RefundStatus.APPROVED, "Auto Refund Approved", "Admin", "2026-01-01")
    assert got["updated_at"] == "2026-01-01 12:01:00"  # when it fell due, not when it was read
    assert _refused(mock, client, "cancel_refund", {}, None, id=refund["id"]).status == 400
    with pytest.raises(MockControlError):
        mock.control.approve_refund(refund["id"])
    mock.control.reset()
    assert mock.control.request("GET", "/refunds/auto-approve") == {"seconds": None}


def test_stats_count_every_request_and_the_list_pages(mock: MockHandle) -> None:
    client = mock.default_client
    empty = client.list_refunds()
    assert empty["stats"] == {"total_refund_request_count": 0, "total_refund_request_amount": None,
                              "pending_total_refund_request_amount": None,
                              "approved_total_refund_request_amount": None,
                              "rejected_total_refund_request_amount": None}
    tokens = [_paid(mock, "2.000", reference_number=f"ORD-{n}") for n in range(17)]
    made = [_refund(client, t, "1.500") for t in tokens]
    mock.control.approve_refund(made[0]["id"])
    mock.control.reject_refund(made[1]["id"])
    page1 = _call(client, "list_refunds", {"page": 1}).response
    assert page1["stats"] == {"total_refund_request_count": 17, "total_refund_request_amount": "25.500",
                              "pending_total_refund_request_amount": "22.500",
                              "approved_total_refund_request_amount": "1.500",
                              "rejected_total_refund_request_amount": "1.500"}
    rows = page1["refund_request_list"]["data"]
    pagination = page1["refund_request_list"]["pagination"]
    assert [r["id"] for r in rows] == [m["id"] for m in reversed(made)][:15]
    assert (pagination["total"], pagination["count"], pagination["next_page_url"]) == (
        17, 15, f"{mock.url}/api/v1/refund?page=2")
    page2 = client.list_refunds(page=2)["refund_request_list"]
    assert [r["id"] for r in page2["data"]] == [made[1]["id"], made[0]["id"]]
    assert page2["data"][0]["transaction"] == {"service_id": 2, "payment_id": 1, "display_name": "KNET"}
    found = client.list_refunds(search="ORD-3", filters_in="data")["refund_request_list"]["data"]
    assert [r["id"] for r in found] == [made[3]["id"]]
    assert client.list_refunds(from_date="2026-01-02")["refund_request_list"]["data"] == []


@pytest.mark.parametrize(("method", "path", "body", "status"), [
    ("POST", "/refunds/auto-approve", {"seconds": -1}, 400),
    ("POST", "/refunds/auto-approve", {"seconds": "60"}, 400),
    ("POST", "/refunds/auto-approve", {"seconds": True}, 400),
    ("POST", "/refunds/auto-approve", {}, 400),
    ("POST", "/refunds/auto-approve", {"second": 5}, 400),
    ("POST", "/refunds/REFUND/approve", {"remarks": 5}, 400),
    ("POST", "/refunds/REFUND/reject", {"remark": "typo"}, 400),
    ("POST", "/refunds/abc/approve", {}, 400),
    ("POST", "/refunds/999999/approve", {}, 404),
    ("GET", "/refunds/999999", None, 404),
    ("DELETE", "/refunds/REFUND/approve", None, 405),
])
def test_bad_control_requests_are_refused_and_change_nothing(hesabe_mock_inprocess: MockHandle, method: str,
                                                             path: str, body: Any, status: int) -> None:
    mock = hesabe_mock_inprocess
    refund = _refund(mock.default_client, _paid(mock), "1")
    before = mock.runtime.store.fingerprint()
    with pytest.raises(MockControlError) as info:
        mock.control.request(method, path.replace("REFUND", str(refund["id"])), body)
    assert info.value.status == status and "error" in info.value.body
    assert mock.runtime.store.fingerprint() == before
    assert mock.control.request("GET", "/refunds/auto-approve") == {"seconds": None}
