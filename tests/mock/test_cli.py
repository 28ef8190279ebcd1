"""``hesabe-mock``'s refusals: one line on stderr and exit status 2, never a traceback."""

from __future__ import annotations

from pathlib import Path

import pytest

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
