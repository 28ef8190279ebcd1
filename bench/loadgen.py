"""HTTP load on loopback: wrk with a generated Lua script, or a Python fallback when wrk is absent.

A :class:`Request` is one fixed HTTP request (method, path with query, headers, body); every
scenario repeats one such request (a fixed valid encrypted create payload
makes the mock create a new invoice each time). Results: requests/s, p50 and p99 latency (ms),
and the count of non-2xx/3xx or socket errors (a run with errors is reported as such).
"""

from __future__ import annotations

import http.client
import json
import shutil
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from bench.stats import percentile

__all__ = ["Request", "connect", "have_wrk", "run_load"]

_MARK = "BENCH_JSON "


@dataclass(frozen=True)
class Request:
    method: str
    path: str  # with the query string
    headers: dict[str, str]
    body: bytes = b""


def connect(url: str, timeout: float) -> http.client.HTTPConnection:
    """An (unopened) HTTP connection to the host and port of ``url``."""
    parts = urlsplit(url)
    if parts.hostname is None:
        raise ValueError(f"no host in {url!r}")
    return http.client.HTTPConnection(parts.hostname, parts.port, timeout=timeout)


def have_wrk() -> bool:
    return shutil.which("wrk") is not None


def _lua_str(value: str | bytes) -> str:
    text = value.decode("latin-1") if isinstance(value, bytes) else value
    return "[==[" + text + "]==]"


def _lua(req: Request) -> str:
    lines = [f"wrk.method = {_lua_str(req.method)}", f"wrk.path = {_lua_str(req.path)}"]
    if req.body:
        lines.append(f"wrk.body = {_lua_str(req.body)}")
    for k, v in req.headers.items():
        lines.append(f"wrk.headers[ {_lua_str(k)} ] = {_lua_str(v)}")
    lines.append(
        "done = function(summary, latency, requests)\n"
        f'  io.write("{_MARK}")\n'
        '  io.write(string.format(\'{"requests":%d,"duration_us":%d,"connect":%d,"read":%d,'
        '"write":%d,"status":%d,"timeout":%d,"p50_us":%d,"p90_us":%d,"p99_us":%d,'
        '"max_us":%d}\\n\', summary.requests, summary.duration, summary.errors.connect,'
        " summary.errors.read, summary.errors.write, summary.errors.status, summary.errors.timeout,"
        " latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max))\n"
        "end"
    )
    return "\n".join(lines) + "\n"


def _wrk(url: str, req: Request, connections: int, seconds: float) -> dict[str, Any]:
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as f:
        f.write(_lua(req))
        script = f.name
    try:
        out = subprocess.run(
            [
                "wrk",
                "-t1",
                f"-c{connections}",
                f"-d{max(1, round(seconds))}s",
                "--timeout",
                "10s",
                "-s",
                script,
                url,
            ],
            capture_output=True,
            text=True,
            check=True,
            timeout=seconds + 60,
        ).stdout
    finally:
        Path(script).unlink(missing_ok=True)
    line = next(ln for ln in out.splitlines() if ln.startswith(_MARK))
    raw = json.loads(line[len(_MARK) :])
    errors = raw["connect"] + raw["read"] + raw["write"] + raw["status"] + raw["timeout"]
    return {
        "rps": raw["requests"] / (raw["duration_us"] / 1e6),
        "p50_ms": raw["p50_us"] / 1e3,
        "p90_ms": raw["p90_us"] / 1e3,
        "p99_ms": raw["p99_us"] / 1e3,
        "max_ms": raw["max_us"] / 1e3,
        "requests": raw["requests"],
        "errors": errors,
        "generator": "wrk",
    }


def _python(url: str, req: Request, connections: int, seconds: float) -> dict[str, Any]:
    """Closed-loop keep-alive clients in threads (weaker than wrk: the GIL caps its rate)."""
    stop = time.perf_counter() + seconds
    latencies: list[list[float]] = [[] for _ in range(connections)]
    errors = [0] * connections

    def worker(i: int) -> None:
        conn = connect(url, timeout=10)
        mine = latencies[i]
        while time.perf_counter() < stop:
            t0 = time.perf_counter()
            try:
                conn.request(req.method, req.path, body=req.body or None, headers=req.headers)
                resp = conn.getresponse()
                resp.read()
                if resp.status >= 400:
                    errors[i] += 1
            except OSError:
                errors[i] += 1
                conn.close()
                conn = connect(url, timeout=10)
                continue
            mine.append(time.perf_counter() - t0)
        conn.close()

    started = time.perf_counter()
    threads = [threading.Thread(target=worker, args=(i,)) for i in range(connections)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - started
    flat = sorted(x for lst in latencies for x in lst)
    n = len(flat)

    def pct(p: float) -> float:
        return percentile(flat, p) * 1e3 if n else float("nan")

    return {
        "rps": n / elapsed,
        "p50_ms": pct(0.50),
        "p90_ms": pct(0.90),
        "p99_ms": pct(0.99),
        "max_ms": flat[-1] * 1e3 if n else float("nan"),
        "requests": n,
        "errors": sum(errors),
        "generator": "python",
    }


def run_load(
    url: str, req: Request, connections: int, seconds: float, *, use_wrk: bool | None = None
) -> dict[str, Any]:
    """Load ``url`` with ``req`` from ``connections`` keep-alive connections for ``seconds``."""
    if use_wrk is None:
        use_wrk = have_wrk()
    return (_wrk if use_wrk else _python)(url, req, connections, seconds)
