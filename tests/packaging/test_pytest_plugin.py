"""The pytest entry point as a neighbour, and ``hesabe-contract`` from outside the tree, in parallel.

Each test runs pytest or ``hesabe-contract`` in a child process from a temporary directory, with
the environment this project is installed in (so the ``pytest11`` entry point is active).
"""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

import _hesabe_harness_pytest as entry
from hesabe_spec.sandbox import SANDBOX
from mock_server.app import create_app
from mock_server.testing import serve_app

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


def _env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith(("HESABE_", "HYPOTHESIS_", "PYTEST_"))}


def _run(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, cwd=cwd, env=_env(), capture_output=True, text=True, timeout=300)


def _neighbour(root: Path) -> None:
    """A project with its own ``contract_tests`` and ``mock_server`` packages and a modules probe."""
    files = {
        "contract_tests/__init__.py": "",
        "contract_tests/helpers.py": "OWNER = 'neighbour'\n",
        "contract_tests/test_theirs.py": "from contract_tests.helpers import OWNER\n\n"
                                         "def test_own_contract_tests():\n    assert OWNER == 'neighbour'\n",
        "mock_server/__init__.py": "",
        "mock_server/app.py": "NAME = 'their mock'\n",
        "tests/test_app.py": "from mock_server.app import NAME\n\n"
                             "def test_own_mock_server():\n    assert NAME == 'their mock'\n",
        "conftest.py": "import json, sys\n\n"
                       "def pytest_sessionfinish(session):\n"
                       "    with open('modules.json', 'w') as out:\n"
                       "        json.dump(sorted(sys.modules), out)\n",
        "pytest.ini": "[pytest]\naddopts = --strict-markers\n",
    }
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


def test_a_project_with_its_own_contract_tests_and_mock_server_runs_untouched(tmp_path: Path) -> None:
    _neighbour(tmp_path)
    run = _run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q"], tmp_path)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-2000:]
    assert "2 passed" in run.stdout and "Hesabe contract report" not in run.stdout
    loaded = set(json.loads((tmp_path / "modules.json").read_text()))
    assert "_hesabe_harness_pytest" in loaded  # the entry point did load ...
    # ... and brought nothing of ours: the neighbour's own packages are the ones imported
    assert not [m for m in loaded if m.split(".")[0] in ("hesabe_spec", "requests", "jsonschema", "Crypto")]
    assert "hypothesis.strategies" not in loaded and "contract_tests.plugin" not in loaded
    probe = "import json, mock_server.app as m; print(json.dumps(m.__file__))"
    own = json.loads(_run([sys.executable, "-c", probe], tmp_path).stdout)
    assert own.startswith(str(tmp_path))


@pytest.mark.parametrize(
    ("args", "asked"),
    [
        (["tests"], False),
        (["-q", "tests/test_x.py::test_y"], False),
        ([str(entry.SUITE)], True),
        ([str(entry.SUITE / "test_auth.py") + "::test_login"], True),
        (["--hesabe-url", "http://127.0.0.1:1"], True),
        (["--hesabe-mock=inprocess"], True),
        (["--pyargs", "contract_tests"], True),
        (["--pyargs", "contract_tests.test_auth"], True),
        (["--pyargs", "mypackage"], False),
    ],
)
def test_the_entry_point_loads_the_suite_only_when_asked(args: list[str], asked: bool,
                                                         tmp_path: Path) -> None:
    assert entry.asks_for_the_suite(args, tmp_path) is asked


def test_the_entry_point_imports_only_the_standard_library() -> None:
    source = Path(entry.__file__).read_text()
    imported = {line.split()[1].split(".")[0] for line in source.splitlines()
                if line.startswith(("import ", "from "))}
    assert imported <= {"__future__", "pathlib", "typing"}


class _BrokenRefresh:
    """The mock, except that token refresh answers 500: a violation in whichever worker runs it."""

    def __init__(self) -> None:
        self.app = create_app()

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http" and scope["path"].startswith("/api/v1/token-refresh"):
            body = b'{"message":"Internal server error occurred"}'
            await send({"type": "http.response.start", "status": 500,
                        "headers": [(b"content-type", b"application/json"),
                                    (b"content-length", str(len(body)).encode())]})
            await send({"type": "http.response.body", "body": body})
            return
        await self.app(scope, receive, send)


