"""Every operation through the reference client against the mock: the whole invoice lifecycle.

Runs in-process (ASGI transport, no socket) and over real HTTP (uvicorn on loopback), with the
memory store and the SQLite store. Responses are checked against the response schemas too, so a
shape regression fails here before the contract suite.
"""

from __future__ import annotations

import base64
from collections.abc import Iterator
from typing import Any

import pytest
from support.servers import client_for

from hesabe_spec.client import HesabeClient
from hesabe_spec.errors import NotFoundError, ValidationError
from hesabe_spec.validation import validate_response

pytestmark = pytest.mark.filterwarnings("error")

SMS_INVOICE = {
    "customer_name": "TEST",
    "mobile_number": "66666666",
    "country_code": "965",
    "reference_number": "12349899",
    "amount": "20.000",
    "invoice_type": "1",
    "invoice_sub_type": "3",
    "allocate_pay_type": [1, 2],
    "description": "Invoice testing",
    "customer_email": "test@gmail.com",
    "expires_at": "2099-12-12",
}


@pytest.fixture(params=["inprocess-memory", "inprocess-sqlite", "http-memory", "http-sqlite"])
def client(request: pytest.FixtureRequest, tmp_path: Any) -> Iterator[HesabeClient]:
    transport, store = request.param.split("-")
    with client_for(transport, store, tmp_path) as c:
        yield c


def _ok(client: HesabeClient, operation: str, result: Any) -> Any:
    assert validate_response(operation, result.envelope) == [], result.envelope
    return result.envelope["response"]


def test_single_invoice_lifecycle(client: HesabeClient) -> None:
    res = client.create_invoice(**SMS_INVOICE, return_result=True)
    assert res.envelope["message"] == "Invoice generated successfully"
    created = _ok(client, "create_invoice", res)
    assert created["invoice_type"] == 1 and created["invoice_sub_type"] == "3"
    assert created["merchant_id"] == 84 and created["invoice_status"] is None
    assert created["url"].endswith("/s/" + created["access_key"])
    assert created["customer"] == {"name": "TEST", "email": "test@gmail.com", "phone_number": "96566666666"}

    got = _ok(client, "get_invoice", client.get_invoice(created["id"], return_result=True))
    assert got["invoice_status"] == 0 and got["merchant_id"] == "84"
    assert got["sms_status"] == 1 and '"isOK":true' in got["sms_response"]  # texted after create

    board = _ok(client, "list_invoices", client.list_invoices(return_result=True))
    assert board["stats"] == {"total_invoice_count": 1, "invoice_paid": "0", "invoice_not_paid": "1",
                              "invoice_cancelled": "0"}
    assert [row["id"] for row in board["invoices"]["data"]] == [created["id"]]

    resent = _ok(client, "resend_invoice",
                 client.resend_invoice(created["id"], mobile_number="66666666", return_result=True))
    assert resent["id"] == created["id"]
    sent = client.send_bulk_invoices([created["id"]], return_result=True)
    assert _ok(client, "send_bulk_invoices", sent) is None

    res = client.cancel_invoice(created["token"], return_result=True)
    assert res.envelope["message"] == "Invoice status update successful"
    assert client.get_invoice(created["id"])["invoice_status"] == 3
    with pytest.raises(ValidationError) as refused:  # cancelling twice is refused, HTTP 400
        client.cancel_invoice(created["token"])
    assert refused.value.message == "Invoice status update failed"
    stats = client.list_invoices()["stats"]
    assert (stats["invoice_cancelled"], stats["invoice_not_paid"]) == ("1", "0")


def test_each_kind_and_list_filters(client: HesabeClient) -> None:
    single = client.create_invoice(**{**SMS_INVOICE, "reference_number": "alpha-1"})
    sub = client.create_subscription_invoice(
        **{**SMS_INVOICE, "reference_number": "beta-2", "invoice_type": "0"},
        subscription="1", frequency="1", no_of_recurrence="3", subscription_type="1", start_date="2099-01-01",
    )
    parts = [{**SMS_INVOICE, "reference_number": f"split-{i}", "amount": a}
             for i, a in enumerate(["100", "150"])]
    split = client.create_split_invoice(parts)
    emi = client.create_installment_invoice(
        [{**SMS_INVOICE, "reference_number": f"emi-{i}", "amount": "50"} for i in range(3)]
    )
    assert {inv["invoice_type"] for inv in split} == {6} and {inv["invoice_type"] for inv in emi} == {7}
    assert len({inv["split_access_key"] for inv in split}) == 1
    assert split[0]["split_access_key"] == "SP" + split[0]["access_key"]
    assert split[0]["spliturl"].endswith("/sp/" + split[0]["split_access_key"])

    def ids(**filters: Any) -> list[int]:
        return [row["id"] for row in client.list_invoices(**filters)["invoices"]["data"]]

    assert ids(invoice_type="1") == [single["id"]]
    assert ids(invoice_type="0") == [sub["id"]]
    assert ids(invoice_type="6") == sorted((i["id"] for i in split), reverse=True)
    assert ids(invoice_type="7") == sorted((i["id"] for i in emi), reverse=True)
    assert ids(search="beta") == [sub["id"]]
    assert ids(search="beta", filters_in="data") == [sub["id"]]  # filters inside ``data`` too
    assert ids(search="nothing-like-this") == []
    # the first and the last created's days: the same one, unless the run crossed midnight
    first, last = (client.get_invoice(i)["created_at"][:10] for i in (single["id"], emi[-1]["id"]))
    assert len(ids(from_date=first, to_date=last)) == 7
    assert ids(from_date="2000-01-01", to_date="2000-01-02") == []
    client.cancel_invoice(single["token"])
    assert ids(status="3") == [single["id"]]
    assert client.list_invoices()["stats"]["total_invoice_count"] == 7


