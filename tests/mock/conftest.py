"""Store fixtures shared by the store tests: every test taking ``store`` or ``make_store`` runs once
per store kind ("memory", "sqlite", "postgres")."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from pathlib import Path

import pytest
from support.stores import StoreFactory

from mock_server.state.memory import MemoryStore
from mock_server.state.sqlite import SqliteStore
from mock_server.state.store import Store


@pytest.fixture(params=["memory", "sqlite", "postgres"])
def make_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[StoreFactory]:
    """Opens fresh stores of the parametrized kind (SQLite: a new file each, PostgreSQL: a new schema
    each; ``name=`` re-opens one by name)."""
    opened: list[Store] = []
    files = itertools.count()
    if request.param == "postgres":
        request.getfixturevalue("postgres_url")

    def factory(name: str | None = None) -> Store:
        label = name or f"store{next(files)}"
        if request.param == "memory":
            store: Store = MemoryStore()
        elif request.param == "sqlite":
            store = SqliteStore(str(tmp_path / f"{label}.sqlite"))
        else:
            from support.postgres import schema_url

            from mock_server.state.postgres import PostgresStore

            store = PostgresStore(schema_url(f"{tmp_path}/{label}"))
        opened.append(store)
        return store

    yield factory
    for store in opened:
        store.close()


@pytest.fixture
def store(make_store: StoreFactory) -> Store:
    return make_store()


@pytest.fixture
def history_examples(request: pytest.FixtureRequest, make_store: StoreFactory) -> int:
    """Examples for a store-versus-model state machine: 40, or a sample of 10 on PostgreSQL (each
    example opens a fresh schema; the same code paths run, the full count runs on the others)."""
    return 10 if request.node.callspec.params["make_store"] == "postgres" else 40
