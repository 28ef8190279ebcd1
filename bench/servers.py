"""Start an ASGI app under uvicorn in a subprocess (one worker, identical settings for every app)."""

from __future__ import annotations

import contextlib
import http.client
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

__all__ = ["POSTGRES_URL_VARIABLE", "UVICORN_ARGS", "free_port", "postgres_for", "stop", "uvicorn_server"]

#: where the bench finds (or puts) the PostgreSQL server the ``postgres`` store uses
POSTGRES_URL_VARIABLE = "HESABE_BENCH_POSTGRES_URL"

ROOT = Path(__file__).resolve().parent.parent
#: the same for the baseline and the mock; h11/asyncio are what ``pip install`` gives the project
UVICORN_ARGS = (
    "--host",
    "127.0.0.1",
    "--workers",
    "1",
    "--log-level",
    "warning",
    "--no-access-log",
    "--lifespan",
    "auto",
    "--backlog",
    "2048",
)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def stop(proc: subprocess.Popen[Any]) -> None:
    """Terminate a server this bench started (by its own handle), killing it after 10 s."""
    proc.terminate()
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def _wait_http(port: int, proc: subprocess.Popen[bytes], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
            conn.request("GET", "/")
            conn.getresponse().read()
            conn.close()
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"server on port {port} did not answer within {timeout}s")


@contextlib.contextmanager
def uvicorn_server(factory: str, env: dict[str, str] | None = None, timeout: float = 120,
                   workers: int = 1) -> Iterator[str]:
    """Run ``python -m uvicorn --factory FACTORY`` on a free loopback port (``workers`` processes
    sharing it); yield its base URL."""
    port = free_port()
    args = list(UVICORN_ARGS)
    args[args.index("--workers") + 1] = str(workers)
    cmd = [sys.executable, "-m", "uvicorn", "--factory", factory, "--port", str(port), *args]
    proc = subprocess.Popen(
        cmd, cwd=ROOT, env={**os.environ, **(env or {})}, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    try:
        _wait_http(port, proc, timeout)
        yield f"http://127.0.0.1:{port}"
    finally:
        stop(proc)
        if proc.stderr is not None:
            err = proc.stderr.read().decode(errors="replace").strip()
            if proc.returncode not in (0, -15) and err:
                print(err[-2000:], file=sys.stderr)
            proc.stderr.close()


@contextlib.contextmanager
def postgres_for(stores: list[str]) -> Iterator[None]:
    """With ``postgres`` among ``stores``: the server :data:`POSTGRES_URL_VARIABLE` names, or a
    throwaway cluster for the block (``tools/pg_cluster.py``: fsync off, as in the tests), its URL
    put in that variable for the bench's subprocesses. Nothing otherwise."""
    if "postgres" not in stores or os.environ.get(POSTGRES_URL_VARIABLE):
        yield
        return
    from tools.pg_cluster import PgCluster

    with PgCluster() as cluster:
        os.environ[POSTGRES_URL_VARIABLE] = cluster.url
        try:
            yield
        finally:
            del os.environ[POSTGRES_URL_VARIABLE]
