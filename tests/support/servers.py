"""Start the mock for a test: in-process (ASGI) or a real uvicorn on loopback, memory or SQLite."""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import uvicorn
from starlette.applications import Starlette

from hesabe_spec import ASGITransport, HesabeClient
from mock_server.app import create_app
from mock_server.state.memory import MemoryStore
from mock_server.state.store import Store

__all__ = ["client_for", "make_store", "serve"]


def make_store(kind: str, tmp_path: Path) -> Store:
    if kind == "sqlite":
        from mock_server.state.sqlite import SqliteStore

        return SqliteStore(str(tmp_path / "mock.sqlite"))
    return MemoryStore()


@contextlib.contextmanager
def serve(app: Starlette) -> Iterator[str]:
    """Run ``app`` under uvicorn on 127.0.0.1 with a free port; yield its base URL."""
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning",
                                           lifespan="on"))
    thread = threading.Thread(target=server.run, name="hesabe-mock-test", daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)


@contextlib.contextmanager
def client_for(transport: str, store_kind: str, tmp_path: Path, **client_kwargs: Any) -> Iterator[HesabeClient]:
    """A reference client talking to a fresh mock, over ``"http"`` or ``"inprocess"``."""
    store = make_store(store_kind, tmp_path)
    app = create_app(store=store)
    try:
        if transport == "http":
            with serve(app) as url, HesabeClient(base_url=url, **client_kwargs) as client:
                yield client
        else:
            with ASGITransport(app) as asgi, HesabeClient(base_url="http://mock.test", transport=asgi,
                                                          **client_kwargs) as client:
                yield client
    finally:
        store.close()
