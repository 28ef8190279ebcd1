"""Section ``inprocess``: the reference client calling ``create_app()`` through ``ASGITransport``.

No socket: client request building + encryption, the app's whole pipeline, decryption of the
answer and the client's own validation (its default), per call. Median and p99 per operation.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, TypedDict

from bench.stats import percentile
from hesabe_spec.client import ASGITransport, HesabeClient

__all__ = ["run_inprocess"]

class _InvoiceFields(TypedDict):
    customer_name: str
    mobile_number: str
    country_code: str
    customer_email: str
    description: str
    expires_at: str
    invoice_type: str
    invoice_sub_type: str
    allocate_pay_type: list[int]


_INVOICE = _InvoiceFields(
    customer_name="TEST",
    mobile_number="66666666",
    country_code="965",
    customer_email="t@x.com",
    description="d",
    expires_at="2030-12-12",
    invoice_type="0",
    invoice_sub_type="3",
    allocate_pay_type=[1, 2],
)


def _pcts(samples: list[float]) -> dict[str, float]:
    samples.sort()
    n = len(samples)
    return {
        "n": n,
        "p50_ms": percentile(samples, 0.50) * 1e3,
        "p90_ms": percentile(samples, 0.90) * 1e3,
        "p99_ms": percentile(samples, 0.99) * 1e3,
        "mean_ms": sum(samples) / n * 1e3,
    }


def run_inprocess(calls: int, log: Callable[[str], object] = print) -> dict[str, Any]:
    from mock_server.app import create_app

    out: dict[str, Any] = {}
    with ASGITransport(create_app()) as transport:
        client = HesabeClient(transport=transport, base_url="http://mock")
        inv = client.create_invoice(amount="20", reference_number="B1", **_INVOICE)
        ops: dict[str, Callable[[], object]] = {
            "get_invoice": lambda: client.get_invoice(inv["id"]),
            "create_invoice": lambda: client.create_invoice(amount="20", reference_number="B1", **_INVOICE),
            "list_invoices": lambda: client.list_invoices(page=1),
        }
        for name, fn in ops.items():
            for _ in range(max(50, calls // 10)):
                fn()
            samples = []
            for _ in range(calls):
                t0 = time.perf_counter()
                fn()
                samples.append(time.perf_counter() - t0)
            out[name] = _pcts(samples)
            log(
                f"inprocess {name:15} p50 {out[name]['p50_ms']:.3f} ms  p99 {out[name]['p99_ms']:.3f} ms"
                f"  ({calls} calls)"
            )
        client.close()
    return out
