"""Store fixtures shared by the store tests: every test taking ``store`` or ``make_store`` runs once
per store kind ("memory", "sqlite")."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from pathlib import Path

import pytest
from support.stores import StoreFactory

from mock_server.state.memory import MemoryStore
from mock_server.state.sqlite import SqliteStore
from mock_server.state.store import Store


@pytest.fixture(params=["memory", "sqlite"])
def make_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[StoreFactory]:
    """Opens fresh stores of the parametrized kind (SQLite: a new file each, or ``name=`` to re-open)."""
    opened: list[Store] = []
    files = itertools.count()

    def factory(name: str | None = None) -> Store:
        if request.param == "memory":
            store: Store = MemoryStore()
        else:
            store = SqliteStore(str(tmp_path / (name or f"store{next(files)}.sqlite")))
        opened.append(store)
        return store

    yield factory
    for store in opened:
        store.close()


@pytest.fixture
def store(make_store: StoreFactory) -> Store:
    return make_store()
