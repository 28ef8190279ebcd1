"""Opening the mock's stores in tests: one factory type for both kinds."""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence

from mock_server.state.store import Store

__all__ = ["StoreFactory", "race"]

#: opens a fresh store of the test's kind; ``name=`` re-opens a SQLite file by name
StoreFactory = Callable[..., Store]


def race(stores: Sequence[Store], write: Callable[[Store, int], None]) -> None:
    """Run ``write(store, n)`` for every store on a thread of its own, released at the same moment
    (a barrier), and wait for all of them: writers racing for one record."""
    start = threading.Barrier(len(stores))

    def run(store: Store, n: int) -> None:
        start.wait(10)
        write(store, n)

    threads = [threading.Thread(target=run, args=(s, n)) for n, s in enumerate(stores)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
