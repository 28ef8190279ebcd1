""""It happened, but you never heard": ``delay_reply`` and ``drop_after_processing`` run and commit the
operation and keep the reply from the client; the journal says so, the server log stays clean."""

from __future__ import annotations

import logging
import socket
import time
from collections.abc import Iterator
from typing import Any

import pytest
import requests
from support.mock_process import mock_process

from hesabe_spec.client import HesabeClient
from hesabe_spec.client.config import ClientConfig
from hesabe_spec.errors import HesabeTimeoutError as HesabeTimeout
from hesabe_spec.errors import TransportError
from mock_server.control.client import MockControl
from mock_server.faults import FaultError, rule_from_json
from mock_server.testing import MockHandle

pytest_plugins = ["mock_server.testing"]

#: how long an impatient client waits: long enough that a loaded machine still reads its request
#: (a server that finds the client gone before reading it does nothing), far shorter than DELAY_MS
IMPATIENCE = 2.0
DELAY_MS = 60_000  # the server stops waiting as soon as the client has gone

INVOICE = {"amount": "15.000", "invoice_type": "0", "invoice_sub_type": "3", "expires_at": "2099-12-31",
           "reference_number": "UNHEARD-1"}


@pytest.fixture
def quiet_log(caplog: pytest.LogCaptureFixture) -> Iterator[pytest.LogCaptureFixture]:
    """Every record the server logs (uvicorn's and the mock's), to show there is no error among them."""
    caplog.set_level(logging.INFO)
    yield caplog
    problems = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert problems == [], [r.getMessage() for r in problems]


def _found(mock: MockHandle, client: HesabeClient, reference: str) -> list[int]:
    rows = client.list_invoices(search=reference)["invoices"]["data"]
    return [row["id"] for row in rows]


def test_delay_reply_needs_a_delay() -> None:
    with pytest.raises(FaultError, match="latency_ms"):
        rule_from_json({"kind": "delay_reply"})
    assert rule_from_json({"kind": "drop_after_processing"}).kind == "drop_after_processing"


@pytest.mark.hesabe_mock_findings("fail", ignore=["reference_retried"])
def test_a_create_hit_by_delay_reply_times_out_yet_the_invoice_exists(
        hesabe_mock: MockHandle, quiet_log: pytest.LogCaptureFixture) -> None:
    hesabe_mock.control.add_fault("delay_reply", operation="create_invoice", latency_ms=DELAY_MS, times=1)
    impatient = hesabe_mock.client(timeout=IMPATIENCE, max_retries=0)
    impatient.tokens.bearer()  # log in first: only the create meets the short timeout
    with pytest.raises(HesabeTimeout):
        impatient.create_invoice(**INVOICE)
    client = hesabe_mock.client()
    assert len(_found(hesabe_mock, client, "UNHEARD-1")) == 1  # it happened; the client never heard
    created = _journalled(hesabe_mock.control, "create_invoice")[-1]
    assert (created["fault"], created["delivery"], created["status"]) == (
        "delay_reply", "client_disconnected", 200)
    assert created["response"]["message"] == "Invoice generated successfully"  # what was never delivered
    # Retrying blindly with the same reference makes a second invoice: the mock says so, as an error.
    client.create_invoice(**INVOICE)
    retry = hesabe_mock.control.journal(operation="create_invoice")[-1]
    errors = [(f["rule"], f["pointer"]) for f in retry["findings"] if f["severity"] == "error"]
    assert errors == [("reference_retried", "/referenceNumber")]
    assert len(_found(hesabe_mock, client, "UNHEARD-1")) == 2


@pytest.mark.hesabe_mock_findings("fail", ignore=["reference_retried"])
def test_delay_reply_in_process_times_out_the_same_way(hesabe_mock_inprocess: MockHandle) -> None:
    hesabe_mock_inprocess.control.add_fault("delay_reply", operation="create_invoice", latency_ms=3000)
    client = hesabe_mock_inprocess.client(timeout=0.3, max_retries=0)
    client.tokens.bearer()
    with pytest.raises(HesabeTimeout):
        client.create_invoice(**INVOICE)
    hesabe_mock_inprocess.control.clear_faults()
    assert len(_found(hesabe_mock_inprocess, client, "UNHEARD-1")) == 1
    entry = hesabe_mock_inprocess.control.journal(operation="create_invoice")[-1]
    assert (entry["fault"], entry["delivery"]) == ("delay_reply", "client_disconnected")


