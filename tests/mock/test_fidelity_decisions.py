"""Each fidelity decision of docs/fidelity.md ("Leniency and strictness"), one test each, held by an
in-process mock and by a separately started ``hesabe-mock`` program driven over real HTTP.

Requests are sent exactly as written (``validate=False``): the point is what the server does with
what an integration really sends, including what the reference client would refuse to send.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from typing import Any

import pytest
import requests
from support.mock_process import MockProcess, mock_process

from hesabe_spec.client import ASGITransport, HesabeClient, Result
from hesabe_spec.client.config import ClientConfig
from hesabe_spec.errors import RequestValidationError
from hesabe_spec.sandbox import SANDBOX
from hesabe_spec.wire import decode_response
from mock_server.app import create_app
from mock_server.control.client import MockControl

INVOICE = {"amount": "20.000", "invoiceType": "0", "invoiceSubType": "3", "expiresAt": "2099-12-31",
           "customerName": "Test", "referenceNumber": "FID-1"}
SUBSCRIPTION = {"frequency": "1", "noofRecurrence": "3", "SubscriptionType": "1", "startDate": "2099-01-01"}


class Server:
    """One mock as an integration sees it: a raw client (no validation, no retries) and the control plane."""

    def __init__(self, url: str, session: Any, kind: str) -> None:
        self.url, self.session, self.kind = url, session, kind
        self.control = MockControl(url, session=session)
        self.config = ClientConfig(base_url=url)
        self.client = HesabeClient(self.config, transport=session, validate=False, max_retries=0)

    def call(self, operation: str, payload: Any = None, **kwargs: Any) -> Result:
        return self.client.call(operation, payload, raise_errors=False, **kwargs)

    def create(self, **fields: Any) -> dict[str, Any]:
        result = self.call("create_invoice", {**INVOICE, **fields})
        assert result.ok, result.envelope
        created: dict[str, Any] = result.response
        return created

    def last(self) -> dict[str, Any]:
        entry: dict[str, Any] = self.control.journal(limit=1)[-1]
        return entry

    def rules(self) -> dict[str, str]:
        """rule -> pointer of the last exchange's findings."""
        return {f["rule"]: f["pointer"] for f in self.last()["findings"]}

    def raw(self, method: str, path: str, **kwargs: Any) -> Any:
        return self.session.request(method, self.url + path, timeout=10, allow_redirects=False, **kwargs)


@pytest.fixture(scope="module")
def program() -> Iterator[MockProcess]:
    with mock_process() as running:
        yield running


@pytest.fixture(params=["inprocess", "hesabe-mock"])
def server(request: pytest.FixtureRequest) -> Iterator[Server]:
    if request.param == "inprocess":
        with ASGITransport(create_app(), lifespan=True) as transport:
            yield Server("http://mock.inprocess", transport, "inprocess")
        return
    running: MockProcess = request.getfixturevalue("program")
    with requests.Session() as session:
        srv = Server(running.url, session, "process")
        srv.control.reset()
        yield srv
        assert "Traceback" not in running.output, running.output[-2000:]


def _stats_total(server: Server) -> int:
    total: int = server.call("list_invoices").response["stats"]["total_invoice_count"]
    return total


# 1 ------------------------------------------------------------------------------------------------
def test_1_empty_allocate_pay_type_is_like_an_omitted_one(server: Server) -> None:
    inv = server.create(allocatePayType=[])
    assert inv["payment_method"] == ["1", "2"]  # the default allocation
    assert server.rules()["empty_list"] == "/allocatePayType"


# 2 ------------------------------------------------------------------------------------------------
def test_2_amount_with_float_drift_is_invalid_request_data(server: Server) -> None:
    result = server.call("create_invoice", {**INVOICE, "amount": "20.100000001"})
    assert result.status == 400
    assert result.envelope == {"status": False, "code": 506, "message": "Invalid Request Data",
                               "response": None}
    entry = server.last()
    assert [f["rule"] for f in entry["findings"] if f["severity"] == "error"] == ["amount_precision"]
    assert entry["diagnosis"][0]["code"] == "amount_precision"
    assert _stats_total(server) == 0


