"""The plugin end to end, in a child pytest: report table and JSON, process mode, inertness."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

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


def test_a_target_that_cannot_be_tested_stops_the_run_in_one_line(tmp_path: Path) -> None:
    """Nothing listening, or credentials the server refuses: one line and exit 2, before any test
    (not every test failing in turn, each with its traceback)."""
    from mock_server.testing import running_mock

    nothing = _pytest("contract_tests/test_auth.py", "--hesabe-url", "http://127.0.0.1:9",
                      env={"HYPOTHESIS_PROFILE": "ci"})
    assert nothing.returncode == 2 and "nothing answers at http://127.0.0.1:9" in nothing.stdout
    assert "Traceback" not in nothing.stdout and "passed" not in nothing.stdout
    assert "HESABE_MERCHANT_API_URL" not in nothing.stdout  # the option named it
    exported = _pytest("contract_tests/test_auth.py", env={"HYPOTHESIS_PROFILE": "ci",
                                                           "HESABE_MERCHANT_API_URL": "http://127.0.0.1:9"})
    assert exported.returncode == 2 and "the URL is HESABE_MERCHANT_API_URL's: unset it" in exported.stdout
    with running_mock() as mock:
        refused = _pytest("contract_tests/test_auth.py", "--hesabe-url", mock.url,
                          env={"HYPOTHESIS_PROFILE": "ci", "HESABE_MERCHANT_USERNAME": "Test",
                               "HESABE_MERCHANT_PASSWORD": "not-it"})
    assert refused.returncode == 2 and "refused the login" in refused.stdout, refused.stdout[-2000:]
    assert "not-it" not in refused.stdout  # the password is never shown


def test_a_replay_report_names_the_recording_it_judged() -> None:
    run = _pytest("contract_tests", "--hesabe-replay", "fixtures/cassettes/seed-pages")
    assert run.returncode == 0, run.stdout[-2000:]
    assert "target: recorded answers in fixtures/cassettes/seed-pages (no server)" in run.stdout


@pytest.mark.parametrize(("node_id", "selector"), [
    ("test_auth.py::test_login", "test_auth.py::test_login"),  # hesabe-contract's rootdir is the suite
    ("contract_tests/test_operations.py::test_x[get_profile]", "test_operations.py::test_x[get_profile]"),
    ("/abs/site-packages/contract_tests/test_auth.py::T::test_y", "test_auth.py::T::test_y"),
    ("tests/test_mine.py::test_z", None),  # a project's own test using the plugin
    ("(end of the run: cancelling what it created)", None),
])
def test_a_test_is_named_as_hesabe_contract_selects_it(node_id: str, selector: str | None) -> None:
    from contract_tests.report import suite_node_id

    assert suite_node_id(node_id) == selector


def test_hesabe_contract_runs_the_tests_it_is_given_alone() -> None:
    from contract_tests.cli import SUITE, build_parser, pytest_args

    chosen = ["--profile", "ci", "-x", "test_auth.py::test_login", "-k", "a"]
    args, rest = build_parser().parse_known_args(chosen)
    line = pytest_args(args, rest)
    assert line[0] == f"{SUITE / 'test_auth.py'}::test_login" and str(SUITE) not in line[1:2]
    assert line[-3:] == ["-x", "-k", "a"]
    args, rest = build_parser().parse_known_args(["-k", "refresh"])
    assert pytest_args(args, rest)[0] == str(SUITE)


@pytest.mark.parametrize(("status", "body", "absent"), [
    (404, {"message": "Request not found, Please verify the request data"}, True),  # Hesabe's
    (404, {"message": "The route _mock/invoices/1/pay could not be found."}, True),  # Laravel's default
    (404, "<html>Not Found</html>", True),
    (405, {"message": "The POST method is not supported for this route."}, True),
    (404, {"error": "no invoice 1 of merchant 842217"}, False),  # the control plane, refusing
    (409, {"error": "already paid"}, False),
    (200, {"paid": True}, False),
])
def test_a_server_without_the_control_plane_is_told_apart_from_its_refusals(
        status: int, body: Any, absent: bool) -> None:
    from contract_tests.control import _absent

    assert _absent(status, body) is absent


def test_a_server_serving_part_of_the_api_is_tested_on_that_part(tmp_path: Path) -> None:
    """--hesabe-operations: the tests of the other operations are left out, and a test that calls
    one is skipped, saying which; nothing calls an operation outside the list."""
    report = tmp_path / "report.json"
    served = {"login", "refresh_token", "create_invoice", "get_invoice", "list_invoices", "cancel_invoice"}
    ci = {"HYPOTHESIS_PROFILE": "ci"}
    run = _pytest("contract_tests", "-rs", "--hesabe-operations", ",".join(sorted(served)),
                  "--hesabe-report", str(report), env=ci)
    assert run.returncode == 0, run.stdout[-3000:]
    assert " deselected" in run.stdout
    assert "calls list_refunds, which --hesabe-operations leaves out" in run.stdout  # a refund lifecycle
    assert "test_invoice_lifecycle" not in run.stdout  # it ran, on the served operations only
    called = set(json.loads(report.read_text())["operations"])
    assert called and called <= served, called - served
    wrong = _pytest("contract_tests", "--hesabe-operations", "login,get_invoices", env=ci)
    assert wrong.returncode == 4
    assert "unknown operation(s): get_invoices (did you mean get_invoice?)" in wrong.stderr


@pytest.mark.parametrize("profile", ["dev", "ci", "live"])
def test_no_profile_shrinks_against_a_url(profile: str) -> None:
    """Shrinking a failure is more calls to the target: against a URL a broken field cost a ci
    run six minutes of them. A mock the suite starts shrinks as its profile says."""
    from hypothesis import Phase

    from contract_tests import profiles

    before = profiles.active_profile()
    try:
        profiles.set_active(profile, remote=True)
        assert Phase.shrink not in profiles.contract_settings().phases
        assert Phase.generate in profiles.contract_settings().phases
        profiles.set_active(profile, remote=False)
        assert (Phase.shrink in profiles.contract_settings().phases) == (profile != "live")
        profiles.set_active(profile, remote=True, shrink=True)  # --hesabe-shrink: one's own server
        assert Phase.shrink in profiles.contract_settings().phases
    finally:
        profiles.set_active(before)


def test_shrink_reaches_the_profiles_from_both_command_lines() -> None:
    from contract_tests.cli import build_parser, pytest_args

    args, rest = build_parser().parse_known_args(["--url", "http://127.0.0.1:9", "--shrink"])
    assert "--hesabe-shrink" in pytest_args(args, rest)


def test_a_violation_no_test_failed_on_still_fails_the_run(hesabe_mock: Any) -> None:
    """The QA trial: the cancels the run makes at its end to clean up were answered wrongly; the
    report listed them, yet every test had passed and the exit code was 0."""
    hesabe_mock.control.add_fault("mutate_reply", operation="cancel_invoice",
                                  patch=[{"op": "replace", "path": "/message", "value": "OK"}])
    run = _pytest("contract_tests/test_operations.py::test_valid_payload_accepted[create_invoice]",
                  "--hesabe-url", hesabe_mock.url, env={"HYPOTHESIS_PROFILE": "ci"})
    assert run.returncode == 1, run.stdout[-3000:]
    assert "1 passed" in run.stdout and "(end of the run: cancelling what it created)" in run.stdout
    assert "failed no test (found while the run cleaned up after itself): the run fails" in run.stdout
