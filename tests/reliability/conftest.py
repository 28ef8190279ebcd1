"""Fixtures for the reliability tests: a seeded mock per test, on each store."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from relkit import BETA, STORES, AsgiClient, Seeded, make_app, open_store, seed_state

from mock_server.state.store import Store


@dataclass
class World:
    """A mock with both merchants logged in and one record of every kind each."""

    app: Any
    store: Store
    client: AsgiClient
    token: str
    seeded: Seeded
    beta_token: str
    beta_seeded: Seeded

    def fingerprint(self) -> str:
        return self.store.fingerprint()


@pytest.fixture(params=STORES)
def store_kind(request: pytest.FixtureRequest) -> str:
    if request.param == "postgres":
        request.getfixturevalue("postgres_url")
    return str(request.param)


@contextmanager
def _world(kind: str, directory: Path) -> Iterator[World]:
    store = open_store(kind, directory)
    app = make_app(store)
    client = AsgiClient(app)
    try:
        token, seeded = seed_state(client)
        beta_token, beta_seeded = seed_state(client, BETA)
        yield World(app, store, client, token, seeded, beta_token, beta_seeded)
    finally:
        client.close()
        store.close()


@pytest.fixture
def world(store_kind: str, tmp_path: Path) -> Iterator[World]:
    """A fresh world per test (for tests that change state on purpose)."""
    with _world(store_kind, tmp_path) as w:
        yield w


@pytest.fixture(scope="module", params=STORES)
def shared_world(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    """One world per module and store, for tests that must not change state (each checks it)."""
    if request.param == "postgres":
        request.getfixturevalue("postgres_url")
    with _world(str(request.param), tmp_path_factory.mktemp(str(request.param))) as w:
        yield w
