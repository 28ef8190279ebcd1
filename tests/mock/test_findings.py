"""Integration findings: on every journal entry, summarised by ``GET /_mock/findings``, failing the
pytest fixtures' tests at teardown, refused by ``hesabe-mock --strict``."""

from __future__ import annotations

import base64
import os
import subprocess
import sys
import textwrap
import threading
from pathlib import Path
from typing import Any

import pytest
import requests
from hypothesis import given
from hypothesis import strategies as st
from support.mock_process import mock_process

from hesabe_spec.client import HesabeClient
from hesabe_spec.client.config import ClientConfig
from hesabe_spec.errors import HesabeError
from hesabe_spec.sandbox import SANDBOX
from hesabe_spec.tolerance import RULES as LENIENCIES
from mock_server.clock import Clock
from mock_server.control.client import MockControl, MockControlError
from mock_server.exchange import Exchange, PipelineHook
from mock_server.finding_hooks import _CAPACITY, REFERENCE_WINDOW, ReferenceWatch, _reuse
from mock_server.findings import CATALOG, finding
from mock_server.testing import MockHandle, running_mock

pytest_plugins = ["mock_server.testing"]

INVOICE = {"amount": "20.000", "invoiceType": "0", "invoiceSubType": "3", "expiresAt": "2099-12-31",
           "referenceNumber": "F-1"}


def _raw(mock: MockHandle) -> HesabeClient:
    """Sends what it is given; pads like the server, so no padding finding mixes in."""
    return mock.client(validate=False, max_retries=0, request_block_size=32)


def test_every_leniency_is_a_finding_rule_with_a_severity() -> None:
    assert set(LENIENCIES) <= set(CATALOG)
    assert {rule.severity for rule in CATALOG.values()} == {"error", "warning"}
    assert CATALOG["unknown_field"].severity == "error" and CATALOG["amount_format"].severity == "warning"
    assert CATALOG["padding_16"].severity == "warning" and CATALOG["empty_value"].severity == "error"


@pytest.mark.hesabe_mock_findings("off")
def test_the_summary_counts_per_rule_and_filters_by_severity(hesabe_mock_inprocess: MockHandle) -> None:
    client = _raw(hesabe_mock_inprocess)
    for n in range(3):
        client.call("create_invoice", {**INVOICE, "amount": "20.5", "customer_name": "x",
                                       "referenceNumber": f"F-{n}"})
    control = hesabe_mock_inprocess.control
    summary = control.findings()
    assert summary["rules"]["unknown_field"]["count"] == 3 and summary["rules"]["amount_format"]["count"] == 3
    assert summary["rules"]["unknown_field"]["latest"][-1]["pointer"] == "/customer_name"
    assert summary["errors"] >= 3 and summary["total"] == summary["errors"] + summary["warnings"]
    assert set(control.findings("error")["rules"]) == {"unknown_field"}
    with pytest.raises(MockControlError, match="severity"):
        control.findings("fatal")
    control.clear_findings()
    assert control.findings()["total"] == 0 and control.journal()  # the journal keeps its entries
    client.call("create_invoice", {**INVOICE, "customer_name": "x"})
    control.reset()
    assert control.findings()["total"] == 0


def test_a_reference_reused_within_minutes_is_a_warning(hesabe_mock_inprocess: MockHandle) -> None:
    client, control = _raw(hesabe_mock_inprocess), hesabe_mock_inprocess.control
    control.freeze()
    client.call("create_invoice", INVOICE)
    client.call("create_invoice", INVOICE)
    assert [f["rule"] for f in control.journal(1)[-1]["findings"]] == ["reference_reused"]
    control.advance(11 * 60)
    client.call("create_invoice", INVOICE)
    assert control.journal(1)[-1]["findings"] == []


