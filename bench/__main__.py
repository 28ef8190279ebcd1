"""``python -m bench`` (``make bench``): every section, a table per section, then the targets.

    python -m bench                 # full run: HTTP load, scaling to 1M, in-process, cold start, contract
    python -m bench --quick         # CI-sized: shorter load points, scaling to 100k
    python -m bench --only http,coldstart --seconds 3 --concurrency 1,8,32
    python -m bench --only inspector  # API req/s with the inspector open and polling vs closed

Results go to ``bench/results/bench-<UTC time>.json`` and ``bench/results/latest.json``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from bench import report

SECTIONS = ("http", "scaling", "held", "inprocess", "coldstart", "contract", "inspector")
RESULTS = Path(__file__).resolve().parent / "results"


def _machine() -> dict[str, Any]:
    try:
        load = os.getloadavg()
    except OSError:
        load = (0.0, 0.0, 0.0)
    return {
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "loadavg_at_start": load,
    }


def _commit() -> str | None:
    """The checkout's commit (``+`` when it has uncommitted changes), or None outside git."""
    def git(*args: str) -> str:
        return subprocess.run(["git", *args], cwd=RESULTS.parent.parent, capture_output=True, text=True,
                              check=True, timeout=10).stdout.strip()

    try:
        head = git("rev-parse", "--short", "HEAD")
        dirty = git("status", "--porcelain", "--untracked-files=no")
    except (OSError, subprocess.SubprocessError):
        return None
    return head + ("+" if dirty else "")


def _default_stores() -> list[str]:
    """memory and sqlite; postgres too when a server is named or one can be started here."""
    from bench.servers import POSTGRES_URL_VARIABLE
    from tools.pg_cluster import find_bin_dir

    postgres = bool(os.environ.get(POSTGRES_URL_VARIABLE)) or find_bin_dir() is not None
    return ["memory", "sqlite", *(["postgres"] if postgres else [])]


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n")[0])
    p.add_argument("--quick", action="store_true", help="CI-sized run (2s points, scaling up to 100k)")
    p.add_argument("--only", default=",".join(SECTIONS), help=f"comma list of {', '.join(SECTIONS)}")
    p.add_argument("--seconds", type=float, help="seconds per load point (default 5, quick 2)")
    p.add_argument("--concurrency", default="1,8,32", help="load concurrencies (default 1,8,32)")
    p.add_argument(
        "--sizes", help="stored invoices for scaling (default 1000,100000,1000000; quick up to 100000)"
    )
    p.add_argument("--stores", default=",".join(_default_stores()),
                   help="of memory, sqlite, postgres (default: all three when HESABE_BENCH_POSTGRES_URL"
                        " names a server or PostgreSQL is installed, for a throwaway cluster)")
    p.add_argument("--workers", default="1,2",
                   help="uvicorn workers for the http section (default 1,2: more than one only for the"
                        " stores workers can share, with create_invoice and list_page1)")
    p.add_argument("--scenarios",
                   help="http scenarios to load (default: all), e.g. create_invoice,create_checkout")
    p.add_argument("--seed", type=int, default=10000, help="invoices the loaded mock starts with")
    p.add_argument("--runs", type=int, default=1,
                   help="times the http section runs, each with fresh servers; a point's x baseline is"
                        " then the median over the runs (the floors: --runs 3)")
    args = p.parse_args(argv)
    only = [s for s in args.only.split(",") if s]
    unknown = set(only) - set(SECTIONS)
    if unknown:
        p.error(f"unknown sections: {', '.join(sorted(unknown))}")
    seconds = args.seconds or (2.0 if args.quick else 5.0)
    sizes = [
        int(x) for x in (args.sizes or ("1000,100000" if args.quick else "1000,100000,1000000")).split(",")
    ]
    stores = [s for s in args.stores.split(",") if s]
    concurrencies = [int(x) for x in args.concurrency.split(",")]
    from bench.scenarios import SCENARIOS

    scenarios = tuple(s for s in (args.scenarios or ",".join(SCENARIOS)).split(",") if s)
    if set(scenarios) - set(SCENARIOS):
        p.error(f"unknown scenarios: {', '.join(sorted(set(scenarios) - set(SCENARIOS)))}")

    started = time.perf_counter()
    results: dict[str, Any] = {
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "commit": _commit(),
        "machine": _machine(),
        "command": "python -m bench " + " ".join(argv if argv is not None else sys.argv[1:]),
        "quick": args.quick,
    }
    print(
        f"bench: {results['machine']['cores']} cores, Python {results['machine']['python']},"
        f" load average {results['machine']['loadavg_at_start'][0]:.2f}, commit {results['commit']};"
        f" sections {', '.join(only)}",
        flush=True,
    )

    def log(msg: str) -> None:
        print(msg, flush=True)

    if "http" in only:
        from bench.http_load import combine_runs, run_http

        workers = tuple(int(x) for x in args.workers.split(",") if x)
        if args.runs < 1:
            p.error("--runs must be at least 1")
        runs = []
        for n in range(args.runs):
            if args.runs > 1:
                log(f"http: run {n + 1} of {args.runs}")
            runs.append(run_http(concurrencies, seconds, args.seed, stores, log, scenarios, workers))
        results["http"] = runs[0] if len(runs) == 1 else combine_runs(runs)
        if len(runs) > 1:
            results["http_runs"] = runs
    if "scaling" in only:
        from bench.scaling import run_scaling

        results["scaling"] = run_scaling(sizes, stores, log)
    if "held" in only:
        from bench.held import run_held

        # 10k is enough to show growth: at 0dbe080 a timer round took 0.2-0.5 s there
        results["held"] = run_held([1000, 10000], stores, 5 if args.quick else 11, log)
    if "inprocess" in only:
        from bench.inprocess import run_inprocess

        results["inprocess"] = run_inprocess(1000 if args.quick else 3000, log)
    if "coldstart" in only:
        from bench.coldstart import run_coldstart

        results["coldstart"] = run_coldstart(3 if args.quick else 7, log)
    if "contract" in only:
        from bench.contract import run_contract

        results["contract"] = run_contract(log)
    if "inspector" in only:
        from bench.inspector import run_inspector

        results["inspector"] = run_inspector(max(concurrencies), seconds, log)
    results["wall_s"] = time.perf_counter() - started
    results["targets"] = report.targets(results)
    print()
    print(report.render(results))
    RESULTS.mkdir(exist_ok=True)
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    text = json.dumps(results, indent=1, default=str)
    (RESULTS / f"bench-{stamp}.json").write_text(text)
    (RESULTS / "latest.json").write_text(text)
    print(f"\nwrote bench/results/bench-{stamp}.json ({results['wall_s']:.0f} s in all)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
