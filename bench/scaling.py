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

from bench.servers import postgres_for
from bench.stats import percentile
from mock_server.state.memory import MemoryStore
from mock_server.state.models import InvoiceQuery
from mock_server.state.store import Store

__all__ = ["run_scaling"]

#: calls timed per operation (after one untimed call); the p99 of 200 is the 2nd slowest
_REPS = {
    "get_by_id": 300,
    "create": 300,
    "page_first": 200,
    "page_middle": 200,
    "page_last": 200,
    "status_first": 200,
    "status_middle": 200,
    "status_last": 200,
    "search_unique": 300,
    "search_common": 60,
    "stats": 300,
}
#: the status the status-filtered list asks for (0, unpaid: 60% of the seeded invoices)
_STATUS = "0"


def _open_memory(tmp: Path) -> Store:
    return MemoryStore()


def _open_sqlite(tmp: Path) -> Store:
    from mock_server.state.sqlite import SqliteStore

    return SqliteStore(str(tmp / "scale.sqlite"))


def _open_postgres(tmp: Path) -> Store:
    from bench.servers import POSTGRES_URL_VARIABLE
    from mock_server.state.postgres import PostgresStore

    store = PostgresStore(os.environ[POSTGRES_URL_VARIABLE])
    store.reset()
    return store


#: the stores ``--stores`` can name; another store joins the table with one line here: a function
#: opening a fresh, empty one
STORES: dict[str, Callable[[Path], Store]] = {"memory": _open_memory, "sqlite": _open_sqlite,
                                              "postgres": _open_postgres}


def _rss() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def _timed(fn: Callable[[], object], reps: int) -> dict[str, float]:
    """p50 and p99 of ``reps`` calls, in wall time and in this thread's CPU time: on a shared
    machine the wall p99 also holds the times the OS gave the core to someone else, which the
    CPU p99 leaves out."""
    fn()
    wall, cpu = [], []
    for _ in range(reps):
        t0, c0 = time.perf_counter(), time.thread_time()
        fn()
        wall.append(time.perf_counter() - t0)
        cpu.append(time.thread_time() - c0)
    wall.sort()
    cpu.sort()
    return {"p50_us": percentile(wall, 0.50) * 1e6, "p99_us": percentile(wall, 0.99) * 1e6,
            "cpu_p99_us": percentile(cpu, 0.99) * 1e6}


def _worker(store_kind: str, sizes: list[int]) -> dict[str, Any]:
    from bench.seed import COMMON_TERM, CREATE_PAYLOAD, MERCHANT, seed_store, unique_reference
    from hesabe_spec.operations import OPERATIONS
    from mock_server.handlers import HANDLERS, MerchantHandler
    from mock_server.handlers.invoices import list_invoices
    from mock_server.heap import prepare_for_serving
    from mock_server.merchants import MerchantRegistry
    from mock_server.runtime import Call, MockRuntime
    from mock_server.settings import MockSettings
    from mock_server.shapes.invoices import stats_block

    tmp = tempfile.TemporaryDirectory()
    store = STORES[store_kind](Path(tmp.name))
    runtime = MockRuntime(MockSettings(), store, MerchantRegistry([MERCHANT]))
    per_page = runtime.settings.per_page

    def handler(op: str, payload: dict[str, Any], params: dict[str, str] | None = None) -> Callable[[], Any]:
        """A call of the real handler (store query, counters, serialisation; no HTTP or crypto)."""
        handler = HANDLERS[op]
        assert isinstance(handler, MerchantHandler)
        run = handler.run

        def call() -> Any:
            return run(Call(runtime.domain, MERCHANT, dict(payload), params or {}, "http://127.0.0.1:8000",
                            OPERATIONS[op], per_page))
        return call

    def page(number: int, **filters: str) -> Callable[[], Any]:
        return handler("list_invoices", {"page": number, **filters})

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
        prepare_for_serving()  # as hesabe-mock does before it serves (gc.freeze)
        row: dict[str, Any] = {
            "size": size,
            "seed_s": seed_s,
            "seed_total_s": seed_total,
            "seed_us_per_invoice": seed_s / max(1, size - (out[-1]["size"] if out else 0)) * 1e6,
        }
        # the first searches after seeding (nothing may be left to index by then): a unique
        # reference (not the one timed below), then the common word, each one call
        for name, term in (("first_search", unique_reference(size // 3)), ("first_common", COMMON_TERM)):
            t0 = time.perf_counter()
            page(1, search=term)()
            row[name] = {"p99_us": (time.perf_counter() - t0) * 1e6}  # one call: its own p99
        row["first_search_ms"] = row["first_search"]["p99_us"] / 1e3
        if store_kind == "sqlite":
            files = [Path(tmp.name) / "scale.sqlite", Path(tmp.name) / "scale.sqlite-wal"]
            row["db_bytes_per_invoice"] = sum(f.stat().st_size for f in files if f.exists()) / size
        row["rss_bytes_per_invoice"] = (_rss() - rss_start) / size  # search index included
        total = store.list_invoices(MERCHANT.merchant_id, InvoiceQuery(limit=0)).total
        in_status = store.list_invoices(MERCHANT.merchant_id,
                                        InvoiceQuery(status=int(_STATUS), limit=0)).total
        last, status_last = -(-total // per_page), -(-in_status // per_page)
        [middle] = store.list_invoices(MERCHANT.merchant_id, InvoiceQuery(offset=total // 2, limit=1)).items
        middle_id = middle.id
        for number in (last // 2, last):  # the pages are really there (and full but the last)
            rows = list_invoices(Call(runtime.domain, MERCHANT, {"page": number}, {}, "http://x",
                                      OPERATIONS["list_invoices"], per_page)).response["invoices"]["data"]
            if not rows:
                raise RuntimeError(f"page {number} of {total} invoices is empty")
        timings = {
            "get_by_id": handler("get_invoice", {}, {"id": str(middle_id)}),
            "create": handler("create_invoice", CREATE_PAYLOAD),
            "page_first": page(1),
            "page_middle": page(max(1, last // 2)),
            "page_last": page(last),
            "status_first": page(1, status=_STATUS),
            "status_middle": page(max(1, status_last // 2), status=_STATUS),
            "status_last": page(status_last, status=_STATUS),
            "search_unique": page(1, search=unique_reference(size // 2)),
            "search_common": page(1, search=COMMON_TERM),
            "stats": lambda: stats_block(runtime.invoices.counts(MERCHANT), orders=False),
        }
        for name, fn in timings.items():
            row[name] = _timed(fn, _REPS[name])
        row["pages"] = {"last": last, "status_last": status_last}
        out.append(row)
        print(json.dumps({"progress": row}), flush=True)
    store.close()
    tmp.cleanup()
    return {"store": store_kind, "rows": out}


def run_scaling(sizes: list[int], stores: list[str], log: Callable[[str], object] = print) -> dict[str, Any]:
    log(f"scaling: sizes {sizes}, stores {stores} (each store in its own process)")
    with postgres_for(stores):
        return _run_scaling(sizes, stores, log)


def _run_scaling(sizes: list[int], stores: list[str], log: Callable[[str], object]) -> dict[str, Any]:
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
                    f" ({r['seed_us_per_invoice']:.0f} us/inv), RSS {r['rss_bytes_per_invoice']:.0f} B/inv;"
                    " p99 us: " + ", ".join(f"{op} {r[op]['p99_us']:.0f}" for op in _REPS)
                    + f"; first search {r['first_search_ms']:.1f} ms,"
                    f" first common search {r['first_common']['p99_us'] / 1e3:.1f} ms"
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
