"""The shipped real cassettes (the seed pages' exchanges): the mock's parity with them is 100%,
every difference left is a documented gap tied to a docs/fidelity.md row, and the set says what it
lacks."""

from __future__ import annotations

from pathlib import Path

from hesabe_spec.cassettes import read_recording
from mock_server.recording.parity import run_parity
from mock_server.testing import running_mock

ROOT = Path(__file__).resolve().parents[2]
SEED_PAGES = ROOT / "fixtures" / "cassettes" / "seed-pages"
FIDELITY = (ROOT / "docs" / "fidelity.md").read_text("utf-8")


def test_the_mock_has_full_parity_with_the_real_cassettes() -> None:
    report = run_parity(SEED_PAGES)
    assert report.unexplained == 0 and report.exit_code == 0, report.to_markdown()
    verdicts = {r.cassette: r.verdict for r in report.results}
    assert verdicts == {
        "0001-resend_invoice.json": "matched",
        "0002-create_invoice.json": "matched",
        "0003-send_bulk_invoices.json": "matched",
        "0004-list_invoices.json": "documented",
        "0005-create_split_invoice.json": "matched",
    }
    documented = [d for r in report.results for d in r.differences]
    assert [(d.kind, d.pointer) for d in documented] == [("items", "/body/response/invoices/data")]


def test_every_gap_names_a_fidelity_row_and_every_cassette_says_what_it_lacks() -> None:
    recording = read_recording(SEED_PAGES)
    assert recording.manifest["label"] == "real" and recording.manifest["seed"] == "seed-pages"
    for path, cassette in recording.cassettes:
        for gap in cassette.get("gaps", []):
            assert f"| {gap['fidelity']} |" in FIDELITY, (path.name, gap["fidelity"])
        assert any("HTTP status" in note for note in cassette.get("notes", [])), path.name
        if cassette["response"]["wire"] is None:
            assert any("wire facts are unknown" in note for note in cassette["notes"]), path.name


def test_the_real_answers_show_the_wire_the_register_claims() -> None:
    """The fidelity rows marked verified point here: 32-byte padding, PHP's JSON, {"response": hex}."""
    for _, cassette in read_recording(SEED_PAGES).cassettes:
        wire = cassette["response"]["wire"]
        if wire is None:
            continue
        assert wire["envelope"] == "response"
        assert wire["padding"] is not None and wire["padding"]["scheme"] in ("server-32", "either")
        assert wire["plaintext"] is not None and wire["plaintext"]["json"] is not None
        assert wire["plaintext"]["json"]["style"] == "php"


def test_parity_against_a_running_server() -> None:
    with running_mock() as mock:
        report = run_parity(SEED_PAGES, against=mock.url)
    assert report.against == mock.url and report.unexplained == 0