def test_hesabe_contract_in_parallel_on_one_mock_merges_every_workers_report(tmp_path: Path) -> None:
    # The caller's own pytest settings must play no part: this one would break any run that read it.
    (tmp_path / "pytest.ini").write_text("[pytest]\naddopts = --no-such-option\n")
    report, junit = tmp_path / "report.json", tmp_path / "junit.xml"
    with serve_app(_BrokenRefresh()) as url:
        run = _run([str(BIN / "hesabe-contract"), "--url", url, "--profile", "ci", "-n", "2", "--report",
                    "report.json", "--junit-xml", "junit.xml", "-k", "test_auth or create_invoice"], tmp_path)
    out = run.stdout + run.stderr
    assert run.returncode == 1, out[-3000:]  # tests failed, and said so
    data = json.loads(report.read_text())
    assert data["workers"] == 2 and data["target"].count("own merchant") == 2, data["target"]
    assert data["operations"]["refresh_token"]["violations"] >= 1
    assert data["operations"]["create_invoice"]["passed"] >= 1 and data["operations"]["login"]["run"] >= 2
    assert "no_server_error" in {v["rule"] for v in data["violations"]}
    assert {v["operation"] for v in data["violations"]} == {"refresh_token"}
    assert "Hesabe contract report" in run.stdout and "merged from 2 pytest-xdist workers" in run.stdout
    assert "<testsuite" in junit.read_text()


def test_hesabe_contract_help_and_version() -> None:
    done = _run([str(BIN / "hesabe-contract"), "--help"], ROOT)
    assert done.returncode == 0
    for option in ("--url", "--profile", "--junit-xml", "--report", "--workers", "--version"):
        assert option in done.stdout
    version = _run([str(BIN / "hesabe-contract"), "--version"], ROOT)
    assert version.stdout.startswith("hesabe-contract ")


def test_a_violation_comes_with_the_command_that_runs_its_test_again(tmp_path: Path) -> None:
    """Each violation of a suite test gives the hesabe-contract line that runs that test alone, on
    the same target and profile; what the run's own cleanup found is filed under the cleanup."""
    from mock_server.faults import rule_from_json

    app = create_app()
    faults = app.state.mock.faults
    faults.add(rule_from_json({"kind": "mutate_reply", "operation": "get_profile",
                               "patch": [{"op": "replace", "path": "/status", "value": "yes"}]}))
    faults.add(rule_from_json({"kind": "error_500", "operation": "cancel_invoice"}))
    with serve_app(app) as url:
        chosen = "test_valid_payload_accepted and (get_profile or create_invoice)"
        run = _run([str(BIN / "hesabe-contract"), "--url", url, "--profile", "ci", "--report", "report.json",
                    "--junit-xml", "junit.xml", "-k", chosen], tmp_path)
        out = run.stdout + run.stderr
        assert run.returncode == 1, out[-3000:]
        # the suite's frames stay out of a violation's traceback: none prints its arguments (the
        # live bearer token), neither in the terminal nor in the JUnit XML a CI keeps
        from mock_server.state.keys import _JWT_HEADER  # how every access token the mock issues starts

        junit = (tmp_path / "junit.xml").read_text()
        assert "test_valid_payload_accepted" in junit and "session.py" not in junit
        for secret in (_JWT_HEADER, SANDBOX.password):
            assert secret not in junit and secret not in out
        reruns = {line.split("re-run: ", 1)[1] for line in run.stdout.splitlines() if "re-run: " in line}
        assert reruns == {f"hesabe-contract --url {url} --profile ci "
                          "'test_operations.py::test_valid_payload_accepted[get_profile]'"}, out[-3000:]
        data = json.loads((tmp_path / "report.json").read_text())
        assert data["failed_tests"] == ["test_operations.py::test_valid_payload_accepted[get_profile]"]
        assert data["test_outcomes"]["failed"] == 1 and data["test_outcomes"]["passed"] >= 1
        assert f"tests: {data['test_outcomes']['failed']} failed" in run.stdout
        cleanup = [v for v in data["violations"] if v["operation"] == "cancel_invoice"]
        assert cleanup and {v["test"] for v in cleanup} == {"(end of the run: cancelling what it created)"}
        [line] = reruns
        words = shlex.split(line)
        again = _run([str(BIN / words[0]), *words[1:]], tmp_path)
    assert again.returncode == 1 and "1 failed in" in again.stdout, again.stdout[-2000:]
    assert "test_valid_payload_accepted[get_profile]" in again.stdout

