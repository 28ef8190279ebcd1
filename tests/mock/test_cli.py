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
# -- the mock's own environment, help and version ----------------------------------------------------
def test_every_option_has_help_and_an_environment_variable() -> None:
    from mock_server.cli import ENV_PREFIX, apply_environment, build_parser

    parser = build_parser()
    apply_environment(parser, {})
    options = [a for a in parser._actions if a.option_strings and a.dest not in ("help", "version")]
    assert options and all(a.help and f"[env {ENV_PREFIX}{a.dest.upper()}]" in a.help for a in options)
    assert "--version" in parser.format_help()


@pytest.mark.parametrize(
    ("environ", "expected"),
    [({"HESABE_MOCK_TOKEN_TTL": "60", "HESABE_MOCK_OPEN_CONTROL_PLANE": "yes"},
      {"token_ttl": 60, "open_control_plane": True}),
     ({"HESABE_MOCK_ENVELOPE": "bare", "HESABE_MOCK_OPEN_CONTROL_PLANE": "0"},
      {"envelope": "bare", "open_control_plane": False}),
     ({"HESABE_MOCK_ALLOWED_HOSTS": "Mock.Corp.Example, other."},
      {"allowed_hosts": ("mock.corp.example", "other")})],
)
def test_environment_sets_defaults_and_the_command_line_wins(environ: dict[str, str],
                                                             expected: dict[str, object]) -> None:
    from mock_server.cli import apply_environment, build_parser

    parser = build_parser()
    apply_environment(parser, environ)
    args = parser.parse_args([])
    assert {k: getattr(args, k) for k in expected} == expected
    assert parser.parse_args(["--token-ttl", "5"]).token_ttl == 5


@pytest.mark.parametrize("environ", [{"HESABE_MOCK_PORT": "http"}, {"HESABE_MOCK_ENVELOPE": "xml"},
                                     {"HESABE_MOCK_OPEN_CONTROL_PLANE": "maybe"},
                                     {"HESABE_MOCK_ALLOWED_HOSTS": "http://mock/"}])
def test_bad_environment_values_are_usage_errors(environ: dict[str, str],
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main([], environ)
    assert exited.value.code == 2
    assert next(iter(environ)) in capsys.readouterr().err


def test_an_unknown_seed_fixture_is_named(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--port", "0", "--seed", "no-such-seed"], {}) == 2
    assert "cannot read seed file no-such-seed" in capsys.readouterr().err


def test_an_integration_configured_by_hesabe_variables_works_unchanged(tmp_path: Path) -> None:
    """The mock started with the integration's own HESABE_* merchant; the client reads the same."""
    import os
    import subprocess
    import sys

    from hesabe_spec.client import HesabeClient
    from hesabe_spec.client.config import ClientConfig
    from mock_server.control import MockControl

    merchant = {"HESABE_MERCHANT_CODE": "700007", "HESABE_ACCESS_CODE": "integration-access",
                "HESABE_SECRET_KEY": "Z" * 32, "HESABE_IV_KEY": "Y" * 16,
                "HESABE_MERCHANT_USERNAME": "integration", "HESABE_MERCHANT_PASSWORD": "integration-pw"}
    env = {k: v for k, v in os.environ.items() if not k.startswith("HESABE_")}
    env.update(merchant, HESABE_MOCK_PORT="0", HESABE_MOCK_SEED="seed-pages",
               HESABE_MOCK_DB=str(tmp_path / "m.db"))
    script = Path(sys.executable).with_name("hesabe-mock")
    proc = subprocess.Popen([str(script)], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True)
    try:
        assert proc.stdout is not None
        first = proc.stdout.readline()
        url = first.split("listening on ")[1].strip()
        lines = [proc.stdout.readline() for _ in range(2)]
        assert "700007" in lines[0] and "seeded seed-pages" in "".join(lines), lines
        config = ClientConfig.from_env({**merchant, "HESABE_MERCHANT_API_URL": url})
        with HesabeClient(config) as client, MockControl(url) as control:
            assert client.list_invoices()["stats"]["total_invoice_count"] in (0, None)
            # the seed went to the sandbox merchant, served beside the integration's
            assert control.invoice(12880)["merchant_code"] == "842217"
        assert (tmp_path / "m.db").exists()
    finally:
        proc.terminate()
        proc.wait(15)
        if proc.stdout is not None:
            proc.stdout.close()


def test_the_access_log_shows_no_password_of_a_login_query() -> None:
    """--log-level info prints every request line; a login may carry its password in its query."""
    import time

    from support.mock_process import mock_process

    with mock_process("--log-level", "info") as running:
        requests.post(f"{running.url}/api/v1/login?username=Test&password=Pw%40LOGGED1", json={}, timeout=10)
        requests.get(f"{running.url}/api/v1/invoice/?accessCode=AC%40LOGGED2&page=1", timeout=10)
        deadline = time.monotonic() + 10
        while "accessCode=" not in running.output and time.monotonic() < deadline:
            time.sleep(0.05)
        output = running.output
    assert "/api/v1/login?username=Test&password=%5Bredacted%5D" in output
    assert "accessCode=%5Bredacted%5D&page=1" in output
    assert "LOGGED1" not in output and "LOGGED2" not in output


def test_a_client_asking_for_h2c_is_answered_without_log_noise() -> None:
    """Java's HttpClient asks every http:// request to upgrade to HTTP/2; uvicorn answers over
    HTTP/1.1 and used to log two warnings each time, one advising a WebSocket library."""
    import time

    from support.mock_process import mock_process

    with mock_process() as running:
        upgrade = {"Connection": "Upgrade, HTTP2-Settings", "Upgrade": "h2c",
                   "HTTP2-Settings": "AAMAAABkAAQCAAAA"}
        answer = requests.get(f"{running.url}/_mock", headers=upgrade, timeout=10)
        time.sleep(0.2)
        output = running.output
    assert answer.status_code == 200
    assert "Unsupported upgrade request" not in output and "WebSocket" not in output
