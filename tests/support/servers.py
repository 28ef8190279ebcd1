"""A reference client on a fresh mock, over ``"http"`` (uvicorn) or ``"inprocess"``, memory or SQLite."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from hesabe_spec.client import HesabeClient
from mock_server.state.memory import MemoryStore
from mock_server.state.store import Store
from mock_server.testing import inprocess_mock, running_mock

__all__ = ["client_for", "make_store"]


def make_store(kind: str, tmp_path: Path) -> Store:
    if kind == "sqlite":
        from mock_server.state.sqlite import SqliteStore

        return SqliteStore(str(tmp_path / "mock.sqlite"))
    return MemoryStore()


@contextlib.contextmanager
def client_for(
    transport: str, store_kind: str, tmp_path: Path, **client_kwargs: Any
) -> Iterator[HesabeClient]:
    store = make_store(store_kind, tmp_path)
    start = running_mock if transport == "http" else inprocess_mock
    try:
        with start(store=store) as mock:
            yield mock.client(**client_kwargs)
    finally:
        store.close()