@pytest.mark.parametrize("amount", [None, "abc", "0.000", "-5", "", "1e3"])
def test_2_missing_non_numeric_zero_or_negative_amount_is_the_amount_field_error(server: Server,
                                                                              amount: Any) -> None:
    payload = {k: v for k, v in INVOICE.items() if k != "amount"}
    if amount is not None:
        payload["amount"] = amount
    result = server.call("create_invoice", payload)
    assert result.status == 400 and result.envelope["status"] is False
    assert result.envelope["response"]["amount"][0].startswith("The amount")  # what the merchant app reads
    assert _stats_total(server) == 0


@pytest.mark.parametrize(("sent", "kept"), [("20", "20.000"), ("20.5", "20.500"), ("20.25", "20.250"),
                                            (20.5, "20.500"), (20, "20.000")])
def test_2_amount_with_0_to_2_decimals_is_read_and_reported(server: Server, sent: Any, kept: str) -> None:
    assert server.create(amount=sent)["amount"] == kept
    findings = server.last()["findings"]
    assert [(f["rule"], f["severity"], f["pointer"]) for f in findings if f["rule"].startswith("amount")] == [
        ("amount_format", "warning", "/amount")]


# 3 ------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("page", ["abc", "0", "-1", ""])
def test_3_unusable_page_is_page_1(server: Server, page: str) -> None:
    for n in range(16):
        server.create(referenceNumber=f"P-{n}")
    inside = server.call("list_invoices", {"page": page})
    assert inside.ok and inside.response["invoices"]["pagination"]["current_page"] == 1
    assert server.rules().get("page_unusable") == "/page"
    plain = server.call("list_invoices", query={"page": page})
    assert plain.ok and plain.response["invoices"]["pagination"]["current_page"] == 1
    # plain query: empty is null (ConvertEmptyStringsToNull), the rest the paginator's page 1
    assert server.rules().get("empty_filter" if page == "" else "page_unusable") == "/page"


def test_3_invoice_type_4_lists_the_orders_order_stats_counts(server: Server) -> None:
    server.control.seed({"invoices": [{"invoice_type": 4, "amount": "5.000", "reference_number": "ORD-1"},
                                      {"invoice_type": 1, "amount": "6.000", "reference_number": "INV-1"}]})
    orders = server.call("list_invoices", query={"invoiceType": "4"})
    assert orders.ok
    assert [row["reference_number"] for row in orders.response["invoices"]["data"]] == ["ORD-1"]
    assert orders.response["order_stats"]["total_invoice_count"] == 1
    assert orders.response["stats"]["total_invoice_count"] == 1  # stats ignore the filter


def test_3_empty_plain_filters_are_null_and_empty_data_values_absent(server: Server) -> None:
    server.create(referenceNumber="EMPTY-1")
    result = server.call("list_invoices", query={"fromDate": "", "toDate": "", "search": ""})
    assert result.ok and result.response["invoices"]["pagination"]["total"] == 1
    assert {f["rule"] for f in server.last()["findings"]} >= {"empty_filter"}
    inv = server.create(customerName="", referenceNumber="EMPTY-2")
    assert inv["customer"]["name"] == ""  # absent: the invoice has no customer name
    assert server.rules()["empty_value"] == "/customerName"
    assert [f["severity"] for f in server.last()["findings"] if f["rule"] == "empty_value"] == ["error"]


# 4 ------------------------------------------------------------------------------------------------
def test_4_unknown_fields_are_ignored_and_reported_naming_the_field(server: Server) -> None:
    inv = server.create(customer_name="Snake Case", refrenceNumber="typo")
    assert inv["customer"]["name"] == "Test" and inv["reference_number"] == "FID-1"
    unknown = {f["pointer"]: f for f in server.last()["findings"] if f["rule"] == "unknown_field"}
    assert set(unknown) == {"/customer_name", "/refrenceNumber"}
    assert "customerName" in unknown["/customer_name"]["message"]  # the field it probably meant
    assert "referenceNumber" in unknown["/refrenceNumber"]["message"]
    assert {f["severity"] for f in unknown.values()} == {"error"}
    with pytest.raises(RequestValidationError, match="customer_name"):  # the reference client refuses it
        HesabeClient(server.config, transport=server.session).call(
            "create_invoice", {**INVOICE, "customer_name": "x"})


