"""A pytest run stopped mid-way leaves no PostgreSQL cluster behind, and never stops one it was given.

Each case starts a real pytest run in a subprocess whose one test takes the session's
``postgres_url`` (the fixture the project's own tests use), reports the server's postmaster pid and
data directory, and then holds the run open; the run is sent SIGTERM (or SIGINT, Ctrl-C), and the
postmaster must be gone and its temporary directory deleted. Under pytest-xdist (how ``make test``
runs) the cluster belongs to a worker: stopping the run's main process must remove it even while
the worker is still busy in a test that no interrupt stops. Given ``HESABE_TEST_POSTGRES_URL``, the
same stop leaves that server running.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import psycopg
import pytest

from tools.pg_cluster import find_bin_dir

ROOT = Path(__file__).resolve().parents[2]
#: the holding run's process and what its test reported (postmaster pid, data directory, its pid)
Held = tuple[subprocess.Popen[bytes], dict[str, Any]]

_CONFTEST = "from support.pg_session import postgres_url  # noqa: F401\n"
_HOLDER = '''
import json, os, signal, threading
from pathlib import Path

import psycopg


def test_hold_the_server(postgres_url):
    with psycopg.connect(postgres_url, autocommit=True) as conn:
        data = Path(conn.execute("SHOW data_directory").fetchone()[0])
    pid = int((data / "postmaster.pid").read_text().split()[0])
    report = Path(os.environ["PG_PROBE"])
    report.with_suffix(".tmp").write_text(json.dumps({"postmaster": pid, "data": str(data),
                                                      "session": os.getpid()}))
    report.with_suffix(".tmp").replace(report)
    # busy until the run is stopped; deaf to SIGINT (and so to the interrupt an xdist worker gets
    # when its run ends) unless the case is Ctrl-C
    ctrl_c = os.environ["PG_PROBE_SIGNAL"] == "SIGINT"
    signal.signal(signal.SIGINT, signal.default_int_handler if ctrl_c else signal.SIG_IGN)
    threading.Event().wait(120)
'''


def _wait(condition: Callable[[], bool], what: str, timeout: float = 60) -> None:
    """Poll ``condition`` until it holds; fail naming ``what`` after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


def _running(pid: int) -> bool:
    """The process exists and has not exited (a zombie waiting for its parent has)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def _stop(pid: int) -> None:
    if _running(pid):
        os.kill(pid, signal.SIGKILL)


@contextmanager
def _run_held(tmp_path: Path, *options: str, server: str | None = None,
              stop_by: signal.Signals = signal.SIGTERM) -> Iterator[Held]:
    """Start the holding run; yield (its process, its report) once the test holds the server."""
    (tmp_path / "conftest.py").write_text(_CONFTEST)
    (tmp_path / "test_holder.py").write_text(_HOLDER)
    report = tmp_path / "probe.json"
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("PYTEST_") and k != "HESABE_TEST_POSTGRES_URL"}  # not the outer run's
    env.update(PG_PROBE=str(report), PG_PROBE_SIGNAL=stop_by.name,
               PYTHONPATH=os.pathsep.join([str(ROOT / "tests"), str(ROOT)]))
    if server is not None:
        env["HESABE_TEST_POSTGRES_URL"] = server
    run = subprocess.Popen([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *options,
                            "--rootdir", str(tmp_path), str(tmp_path / "test_holder.py")],
                           cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    probe: dict[str, Any] = {}
    try:
        _wait(lambda: report.exists() or run.poll() is not None, "the run to hold its server")
        assert report.exists(), (run.stdout.read() if run.stdout else b"").decode(errors="replace")[-2000:]
        probe = json.loads(report.read_text())
        yield run, probe
    finally:
        if probe:
            _stop(int(probe["session"]))  # an xdist worker that outlived its run (it holds the output)
        run.kill()
        run.communicate(timeout=60)


@pytest.mark.parametrize(("options", "stop_by", "exit_code"), [
    ((), signal.SIGTERM, -signal.SIGTERM),  # killed at once: no clean-up of its own ran
    (("-n", "1"), signal.SIGTERM, -signal.SIGTERM),
    ((), signal.SIGINT, pytest.ExitCode.INTERRUPTED),  # Ctrl-C: pytest's own teardown
], ids=["pytest-sigterm", "pytest-xdist-sigterm", "pytest-sigint"])
def test_a_stopped_run_removes_its_cluster(tmp_path: Path, options: tuple[str, ...], stop_by: signal.Signals,
                                           exit_code: int) -> None:
    if find_bin_dir() is None:
        pytest.skip("PostgreSQL is not installed (make pg-deps)")
    with _run_held(tmp_path, *options, stop_by=stop_by) as (run, probe):
        postmaster, data = int(probe["postmaster"]), Path(probe["data"])
        assert _running(postmaster) and data.is_dir()
        run.send_signal(stop_by)
        assert run.wait(timeout=60) == exit_code
        _wait(lambda: not _running(postmaster), "the postmaster to stop")
        _wait(lambda: not data.parent.exists(), "the cluster's directory to be deleted")


def test_a_server_the_run_was_given_keeps_running(tmp_path: Path, postgres_url: str) -> None:
    with _run_held(tmp_path, server=postgres_url) as (run, probe):
        run.send_signal(signal.SIGTERM)
        assert run.wait(timeout=60) == -signal.SIGTERM
        assert _running(int(probe["postmaster"])) and Path(probe["data"]).is_dir()
        with psycopg.connect(postgres_url, autocommit=True) as conn:
            assert conn.execute("SELECT 1").fetchone() == (1,)
