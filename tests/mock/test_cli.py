"""``hesabe-mock``'s refusals: one line on stderr and exit status 2, never a traceback."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import requests

from mock_server.cli import main


def test_db_in_a_missing_directory_is_named(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    missing = tmp_path / "no" / "such" / "state.sqlite"
    assert main(["--port", "0", "--db", str(missing)]) == 2
    err = capsys.readouterr().err
    assert str(missing) in err and "Traceback" not in err


@pytest.mark.parametrize("port", ["99999", "-1", "http"])
def test_impossible_ports_are_usage_errors(port: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["--port", port])
    assert exited.value.code == 2
    assert "--port" in capsys.readouterr().err


def test_unreadable_merchants_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--port", "0", "--merchants", str(tmp_path / "absent.json")]) == 2
    assert "merchants file" in capsys.readouterr().err


@pytest.mark.parametrize("seconds", ["-1", "soon", "1e10"])
def test_impossible_auto_approval_delays_are_usage_errors(seconds: str,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["--refund-auto-approve", seconds])
    assert exited.value.code == 2
    assert "--refund-auto-approve" in capsys.readouterr().err


def test_the_auto_approval_delay_reaches_the_running_mock() -> None:
    command = [sys.executable, "-m", "mock_server.cli", "--port", "0", "--refund-auto-approve", "30"]
    with subprocess.Popen(command, stdout=subprocess.PIPE, text=True) as proc:
        try:
            assert proc.stdout is not None
            url = proc.stdout.readline().split()[-1]
            assert requests.get(f"{url}/_mock/refunds/auto-approve", timeout=10).json() == {"seconds": 30.0}
        finally:
            proc.terminate()
            proc.wait(10)
