"""Section ``http``: the baseline and the mock (memory, SQLite) under wrk on loopback.

The baseline is a bare Starlette app answering a fixed JSON body (``bench.apps``). It runs for the
whole section and is loaded **with the scenario's own request** (same method, path, headers and
body), so the ratio compares two servers handling the same bytes (a create request is ~1.5 KB with
its bearer token and encrypted body; parsing that is the server's cost, not the mock's).

Each point alternates the two in short windows: baseline, mock, baseline, ..., mock, baseline
(:func:`rounds_for` mock windows, each between two baseline windows: 5 of 1 s for the default 5 s
per point, 3 of 1 s with ``--quick``). A round's ratio is its mock
req/s over the mean of the baseline windows around it; the point's ratio is the **median** of its
rounds, so a burst of another tenant on a shared machine moves one round, not the result; the
rounds' lowest and highest ratios are kept beside it. The mock's req/s is over all its windows;
p50 and p99 are the medians of the windows'. ``GET /`` (a bare request) is measured at the start
and the end as a second reference; ratios to it are reported too (``x GET /``).
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench.loadgen import Request, have_wrk, run_load
from bench.scenarios import SCENARIOS, build_requests
from bench.servers import POSTGRES_URL_VARIABLE, UVICORN_ARGS, postgres_for, uvicorn_server
from bench.stats import percentile

__all__ = ["combine_runs", "run_http"]

_GET = Request("GET", "/", {"Accept": "application/json"})
#: reads before writes, so list/search page through the seeded data, not the bench's own creates
_ORDER = ("get_invoice", "list_page1", "list_deep", "search", "login", "create_invoice", "create_checkout")
_KEYS = ("rps", "p50_ms", "p99_ms")


def rounds_for(seconds: float) -> tuple[int, int]:
    """(mock windows per point, seconds per window) for ``seconds`` of mock load per point;
    windows are whole seconds (wrk's ``-d``)."""
    rounds = max(3, min(5, round(seconds)))
    return rounds, max(1, round(seconds / rounds))


def _mean(a: dict[str, Any], b: dict[str, Any]) -> dict[str, float]:
    return {k: (a[k] + b[k]) / 2 for k in _KEYS}


def _median(values: list[float]) -> float:
    return percentile(sorted(values), 0.5)  # the bench's one rule (the middle one of an odd count)


def _point(base_url: str, url: str, req: Request, c: int, seconds: float, use_wrk: bool) -> dict[str, Any]:
    """One concurrency: mock windows interleaved with baseline windows, one more of those."""
    rounds, window = rounds_for(seconds)
    bases = [run_load(base_url, req, c, window, use_wrk=use_wrk)]
    mocks = []
    for _ in range(rounds):
        mocks.append(run_load(url, req, c, window, use_wrk=use_wrk))
        bases.append(run_load(base_url, req, c, window, use_wrk=use_wrk))
    ratios = [m["rps"] / _mean(bases[i], bases[i + 1])["rps"] for i, m in enumerate(mocks)]
    seconds = sum(m["requests"] / m["rps"] for m in mocks if m["rps"])
    base_seconds = sum(b["requests"] / b["rps"] for b in bases if b["rps"])
    return {
        "rps": sum(m["requests"] for m in mocks) / seconds if seconds else 0.0,
        "p50_ms": _median([m["p50_ms"] for m in mocks]),
        "p99_ms": _median([m["p99_ms"] for m in mocks]),
        "requests": sum(m["requests"] for m in mocks),
        "errors": sum(m["errors"] for m in mocks),
        "ratio": _median(ratios),
        "ratio_rounds": ratios,
        "baseline": {
            "rps": sum(b["requests"] for b in bases) / base_seconds if base_seconds else 0.0,
            "p50_ms": _median([b["p50_ms"] for b in bases]),
            "p99_ms": _median([b["p99_ms"] for b in bases]),
            "windows_rps": [b["rps"] for b in bases],
        },
    }


def _get_reference(url: str, concurrencies: list[int], seconds: float, use_wrk: bool) -> dict[int, Any]:
    run_load(url, _GET, max(concurrencies), 1, use_wrk=use_wrk)  # warm-up
    return {c: run_load(url, _GET, c, seconds, use_wrk=use_wrk) for c in concurrencies}


#: what runs with more than one worker: the create and the dashboard page
WORKER_SCENARIOS = ("create_invoice", "list_page1")
#: stores whose state the workers of one server can share (the memory store lives in one process)
SHARED_STORES = ("sqlite", "postgres")


def _mock(store: str, base_url: str, seeded: int, concurrencies: list[int], seconds: float, use_wrk: bool,
          log: Callable[[str], object], scenarios: tuple[str, ...],
          workers: int = 1) -> dict[str, dict[int, dict[str, Any]]]:
    results: dict[str, dict[int, dict[str, Any]]] = {}
    label = store if workers == 1 else f"{store} x{workers}"
    with tempfile.TemporaryDirectory() as tmp:
        db = {"sqlite": str(Path(tmp) / "bench.sqlite"), "memory": "",
              "postgres": os.environ.get(POSTGRES_URL_VARIABLE, "")}[store]
        if workers > 1:  # seed the shared store once, before the workers open it
            from bench.seed import seed_store
            from mock_server.state.opening import open_store

            seeding = open_store(db)
            seeding.reset()
            seed_store(seeding, seeded)
            seeding.close()
        env = {"HESABE_BENCH_SEED": str(seeded if workers == 1 else 0), "HESABE_BENCH_DB": db}
        with uvicorn_server("bench.apps:mock_app", env=env, timeout=600, workers=workers) as url:
            reqs = build_requests(url, seeded)
            for name in (n for n in _ORDER if n in scenarios):
                req = reqs[name]
                for target in (base_url, url):  # warm-up, both
                    run_load(target, req, max(concurrencies), 1, use_wrk=use_wrk)
                results[name] = {}
                for c in concurrencies:
                    r = results[name][c] = _point(base_url, url, req, c, seconds, use_wrk)
                    low, high = min(r["ratio_rounds"]), max(r["ratio_rounds"])
                    log(
                        f"  {label:9} {name:15} c={c:<3} {r['rps']:8.0f} req/s  p50 {r['p50_ms']:6.2f} ms"
                        f"  p99 {r['p99_ms']:6.2f} ms  errors {r['errors']}  baseline"
                        f" {r['baseline']['rps']:.0f}  x{r['ratio']:.2f} (rounds {low:.2f}-{high:.2f})"
                    )
    return {name: results[name] for name in SCENARIOS if name in results}


def _log_get(log: Callable[[str], object], points: dict[int, Any]) -> None:
    log("  baseline GET / " + "  ".join(f"c={c}: {r['rps']:.0f} req/s" for c, r in points.items()))


def run_http(
    concurrencies: list[int], seconds: float, seeded: int, stores: list[str],
    log: Callable[[str], object] = print, scenarios: tuple[str, ...] = SCENARIOS,
    workers: tuple[int, ...] = (1,),
) -> dict[str, Any]:
    """Every store under one worker; then, for each larger count in ``workers``, the stores whose
    workers can share state (:data:`SHARED_STORES`) with :data:`WORKER_SCENARIOS`, against a
    baseline with as many workers."""
    use_wrk = have_wrk()
    log(
        f"http: generator={'wrk' if use_wrk else 'python (wrk not found)'}, {seconds:g}s per point,"
        f" concurrencies {concurrencies}, mock seeded with {seeded} invoices, workers {list(workers)}"
    )
    with postgres_for(stores):
        mocks, get_ref = _all_points(concurrencies, seconds, seeded, stores, log, scenarios, workers, use_wrk)
    return {
        "generator": "wrk" if use_wrk else "python",
        "seconds": seconds,
        "rounds": rounds_for(seconds)[0],
        "window_s": rounds_for(seconds)[1],
        "seeded": seeded,
        "concurrencies": concurrencies,
        "workers": list(workers),
        "uvicorn_args": list(UVICORN_ARGS),
        "baseline_get": get_ref,
        "mock": mocks,
    }


def _all_points(concurrencies: list[int], seconds: float, seeded: int, stores: list[str],
                log: Callable[[str], object], scenarios: tuple[str, ...], workers: tuple[int, ...],
                use_wrk: bool) -> tuple[dict[str, Any], dict[int, dict[str, float]]]:
    mocks: dict[str, dict[str, dict[int, dict[str, Any]]]] = {}
    get_ref: dict[int, dict[str, float]] = {}
    for count in workers:
        shared = [s for s in stores if count == 1 or s in SHARED_STORES]
        skipped = sorted(set(stores) - set(shared))
        if skipped:
            log(f"  {count} workers: not {', '.join(skipped)} (each worker would have its own state)")
        chosen = scenarios if count == 1 else tuple(s for s in scenarios if s in WORKER_SCENARIOS)
        if not shared or not chosen:
            continue
        with uvicorn_server("bench.apps:baseline_app", workers=count) as base_url:
            if count == 1:
                first = _get_reference(base_url, concurrencies, seconds, use_wrk)
                _log_get(log, first)
            for store in shared:
                label = store if count == 1 else f"{store} x{count}"
                mocks[label] = _mock(store, base_url, seeded, concurrencies, seconds, use_wrk, log, chosen,
                                     count)
            if count == 1:
                last = _get_reference(base_url, concurrencies, seconds, use_wrk)
                _log_get(log, last)
                for c in concurrencies:
                    get_ref[c] = {**_mean(first[c], last[c]), "before_rps": first[c]["rps"],
                                  "after_rps": last[c]["rps"]}
    for label, store_results in mocks.items():
        if label not in stores:  # several workers: GET / was measured on one
            continue
        for per_c in store_results.values():
            for c, r in per_c.items():
                if c in get_ref:
                    r["ratio_get"] = r["rps"] / get_ref[c]["rps"]
    return mocks, get_ref


def combine_runs(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """Several whole runs of the section (each with fresh servers) as one result: every point's
    ratio is the **median of the runs' ratios** (each itself the median of its rounds), kept as
    ``ratio_runs`` beside it; req/s and latencies are the median run's figures, by ratio. Runs
    differ by more than the rounds of one run, since each starts its processes afresh; the floors
    are read this way (docs/benchmarks.md)."""
    combined = dict(runs[-1], runs=len(runs))
    combined["mock"] = {}
    for label, scenarios in runs[-1]["mock"].items():
        combined["mock"][label] = {}
        for name, points in scenarios.items():
            combined["mock"][label][name] = {}
            for c in points:
                each = [run["mock"][label][name][c] for run in runs]
                ratio = _median([r["ratio"] for r in each])
                middle = min(each, key=lambda r: abs(r["ratio"] - ratio))  # the run the median is
                ratios = [r["ratio"] for r in each]
                combined["mock"][label][name][c] = dict(middle, ratio=ratio, ratio_runs=ratios)
    return combined