def test_an_invoice_created_already_expired_is_a_warning(hesabe_mock_inprocess: MockHandle) -> None:
    """Kuwait is UTC+3: at 01:00 there, a client's UTC "today" is yesterday."""
    client, control = _raw(hesabe_mock_inprocess), hesabe_mock_inprocess.control
    control.freeze("2026-12-07T01:00:00+03:00")
    assert client.call("create_invoice", {**INVOICE, "expiresAt": "2026-12-06"}).ok  # taken, as the server is
    [found] = control.journal(1)[-1]["findings"]
    assert (found["rule"], found["severity"]) == ("expired_on_create", "warning")
    assert found["pointer"] == "/expiresAt"
    assert "2026-12-06 is before today (2026-12-07" in found["message"]
    client.call("create_invoice", {**INVOICE, "expiresAt": "2026-12-07", "referenceNumber": "F-2"})
    assert control.journal(1)[-1]["findings"] == []
    part = {**INVOICE, "merchantCode": SANDBOX.merchant_code, "invoiceType": "0", "customerName": "A"}
    client.call("create_split_invoice", {"invoices": [
        {**part, "referenceNumber": "F-3"}, {**part, "referenceNumber": "F-4", "expiresAt": "2026-12-01"}]})
    assert [f["pointer"] for f in control.journal(1)[-1]["findings"]] == ["/invoices/1/expiresAt"]


def test_a_cancel_with_a_numeric_status_is_read_as_its_text(
        hesabe_mock_inprocess: MockHandle) -> None:
    """``"statusId": 3`` (a JS client's number): Laravel's ``in:3`` compares it as text."""
    client, control = _raw(hesabe_mock_inprocess), hesabe_mock_inprocess.control
    token = client.call("create_invoice", INVOICE).response["token"]
    cancelled = client.call("cancel_invoice", {"statusId": 3}, path_params={"token": token})
    assert cancelled.ok, cancelled.envelope
    assert [(f["rule"], f["pointer"]) for f in control.journal(1)[-1]["findings"]] == [
        ("number_as_text", "/statusId")]
    refused = client.call("cancel_invoice", {"statusId": 4}, path_params={"token": token}, raise_errors=False)
    assert refused.status == 400


def test_a_token_used_after_it_expired_is_a_warning(hesabe_mock_inprocess: MockHandle) -> None:
    client, control = _raw(hesabe_mock_inprocess), hesabe_mock_inprocess.control
    control.freeze()
    bearer = client.tokens.bearer()
    control.advance(901)
    assert client.call("list_invoices").ok  # a read: the client logs in again after the 401
    entries = control.journal(operation="list_invoices")
    assert [(e["status"], [f["rule"] for f in e["findings"]]) for e in entries] == [
        (401, ["expired_token"]), (200, [])]
    assert bearer != client.tokens.bearer()


@pytest.mark.parametrize(("block", "upper", "rules"), [(16, False, ["padding_16"]), (32, False, []),
                                                      (32, True, ["hex_uppercase"])])
def test_wire_findings_of_the_request(hesabe_mock_inprocess: MockHandle, block: int, upper: bool,
                                      rules: list[str]) -> None:
    client = _raw(hesabe_mock_inprocess)
    payload = {"merchantCode": SANDBOX.merchant_code, "search": "x"}  # 39 bytes: the two pads differ
    data = SANDBOX.keys.encrypt(_compact(payload), block_size=block)
    prepared = client.prepare("list_invoices", bearer=client.tokens.bearer())
    params = {**dict(prepared.params or {}), "data": data.upper() if upper else data}
    res = hesabe_mock_inprocess.control.session.request("GET", prepared.url, headers=dict(prepared.headers),
                                                        params=params)
    assert res.status_code == 200
    assert [f["rule"] for f in hesabe_mock_inprocess.control.journal(1)[-1]["findings"]] == rules


def _compact(payload: dict[str, Any]) -> bytes:
    import json

    return json.dumps(payload, separators=(",", ":")).encode()


