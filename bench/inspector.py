"""Section ``inspector``: API throughput with the inspector open and polling vs closed, same run.

One mock (``bench.apps:mock_app``, memory store) under load with a scenario's request. Windows
alternate: closed, open, closed, ..., open, closed. "Open" is what a browser tab on
``/_mock/ui`` does: it loaded the page once, then asks ``/_mock/ui/traffic?after=<cursor>`` every
second and gets every new row as HTML (up to 200 per answer: under load, every poll is full).
"Open x10" polls ten times a second (ten tabs, or a much faster page). A round's ratio is its open
req/s over the mean of the closed windows around it; the reported ratio is the median of the
rounds (the ``http`` section's rule), so a burst of another tenant moves one round, not the result.
"""

from __future__ import annotations

import http.client
import json
import threading
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from bench.http_load import rounds_for
from bench.loadgen import have_wrk, run_load
from bench.scenarios import build_requests
from bench.servers import uvicorn_server
from bench.stats import percentile

__all__ = ["run_inspector"]

#: the page's polling interval (mock_server/templates/inspector.js, POLL_MS)
PAGE_POLL_S = 1.0
_SCENARIOS = ("create_invoice", "get_invoice")


class Poller:
    """A background "tab": GET /_mock/ui once, then the traffic cursor every ``interval`` seconds."""

    def __init__(self, url: str, interval: float) -> None:
        parts = urlsplit(url)
        self.host, self.port = parts.hostname or "127.0.0.1", parts.port or 80
        self.interval = interval
        self.polls = self.rows = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="inspector-poller", daemon=True)

    def __enter__(self) -> Poller:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(10)

    def _get(self, conn: http.client.HTTPConnection, path: str) -> bytes:
        conn.request("GET", path, headers={"Accept": "*/*"})
        response = conn.getresponse()
        body = response.read()
        if response.status != 200:
            raise RuntimeError(f"GET {path}: HTTP {response.status}")
        return body

    def _run(self) -> None:
        conn = http.client.HTTPConnection(self.host, self.port, timeout=30)
        try:
            self._get(conn, "/_mock/ui")
            cursor = 0
            while not self._stop.wait(self.interval):
                answer = json.loads(self._get(conn, f"/_mock/ui/traffic?after={cursor}"))
                cursor = answer["cursor"]
                self.polls += 1
                self.rows += answer["count"]
        finally:
            conn.close()


def _window(url: str, req: Any, c: int, seconds: float, use_wrk: bool, poll: float | None) -> dict[str, Any]:
    if poll is None:
        return run_load(url, req, c, seconds, use_wrk=use_wrk)
    with Poller(url, poll) as tab:
        result = run_load(url, req, c, seconds, use_wrk=use_wrk)
    return {**result, "polls": tab.polls, "rows_polled": tab.rows}


def _point(url: str, req: Any, c: int, seconds: float, use_wrk: bool, poll: float) -> dict[str, Any]:
    rounds, window = rounds_for(seconds)
    closed = [_window(url, req, c, window, use_wrk, None)]
    opened = []
    for _ in range(rounds):
        opened.append(_window(url, req, c, window, use_wrk, poll))
        closed.append(_window(url, req, c, window, use_wrk, None))
    ratios = [o["rps"] / ((closed[i]["rps"] + closed[i + 1]["rps"]) / 2) for i, o in enumerate(opened)]
    return {
        "closed_rps": sum(w["rps"] for w in closed) / len(closed),
        "open_rps": sum(w["rps"] for w in opened) / len(opened),
        "ratio": percentile(sorted(ratios), 0.5),
        "ratio_rounds": ratios,
        "polls": sum(o["polls"] for o in opened),
        "rows_polled": sum(o["rows_polled"] for o in opened),
        "errors": sum(w["errors"] for w in closed + opened),
    }


def run_inspector(concurrency: int, seconds: float, log: Callable[[str], object] = print) -> dict[str, Any]:
    use_wrk = have_wrk()
    log(f"inspector: generator={'wrk' if use_wrk else 'python'}, c={concurrency}, {seconds:g}s per point,"
        f" a tab polling every {PAGE_POLL_S:g}s (and x10)")
    results: dict[str, Any] = {"concurrency": concurrency, "seconds": seconds, "page_poll_s": PAGE_POLL_S,
                               "generator": "wrk" if use_wrk else "python", "scenarios": {}}
    env = {"HESABE_BENCH_SEED": "1000", "HESABE_BENCH_DB": ""}
    with uvicorn_server("bench.apps:mock_app", env=env) as url:
        reqs = build_requests(url, 1000)
        for name in _SCENARIOS:
            run_load(url, reqs[name], concurrency, 1, use_wrk=use_wrk)  # warm-up
            per = results["scenarios"][name] = {}
            for label, poll in (("page", PAGE_POLL_S), ("x10", PAGE_POLL_S / 10)):
                r = per[label] = _point(url, reqs[name], concurrency, seconds, use_wrk, poll)
                log(f"  {name:15} open ({label:4}) {r['open_rps']:8.0f} req/s vs closed"
                    f" {r['closed_rps']:8.0f}"
                    f"  x{r['ratio']:.3f} (rounds {min(r['ratio_rounds']):.2f}-{max(r['ratio_rounds']):.2f});"
                    f" {r['polls']} polls brought {r['rows_polled']} rows")
    return results
