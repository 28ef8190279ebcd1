"""``--hesabe-replay``: the response rules over recorded answers catch what a changed API answers,
offline; ``hesabe_confirmed_live`` marks are checked when the suite is collected."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from contract_tests.replay import load_replay
from hesabe_spec.sandbox import SANDBOX

ROOT = Path(__file__).resolve().parents[2]
SEED_PAGES = ROOT / "fixtures" / "cassettes" / "seed-pages"


def _tampered(tmp_path: Path) -> Path:
    target = tmp_path / "changed"
    shutil.copytree(SEED_PAGES, target)
    path = target / "0002-create_invoice.json"
    cassette = json.loads(path.read_text("utf-8"))
    cassette["response"]["body"]["message"] = "Invoice created"
    cassette["response"]["body"]["response"]["amount"] = 20
    path.write_text(json.dumps(cassette), "utf-8")
    return target


def test_the_real_answers_keep_every_rule() -> None:
    replayed = load_replay(SEED_PAGES, SANDBOX.keys)
    assert [r.judge() for r in replayed] == [[]] * 5
    body_only = [r.name for r in replayed if "response_padding" not in r.rules]
    assert body_only == ["0003-send_bulk_invoices.json", "0004-list_invoices.json"]


def test_a_changed_answer_breaks_the_rules(tmp_path: Path) -> None:
    replayed = {r.name: r for r in load_replay(_tampered(tmp_path), SANDBOX.keys)}
    found = {(f.rule, f.pointer) for f in replayed["0002-create_invoice.json"].judge()}
    assert ("success_message", "/message") in found
    assert any(rule == "response_schema" and pointer.endswith("/amount") for rule, pointer in found)


def _pytest(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    environ = {k: v for k, v in os.environ.items() if not k.startswith(("HESABE_", "HYPOTHESIS_"))}
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", *args],
        cwd=cwd,
        env=environ,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_the_replay_run_fails_on_a_changed_answer_and_needs_no_server(tmp_path: Path) -> None:
    run = _pytest("contract_tests", "--hesabe-replay", str(_tampered(tmp_path)))
    assert run.returncode == 1, run.stdout[-2000:]
    assert "1 failed, 4 passed" in run.stdout and "[success_message] create_invoice" in run.stdout


def test_a_confirmed_live_mark_without_its_real_cassette_stops_the_run(tmp_path: Path) -> None:
    (tmp_path / "test_marked.py").write_text(
        "import pytest\n\n"
        "@pytest.mark.hesabe_confirmed_live('2026-12-07', 'recordings/sandbox/0001-login.json')\n"
        "def test_x():\n    pass\n",
        "utf-8",
    )
    run = _pytest("-p", "contract_tests.plugin", "test_marked.py", cwd=tmp_path)
    assert (
        run.returncode == 4
        and "hesabe_confirmed_live: recordings/sandbox/0001-login.json: no such cassette"
        in (run.stdout + run.stderr)
    )
