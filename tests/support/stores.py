"""Opening the mock's stores in tests: one factory type for both kinds."""

from __future__ import annotations

from collections.abc import Callable

from mock_server.state.store import Store

__all__ = ["StoreFactory"]

#: opens a fresh store of the test's kind; ``name=`` re-opens a SQLite file by name
StoreFactory = Callable[..., Store]
