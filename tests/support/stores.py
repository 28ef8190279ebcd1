"""Opening the mock's stores in tests: one factory type for both kinds."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable, Sequence

from mock_server.state.store import Store

__all__ = ["StoreFactory", "race", "set_back_to_version_8", "set_back_to_version_9", "set_back_to_version_10"]

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


def set_back_to_version_10(conn: sqlite3.Connection) -> None:
    """Take version 11's checkout-source column off a SQLite store's file, so that opening it
    migrates to version 11 again; run inside a transaction, before setting ``PRAGMA user_version``
    to 10 or below."""
    conn.execute("DROP INDEX checkout_source")
    conn.execute("ALTER TABLE checkouts DROP COLUMN source")


def set_back_to_version_9(conn: sqlite3.Connection) -> None:
    """Take version 10's billing-day column off a SQLite store's file, so that opening it migrates
    to version 10 again; run inside a transaction, before setting ``PRAGMA user_version`` to 9 or
    below."""
    set_back_to_version_10(conn)
    conn.execute("DROP INDEX checkout_billing")
    conn.execute("ALTER TABLE checkouts DROP COLUMN next_billing")


def set_back_to_version_8(conn: sqlite3.Connection) -> None:
    """Give a SQLite store's file the payment-token index version 8 had (an index on an expression
    of the document, no ``txn_token`` column), so that opening it migrates to version 9 again;
    run inside a transaction, before setting ``PRAGMA user_version`` to 8 or below."""
    set_back_to_version_9(conn)
    conn.execute("DROP INDEX inv_txn")
    conn.execute("ALTER TABLE invoices DROP COLUMN txn_token")
    conn.execute("CREATE INDEX inv_txn ON invoices (merchant_id, json_extract(doc, '$.transaction.token'))"
                 " WHERE json_extract(doc, '$.transaction.token') IS NOT NULL")
