"""Fixtures for the client tests; the fakes themselves live in ``client_fakes.py``."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from client_fakes import BASE, FakeClock, FakeSession

from hesabe_spec.client import HesabeClient
from hesabe_spec.client.config import ENV_VARS


@pytest.fixture(autouse=True)
def _no_hesabe_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    # A developer's exported HESABE_* variables must not change what these tests see.
    for var in ENV_VARS.values():
        monkeypatch.delenv(var, raising=False)
    yield


@pytest.fixture
def session() -> FakeSession:
    return FakeSession()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def sleeps() -> list[float]:
    return []


@pytest.fixture
def make_client(session: FakeSession, clock: FakeClock, sleeps: list[float]) -> Callable[..., HesabeClient]:
    def make(**kwargs: Any) -> HesabeClient:
        kwargs.setdefault("validate", False)
        return HesabeClient(transport=session, base_url=BASE, clock=clock, sleep=sleeps.append, **kwargs)

    return make


@pytest.fixture
def client(make_client: Callable[..., HesabeClient]) -> HesabeClient:
    """A client that already holds a valid token (no login on the first call)."""
    c = make_client()
    token = {"access_token": "tok-0", "refresh_token": "ref-0", "expires_in": 900}
    c.tokens.adopt({"response": {"token": token}})
    return c
