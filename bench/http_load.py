"""Section ``http``: the baseline and the mock (memory, SQLite) under wrk on loopback.

The baseline is measured before and after the mock runs, and every ratio is against the mean of
the two at the same concurrency, so slow drift of the machine shows up instead of hiding.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from bench.loadgen import Request, have_wrk, run_load
from bench.scenarios import SCENARIOS, build_requests
from bench.servers import UVICORN_ARGS, uvicorn_server

__all__ = ["run_http"]

_BASELINE_REQ = Request("GET", "/", {"Accept": "application/json"})
#: reads before writes, so list/search page through the seeded data, not the bench's own creates
_ORDER = ("get_invoice", "list_page1", "list_deep", "search", "login", "create_invoice")


def _baseline(concurrencies: list[int], seconds: float, use_wrk: bool) -> dict[int, dict[str, Any]]:
    out = {}
    with uvicorn_server("bench.apps:baseline_app") as url:
        run_load(url, _BASELINE_REQ, max(concurrencies), 1, use_wrk=use_wrk)  # warm-up
        for c in concurrencies:
            out[c] = run_load(url, _BASELINE_REQ, c, seconds, use_wrk=use_wrk)
    return out


def _mock(
    store: str, seeded: int, concurrencies: list[int], seconds: float, use_wrk: bool, log: Any
) -> dict[str, dict[int, dict[str, Any]]]:
    results: dict[str, dict[int, dict[str, Any]]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        env = {
            "HESABE_BENCH_SEED": str(seeded),
            "HESABE_BENCH_DB": str(Path(tmp) / "bench.sqlite") if store == "sqlite" else "",
        }
        with uvicorn_server("bench.apps:mock_app", env=env, timeout=600) as url:
            reqs = build_requests(url, seeded)
            for name in _ORDER:
                run_load(url, reqs[name], max(concurrencies), 1, use_wrk=use_wrk)  # warm-up
                results[name] = {}
                for c in concurrencies:
                    r = run_load(url, reqs[name], c, seconds, use_wrk=use_wrk)
                    results[name][c] = r
                    log(
                        f"  {store:6} {name:15} c={c:<3} {r['rps']:8.0f} req/s  p50 {r['p50_ms']:6.2f} ms"
                        f"  p99 {r['p99_ms']:6.2f} ms  errors {r['errors']}"
                    )
    return {name: results[name] for name in SCENARIOS}


def run_http(
    concurrencies: list[int], seconds: float, seeded: int, stores: list[str], log: Any = print
) -> dict[str, Any]:
    use_wrk = have_wrk()
    log(
        f"http: generator={'wrk' if use_wrk else 'python (wrk not found)'}, {seconds:g}s per point,"
        f" concurrencies {concurrencies}, mock seeded with {seeded} invoices"
    )
    before = _baseline(concurrencies, seconds, use_wrk)
    log("  baseline " + "  ".join(f"c={c}: {before[c]['rps']:.0f} req/s" for c in concurrencies))
    mocks = {store: _mock(store, seeded, concurrencies, seconds, use_wrk, log) for store in stores}
    after = _baseline(concurrencies, seconds, use_wrk)
    log("  baseline " + "  ".join(f"c={c}: {after[c]['rps']:.0f} req/s" for c in concurrencies))
    baseline = {}
    for c in concurrencies:
        b = {k: (before[c][k] + after[c][k]) / 2 for k in ("rps", "p50_ms", "p99_ms")}
        b["before_rps"], b["after_rps"] = before[c]["rps"], after[c]["rps"]
        baseline[c] = b
    for store in mocks.values():
        for per_c in store.values():
            for c, r in per_c.items():
                r["ratio"] = r["rps"] / baseline[c]["rps"]
    return {
        "generator": "wrk" if use_wrk else "python",
        "seconds": seconds,
        "seeded": seeded,
        "concurrencies": concurrencies,
        "uvicorn_args": list(UVICORN_ARGS),
        "baseline": baseline,
        "mock": mocks,
    }
