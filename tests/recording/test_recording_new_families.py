"""The recording loop over the newer families: saved cards, Smart POS and the transactions report
are recorded through the proxy like any operation, and a fresh mock replays them to a clean
parity report (ids the target hands out carried forward)."""

from __future__ import annotations

from pathlib import Path

from hesabe_spec.cassettes import read_recording
from hesabe_spec.client import HesabeClient
from hesabe_spec.sandbox import SANDBOX
from mock_server.recording.parity import run_parity
from mock_server.recording.proxy import Recorder, RecordingProxy
from mock_server.testing import running_mock, serve_app

#: the gateway's calls need no login; the first Merchant API call logs in
RECORDED = ["create_card_customer", "list_saved_cards", "login", "list_pos_terminals", "create_pos_invoice",
            "get_pos_invoice", "list_pos_invoices", "get_transactions_report"]


def test_new_families_record_and_replay_to_a_clean_parity_report(tmp_path: Path) -> None:
    out = tmp_path / "recording"
    with running_mock() as upstream:
        recorder = Recorder(out, SANDBOX.keys, upstream=upstream.url, label="synthetic",
                            recorded_by="tests", merchant_code=SANDBOX.merchant_code)
        with serve_app(RecordingProxy(upstream.url, recorder)) as proxy:
            client = HesabeClient(base_url=proxy)
            customer = client.create_card_customer("Sara Ali", "sara@example.com", "66666666")
            assert client.list_saved_cards(customer["id"]) == []
            terminal = client.list_pos_terminals()["terminals"][0]["terminal_id"]
            sale = client.create_pos_invoice("6.500", terminal, reference_number="REC-POS")
            client.get_pos_invoice(sale["id"])
            client.list_pos_invoices()
            client.get_transactions_report(nostats=True)
    recording = read_recording(out)
    assert [c["operation"] for _, c in recording.cassettes] == RECORDED
    report = run_parity(out)
    verdicts = {r.operation: r.verdict for r in report.results}
    assert report.unexplained == 0 and report.exit_code == 0, report.to_markdown()
    assert set(verdicts) <= set(RECORDED) and {"create_card_customer", "create_pos_invoice"} <= set(verdicts)
