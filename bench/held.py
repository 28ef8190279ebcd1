"""Section ``held``: reads that must cost the same whatever the records a mock holds.

Per store, in-process, with ``n`` ACTIVE monthly subscriptions of the sandbox merchant held (paid
checkouts whose next billing day is still to come: the usual state, each bills once a month):

* **timer round**: ``MockRuntime.fire_due``, which every serving process runs each second on its
  event loop (refunds past their auto-approval, monthly recurrences) and every read of a
  merchant's payments runs first;
* **enquiry**: the ledger's answer for a token no checkout holds (``Ledger.find``: what
  ``GET /api/transaction/{token}`` asks when the token is an invoice's payment, or nobody's);
* **by reference**: the same for an order reference (``isOrderReference``);
* **report**: the whole ledger (``Ledger.entries``), what the transactions report pages through;
  it reads every payment (its stats are over all of them), so it grows with them, and is shown
  for that.

Each is the median of ``rounds`` calls; ``x empty`` is the median over the same store's with none
held.
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
from hesabe_spec.enums import TransactionStatus
from hesabe_spec.sandbox import SANDBOX
from mock_server.app import create_app
from mock_server.runtime import MockRuntime, runtime_of
from mock_server.state.models import Checkout

__all__ = ["READS", "run_held"]

#: a start date every subscription here bills from: none is due while the bench runs
_FUTURE = "2099-01-01"


def _subscription(merchant_id: int, n: int) -> Checkout:
    return Checkout(merchant_id=merchant_id, token=f"BENCH-SUB-{n}", session=f"bench-session-{n}",
                    amount="10.000", currency="KWD", payment_type=15, response_url="https://shop.example/ok",
                    failure_url="https://shop.example/failed", created_at="2026-01-01 10:00:00",
                    expires_at=0.0, status=TransactionStatus.SUCCESSFUL, paid_on="2026-01-01 10:00:05",
                    result_code="CAPTURED", recurring_frequency="1", recurring_installments=12,
                    recurring_start=_FUTURE, subscription_status="ACTIVE")


#: what is timed: name -> one call against a runtime
READS: dict[str, Callable[[MockRuntime], object]] = {
    "timer round": lambda rt: rt.fire_due(),
    "enquiry": lambda rt: rt.ledger.find(SANDBOX.merchant_id, "NOBODY-HAS-THIS-TOKEN"),
    "by reference": lambda rt: rt.ledger.find(SANDBOX.merchant_id, "NO-SUCH-ORDER", by_reference=True),
    "report": lambda rt: rt.ledger.entries(SANDBOX.merchant_id),
}


def _timed(store_name: str, n: int, rounds: int, workdir: Path) -> dict[str, float]:
    where = workdir / f"{store_name}-{n}"
    where.mkdir()
    store = STORES[store_name](where)
    try:
        runtime = runtime_of(create_app(store=store))
        for k in range(n):
            store.insert_checkout(_subscription(SANDBOX.merchant_id, k))
        medians = {}
        for name, read in READS.items():
            read(runtime)  # warm
            times = []
            for _ in range(rounds):
                t0 = time.perf_counter()
                read(runtime)
                times.append(time.perf_counter() - t0)
            medians[name] = statistics.median(times) * 1e3
        runtime.close()
        return medians
    finally:
        store.close()


def run_held(sizes: list[int], stores: list[str], rounds: int,
             log: Callable[[str], object] = print) -> dict[str, Any]:
    """``{store: {n: {read: {"p50_ms", "x_empty"}}}}`` for ``n`` in ``[0, *sizes]``."""
    out: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="bench-held-") as tmp, postgres_for(stores):
        for store_name in stores:
            rows: dict[int, dict[str, dict[str, float]]] = {}
            for n in (0, *sizes):
                medians = _timed(store_name, n, rounds, Path(tmp))
                rows[n] = {name: {"p50_ms": ms, "x_empty": ms / rows[0][name]["p50_ms"] if n else 1.0}
                           for name, ms in medians.items()}
                log(f"held: {store_name} {n:,} subscriptions: "
                    + ", ".join(f"{name} {r['p50_ms']:.3f} ms" for name, r in rows[n].items()))
            out[store_name] = rows
    return out