# 5 ------------------------------------------------------------------------------------------------
def test_5_bulk_send_refuses_a_cancelled_or_paid_invoice_as_resend_does(server: Server) -> None:
    unpaid, cancelled, paid = (server.create(referenceNumber=f"B-{n}") for n in range(3))
    assert server.call("cancel_invoice", {"statusId": "3"}, path_params={"token": cancelled["token"]}).ok
    server.control.pay_invoice(paid["id"], payment_type=1)
    for bad in (cancelled, paid):
        resend = server.call("resend_invoice", {"resendId": str(bad["id"]), "mobileNumber": "66666666",
                                                "countryCode": "965"})
        bulk = server.call("send_bulk_invoices", {"ids": [str(unpaid["id"]), str(bad["id"])]})
        assert (bulk.status, bulk.envelope) == (resend.status, resend.envelope)
        assert bulk.status == 400 and bulk.envelope["message"].startswith("Invoice has")
    assert server.control.invoice(unpaid["id"])["sms_status"] == 0  # all or nothing


def test_5_bulk_send_accepts_uploaded_bulk_rows(server: Server) -> None:
    import base64

    csv = "name,phone,email,amount,reference_number,description\nAli,96566666666,a@example.com,8.5,BR-1,Fee\n"
    rows = server.call("upload_bulk_invoices", {"isScheduled": "false", "fileType": "csv",
                                                "invoices": base64.b64encode(csv.encode()).decode()})
    row_id = rows.response[0]["id"]
    sent = server.call("send_bulk_invoices", {"ids": [str(row_id)]})
    assert sent.ok, sent.envelope
    listed = server.call("list_invoices", {"search": "BR-1"}).response["invoices"]["data"]
    assert [(r["amount"], r["customer"]["name"], r["sms_status"]) for r in listed] == [("8.500", "Ali", 1)]


def test_5_a_bulk_row_id_that_an_invoice_also_has_sends_the_row(server: Server) -> None:
    """Both counters start at 1: upload, list, send the listed ids must send the rows."""
    import base64

    csv = "name,phone,email,amount,reference_number,description\nBo,96566666666,b@example.com,9.5,BR-2,Fee\n"
    row_id = server.call("upload_bulk_invoices", {"isScheduled": "false", "fileType": "csv",
                                                  "invoices": base64.b64encode(csv.encode()).decode()}
                         ).response[0]["id"]
    while (created := server.call("create_invoice", dict(INVOICE))).response["id"] < row_id:
        pass  # on a fresh mock an invoice gets the row's id (a reset keeps the counters)
    twin = created.response if created.response["id"] == row_id else None
    assert server.call("send_bulk_invoices", {"ids": [str(row_id)]}).ok
    listed = server.call("list_invoices", {"search": "BR-2"}).response["invoices"]["data"]
    assert [(r["amount"], r["customer"]["name"], r["sms_status"]) for r in listed] == [("9.500", "Bo", 1)]
    if server.kind == "inprocess":
        assert twin is not None and server.control.invoice(row_id)["sms_status"] == twin["sms_status"]


def test_5_a_bulk_row_named_twice_becomes_one_invoice(server: Server) -> None:
    import base64

    csv = "name,phone,email,amount,reference_number,description\nCy,96566666666,c@example.com,7,BR-3,Fee\n"
    row_id = server.call("upload_bulk_invoices", {"isScheduled": "false", "fileType": "csv",
                                                  "invoices": base64.b64encode(csv.encode()).decode()}
                         ).response[0]["id"]
    assert server.call("send_bulk_invoices", {"ids": [str(row_id), str(row_id)]}).ok
    listed = server.call("list_invoices", {"search": "BR-3"}).response["invoices"]["data"]
    assert len(listed) == 1


# 6 ------------------------------------------------------------------------------------------------
def test_6_single_or_subscription_is_decided_by_the_payload(server: Server) -> None:
    sub = server.call("create_invoice", {**INVOICE, **SUBSCRIPTION})  # POST /api/v1/invoice
    assert sub.ok and sub.response["invoice_type"] == 0 and sub.response["subscription"] == 1
    entry = server.last()
    assert (entry["operation"], entry["routed_as"], entry["path"]) == (
        "create_subscription_invoice", "create_invoice", "/api/v1/invoice")
    single = server.call("create_subscription_invoice", dict(INVOICE))  # POST /api/v1/invoice/
    assert single.ok and single.response["invoice_type"] == 1
    assert (server.last()["operation"], server.last()["path"]) == ("create_invoice", "/api/v1/invoice/")
    assert "routed_by_payload" in server.rules()


