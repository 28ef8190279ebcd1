"""Section ``scaling``: list, search and stats cost with 1k .. 1M invoices stored, per store.

Each store runs in its own subprocess (``python -m bench.scaling STORE SIZES``), so its memory
figure is that process's RSS growth. Invoices go in through ``Store.insert_invoices`` in batches
(bench/seed.py); a list page is timed through the real handler (``handlers.invoices
.list_invoices``: store query, dashboard counters, serialisation of 15 rows), without HTTP or
crypto, which are the same at every size. Times are microseconds per call: median and p99.
"""

from __future__ import annotations

import gc
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench.stats import percentile

__all__ = ["run_scaling"]

_REPS = {
    "list_page1": 300,
    "list_deep": 300,
    "search_unique": 300,
    "search_common": 60,
    "stats": 300,
    "store_page1": 300,
}


def _rss() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def _timed(fn: Any, reps: int) -> dict[str, float]:
    fn()
    samples = []
    for _ in range(reps):
        t0 = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - t0)
    samples.sort()
    return {"p50_us": percentile(samples, 0.50) * 1e6, "p99_us": percentile(samples, 0.99) * 1e6}


def _worker(store_kind: str, sizes: list[int]) -> dict[str, Any]:
    from bench.seed import COMMON_TERM, MERCHANT, seed_store, unique_reference
    from hesabe_spec.operations import OPERATIONS
    from mock_server.handlers import invoices as handlers
    from mock_server.merchants import MerchantRegistry
    from mock_server.runtime import Call, MockRuntime
    from mock_server.settings import MockSettings
    from mock_server.state.invoices import stats_block
    from mock_server.state.memory import MemoryStore
    from mock_server.state.models import InvoiceQuery
    from mock_server.state.store import Store

    tmp = tempfile.TemporaryDirectory()
    db = Path(tmp.name) / "scale.sqlite"
    store: Store
    if store_kind == "sqlite":
        from mock_server.state.sqlite import SqliteStore

        store = SqliteStore(str(db))
    else:
        store = MemoryStore()
    runtime = MockRuntime(MockSettings(), store, MerchantRegistry([MERCHANT]))

    list_op = OPERATIONS["list_invoices"]

    def handler_call(payload: dict[str, Any]) -> Any:
        return lambda: handlers.list_invoices(Call(runtime.domain, MERCHANT, payload, {}, "http://127.0.0.1:8000",
                                                   list_op, runtime.settings.per_page))

    out: list[dict[str, Any]] = []
    stored = 0
    seed_total = 0.0
    gc.collect()
    rss_start = _rss()
    for size in sizes:
        t0 = time.perf_counter()
        seed_store(store, size - stored, start=stored)
        seed_s = time.perf_counter() - t0
        seed_total += seed_s
        stored = size
        gc.collect()
        deep = max(1, size // 15 // 2)
        row: dict[str, Any] = {
            "size": size,
            "seed_s": seed_s,
            "seed_total_s": seed_total,
            "seed_us_per_invoice": seed_s / max(1, size - (out[-1]["size"] if out else 0)) * 1e6,
        }
        if store_kind == "sqlite":
            files = [db, db.with_name(db.name + "-wal")]
            row["db_bytes_per_invoice"] = sum(f.stat().st_size for f in files if f.exists()) / size
        timings = {
            "list_page1": handler_call({"page": 1}),
            "list_deep": handler_call({"page": deep}),
            "search_unique": handler_call({"page": 1, "search": unique_reference(size // 2)}),
            "search_common": handler_call({"page": 1, "search": COMMON_TERM}),
            "stats": lambda: stats_block(runtime.invoices.counts(MERCHANT), orders=False),
            "store_page1": lambda: store.list_invoices(MERCHANT.merchant_id, InvoiceQuery()),
        }
        t0 = time.perf_counter()
        handler_call({"page": 1, "search": COMMON_TERM})()
        # the memory store indexes search terms on the first search after inserts: its cost
        row["first_search_s"] = time.perf_counter() - t0
        gc.collect()
        row["rss_bytes_per_invoice"] = (_rss() - rss_start) / size  # search index included
        first = handlers.list_invoices(Call(runtime.domain, MERCHANT, {"page": deep}, {}, "http://x", list_op,
                                            runtime.settings.per_page))
        if len(first.response["invoices"]["data"]) != 15:
            raise RuntimeError(f"deep page {deep} of {size} is not full")
        for name, fn in timings.items():
            row[name] = _timed(fn, _REPS[name])
        row["deep_page"] = deep
        out.append(row)
        print(json.dumps({"progress": row}), flush=True)
    store.close()
    tmp.cleanup()
    return {"store": store_kind, "rows": out}


def run_scaling(sizes: list[int], stores: list[str], log: Callable[[str], object] = print) -> dict[str, Any]:
    log(f"scaling: sizes {sizes}, stores {stores} (each store in its own process)")
    results: dict[str, Any] = {}
    root = Path(__file__).resolve().parent.parent
    for store in stores:
        t0 = time.perf_counter()
        proc = subprocess.Popen(
            [sys.executable, "-m", "bench.scaling", store, ",".join(map(str, sizes))],
            cwd=root,
            stdout=subprocess.PIPE,
            text=True,
        )
        final = None
        assert proc.stdout is not None
        for line in proc.stdout:
            msg = json.loads(line)
            if "progress" in msg:
                r = msg["progress"]
                log(
                    f"  {store:6} {r['size']:>8} stored: seed {r['seed_s']:6.1f}s"
                    f" ({r['seed_us_per_invoice']:.0f} us/inv), RSS {r['rss_bytes_per_invoice']:.0f} B/inv,"
                    f" page1 {r['list_page1']['p50_us']:.0f} us, deep {r['list_deep']['p50_us']:.0f} us,"
                    f" search {r['search_unique']['p50_us']:.0f}/{r['search_common']['p50_us']:.0f} us,"
                    f" stats {r['stats']['p50_us']:.0f} us"
                )
            else:
                final = msg
        if proc.wait() != 0 or final is None:
            raise RuntimeError(f"scaling worker for {store} failed ({proc.returncode})")
        final["wall_s"] = time.perf_counter() - t0
        results[store] = final
    return results


if __name__ == "__main__":
    print(json.dumps(_worker(sys.argv[1], [int(x) for x in sys.argv[2].split(",")])), flush=True)