def test_a_pad_counted_in_characters_is_an_error(hesabe_mock_inprocess: MockHandle) -> None:
    """A kit padding by UTF-16 units: Arabic text makes the pad short of the bytes (this one happens
    to land on whole blocks, so the server reads it; other texts break)."""
    client = _raw(hesabe_mock_inprocess)
    text = next(t for t in ('{"merchantCode":"842217","search":"' + "محمد" * 4 + "x" * j + '"}'
                            for j in range(32))
                if (len(t.encode()) + 32 - len(t) % 32) % 16 == 0 and 32 - len(t) % 32 not in (
                    16 - len(t.encode()) % 16, 32 - len(t.encode()) % 32))
    pad = 32 - len(text) % 32
    from Crypto.Cipher import AES

    raw = AES.new(SANDBOX.secret_key.encode(), AES.MODE_CBC, SANDBOX.iv_key.encode()).encrypt(
        (text + chr(pad) * pad).encode())
    prepared = client.prepare("list_invoices", bearer=client.tokens.bearer())
    res = hesabe_mock_inprocess.control.session.request(
        "GET", prepared.url, headers=dict(prepared.headers), params={"data": raw.hex()})
    assert res.status_code == 200
    found = hesabe_mock_inprocess.control.journal(1)[-1]["findings"]
    assert [(f["rule"], f["severity"]) for f in found] == [("padding_by_characters", "error")]
    # Arabic letters are one UTF-16 unit each: PHP's mb_strlen and JavaScript's length agree
    assert "characters (or UTF-16 units: the same count for this text)" in found[0]["message"]
    hesabe_mock_inprocess.control.clear_findings()  # this test provoked it on purpose


# -- the pytest fixtures ---------------------------------------------------------------------------
_INNER_TEST = '''
import pytest

INVOICE = {"amount": "20.000", "invoiceType": "0", "expiresAt": "2099-12-31", "customer_name": "Ali"}


def test_integration_sends_a_snake_case_field(hesabe_mock):
    client = hesabe_mock.client(validate=False)
    assert client.call("create_invoice", INVOICE).ok    # the real server would accept it, too


@pytest.mark.hesabe_mock_findings("off")
def test_marked_off(hesabe_mock_inprocess):
    hesabe_mock_inprocess.client(validate=False).call("create_invoice", INVOICE)


@pytest.mark.hesabe_mock_findings("fail", ignore=["unknown_field"])
def test_rule_ignored(hesabe_mock_inprocess):
    hesabe_mock_inprocess.client(validate=False).call("create_invoice", INVOICE)


def test_clean_integration(hesabe_mock_inprocess):
    hesabe_mock_inprocess.create_invoice()


def test_shared_mock_sends_a_snake_case_field(hesabe_mock_shared):
    assert hesabe_mock_shared.client(validate=False).call("create_invoice", INVOICE).ok


def test_shared_mock_clean_after_another_test_s_finding(hesabe_mock_shared):
    hesabe_mock_shared.create_invoice()                # its merchant's findings only count
'''


def _child_pytest(tmp_path: Path, *args: str,
                  env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    (tmp_path / "conftest.py").write_text('pytest_plugins = ["mock_server.testing"]\n')
    (tmp_path / "test_integration.py").write_text(textwrap.dedent(_INNER_TEST))
    environ = {k: v for k, v in os.environ.items() if not k.startswith(("HESABE_", "HYPOTHESIS_"))}
    environ.update(env or {})
    return subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", "-rA", *args],
                          cwd=tmp_path, env=environ, capture_output=True, text=True, timeout=300)


def test_the_fixtures_fail_a_test_whose_integration_sends_an_unknown_field(tmp_path: Path) -> None:
    run = _child_pytest(tmp_path)
    assert run.returncode == 1, run.stdout[-3000:]
    assert "6 passed, 2 errors" in run.stdout, run.stdout[-3000:]  # the calls passed, their teardowns failed
    assert "ERROR at teardown of test_integration_sends_a_snake_case_field" in run.stdout
    assert "ERROR at teardown of test_shared_mock_sends_a_snake_case_field" in run.stdout
    assert "[unknown_field] create_invoice /customer_name" in run.stdout
    assert "did you mean customerName?" in run.stdout


