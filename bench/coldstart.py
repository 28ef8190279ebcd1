"""Section ``coldstart``: launching ``hesabe-mock --port 0`` until the first successful login."""

from __future__ import annotations

import http.client
import json
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench.servers import stop
from hesabe_spec.sandbox import SANDBOX

__all__ = ["run_coldstart"]

ROOT = Path(__file__).resolve().parent.parent


def _login(port: int) -> bool:
    try:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        conn.request(
            "POST",
            "/api/v1/login",
            body=json.dumps({"username": SANDBOX.username, "password": SANDBOX.password}),
            headers={"Content-Type": "application/json", "Accept": "application/json"},
        )
        resp = conn.getresponse()
        ok = resp.status == 200 and bool(json.loads(resp.read())["response"]["token"]["access_token"])
        conn.close()
        return ok
    except (OSError, ValueError, KeyError, TypeError):
        return False


def _once(exe: str, extra: list[str]) -> dict[str, float]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}  # measure this tree, whatever is installed
    t0 = time.perf_counter()
    proc = subprocess.Popen(
        [exe, "--port", "0", *extra],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        cwd=ROOT,
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        t_url = time.perf_counter() - t0
        if "http://" not in line:
            raise RuntimeError(f"hesabe-mock printed {line!r}")
        port = int(line.strip().rsplit(":", 1)[1])
        while not _login(port):
            if proc.poll() is not None or time.perf_counter() - t0 > 30:
                raise RuntimeError("hesabe-mock never answered a login")
            time.sleep(0.002)
        return {"url_printed_s": t_url, "first_login_s": time.perf_counter() - t0}
    finally:
        stop(proc)


def run_coldstart(runs: int, log: Callable[[str], object] = print) -> dict[str, Any]:
    exe = str(Path(sys.executable).with_name("hesabe-mock"))
    if not Path(exe).exists():
        exe_cmd = [sys.executable, "-m", "mock_server.cli"]
        exe, extra = exe_cmd[0], exe_cmd[1:]
    else:
        extra = []
    out: dict[str, Any] = {}
    for label, args in (("memory", extra), ("sqlite", [*extra, "--db", "/tmp/hesabe-bench-cold.sqlite"])):
        samples = []
        for _ in range(runs):
            for suffix in ("", "-wal", "-shm"):
                Path("/tmp/hesabe-bench-cold.sqlite" + suffix).unlink(missing_ok=True)
            samples.append(_once(exe, args))
        first = sorted(s["first_login_s"] for s in samples)
        out[label] = {
            "runs": runs,
            "median_s": statistics.median(first),
            "min_s": first[0],
            "max_s": first[-1],
            "url_printed_median_s": statistics.median(s["url_printed_s"] for s in samples),
        }
        log(
            f"coldstart {label}: first login after {out[label]['median_s'] * 1e3:.0f} ms median"
            f" (min {first[0] * 1e3:.0f}, max {first[-1] * 1e3:.0f}, {runs} runs)"
        )
    for suffix in ("", "-wal", "-shm"):
        Path("/tmp/hesabe-bench-cold.sqlite" + suffix).unlink(missing_ok=True)
    return out
