"""The register's evidence: every cassette docs/fidelity.md cites exists, and a "confirmed live"
mark (in the register, or a contract test's ``hesabe_confirmed_live``) holds only with a real
recording of that day from a Hesabe host."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from hesabe_spec.cassettes import FORMAT, confirmation_problem, read_recording, write_manifest

ROOT = Path(__file__).resolve().parents[2]
FIDELITY = (ROOT / "docs" / "fidelity.md").read_text("utf-8")
SEED_PAGES = ROOT / "fixtures" / "cassettes" / "seed-pages"


def test_every_cited_cassette_exists() -> None:
    cited = re.findall(r"`(fixtures/cassettes/[^`]+?\.json)`", FIDELITY)
    named = re.findall(r"`(\d{4}-[a-z_]+\.json)`", FIDELITY)
    assert cited and named
    files = {p.name for p, _ in read_recording(SEED_PAGES).cassettes}
    for path in cited:
        assert (ROOT / path).is_file(), path
    for name in named:
        assert name in files, name


def test_every_confirmed_live_mark_holds() -> None:
    for date, cassette in re.findall(r"confirmed live (\d{4}-\d\d-\d\d) `?([^\s`|]+)", FIDELITY):
        assert confirmation_problem(date, cassette, ROOT) is None, cassette


def _copy(tmp_path: Path, **manifest: str) -> Path:
    target = tmp_path / "rec"
    shutil.copytree(SEED_PAGES, target)
    write_manifest(
        target,
        {
            "format": FORMAT,
            "label": "real",
            "upstream": "https://merchantapisandbox.hesabe.com",
            "recorded_at": "2026-12-07T10:00:00+00:00",
            **manifest,
        },
    )  # type: ignore[typeddict-item]
    return target / "0001-resend_invoice.json"


def test_a_real_recording_of_that_day_confirms(tmp_path: Path) -> None:
    assert confirmation_problem("2026-12-07", _copy(tmp_path)) is None


@pytest.mark.parametrize(
    ("date", "manifest", "problem"),
    [
        ("2026-12-08", {}, "not on 2026-12-08"),
        ("2026-12-07", {"label": "synthetic"}, "not a real one"),
        ("2026-12-07", {"upstream": "http://127.0.0.1:8000"}, "not a real one"),
    ],
)
def test_anything_else_does_not(tmp_path: Path, date: str, manifest: dict[str, str], problem: str) -> None:
    found = confirmation_problem(date, _copy(tmp_path, **manifest))
    assert found is not None and problem in found
    assert "no such cassette" in str(confirmation_problem(date, tmp_path / "missing.json"))