@pytest.mark.parametrize(("how", "outcome"), [(("--hesabe-mock-findings=off",), "6 passed"),
                                              (("-W", "default", "--hesabe-mock-findings=warn"), "6 passed")])
def test_the_fixture_mode_is_configurable(tmp_path: Path, how: tuple[str, ...], outcome: str) -> None:
    run = _child_pytest(tmp_path, *how)
    assert run.returncode == 0 and outcome in run.stdout, run.stdout[-3000:]
    assert ("HesabeFindingsWarning" in run.stdout) == ("warn" in how[-1])


def test_the_fixture_mode_comes_from_the_environment_too(tmp_path: Path) -> None:
    run = _child_pytest(tmp_path, env={"HESABE_MOCK_FINDINGS": "off"})
    assert run.returncode == 0 and "6 passed" in run.stdout, run.stdout[-3000:]


class _HeldAfterReply(PipelineHook):
    """Holds the server after a create_invoice reply has gone out, before the findings log records it."""

    def __init__(self) -> None:
        self.release = threading.Event()

    def done(self, ex: Exchange) -> None:
        if ex.operation == "create_invoice":
            self.release.wait(30)


def test_a_reply_sent_at_once_goes_only_once_its_findings_are_recorded() -> None:
    # A test (or another worker of a shared mock) that reads the findings or the journal right
    # after its reply finds the exchange there: the reply waits for the done hooks.
    with running_mock() as mock:
        held = _HeldAfterReply()
        mock.runtime.hooks.insert(0, held)
        answers: list[bool] = []
        unknown_field = {**INVOICE, "customer_name": "Ali"}  # the real server ignores it: a finding
        client = mock.client(validate=False)
        caller = threading.Thread(
            target=lambda: answers.append(client.call("create_invoice", unknown_field).ok))
        try:
            caller.start()
            caller.join(1.0)
            assert answers == []  # the done hooks are held: so is the reply
        finally:
            held.release.set()
        caller.join(30)
        assert answers == [True]
        assert [f for f in mock.runtime.findings.recent() if f.finding.rule == "unknown_field"]  # no wait


def test_a_findings_check_waits_for_a_reply_a_fault_dropped() -> None:
    # A dropped reply is recorded after the connection closed (with what became of it): the client
    # has its error before the findings log has the exchange, and the teardown check waits for it.
    with running_mock() as mock:
        mock.control.add_fault("drop_after_processing", "create_invoice", times=1)
        held = _HeldAfterReply()
        mock.runtime.hooks.insert(0, held)
        try:
            unknown_field = {**INVOICE, "customer_name": "Ali"}
            client = mock.client(validate=False, max_retries=0)
            with pytest.raises(HesabeError):
                client.call("create_invoice", unknown_field)
            seen: list[list[str]] = []
            reader = threading.Thread(target=lambda: seen.append(mock.error_findings()))
            reader.start()
            reader.join(1.0)
            assert not seen  # still waiting: the connection is closed, its findings not recorded yet
        finally:
            held.release.set()
        reader.join(30)
        assert len(seen) == 1 and [line for line in seen[0] if "customer_name" in line], seen


