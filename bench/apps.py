"""The two ASGI apps the HTTP load test starts under identical uvicorn settings.

* :func:`baseline_app` - a bare Starlette app answering every path with a fixed JSON body: the
  ceiling of one uvicorn worker on this machine.
* :func:`mock_app` - the real mock (``create_app``), its store chosen by ``HESABE_BENCH_DB``
  (empty: memory) and pre-seeded with ``HESABE_BENCH_SEED`` invoices through the Store API, so the
  list/search scenarios page through real data.

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
    from mock_server.state.memory import MemoryStore
    from mock_server.state.store import Store

    db = os.environ.get("HESABE_BENCH_DB", "")
    store: Store
    if db:
        from mock_server.state.sqlite import SqliteStore

        store = SqliteStore(db)
    else:
        store = MemoryStore()
    seed_store(store, int(os.environ.get("HESABE_BENCH_SEED", "0") or 0))
    app = create_app(store=store)
    prepare_for_serving()  # as hesabe-mock does before serving
    return app