def test_pagination_walks_every_invoice_once(client: HesabeClient) -> None:
    made = [client.create_invoice(**{**SMS_INVOICE, "invoice_type": "0", "reference_number": f"p{i}"})["id"]
            for i in range(17)]
    first = client.list_invoices(page=1)["invoices"]
    second = client.list_invoices(page=2)["invoices"]
    assert first["pagination"]["total"] == 17 and first["pagination"]["total_pages"] == 2
    assert first["pagination"]["count"] == 15 and second["pagination"]["count"] == 2
    assert first["pagination"]["next_page_url"].endswith("/api/v1/invoice-dashboard?page=2")
    assert second["pagination"]["next_page_url"] is None
    assert second["pagination"]["previous_page_url"].endswith("?page=1")
    seen = [row["id"] for row in first["data"] + second["data"]]
    assert seen == sorted(made, reverse=True)


def test_open_invoice_flow(client: HesabeClient) -> None:
    fixed = _ok(client, "create_open_invoice", client.create_open_invoice(
        title="Donation", amount_type="0", fix_amount="100", expiry_date="2099-12-05", return_result=True))
    ranged = client.create_open_invoice(title="Tips", amount_type="1", min_amount="1", max_amount="50",
                                        expiry_date="2099-12-05")
    assert (fixed["type"], fixed["fixed_amount"]) == (0, "100.000")
    assert (ranged["type"], ranged["min_amount"], ranged["max_amount"]) == (1, "1.000", "50.000")
    listed = _ok(client, "list_open_invoices", client.list_open_invoices(return_result=True))
    assert [o["id"] for o in listed["data"]] == [ranged["id"], fixed["id"]]
    assert client.get_open_invoice(fixed["id"])["title"] == "Donation"
    updated = client.update_open_invoice(fixed["id"], expiry_date="2099-12-31")
    assert (updated["id"], updated["expiry_date"]) == (fixed["id"], "2099-12-31")
    res = client.cancel_open_invoice(fixed["id"], return_result=True)
    assert res.envelope["message"] == "Open Invoice canceled successfully"
    assert client.get_open_invoice(fixed["id"])["status"] == 3


def test_bulk_upload_flow(client: HesabeClient) -> None:
    csv = "name,phone,email,amount,reference_number,description\nbb8,66666666,t@g.com,8.999,bb01,Due\n" \
          "bb9,66666667,u@g.com,10,bb02,Due\n"
    rows = client.upload_bulk_invoices(csv)
    assert [r["amount"] for r in rows] == ["8.999", "10.000"]
    listed = _ok(client, "list_bulk_invoices", client.list_bulk_invoices(list_type="0", return_result=True))
    assert {r["id"] for r in listed["data"]} == {r["id"] for r in rows}
    assert client.list_bulk_invoices(list_type="1")["data"] == []
    edited = client.update_bulk_invoice(rows[0]["id"], amount="100", name="x", email="x@y.z",
                                        phone="96512345678", reference_number="bb01")
    assert (edited["amount"], edited["name"]) == ("100.000", "x")
    client.delete_bulk_invoice(rows[0]["id"])
    with pytest.raises(NotFoundError):
        client.delete_bulk_invoice(rows[0]["id"])
    broken = base64.b64encode(b"PK\x03\x04").decode()  # a zip's first bytes, no workbook
    with pytest.raises(ValidationError) as refused:
        client.upload_bulk_invoices(base64.b64decode(broken), file_type="xlsx")
    assert list(refused.value.field_errors) == ["invoices"]


def test_token_refresh_rotates(client: HesabeClient) -> None:
    first = client.login()["token"]
    second = client.refresh_token(first["refresh_token"])["token"]
    assert second["refresh_token"] != first["refresh_token"]
    assert second["access_token"] != first["access_token"]
    with pytest.raises(NotFoundError):
        client.refresh_token(first["refresh_token"])
