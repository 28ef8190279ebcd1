"""Instructions per request, counted by callgrind in a real uvicorn process: the mock vs the baseline.

    python -m bench.callgrind [--scenario create_invoice] [-n 200] [--warmup 100] [--apps mock,baseline]

Each app runs as ``valgrind --tool=callgrind --instr-atstart=no python -m uvicorn --factory
bench.apps:<app>`` with the HTTP section's uvicorn settings, on a free loopback port. The requests
are the HTTP section's (the reference client's own bytes, built and checked against the mock; the
baseline is sent the very same request). After ``--warmup`` uncounted requests, counting is
switched on (``callgrind_control``) for ``n`` and then ``2n`` requests on one keep-alive
connection, each block dumped separately; instructions per request = (2n block - n block) / n, so
whatever switching counting on and off costs cancels out. Instruction counts do not move with the
machine's load, which is why this, not the wall-clock ratio, is what to compare between commits.
Needs Debian's ``valgrind``; takes a minute or two per app.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from bench.loadgen import Request, connect
from bench.scenarios import SCENARIOS, build_requests
from bench.servers import ROOT, UVICORN_ARGS, free_port, stop

__all__ = ["count_per_request", "main"]

_FACTORIES = {"mock": "bench.apps:mock_app", "baseline": "bench.apps:baseline_app"}
_TOTALS = re.compile(r"^totals:\s+(\d+)", re.MULTILINE)


@contextmanager
def _under_callgrind(app: str, out_dir: Path) -> Iterator[tuple[str, int]]:
    """The app under callgrind, counting off; yields (base URL, pid)."""
    port = free_port()
    cmd = ["valgrind", "--tool=callgrind", "--instr-atstart=no", f"--callgrind-out-file={out_dir}/{app}.%p",
           sys.executable, "-m", "uvicorn", "--factory", _FACTORIES[app], "--port", str(port), *UVICORN_ARGS]
    # the mock's timer rounds spaced out: a per-request count, not the timer's (bench/apps.py)
    env = {**os.environ, "PYTHONHASHSEED": "0", "HESABE_BENCH_SEED": "0",
           "HESABE_BENCH_TIMER_INTERVAL": "3600"}
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 600
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"{app} under valgrind exited with {proc.returncode}")
            try:
                conn = connect(url, timeout=60)
                conn.request("GET", "/")
                conn.getresponse().read()
                conn.close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError(f"{app} under valgrind never answered") from None
                time.sleep(0.5)
        yield url, proc.pid
    finally:
        stop(proc)


def _control(pid: int, *args: str) -> None:
    subprocess.run(["callgrind_control", *args, str(pid)], check=True, stdout=subprocess.DEVNULL)


def _send(url: str, req: Request, n: int) -> None:
    conn = connect(url, timeout=120)
    try:
        for _ in range(n):
            conn.request(req.method, req.path, body=req.body or None, headers=req.headers)
            resp = conn.getresponse()
            resp.read()
            if resp.status != 200:
                raise RuntimeError(f"answered {resp.status}")
    finally:
        conn.close()


def _counted(url: str, pid: int, req: Request, n: int, out_dir: Path) -> int:
    """Instructions executed while ``n`` requests were served (one dump of its own)."""
    before = set(out_dir.iterdir())
    _control(pid, "--zero")
    _control(pid, "--instr=on")
    _send(url, req, n)
    _control(pid, "--instr=off")
    _control(pid, "--dump")
    dumps = sorted(set(out_dir.iterdir()) - before)
    if not dumps:
        raise RuntimeError("callgrind wrote no dump")
    found = _TOTALS.search(dumps[-1].read_text(errors="replace"))
    if found is None:
        raise RuntimeError(f"no totals in {dumps[-1]}")
    return int(found.group(1))


def _per_request(url: str, pid: int, req: Request, n: int, warmup: int, out_dir: Path) -> float:
    _send(url, req, warmup)
    single = _counted(url, pid, req, n, out_dir)
    double = _counted(url, pid, req, 2 * n, out_dir)
    return (double - single) / n


def count_per_request(scenario: str, n: int, warmup: int, apps: list[str]) -> dict[str, float]:
    """Instructions per request of each app (``mock``, ``baseline``) answering the scenario's request,
    which is built and checked against the mock first."""
    counts: dict[str, float] = {}
    req: Request | None = None
    for app in sorted(apps, key=lambda a: a != "mock"):  # the mock first: it makes the request
        with tempfile.TemporaryDirectory(prefix="bench-callgrind-") as tmp, \
                _under_callgrind(app, Path(tmp)) as (url, pid):
            if req is None:
                if app != "mock":
                    raise ValueError("the request is built against the mock: include it in --apps")
                req = build_requests(url, 0)[scenario]
            counts[app] = _per_request(url, pid, req, n, warmup, Path(tmp))
    return counts


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--scenario", choices=SCENARIOS, default="create_invoice")
    p.add_argument("-n", type=int, default=200, help="requests in the first counted block (the second: 2n)")
    p.add_argument("--warmup", type=int, default=100)
    p.add_argument("--apps", default="mock,baseline")
    args = p.parse_args(argv)
    counts = count_per_request(args.scenario, args.n, args.warmup, args.apps.split(","))
    for app, per in counts.items():
        print(f"{app:9} {args.scenario}: {per / 1e3:,.0f}k instructions per request")
    if {"mock", "baseline"} <= counts.keys():
        print(f"baseline / mock: {counts['baseline'] / counts['mock']:.2f} (the ratio throughput would show "
              "if the CPU were all a request cost)")


if __name__ == "__main__":
    main()
