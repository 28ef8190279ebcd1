"""The cassette format: operations found from the table, answers re-encoded byte for byte, bad
recordings refused with the file and the reason."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from hesabe_spec.cassettes import (
    FORMAT,
    RecordingError,
    match_operation,
    read_recording,
    reencode_response,
    write_manifest,
)
from hesabe_spec.operations import OPERATIONS
from hesabe_spec.sandbox import SANDBOX

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
SEED_PAGES = FIXTURES / "cassettes" / "seed-pages"
EXCHANGES = {
    e["id"]: e for e in json.loads((FIXTURES / "seed_exchanges.json").read_text("utf-8"))["exchanges"]
}


@pytest.mark.parametrize("name", list(OPERATIONS))
def test_every_operation_is_found_by_method_and_path(name: str) -> None:
    op = OPERATIONS[name]
    payload = dict.fromkeys(op.selected_by[:1], "x")
    for form in op.paths:
        path = (
            form.replace("{id}", "12880")
            .replace("{token}", "84159548797454477963420")
            .replace("{reference}", "ORD-1")
        )
        found = match_operation(op.method, path, payload)
        assert found is not None and found[0] is op, (form, found)
        assert set(found[1]) == set(op.path_params)


def test_paths_outside_the_table_are_not_operations() -> None:
    assert match_operation("GET", "/_mock/journal") is None
    assert match_operation("GET", "/payment") is None
    assert match_operation("PATCH", "/api/v1/invoice/1") is None


def test_a_literal_path_wins_over_a_templated_one() -> None:
    found = match_operation("POST", "/api/v1/invoice/split")
    assert found is not None and found[0].name == "create_split_invoice"


@pytest.mark.parametrize(
    ("cassette", "seed"),
    [
        ("0001-resend_invoice.json", "000-response-1"),
        ("0002-create_invoice.json", "001-response-1"),
        ("0005-create_split_invoice.json", "004-response-1"),
    ],
)
def test_a_recorded_answer_re_encodes_to_the_real_ciphertext(cassette: str, seed: str) -> None:
    """The cassette keeps no ciphertext, yet its body, wire facts and keys give back the bytes Hesabe
    sent: the recorded facts are complete, and the mock's JSON writer is Hesabe's."""
    recorded = json.loads((SEED_PAGES / cassette).read_text("utf-8"))
    body = reencode_response(recorded["response"], SANDBOX.keys)
    assert json.loads(body) == {"response": EXCHANGES[seed]["hex"]}


def test_no_ciphertext_or_secret_is_kept() -> None:
    text = "".join(p.read_text("utf-8") for p in SEED_PAGES.iterdir())
    for exchange in EXCHANGES.values():
        assert exchange["hex"][:64] not in text
    assert SANDBOX.access_code not in text and SANDBOX.secret_key not in text


def test_bad_recordings_are_refused_with_the_reason(tmp_path: Path) -> None:
    with pytest.raises(RecordingError, match=r"no manifest\.json"):
        read_recording(tmp_path)
    (tmp_path / "manifest.json").write_text("{", "utf-8")
    with pytest.raises(RecordingError, match="not JSON"):
        read_recording(tmp_path)
    (tmp_path / "manifest.json").write_text('{"format": 99}', "utf-8")
    with pytest.raises(RecordingError, match='"format": 1'):
        read_recording(tmp_path)
    write_manifest(tmp_path, {"format": FORMAT, "label": "synthetic"})
    (tmp_path / "0001-get_invoice.json").write_text('{"operation": "nope"}', "utf-8")
    with pytest.raises(RecordingError, match=r"0001-get_invoice\.json: not a cassette"):
        read_recording(tmp_path)


def test_cassettes_are_read_in_their_recorded_order(tmp_path: Path) -> None:
    write_manifest(tmp_path, {"format": FORMAT, "label": "synthetic"})
    for seq in (10, 2, 1):
        (tmp_path / f"{seq:04d}-get_profile.json").write_text(
            json.dumps({"operation": "get_profile", "seq": seq})
        )
    (tmp_path / "notes.json").write_text("{}")
    assert [c["seq"] for _, c in read_recording(tmp_path).cassettes] == [1, 2, 10]
