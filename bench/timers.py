"""Section ``timers``: one round of the mock's timer against how many subscriptions it holds.

Every serving process runs the timer's round each second on its event loop (``MockRuntime.fire_due``:
refunds past their auto-approval, monthly recurrences), and every read of a merchant's payments
settles the same first, so a round must not grow with the records. Per store, in-process: a
runtime with ``n`` ACTIVE monthly subscriptions of the sandbox merchant whose next billing day is
still to come (the usual state: each bills once a month), then ``rounds`` timer rounds, timed.
``x empty`` is the median round over the median round of the same store holding none.
"""

from __future__ import annotations

import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench.scaling import STORES
from bench.servers import postgres_for
from hesabe_spec.sandbox import SANDBOX
from mock_server.app import create_app
from mock_server.runtime import runtime_of
from mock_server.state.models import Checkout

__all__ = ["run_timers"]

#: a start date every subscription here bills from: none is due while the bench runs
_FUTURE = "2099-01-01"


def _subscription(merchant_id: int, n: int) -> Checkout:
    return Checkout(merchant_id=merchant_id, token=f"BENCH-SUB-{n}", session=f"bench-session-{n}",
                    amount="10.000", currency="KWD", payment_type=15, response_url="https://shop.example/ok",
                    failure_url="https://shop.example/failed", created_at="2026-01-01 10:00:00",
                    expires_at=0.0, status="SUCCESSFUL", recurring_frequency="1", recurring_installments=12,
                    recurring_start=_FUTURE, subscription_status="ACTIVE")


def _rounds(store_name: str, n: int, rounds: int, workdir: Path) -> list[float]:
    where = workdir / f"{store_name}-{n}"
    where.mkdir()
    store = STORES[store_name](where)
    try:
        app = create_app(store=store)
        runtime = runtime_of(app)
        for k in range(n):
            store.insert_checkout(_subscription(SANDBOX.merchant_id, k))
        runtime.fire_due()  # warm
        times = []
        for _ in range(rounds):
            t0 = time.perf_counter()
            runtime.fire_due()
            times.append(time.perf_counter() - t0)
        runtime.close()
        return times
    finally:
        store.close()


def run_timers(sizes: list[int], stores: list[str], rounds: int,
               log: Callable[[str], object] = print) -> dict[str, Any]:
    """``{store: {n: {"p50_ms", "p99_ms", "x_empty"}}}`` for ``n`` in ``[0, *sizes]``."""
    out: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="bench-timers-") as tmp, postgres_for(stores):
        for store_name in stores:
            rows: dict[int, dict[str, float]] = {}
            for n in (0, *sizes):
                times = sorted(_rounds(store_name, n, rounds, Path(tmp)))
                p50 = statistics.median(times)
                p99 = times[min(len(times) - 1, int(len(times) * 0.99))]
                rows[n] = {"p50_ms": p50 * 1e3, "p99_ms": p99 * 1e3}
                rows[n]["x_empty"] = p50 / (rows[0]["p50_ms"] / 1e3) if rows[0]["p50_ms"] else 0.0
                log(f"timers: {store_name} {n:,} subscriptions: round p50 {rows[n]['p50_ms']:.3f} ms")
            out[store_name] = rows
    return out