def test_a_patient_client_gets_the_delayed_reply(hesabe_mock: MockHandle) -> None:
    hesabe_mock.control.add_fault("delay_reply", operation="get_invoice", latency_ms=200, times=1)
    client = hesabe_mock.client()
    inv = hesabe_mock.create_invoice(client)
    assert client.get_invoice(inv["id"])["id"] == inv["id"]
    entry = hesabe_mock.control.journal(operation="get_invoice")[-1]
    assert (entry["fault"], entry["delivery"], entry["status"]) == ("delay_reply", "sent", 200)


def test_drop_after_processing_commits_then_closes_unanswered(hesabe_mock: MockHandle,
                                                             quiet_log: pytest.LogCaptureFixture) -> None:
    hesabe_mock.control.add_fault("drop_after_processing", operation="cancel_invoice", times=1)
    client = hesabe_mock.client(max_retries=0)
    inv = hesabe_mock.create_invoice(client)
    with pytest.raises(TransportError):
        client.cancel_invoice(inv["token"])
    assert client.get_invoice(inv["id"])["invoice_status"] == 3  # the cancel happened
    entry = hesabe_mock.control.journal(operation="cancel_invoice")[-1]
    assert (entry["fault"], entry["delivery"], entry["status"]) == ("drop_after_processing", "dropped", 200)
    assert entry["response"]["message"] == "Invoice status update successful"


def test_the_x_mock_fault_header_takes_the_new_kinds(hesabe_mock: MockHandle) -> None:
    client = hesabe_mock.client(max_retries=0)
    inv = hesabe_mock.create_invoice(client)
    prepared = client.prepare("get_invoice", path_params={"id": inv["id"]}, bearer=client.tokens.bearer())
    with requests.Session() as session:
        with pytest.raises(requests.ConnectionError):
            session.get(prepared.url, headers={**prepared.headers, "X-Mock-Fault": "drop_after_processing"},
                        params=dict(prepared.params or {}), timeout=10)
        delayed = {**prepared.headers, "X-Mock-Fault": "delay_reply; latency_ms=50"}
        res = session.get(prepared.url, headers=delayed, params=dict(prepared.params or {}), timeout=10)
    assert res.status_code == 200
    faults = [e["fault"] for e in hesabe_mock.control.journal(operation="get_invoice")]
    assert faults == ["drop_after_processing", "delay_reply"]


def test_a_client_gone_before_its_body_arrived_is_journalled_as_disconnected(
        hesabe_mock: MockHandle, quiet_log: pytest.LogCaptureFixture) -> None:
    host, port = hesabe_mock.url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=5) as sock:
        sock.sendall(b"POST /api/v1/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                     b"Content-Length: 100\r\n\r\n{\"user")
    entries = _journalled(hesabe_mock.control, "login")
    assert [(e["delivery"], e["status"]) for e in entries] == [("client_disconnected", None)]


def _journalled(control: MockControl, operation: str, timeout: float = 15.0) -> list[dict[str, Any]]:
    """The journal entries of ``operation``, once there are any: the server notices a client that
    went away on its own event loop, a moment after the client did."""
    deadline = time.monotonic() + timeout
    while not (entries := control.journal(operation=operation)) and time.monotonic() < deadline:
        time.sleep(0.01)
    return entries


def test_the_hesabe_mock_program_logs_no_traceback_for_drops_and_disconnects() -> None:
    with mock_process("--log-level", "info") as program, requests.Session() as session:
        control = MockControl(program.url, session=session)
        control.add_fault("drop_after_processing", operation="create_invoice", times=1)
        control.add_fault("delay_reply", operation="list_invoices", latency_ms=DELAY_MS, times=1)
        client = HesabeClient(ClientConfig(base_url=program.url), transport=session, max_retries=0)
        with pytest.raises(TransportError):
            client.create_invoice(**INVOICE)
        # only the delayed call meets a short timeout; it uses the token the patient client got
        impatient = HesabeClient(ClientConfig(base_url=program.url, timeout=IMPATIENCE), transport=session,
                                 max_retries=0)
        impatient.tokens.adopt(client.login(return_result=True).envelope)
        with pytest.raises(HesabeTimeout):
            impatient.list_invoices()
        listed = _journalled(control, "list_invoices")
        assert [(e["fault"], e["delivery"]) for e in listed] == [("delay_reply", "client_disconnected")]
        assert [e["delivery"] for e in control.journal(operation="create_invoice")] == ["dropped"]
    assert "Traceback" not in program.output and "ERROR" not in program.output, program.output[-3000:]