# 7 ------------------------------------------------------------------------------------------------
def test_7_items_below_the_invoice_amount_are_refused_on_items_list(server: Server) -> None:
    short = [{"itemTitle": "Pen", "rate": "5.000", "quantity": "1", "amount": "5.000"}]
    result = server.call("create_invoice", {**INVOICE, "itemsList": short})
    assert result.status == 400 and list(result.envelope["response"]) == ["itemsList"]
    assert "should not be less than" in result.envelope["message"]
    enough = [{**short[0], "rate": "20.000", "amount": "20.000"}]
    assert server.call("create_invoice", {**INVOICE, "itemsList": enough}).ok


# 8 ------------------------------------------------------------------------------------------------
def test_8_open_invoice_min_above_max_and_a_foreign_split_item_are_refused(server: Server) -> None:
    ranged = {"title": "Range", "amountType": "1", "minAmount": "50.000", "maxAmount": "10.000"}
    result = server.call("create_open_invoice", ranged)
    assert result.status == 400 and list(result.envelope["response"]) == ["maxAmount"]
    parts = [{**INVOICE, "merchantCode": SANDBOX.merchant_code}, {**INVOICE, "merchantCode": "900017"}]
    split = server.call("create_split_invoice", {"invoices": parts})
    assert split.status == 400 and list(split.envelope["response"]) == ["invoices.1.merchantCode"]
    assert _stats_total(server) == 0


# 9 ------------------------------------------------------------------------------------------------
def test_9_an_open_invoice_past_its_expiry_reads_as_expired(server: Server) -> None:
    server.control.freeze("2030-01-10T12:00:00")
    made = server.call("create_open_invoice", {"title": "Soon", "amountType": "0", "fixAmount": "5.000",
                                               "expiryDate": "2030-01-11"}).response
    assert made["status"] == 0
    server.control.advance(2 * 86400)

    def listed(**filters: str) -> list[tuple[int, int]]:
        rows = server.call("list_open_invoices", filters).response["data"]
        return [(row["id"], row["status"]) for row in rows]

    assert listed() == [(made["id"], 1)]
    assert server.call("get_open_invoice", path_params={"id": made["id"]}).response["status"] == 1
    assert listed(status="1") == [(made["id"], 1)] and listed(status="0") == []


# 10 -----------------------------------------------------------------------------------------------
def test_10_installments_get_no_split_key_splits_do(server: Server) -> None:
    parts = [{**INVOICE, "merchantCode": SANDBOX.merchant_code, "referenceNumber": f"I-{n}"}
             for n in range(2)]
    emi = server.call("create_installment_invoice", {"invoices": parts}).response
    assert [(i["split_access_key"], i["spliturl"]) for i in emi] == [("", None), ("", None)]
    split = server.call("create_split_invoice", {"invoices": parts}).response
    assert split[0]["split_access_key"] == "SP" + split[0]["access_key"] and split[1]["spliturl"]


# 11 -----------------------------------------------------------------------------------------------
@pytest.mark.parametrize("access_code", [None, "wrong-code"])
def test_11_wrong_access_code_with_a_valid_bearer_is_plain_invalid_signature(server: Server,
                                                                            access_code: str | None) -> None:
    prepared = server.client.prepare("list_invoices", bearer=server.client.tokens.bearer())
    headers = {k: v for k, v in prepared.headers.items() if k != "accessCode"}
    if access_code:
        headers["accessCode"] = access_code
    res = server.raw("GET", "/api/v1/invoice-dashboard", headers=headers, params=dict(prepared.params or {}))
    assert res.status_code == 401
    assert res.content == b'{"status":false,"message":"Invalid Signature.","response":null}'
    assert decode_response(res.content, SANDBOX.keys).encrypted is False


# 12 -----------------------------------------------------------------------------------------------
@pytest.mark.parametrize(("method", "path", "allow"), [
    ("GET", "/api/v1/login", "POST"),
    # every method the path answers, of every route
    ("DELETE", "/api/v1/invoice/12", "GET, HEAD, PUT"),
    ("PATCH", "/api/v1/open-invoice/926", "DELETE, GET, HEAD, PUT"),
    ("POST", "/api/v1/invoice-dashboard", "GET, HEAD"),
])
def test_12_405_carries_allow(server: Server, method: str, path: str, allow: str) -> None:
    res = server.raw(method, path)
    assert res.status_code == 405 and res.headers["Allow"] == allow


