"""The plugin end to end, in a child pytest: report table and JSON, process mode, inertness."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _pytest(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    environ = {k: v for k, v in os.environ.items() if not k.startswith(("HESABE_", "HYPOTHESIS_"))}
    environ.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", *args],
        cwd=ROOT,
        env=environ,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_auth_tests_in_process_with_a_json_report(tmp_path: Path) -> None:
    report = tmp_path / "report.json"
    run = _pytest(
        "contract_tests/test_auth.py", "--hesabe-report", str(report), env={"HYPOTHESIS_PROFILE": "ci"}
    )
    assert run.returncode == 0, run.stdout[-3000:]
    assert "Hesabe contract report" in run.stdout and "in-process mock" in run.stdout
    data = json.loads(report.read_text())
    assert data["profile"] == "ci" and data["violations"] == []
    assert data["operations"]["login"]["run"] >= 1


def test_process_mode_starts_hesabe_mock(tmp_path: Path) -> None:
    run = _pytest(
        "contract_tests/test_auth.py",
        "-k",
        "refresh",
        "--hesabe-mock=process",
        env={"HYPOTHESIS_PROFILE": "ci"},
    )
    assert run.returncode == 0, run.stdout[-3000:]
    assert "hesabe-mock subprocess at http://127.0.0.1:" in run.stdout


def test_url_target_skips_sms_operations_without_permission() -> None:
    # Nothing listens there: every selected test is skipped before the target is ever contacted.
    run = _pytest(
        "contract_tests/test_operations.py", "-rs", "--hesabe-url", "http://127.0.0.1:9", "-m", "hesabe_sms"
    )
    assert run.returncode == 0, run.stdout[-3000:]
    assert "4 skipped" in run.stdout and "--hesabe-allow-sms" in run.stdout


@pytest.mark.parametrize("args", [("--co", "tests/contract/test_generators.py")])
def test_plugin_is_inert_outside_the_contract_suite(args: tuple[str, ...]) -> None:
    run = _pytest(*args)
    assert run.returncode == 0, run.stdout[-3000:]
    assert "Hesabe contract report" not in run.stdout
