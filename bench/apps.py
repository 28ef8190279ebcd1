"""The two ASGI apps the HTTP load test starts under identical uvicorn settings.

* :func:`baseline_app` - a bare Starlette app answering every path with a fixed JSON body: the
  ceiling of one uvicorn worker on this machine.
* :func:`mock_app` - the real mock (``create_app``), its store chosen by ``HESABE_BENCH_DB`` as
  ``--db`` does (empty: memory; a file: SQLite; a ``postgresql://`` URL) and pre-seeded with
  ``HESABE_BENCH_SEED`` invoices through the Store API, so the list/search scenarios page through
  real data. ``HESABE_BENCH_TIMER_INTERVAL`` (seconds) spaces its timer's rounds out: the
  instruction counter (``bench.callgrind``) sets it, so that what it counts per request is the
  request's work and not the timer's (under valgrind a second of the timer is ~50 x fewer requests).

Both are uvicorn factories: ``python -m uvicorn --factory bench.apps:mock_app``.
"""

from __future__ import annotations

import os

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

__all__ = ["baseline_app", "mock_app"]

_FIXED = {"status": True, "message": "ok", "response": {"id": 1, "token": "841759667833967748"}}


async def _fixed(request: Request) -> Response:
    await request.body()  # read the body like the mock does, so POST and GET cost the same
    return JSONResponse(_FIXED)


def baseline_app() -> Starlette:
    return Starlette(routes=[Route("/{path:path}", _fixed, methods=["GET", "POST", "PUT", "DELETE"])])


def mock_app() -> Starlette:
    from bench.seed import seed_store
    from mock_server.app import create_app
    from mock_server.heap import prepare_for_serving
    from mock_server.state.opening import open_store

    store = open_store(os.environ.get("HESABE_BENCH_DB") or None)
    seeded = int(os.environ.get("HESABE_BENCH_SEED", "0") or 0)
    if seeded:
        store.reset()  # a PostgreSQL database may hold an earlier run's records
        seed_store(store, seeded)
    app = create_app(store=store)
    interval = os.environ.get("HESABE_BENCH_TIMER_INTERVAL")
    if interval:
        from mock_server.runtime import runtime_of

        runtime_of(app).timer.interval = float(interval)
    prepare_for_serving()  # as hesabe-mock does before serving
    return app