# 13 -----------------------------------------------------------------------------------------------
def test_13_a_paid_transaction_carries_the_fields_the_merchant_app_reads(server: Server) -> None:
    inv = server.create()
    server.control.pay_invoice(inv["id"], payment_type=1)
    txn = server.call("get_invoice", path_params={"id": inv["id"]}).response["transaction"]
    for key in ("reconciliation", "payment_transfer", "payment_transfer_document_number"):
        assert key in txn and txn[key] is None
    assert txn["refund"] == [] and txn["payment_card_detail"] is None
    assert txn["payment_type"]["display_name"] == "KNET" and txn["transaction_reference_number"]
    # the docs' sample, cut off at "refu...": the keys in its order, then refund[]
    assert list(txn)[:12] == ["id", "amount", "net_amount", "commission", "admin_charge", "token",
                              "payment_type_id", "service_type_id", "payment_transfer_status",
                              "payment_status", "auth_status", "refund"]
    # checkout §4.5: <merchantCode><epoch><13 digits, the first a 9>; KNET's ids carry the day
    epoch = server.control.clock()["epoch"]
    match = re.fullmatch(r"842217(\d{10})9\d{12}", txn["token"])
    assert match and abs(int(match.group(1)) - epoch) < 60, txn["token"]
    day = time.gmtime(epoch + 3 * 3600)  # Kuwait
    stamp = f"{day.tm_year % 10}{day.tm_yday:03d}"
    assert re.fullmatch(rf"100{stamp}\d{{11}}", txn["payment_id"]), txn["payment_id"]
    assert re.fullmatch(rf"{stamp}\d{{11}}", txn["transaction_id"]), txn["transaction_id"]


# 14 -----------------------------------------------------------------------------------------------
def test_14_identifiers_are_shaped_like_the_seeds(server: Server) -> None:
    made = [server.create(referenceNumber=f"ID-{n}") for n in range(40)]
    epoch = server.control.clock()["epoch"]
    suffixes = set()
    for inv in made:
        match = re.fullmatch(r"84(\d{10})([1-9]\d{5,9})", inv["token"])
        assert match and abs(int(match.group(1)) - epoch) < 60, inv["token"]
        suffixes.add(len(match.group(2)))
        assert re.fullmatch(r"9[3-9EQRWY]{7}", inv["access_key"]), inv["access_key"]
    assert len(suffixes) >= 3  # 6 to 10 digits, as the samples vary


# 15 -----------------------------------------------------------------------------------------------
@pytest.mark.parametrize(("username", "password", "ok"), [("Test", "Test@1234", True),
                                                          ("test", "Test@1234", True),
                                                          ("TEST", "Test@1234", True),
                                                          ("test", "test@1234", False)])
def test_15_usernames_match_in_any_case_passwords_do_not(server: Server, username: str, password: str,
                                                         ok: bool) -> None:
    result = server.call("login", {"username": username, "password": password})
    assert result.ok is ok and (result.status == 200 if ok else result.status == 404)


# 16 -----------------------------------------------------------------------------------------------
def test_16_the_apps_timeline_filter_names_days(server: Server) -> None:
    """Hesabe's app filters the dashboard by ``timeline``: "1" today, "2" the last 7 days (Kuwait
    calendar); "3" is its custom range, the dates it sends."""
    server.control.freeze("2026-03-01T10:00:00+03:00")
    made = {}
    for days_ago in (10, 6, 1, 0):
        server.control.freeze(f"2026-03-{11 - days_ago:02}T10:00:00+03:00")
        made[days_ago] = server.create(referenceNumber=f"TL-{days_ago}")["id"]
    server.control.freeze("2026-03-11T23:30:00+03:00")

    def listed(**filters: str) -> set[int]:
        rows = server.call("list_invoices", filters).response["invoices"]["data"]
        return {row["id"] for row in rows} & set(made.values())

    assert listed(timeline="1") == {made[0]}
    assert listed(timeline="2") == {made[0], made[1], made[6]}
    assert listed(timeline="3", fromDate="2026-03-01", toDate="2026-03-04") == {made[10]}
    assert listed() == set(made.values())
