"""The recording loop end to end, over real HTTP on loopback: a mock started on its own (uvicorn in a
thread) is made deliberately different with ``mutate_reply`` and ``padding_16``; a client talks to it
through the recording proxy (a second uvicorn server); the parity report against a fresh mock must
flag exactly the differences the faults made, and nothing else."""

from __future__ import annotations

import json
from pathlib import Path

import requests

from hesabe_spec.cassettes import read_recording
from hesabe_spec.client import HesabeClient
from hesabe_spec.sandbox import SANDBOX
from mock_server.recording.parity import run_parity
from mock_server.recording.proxy import Recorder, RecordingProxy
from mock_server.testing import running_mock, serve_app

#: what the upstream mock is made to do differently, and what the report must say about it
FAULTS = [
    {
        "kind": "mutate_reply",
        "operation": "get_invoice",
        "patch": [
            {"op": "replace", "path": "/response/amount", "value": 20},
            {"op": "remove", "path": "/response/description"},
        ],
    },
    {
        "kind": "mutate_reply",
        "operation": "create_invoice",
        "patch": [{"op": "replace", "path": "/message", "value": "Invoice created"}],
    },
    {"kind": "mutate_reply", "operation": "list_invoices", "http_status": 203},
    {"kind": "padding_16", "operation": "get_profile"},
]
EXPECTED = {
    ("get_invoice", "type", "/body/response/amount"),
    ("get_invoice", "extra_key", "/body/response/description"),  # the recorded API dropped it
    ("create_invoice", "value", "/body/message"),
    ("list_invoices", "status", "/status"),
    ("get_profile", "padding", "/wire/padding"),
}


def _record(out: Path) -> None:
    with running_mock() as upstream:
        added = requests.post(f"{upstream.url}/_mock/faults", json={"rules": FAULTS}, timeout=10)
        assert added.status_code == 201, added.text
        recorder = Recorder(
            out,
            SANDBOX.keys,
            upstream=upstream.url,
            label="synthetic",
            recorded_by="tests",
            merchant_code=SANDBOX.merchant_code,
        )
        with serve_app(RecordingProxy(upstream.url, recorder)) as proxy:
            client = HesabeClient(base_url=proxy)
            invoice = client.create_invoice(
                amount="20",
                customer_name="TEST",
                invoice_type="0",
                invoice_sub_type="3",
                allocate_pay_type=[1, 2],
                reference_number="ORD-1",
                expires_at="2099-12-12",
            )
            client.refresh_token()  # a plain exchange whose secrets the recording never holds
            client.get_invoice(invoice["id"])
            client.list_invoices(return_result=True)
            client.get_profile()
            client.cancel_invoice(invoice["token"])
            session = client.checkout(
                "12.500",
                order_reference_number="ORD-1001",
                response_url="https://shop.example/r",
                failure_url="https://shop.example/f",
            )
            client.get_transaction(session.token)


def test_parity_flags_exactly_what_the_faults_changed(tmp_path: Path) -> None:
    out = tmp_path / "recording"
    _record(out)
    recording = read_recording(out)
    assert [c["operation"] for _, c in recording.cassettes] == [
        "login",
        "create_invoice",
        "refresh_token",
        "get_invoice",
        "list_invoices",
        "get_profile",
        "cancel_invoice",
        "create_checkout",
        "transaction_enquiry",
    ]
    profile = next(c for _, c in recording.cassettes if c["operation"] == "get_profile")
    wire = profile["response"]["wire"]
    assert wire is not None and wire["padding"] is not None and wire["plaintext"] is not None
    # a 16-byte pad is told from the server's 32 only when the text ends in a block's first half
    assert wire["plaintext"]["bytes"] % 32 < 16 and wire["padding"]["scheme"] == "pkcs7-16"

    report = run_parity(out)
    found = {(r.operation, d.kind, d.pointer) for r in report.results for d in r.differences}
    assert found == EXPECTED
    assert report.unexplained == len(EXPECTED) and report.exit_code == 1
    verdicts = {r.operation: r.verdict for r in report.results}
    for matched in ("login", "refresh_token", "cancel_invoice", "create_checkout", "transaction_enquiry"):
        assert verdicts[matched] == "matched", matched
    by_op = {r.operation: r for r in report.results}
    assert by_op["get_invoice"].transformed["tokens"] >= 1  # volatile values were compared by form
    assert by_op["create_checkout"].transformed["sessions"] == 1
    assert by_op["refresh_token"].transformed["redacted"] == 2  # both tokens, compared by presence

    md, js = report.write(tmp_path / "parity")
    table = json.loads(js.read_text(encoding="utf-8"))
    assert table["unexplained"] == 5 and table["operations"]["get_invoice"] == {
        "matched": 0,
        "documented": 0,
        "differs": 1,
    }
    text = md.read_text(encoding="utf-8")
    assert "`extra_key` at `/body/response/description`" in text and "0004-get_invoice.json" in text

    # the secrets of the exchange never reached the disk
    raw = "".join(p.read_text(encoding="utf-8") for p in out.iterdir())
    for secret in (SANDBOX.secret_key, SANDBOX.iv_key, SANDBOX.access_code, SANDBOX.password, "eyJ0eXAi"):
        assert secret not in raw


def test_parity_follows_the_mock_s_own_short_ids_in_later_paths(tmp_path: Path) -> None:
    """Recorded against a server that numbers its invoices differently from a fresh mock (here: one
    that already holds three), a later ``/invoice/{id}`` asks the replaying mock for its own id."""
    out = tmp_path / "recording"
    fields = {"amount": "5", "customer_name": "TEST", "invoice_type": "0", "invoice_sub_type": "3",
              "allocate_pay_type": [1], "expires_at": "2099-12-12"}
    with running_mock() as upstream:
        for n in range(3):  # numbered 1-3 upstream, before the recording starts
            HesabeClient(base_url=upstream.url).create_invoice(reference_number=f"OLD-{n}", **fields)
        recorder = Recorder(out, SANDBOX.keys, upstream=upstream.url, label="synthetic", recorded_by="tests",
                            merchant_code=SANDBOX.merchant_code)
        with serve_app(RecordingProxy(upstream.url, recorder)) as proxy:
            client = HesabeClient(base_url=proxy)
            invoice = client.create_invoice(reference_number="NEW-1", **fields)
            assert invoice["id"] == 4  # a fresh mock will call it 1
            client.get_invoice(invoice["id"])
            client.cancel_invoice(invoice["token"])
            client.get_invoice(invoice["id"])
    report = run_parity(out)
    verdicts = [(r.operation, r.verdict) for r in report.results]
    assert verdicts == [("login", "matched"), ("create_invoice", "matched"), ("get_invoice", "matched"),
                        ("cancel_invoice", "matched"), ("get_invoice", "matched")], [
        (r.operation, [(d.kind, d.pointer) for d in r.differences]) for r in report.results]