# -- hesabe-mock --strict --------------------------------------------------------------------------
def test_strict_refuses_what_would_be_a_finding_with_a_field_error() -> None:
    with mock_process("--strict") as program, requests.Session() as session:
        client = HesabeClient(ClientConfig(base_url=program.url), transport=session, validate=False,
                              max_retries=0)
        unknown = client.call("create_invoice", {**INVOICE, "customer_name": "x"}, raise_errors=False)
        assert unknown.status == 400 and unknown.envelope == {
            "status": False, "message": "The customer_name field is not allowed.",
            "response": {"customer_name": ["The customer_name field is not allowed."]}}
        short = client.call("create_invoice", {**INVOICE, "amount": "20.5"}, raise_errors=False)
        assert short.status == 400 and list(short.envelope["response"]) == ["amount"]
        page = client.call("list_invoices", {"page": "abc"}, raise_errors=False)
        assert page.status == 400 and list(page.envelope["response"]) == ["page"]
        subscription = client.call("create_invoice", {**INVOICE, "frequency": "1", "noofRecurrence": "2",
                                                      "SubscriptionType": "1", "startDate": "2099-01-01"})
        assert subscription.response["invoice_type"] == 1  # strict: the path decides, as the docs say
        assert client.call("create_invoice", INVOICE).ok  # what the docs define still passes
        with MockControl(program.url) as control:
            assert control.findings()["rules"]["unknown_field"]["count"] == 1
        csv = base64.b64encode(b"name,phone,amount\nAli,96566666666,1.000\n").decode()
        upload = {"isScheduled": "false", "fileType": "csv", "invoices": csv}
        assert client.call("upload_bulk_invoices", upload).ok
    assert "Traceback" not in program.output


@given(st.text(max_size=12), st.integers(0, 700), st.booleans(),
       st.sampled_from(["/referenceNumber", "/invoices/1/referenceNumber"]))
def test_a_reused_references_finding_is_worded_as_written_out_in_full(
        reference: str, seconds: int, heard: bool, pointer: str) -> None:
    """ReferenceWatch keeps these findings in a cache; each must read exactly as the plain text."""
    ago = f"{seconds} s ago"
    if heard:
        expected = finding("reference_reused", f"reference number {reference!r} was used by "
                           f"a create {ago}: two invoices now carry it", pointer)
    else:
        expected = finding("reference_retried", f"reference number {reference!r} was used by "
                           f"a create {ago} whose reply never reached the client, and that "
                           "create may have gone through: look it up (search the reference) "
                           "before creating again", pointer)
    assert _reuse(reference, seconds, heard, pointer) == expected


def _created(reference: str, *, status: int = 200, delivery: str = "sent") -> Exchange:
    ex = Exchange("create_invoice", "POST", "/api/v1/invoice", "127.0.0.1", {}, 0.0)
    ex.request, ex.status, ex.merchant_code = {"referenceNumber": reference}, status, "842217"
    ex.delivery = delivery  # type: ignore[assignment]
    return ex


def _reused(watch: ReferenceWatch, reference: str) -> list[str]:
    ex = _created(reference)
    watch.after(ex)
    watch.done(ex)
    return [f.rule for f in ex.findings]


def test_the_reference_watch_forgets_its_oldest_references_first() -> None:
    """Full, it drops the least recently used reference; using one again makes it the newest."""
    clock = Clock()
    clock.freeze()
    watch = ReferenceWatch(clock)
    for n in range(_CAPACITY):
        assert _reused(watch, f"R-{n}") == []
    assert _reused(watch, "R-0") == ["reference_reused"]  # R-0 is now the newest
    assert _reused(watch, "R-new") == []  # over capacity: R-1, the oldest, is forgotten
    assert _reused(watch, "R-1") == []
    assert _reused(watch, "R-0") == ["reference_reused"]
    assert _reused(watch, f"R-{_CAPACITY - 1}") == ["reference_reused"]


def test_a_reference_after_an_unanswered_create_is_an_error() -> None:
    clock = Clock()
    clock.freeze()
    watch = ReferenceWatch(clock)
    lost = _created("R-9", delivery="dropped")
    watch.after(lost)
    watch.done(lost)
    assert _reused(watch, "R-9") == ["reference_retried"]
    assert _reused(watch, "R-9") == ["reference_reused"]
    clock.advance(REFERENCE_WINDOW + 1)
    assert _reused(watch, "R-9") == []
