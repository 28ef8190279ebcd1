"""SQLite store (``--db PATH``): the same behaviour as :class:`MemoryStore`, kept across restarts.

Records are JSON documents (``to_record``/``from_record``) next to the columns the queries need.

Durability. The file runs in WAL mode with ``synchronous=NORMAL``: a commit appends to the WAL with
``write()`` and returns, so once a create has been answered its transaction is in the OS page cache
and survives the mock process being killed (``kill -9``, a crash, Ctrl-C). Only an OS crash or a
power cut can lose the commits since the last checkpoint, and even then the file stays consistent
(WAL replay). FULL would add an fsync per commit to protect against power loss, which a mock does
not need.

Checkpoints. A checkpoint syncs the WAL, copies its pages into the database file and syncs that;
the request path never runs one (``wal_autocheckpoint = 0`` on the store's connection). A thread
with its own connection (:class:`_Checkpointer`) runs a PASSIVE checkpoint, which never blocks the
writer, :data:`CHECKPOINT_DELAY_S` (0.2 s) after a commit, so a power cut loses at most the commits
of about the last quarter of a second, however few there were. A WAL that a steady stream of
commits never lets a checkpoint finish is restarted at :data:`WAL_LIMIT_PAGES` by a RESTART
checkpoint, which holds the next write back while it copies the rest (once per 32 MB of WAL, so
the pause is short and rare).

Group commit. A commit costs more than the writes in it: every page a transaction touched goes to
the WAL again, and concurrent creates touch mostly the same pages (the table's and indexes' last
pages, the counters). Inside :meth:`deferred_commit` (the pipeline runs every handler in it) a write
leaves its transaction open; writes of requests served meanwhile join it, and
:meth:`commit_deferred` commits them all at once. The pipeline calls it (``GroupCommit``,
mock_server/group_commit.py) before it answers any of them, so the guarantee above holds for every
answer. A write outside it (control plane, pages, timers, another thread) commits at once, the open
group with it.

Atomicity. Every write is all or nothing: its own ``BEGIN IMMEDIATE`` .. ``COMMIT``, or, when it
joins an open group, a ``SAVEPOINT`` rolled back on failure (the group's other writes stay). A
create joins without one (a savepoint copies every page the create touches, work the create does
not need): its rows go in one statement, which SQLite undoes whole when a key is refused, and its
search terms cannot be refused; if SQLite itself fails in between (a full disk, an I/O error), the
group is rolled back and every request in it is answered with an error. Tokens and access keys
are UNIQUE in the schema; triggers extend access-key uniqueness across invoices and open invoices.
A violation becomes :class:`KeyConflict` and nothing is stored. Ids come from
AUTOINCREMENT's high-water mark (``sqlite_sequence``: new invoices take the ids after it, so
``create_invoices`` builds them with their ids), which survives deletes and resets, so ids never
decrease and are never reused; a rolled-back insert does not consume ids. ``insert_with_ids``
(seeding) stores explicit ids, and AUTOINCREMENT then continues above the highest.

Indexes (list/search/stats never scan the invoice table; ``test_sqlite_reads_never_scan_a_table``
checks every statement's EXPLAIN QUERY PLAN):

* ``inv_dash (merchant_id, invoice_type, invoice_status, id)``: each (type, status) bucket is an
  id-ordered index range; a dashboard page merges the selected buckets newest first
  (``UNION ALL .. ORDER BY id DESC``, a streaming merge) reading only index entries, then fetches the
  page's documents by id. Where the page starts comes from ``invoice_blocks`` (:meth:`_seek`), so the
  merge starts at the page's block: a page costs O(blocks + 1024 + limit) whatever its number, and
  from past the middle it walks from the oldest end. Totals come from ``invoice_counts``.
* ``invoice_blocks (merchant_id, invoice_type, invoice_status, block) -> n``: how many of a bucket's
  ids fall in each block of 1024 ids (``id >> 10``), kept by triggers like ``invoice_counts``.
* ``invoice_counts (merchant_id, invoice_type, invoice_status) -> n``: kept by triggers on insert,
  update and delete, so it is always in the same transaction; ``invoice_counts()`` reads it.
* ``invoice_terms (merchant_id, term, invoice_id) -> invoice_type, invoice_status``: the terms of
  :func:`search_terms` (whole terms, as the memory store), each carrying its invoice's type and
  status (``update_invoice`` rewrites an invoice's terms when those change). A search drives from
  its rarest term (or from the date range if that is smaller) and probes the others by primary
  key; without a date filter it counts and pages on this index alone, and reads only the page's
  rows from ``invoices`` (a 1% search at 1M invoices counts 10k entries on a few dozen pages).
* ``inv_date (merchant_id, created_at, id, invoice_type, invoice_status)``: date filters; the
  trailing columns make the filter index-only.
* Search/date totals are exact, so those queries cost O(entries of the smallest index range), as in
  the memory store. Open invoices and bulk rows are read through ``(merchant_id, id)`` /
  ``(merchant_id, scheduled, id)``; open-invoice filters apply to that merchant's rows (few).
* Checkouts are read by their UNIQUE ``token`` and ``session`` and, for the enquiry by order
  reference, through ``(merchant_id, order_reference, id)``; one source's (the Smart POS list)
  through ``checkout_source (merchant_id, source, id)``.
* Refunds: ``refund_txn (merchant_id, token, status, amount_fils)`` answers "how much of this
  payment is taken" from the index alone; ``refund_totals`` is kept by triggers like
  ``invoice_counts``; ``inv_txn (merchant_id, txn_token)`` finds a paid invoice by its payment's
  token (a partial index: unpaid invoices, whose ``txn_token`` is NULL, have no entry, so a create
  adds nothing to it).
  ``insert_refund`` sums and inserts in one ``BEGIN IMMEDIATE`` transaction, and SQLite admits one
  writer at a time per file, so the check holds across connections and processes, not only
  across this store's threads.

Schema versions. ``PRAGMA user_version`` counts the scripts of :data:`_MIGRATIONS` applied; opening
an older file applies the rest in one transaction (a version-1 file gains the refund tables, then
the checkouts table, then the block counts, filled from its invoices, then the saved-card tables,
then the active-subscription index, then the search terms rebuilt with their invoices' type and
status: a full pass over the invoices, once; the old table's pages stay in the file as free pages
that later writes reuse; then the payment token as a column of its own, read from the documents
of the paid invoices; then each monthly subscription's next billing day, worked out from the
documents of the active ones, in place of the active-subscription index; then each checkout's
source, read from its document).

Threads. One connection (``check_same_thread=False``) behind one re-entrant lock. SQLite admits one
writer at a time anyway and every operation here is a short index read or write, so serialising
them behind a lock gives up little; in exchange there is no ``SQLITE_BUSY`` between our own
connections, a multi-statement read sees one snapshot, and ``close()`` really closes everything
(per-thread connections would outlive the threads that opened them). The checkpointer's
connection only ever runs ``PRAGMA wal_checkpoint``; ``close()`` stops its thread first.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, replace
from itertools import count, groupby
from operator import attrgetter, itemgetter
from typing import Any

from hesabe_spec.amounts import to_fils
from hesabe_spec.enums import InvoiceKind, OpenInvoiceStatus, RefundStatus
from mock_server.state.documents import FINGERPRINT_QUERIES, document
from mock_server.state.models import (
    NO_UPPER_DATE,
    BulkRow,
    CardCustomer,
    Checkout,
    Invoice,
    InvoiceQuery,
    OpenInvoice,
    OpenInvoiceQuery,
    Page,
    Refund,
    RefundQuery,
    SavedCard,
    open_invoice_terms,
    refund_terms,
    search_terms,
    search_terms_delta,
)
from mock_server.state.shared import SHARED_SCHEMA, SqlSharedState
from mock_server.state.store import KeyConflict, RefundTotals, StatusCounts, Store, fit_refund

__all__ = ["SqliteStore"]


_SCHEMA = """
CREATE TABLE invoices (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    merchant_id      INTEGER NOT NULL,
    invoice_type     INTEGER NOT NULL,
    invoice_status   INTEGER NOT NULL,
    token            TEXT NOT NULL UNIQUE,
    access_key       TEXT NOT NULL UNIQUE,
    split_access_key TEXT NOT NULL,
    created_at       TEXT NOT NULL,
    doc              TEXT NOT NULL
);
CREATE INDEX inv_dash ON invoices (merchant_id, invoice_type, invoice_status, id);
CREATE INDEX inv_date ON invoices (merchant_id, created_at, id, invoice_type, invoice_status);
CREATE INDEX inv_split ON invoices (split_access_key, id) WHERE split_access_key <> '';

CREATE TABLE invoice_terms (
    merchant_id INTEGER NOT NULL,
    term        TEXT NOT NULL,
    invoice_id  INTEGER NOT NULL,
    PRIMARY KEY (merchant_id, term, invoice_id)
) WITHOUT ROWID;

CREATE TABLE invoice_counts (
    merchant_id    INTEGER NOT NULL,
    invoice_type   INTEGER NOT NULL,
    invoice_status INTEGER NOT NULL,
    n              INTEGER NOT NULL,
    PRIMARY KEY (merchant_id, invoice_type, invoice_status)
) WITHOUT ROWID;

CREATE TRIGGER inv_count_ins AFTER INSERT ON invoices BEGIN
    INSERT INTO invoice_counts VALUES (NEW.merchant_id, NEW.invoice_type, NEW.invoice_status, 1)
    ON CONFLICT DO UPDATE SET n = n + 1;
END;
CREATE TRIGGER inv_count_del AFTER DELETE ON invoices BEGIN
    UPDATE invoice_counts SET n = n - 1 WHERE merchant_id = OLD.merchant_id
        AND invoice_type = OLD.invoice_type AND invoice_status = OLD.invoice_status;
END;
CREATE TRIGGER inv_count_upd AFTER UPDATE OF merchant_id, invoice_type, invoice_status ON invoices
WHEN (OLD.merchant_id, OLD.invoice_type, OLD.invoice_status)
     IS NOT (NEW.merchant_id, NEW.invoice_type, NEW.invoice_status)
BEGIN
    UPDATE invoice_counts SET n = n - 1 WHERE merchant_id = OLD.merchant_id
        AND invoice_type = OLD.invoice_type AND invoice_status = OLD.invoice_status;
    INSERT INTO invoice_counts VALUES (NEW.merchant_id, NEW.invoice_type, NEW.invoice_status, 1)
    ON CONFLICT DO UPDATE SET n = n + 1;
END;

CREATE TABLE open_invoices (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    merchant_id  INTEGER NOT NULL,
    access_key   TEXT NOT NULL UNIQUE,
    created_day  TEXT NOT NULL,
    type         INTEGER NOT NULL,
    status       INTEGER NOT NULL,
    paid_status  INTEGER NOT NULL,
    terms        TEXT NOT NULL,
    doc          TEXT NOT NULL
);
CREATE INDEX open_merchant ON open_invoices (merchant_id, id);

CREATE TRIGGER open_key_ins BEFORE INSERT ON open_invoices
WHEN EXISTS (SELECT 1 FROM invoices WHERE access_key = NEW.access_key)
BEGIN SELECT RAISE(ABORT, 'access key conflict'); END;
CREATE TRIGGER open_key_upd BEFORE UPDATE OF access_key ON open_invoices
WHEN EXISTS (SELECT 1 FROM invoices WHERE access_key = NEW.access_key)
BEGIN SELECT RAISE(ABORT, 'access key conflict'); END;
CREATE TRIGGER inv_key_ins BEFORE INSERT ON invoices
WHEN EXISTS (SELECT 1 FROM open_invoices WHERE access_key = NEW.access_key)
BEGIN SELECT RAISE(ABORT, 'access key conflict'); END;
CREATE TRIGGER inv_key_upd BEFORE UPDATE OF access_key ON invoices
WHEN EXISTS (SELECT 1 FROM open_invoices WHERE access_key = NEW.access_key)
BEGIN SELECT RAISE(ABORT, 'access key conflict'); END;

CREATE TABLE bulk_rows (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    merchant_id INTEGER NOT NULL,
    scheduled   INTEGER NOT NULL,
    doc         TEXT NOT NULL
);
CREATE INDEX bulk_merchant ON bulk_rows (merchant_id, scheduled, id);

CREATE TABLE tokens (
    kind        TEXT NOT NULL,
    token       TEXT NOT NULL,
    merchant_id INTEGER NOT NULL,
    expires_at  REAL NOT NULL,
    PRIMARY KEY (kind, token)
) WITHOUT ROWID;
CREATE INDEX tokens_merchant ON tokens (merchant_id);
"""

_REFUND_SCHEMA = """
CREATE TABLE refunds (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    merchant_id INTEGER NOT NULL,
    token       TEXT NOT NULL,
    status      INTEGER NOT NULL,
    amount_fils INTEGER NOT NULL,
    created_day TEXT NOT NULL,
    terms       TEXT NOT NULL,
    doc         TEXT NOT NULL
);
CREATE INDEX refund_txn ON refunds (merchant_id, token, status, amount_fils);
CREATE INDEX refund_merchant ON refunds (merchant_id, status, id);

CREATE TABLE refund_totals (
    merchant_id INTEGER NOT NULL,
    status      INTEGER NOT NULL,
    n           INTEGER NOT NULL,
    amount_fils INTEGER NOT NULL,
    PRIMARY KEY (merchant_id, status)
) WITHOUT ROWID;

CREATE TRIGGER refund_total_ins AFTER INSERT ON refunds BEGIN
    INSERT INTO refund_totals VALUES (NEW.merchant_id, NEW.status, 1, NEW.amount_fils)
    ON CONFLICT DO UPDATE SET n = n + 1, amount_fils = amount_fils + excluded.amount_fils;
END;
CREATE TRIGGER refund_total_del AFTER DELETE ON refunds BEGIN
    UPDATE refund_totals SET n = n - 1, amount_fils = amount_fils - OLD.amount_fils
    WHERE merchant_id = OLD.merchant_id AND status = OLD.status;
END;
CREATE TRIGGER refund_total_upd AFTER UPDATE OF merchant_id, status, amount_fils ON refunds BEGIN
    UPDATE refund_totals SET n = n - 1, amount_fils = amount_fils - OLD.amount_fils
    WHERE merchant_id = OLD.merchant_id AND status = OLD.status;
    INSERT INTO refund_totals VALUES (NEW.merchant_id, NEW.status, 1, NEW.amount_fils)
    ON CONFLICT DO UPDATE SET n = n + 1, amount_fils = amount_fils + excluded.amount_fils;
END;

CREATE INDEX inv_txn ON invoices (merchant_id, json_extract(doc, '$.transaction.token'))
WHERE json_extract(doc, '$.transaction.token') IS NOT NULL;
"""

#: version 3: the payment gateway's checkouts
_CHECKOUTS_SCHEMA = """
CREATE TABLE checkouts (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    merchant_id     INTEGER NOT NULL,
    token           TEXT NOT NULL UNIQUE,
    session         TEXT NOT NULL UNIQUE,
    order_reference TEXT,
    doc             TEXT NOT NULL
);
CREATE INDEX checkout_reference ON checkouts (merchant_id, order_reference, id)
    WHERE order_reference IS NOT NULL;
"""

#: how much of the file reads may map (``PRAGMA mmap_size``)
_MMAP_BYTES = 1 << 32

#: ids per block of ``invoice_blocks`` (a power of two: the block of an id is ``id >> 10``)
BLOCK_SHIFT = 10

#: version 5: invoice counts per block of 1024 ids, so a page's first id is found without walking
#: every row before it (``_seek``); filled from the invoices a file already has
_BLOCKS_SCHEMA = f"""
CREATE TABLE invoice_blocks (
    merchant_id    INTEGER NOT NULL,
    invoice_type   INTEGER NOT NULL,
    invoice_status INTEGER NOT NULL,
    block          INTEGER NOT NULL,
    n              INTEGER NOT NULL,
    PRIMARY KEY (merchant_id, invoice_type, invoice_status, block)
) WITHOUT ROWID;

INSERT INTO invoice_blocks
SELECT merchant_id, invoice_type, invoice_status, id >> {BLOCK_SHIFT}, count(*)
FROM invoices GROUP BY 1, 2, 3, 4;

CREATE TRIGGER inv_block_ins AFTER INSERT ON invoices BEGIN
    INSERT INTO invoice_blocks
    VALUES (NEW.merchant_id, NEW.invoice_type, NEW.invoice_status, NEW.id >> {BLOCK_SHIFT}, 1)
    ON CONFLICT DO UPDATE SET n = n + 1;
END;
CREATE TRIGGER inv_block_del AFTER DELETE ON invoices BEGIN
    UPDATE invoice_blocks SET n = n - 1 WHERE merchant_id = OLD.merchant_id
        AND invoice_type = OLD.invoice_type AND invoice_status = OLD.invoice_status
        AND block = OLD.id >> {BLOCK_SHIFT};
END;
CREATE TRIGGER inv_block_upd AFTER UPDATE OF id, merchant_id, invoice_type, invoice_status ON invoices
WHEN (OLD.id, OLD.merchant_id, OLD.invoice_type, OLD.invoice_status)
     IS NOT (NEW.id, NEW.merchant_id, NEW.invoice_type, NEW.invoice_status)
BEGIN
    UPDATE invoice_blocks SET n = n - 1 WHERE merchant_id = OLD.merchant_id
        AND invoice_type = OLD.invoice_type AND invoice_status = OLD.invoice_status
        AND block = OLD.id >> {BLOCK_SHIFT};
    INSERT INTO invoice_blocks
    VALUES (NEW.merchant_id, NEW.invoice_type, NEW.invoice_status, NEW.id >> {BLOCK_SHIFT}, 1)
    ON CONFLICT DO UPDATE SET n = n + 1;
END;
"""

#: version 6: the merchant's checkouts in order (the transactions report), saved-card customers
#: and their cards (direct payment); IF NOT EXISTS, so a file set back to an older version (the
#: migration tests) takes it again
_SAVED_CARDS_SCHEMA = """
CREATE INDEX IF NOT EXISTS checkout_merchant ON checkouts (merchant_id, id);

CREATE TABLE IF NOT EXISTS card_customers (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    merchant_id INTEGER NOT NULL,
    doc         TEXT NOT NULL
);

CREATE TABLE IF NOT EXISTS saved_cards (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    merchant_id INTEGER NOT NULL,
    customer_id INTEGER NOT NULL,
    doc         TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS saved_card_customer ON saved_cards (merchant_id, customer_id, id);
"""

#: a checkout's subscription status, read from its document
_SUBSCRIPTION_STATUS = "json_extract(doc, '$.subscription_status')"

#: version 7: the ACTIVE subscriptions, which the recurrence timer walked (a partial index: only
#: those rows are in it; version 10 drops it for the billing-day index)
_SUBSCRIPTIONS_SCHEMA = f"""
CREATE INDEX IF NOT EXISTS checkout_active_subscription ON checkouts (merchant_id, id)
    WHERE {_SUBSCRIPTION_STATUS} = 'ACTIVE';
"""

#: version 8: each search term carries its invoice's type and status, so a search's exact total
#: is counted from the term's index range alone (a few pages) instead of reading every matching
#: invoice's row; filled from the invoices a file already has
_COVERING_TERMS_SCHEMA = """
CREATE TABLE invoice_terms_rebuilt (
    merchant_id    INTEGER NOT NULL,
    term           TEXT NOT NULL,
    invoice_id     INTEGER NOT NULL,
    invoice_type   INTEGER NOT NULL,
    invoice_status INTEGER NOT NULL,
    PRIMARY KEY (merchant_id, term, invoice_id)
) WITHOUT ROWID;

INSERT INTO invoice_terms_rebuilt
SELECT t.merchant_id, t.term, t.invoice_id, i.invoice_type, i.invoice_status
FROM invoice_terms t JOIN invoices i ON i.id = t.invoice_id;

DROP TABLE invoice_terms;

ALTER TABLE invoice_terms_rebuilt RENAME TO invoice_terms;
"""

#: version 9: the payment's token in a column (``txn_token``) instead of an index on an expression
#: of the document, which made every insert parse its whole document twice; filled from the
#: documents of the invoices already paid (found through the old index)
_TXN_COLUMN_SCHEMA = """
ALTER TABLE invoices ADD COLUMN txn_token TEXT;

UPDATE invoices SET txn_token = CAST(json_extract(doc, '$.transaction.token') AS TEXT)
WHERE json_extract(doc, '$.transaction.token') IS NOT NULL;

DROP INDEX inv_txn;

CREATE INDEX inv_txn ON invoices (merchant_id, txn_token) WHERE txn_token IS NOT NULL;
"""

#: version 10: the day each monthly subscription bills its next recurrence, as a column with a
#: partial index (only subscriptions with one to bill are in it), so the recurrence timer reads the
#: ones due instead of every active subscription; filled from the documents (:func:`_fill_billing`).
#: Version 7's index of the active ones, which nothing reads any more, goes
_BILLING_SCHEMA = """
ALTER TABLE checkouts ADD COLUMN next_billing TEXT;

CREATE INDEX checkout_billing ON checkouts (merchant_id, next_billing, id) WHERE next_billing IS NOT NULL;

DROP INDEX IF EXISTS checkout_active_subscription;
"""


def _fill_billing(conn: sqlite3.Connection) -> None:
    """Version 10's column for the subscriptions a file already has (the day is worked out in
    Python: ``Checkout.next_billing_day``)."""
    rows = conn.execute(f"SELECT id, doc FROM checkouts WHERE {_SUBSCRIPTION_STATUS} = 'ACTIVE'").fetchall()
    days = [(_CHECKOUTS.load(ident, doc).next_billing_day, ident) for ident, doc in rows]
    conn.executemany("UPDATE checkouts SET next_billing = ? WHERE id = ?", [d for d in days if d[0]])


#: version 11: each checkout's source as a column with an index, so a list of one source (the Smart
#: POS invoices) reads only those, whatever else the merchant has; filled from the documents
_SOURCE_SCHEMA = """
ALTER TABLE checkouts ADD COLUMN source TEXT;

UPDATE checkouts SET source = coalesce(json_extract(doc, '$.source'), 'checkout');

CREATE INDEX checkout_source ON checkouts (merchant_id, source, id);
"""


#: a schema version: its script, or its script and a function of the open connection run after it
#: (data a script cannot compute)
_Step = str | tuple[str, Callable[[sqlite3.Connection], None]]

#: the schema scripts in order; ``PRAGMA user_version`` = how many a file has had applied
#: (version 4: what several workers share, mock_server/state/shared.py; 5: the block counts;
#: 6: saved cards; 7: active subscriptions; 8: search terms carry type and status; 9: the
#: payment's token as a column; 10: each subscription's next billing day; 11: each checkout's source)
_MIGRATIONS: tuple[_Step, ...] = (
    _SCHEMA, _REFUND_SCHEMA, _CHECKOUTS_SCHEMA, SHARED_SCHEMA, _BLOCKS_SCHEMA, _SAVED_CARDS_SCHEMA,
    _SUBSCRIPTIONS_SCHEMA, _COVERING_TERMS_SCHEMA, _TXN_COLUMN_SCHEMA, (_BILLING_SCHEMA, _fill_billing),
    _SOURCE_SCHEMA)
SCHEMA_VERSION = len(_MIGRATIONS)

#: tables holding one merchant's data, with the column that scopes them
_MERCHANT_TABLES = ("invoices", "invoice_terms", "open_invoices", "bulk_rows", "tokens", "refunds",
                    "refund_totals", "checkouts", "invoice_blocks", "card_customers", "saved_cards")



@dataclass(frozen=True)
class _Table:
    """A record table: the id, the columns the queries use (derived from the record), the document."""

    name: str
    columns: tuple[str, ...]
    values: Callable[[Any], tuple[Any, ...]]
    from_record: Callable[[dict[str, Any]], Any]

    def insert(self, conn: sqlite3.Connection, record: Any, keep_id: bool) -> int:
        """Insert ``record`` under its own id or the next AUTOINCREMENT id; return the id."""
        names = ", ".join(self.columns)
        marks = ", ".join("?" * (len(self.columns) + 2))
        cur = conn.execute(f"INSERT INTO {self.name} (id, {names}, doc) VALUES ({marks})",
                           (record.id if keep_id else None, *self.values(record), document(record)))
        assert cur.lastrowid is not None  # set by every successful INSERT
        return cur.lastrowid

    def insert_in_one(self, conn: sqlite3.Connection, records: Sequence[Any]) -> None:
        """Insert records under their own ids in one statement: all of them, or (refused) none."""
        names = ", ".join(self.columns)
        row = f"({', '.join('?' * (len(self.columns) + 2))})"
        conn.execute(f"INSERT INTO {self.name} (id, {names}, doc) VALUES {', '.join([row] * len(records))}",
                     [v for record in records for v in (record.id, *self.values(record), document(record))])

    def insert_many(self, conn: sqlite3.Connection, records: Sequence[Any]) -> None:
        """Insert records under their own ids."""
        names = ", ".join(self.columns)
        marks = ", ".join("?" * (len(self.columns) + 2))
        conn.executemany(f"INSERT INTO {self.name} (id, {names}, doc) VALUES ({marks})",
                         [(record.id, *self.values(record), document(record)) for record in records])

    def update(self, conn: sqlite3.Connection, record: Any) -> bool:
        """Replace the merchant's record with the same id; False if there is none."""
        sets = ", ".join(f"{c} = ?" for c in (*self.columns, "doc"))
        cur = conn.execute(f"UPDATE {self.name} SET {sets} WHERE id = ? AND merchant_id = ?",
                           (*self.values(record), document(record), record.id, record.merchant_id))
        return cur.rowcount == 1

    def load(self, record_id: int, doc: str) -> Any:
        return self.from_record({**json.loads(doc), "id": record_id})



def _open_terms(item: OpenInvoice) -> str:
    return json.dumps(sorted(open_invoice_terms(item)),
                      ensure_ascii=False)


#: record fields stored as columns of the same names, and the payment's token (``txn_token``)
_INVOICE_COLUMNS = ("merchant_id", "invoice_type", "invoice_status", "token", "access_key",
                    "split_access_key", "created_at", "txn_token")


def _invoice_values(inv: Invoice) -> tuple[Any, ...]:
    """The values of ``_INVOICE_COLUMNS``. Type and status are often enum members (IntEnum), which
    the sqlite3 module binds only after its adapter lookup fails (an exception raised and cleared
    for every value); as plain ints they bind at once."""
    return (inv.merchant_id, int(inv.invoice_type), int(inv.invoice_status), inv.token, inv.access_key,
            inv.split_access_key, inv.created_at, inv.payment_token)


_INVOICES = _Table("invoices", _INVOICE_COLUMNS, _invoice_values, Invoice.from_record)
_OPEN_INVOICES = _Table(
    "open_invoices",
    ("merchant_id", "access_key", "created_day", "type", "status", "paid_status", "terms"),
    lambda o: (o.merchant_id, o.access_key, o.created_at[:10], o.type, o.status, o.paid_status,
               _open_terms(o)),
    OpenInvoice.from_record,
)
_BULK_ROWS = _Table(
    "bulk_rows", ("merchant_id", "scheduled"), lambda r: (r.merchant_id, 1 if r.has_schedule else 0),
    BulkRow.from_record,
)
_CHECKOUT_COLUMNS = ("merchant_id", "token", "session", "order_reference", "next_billing", "source")
_CHECKOUTS = _Table("checkouts", _CHECKOUT_COLUMNS,
                    lambda c: (c.merchant_id, c.token, c.session, c.order_reference, c.next_billing_day,
                               c.source),
                    Checkout.from_record)
_CARD_CUSTOMERS = _Table("card_customers", ("merchant_id",), lambda c: (c.merchant_id,),
                         CardCustomer.from_record)
_SAVED_CARDS = _Table("saved_cards", ("merchant_id", "customer_id"), attrgetter("merchant_id", "customer_id"),
                      SavedCard.from_record)
_REFUNDS = _Table(
    "refunds", ("merchant_id", "token", "status", "amount_fils", "created_day", "terms"),
    lambda r: (r.merchant_id, r.token, r.status, to_fils(r.amount), r.created_at[:10],
               json.dumps(sorted(refund_terms(r)), ensure_ascii=False)),
    Refund.from_record,
)
_PENDING = RefundStatus.PENDING
#: an open invoice's stored status, as plain ints in SQL (active past its expiry reads as expired)
_OPEN_ACTIVE, _OPEN_EXPIRED = int(OpenInvoiceStatus.ACTIVE), int(OpenInvoiceStatus.EXPIRED)
_HOLDING = f"({RefundStatus.PENDING.value}, {RefundStatus.APPROVED.value})"


def _insert_terms(conn: sqlite3.Connection, terms: Sequence[tuple[Invoice, Iterable[str]]]) -> None:
    """Index each invoice under its terms; every entry carries what a search's total filters on
    (type and status), so counting the matches reads this index only."""
    rows: list[tuple[int, str, int, int, int]] = []
    for inv, words in terms:
        kind, status = int(inv.invoice_type), int(inv.invoice_status)  # plain ints: see _invoice_values
        rows += [(inv.merchant_id, term, inv.id, kind, status) for term in words]
    conn.executemany("INSERT INTO invoice_terms (merchant_id, term, invoice_id, invoice_type, invoice_status)"
                     " VALUES (?, ?, ?, ?, ?)", rows)


@contextmanager
def _conflicts() -> Iterator[None]:
    """A UNIQUE violation (token, access key, id) or the cross-table key trigger -> KeyConflict."""
    try:
        yield
    except sqlite3.IntegrityError as exc:
        if "UNIQUE constraint failed" in str(exc) or "access key conflict" in str(exc):
            raise KeyConflict(f"already in use: {exc}") from exc
        raise


class _Deferring(threading.local):
    active = False


#: how long the checkpointer lets commits gather in the WAL before it copies them into the database
#: file (and syncs both): the most recent commits an OS crash or a power cut can lose
CHECKPOINT_DELAY_S = 0.2
#: WAL frames (pages) past which the checkpointer restarts the WAL, waiting for the writer
WAL_LIMIT_PAGES = 8192


class _Checkpointer:
    """Copies the WAL into the database file off the request path, on a thread and a connection of
    its own (SQLite's documented way: ``wal_autocheckpoint`` off on the writing connection).

    With SQLite's automatic checkpoint, the commit that crossed 1000 WAL pages copied them all and
    synced the WAL and the database file inside a request. Here the writer only appends to the WAL;
    :meth:`wake` (after each commit) has this thread run a PASSIVE checkpoint ``delay`` seconds
    later, which never blocks the writer. The writer starts the WAL over from its beginning at a
    transaction that finds it all copied; if a steady stream of commits never lets that happen, a
    WAL of ``limit`` pages is restarted by a RESTART checkpoint, which waits for the writer's
    transaction and holds the next one back while it copies what is left (a short pause, once per
    ``limit`` pages).
    """

    def __init__(self, path: str, delay: float = CHECKPOINT_DELAY_S, limit: int = WAL_LIMIT_PAGES) -> None:
        self.delay, self.limit = delay, limit
        self._conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        self._conn.execute("PRAGMA busy_timeout = 5000")  # RESTART waits for the writer this long
        self._conn.execute("PRAGMA wal_autocheckpoint = 0")
        self._dirty = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"sqlite-checkpoint {path}", daemon=True)
        self._thread.start()

    def wake(self) -> None:
        """A commit added to the WAL: checkpoint it soon."""
        if not self._dirty.is_set():
            self._dirty.set()

    def _run(self) -> None:
        # close() sets stop, then dirty: a close that lands between the delay's end and the clear
        # below leaves dirty clear, but stop already set, and this test sees it.
        while not self._stop.is_set():
            self._dirty.wait()
            if self._stop.wait(self.delay):
                return
            self._dirty.clear()
            try:
                self.checkpoint()
            except sqlite3.Error:  # the file went away, or another checkpoint held it: try again later
                self._dirty.set()

    def checkpoint(self) -> tuple[str, int]:
        """Copy what the WAL holds into the database file; (the mode that ran, WAL pages after it)."""
        _busy, pages, _copied = self._conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
        if pages < self.limit:
            return "PASSIVE", pages
        _busy, pages, _copied = self._conn.execute("PRAGMA wal_checkpoint(RESTART)").fetchone()
        return "RESTART", pages

    def close(self) -> None:
        self._stop.set()
        self._dirty.set()
        self._thread.join()
        self._conn.close()


class SqliteStore(SqlSharedState, Store):
    """All merchants' records in one SQLite file; re-opening the file sees everything."""

    def __init__(self, path: str) -> None:
        self.path = path
        self._lock = threading.RLock()
        #: a write transaction is open (BEGIN IMMEDIATE done, COMMIT not yet)
        self._group_open = False
        #: per thread: inside deferred_commit(), so a write leaves its transaction open
        self._deferring = _Deferring()
        #: threads that deferred writes in the open group
        self._group_writers: set[int] = set()
        #: threads whose group was rolled back (``_lose_group``), until commit_deferred tells them
        self._lost: dict[int, BaseException] = {}
        #: the current ``_tx(savepoint=False)`` write has changed rows
        self._unsaved_change = False
        self._conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        self._checkpointer = _Checkpointer(path)
        try:
            self._setup()
        except BaseException:
            self.close()
            raise

    def _setup(self) -> None:
        conn = self._conn
        conn.execute("PRAGMA busy_timeout = 5000")
        mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
        if str(mode).lower() != "wal":
            raise RuntimeError(f"{self.path}: SQLite refused WAL journal mode (got {mode!r})")
        conn.execute("PRAGMA synchronous = NORMAL")
        # a savepoint's undo record (group commit) stays in memory: it never has to outlive a crash
        conn.execute("PRAGMA temp_store = MEMORY")
        # read the file through a memory map (SQLite caps it at its build's limit, 2 GiB here): a
        # search touching thousands of rows reads their pages in place instead of copying each one
        # into a 2 MB page cache it would not fit in (writes still go through the WAL)
        conn.execute(f"PRAGMA mmap_size = {_MMAP_BYTES}")
        # commits never checkpoint: _Checkpointer does it on its own thread
        conn.execute("PRAGMA wal_autocheckpoint = 0")
        with self._tx():
            version = conn.execute("PRAGMA user_version").fetchone()[0]
            if version > SCHEMA_VERSION:
                raise RuntimeError(f"{self.path}: store schema version {version}, newer than this mock's "
                                   f"{SCHEMA_VERSION}")
            for step in _MIGRATIONS[version:]:
                script, fill = (step, None) if isinstance(step, str) else step
                self._exec_script(script)
                if fill is not None:
                    fill(conn)
            conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")

    def _exec_script(self, script: str) -> None:
        # executescript() would COMMIT the open transaction; run statement by statement instead.
        buf = ""
        for line in script.splitlines(keepends=True):
            buf += line
            if sqlite3.complete_statement(buf):
                self._conn.execute(buf)
                buf = ""
        if buf.strip():
            self._conn.execute(buf)

    @contextmanager
    def _tx(self, savepoint: bool = True) -> Iterator[sqlite3.Connection]:
        """One write under the lock: all of it is kept or none of it.

        Normally its own ``BEGIN IMMEDIATE`` .. ``COMMIT``. Inside :meth:`deferred_commit` it is a
        savepoint in the open group transaction instead, committed by :meth:`commit_deferred`; a
        failed write rolls back to its savepoint, and the group's other writes stay.

        ``savepoint=False`` is for a write that is all or nothing without one (a savepoint copies
        every page the write touches, which a create would otherwise pay for on every call):
        everything that can be refused happens in its first changing statement, which SQLite
        undoes whole when it fails, and it calls :meth:`_changed` after it. Should a later
        statement fail all the same (SQLite itself failing: a full disk, an I/O error), the whole
        group is rolled back and every thread that wrote in it gets the error from
        :meth:`commit_deferred`, so no reply says stored.
        """
        with self._lock:
            if self._deferring.active:
                self._refuse_if_lost()
                self._group_writers.add(threading.get_ident())
            joining = self._group_open  # other writes wait in this transaction: keep them apart
            bare = joining and not savepoint
            if joining:
                if not bare:
                    self._conn.execute("SAVEPOINT write")
            else:
                self._conn.execute("BEGIN IMMEDIATE")
                self._group_open = True
            self._unsaved_change = False
            try:
                yield self._conn
            except BaseException as exc:
                if bare and self._unsaved_change:
                    self._lose_group(exc)
                    raise
                if not joining:
                    self._group_open = False
                    self._conn.execute("ROLLBACK")
                elif not bare:
                    self._conn.execute("ROLLBACK TO write")
                    self._conn.execute("RELEASE write")
                if joining and not self._deferring.active:
                    self._commit()  # what other threads deferred; nothing of this write
                raise
            if joining and not bare:
                self._conn.execute("RELEASE write")
            if not self._deferring.active:
                self._commit()

    def _changed(self) -> None:
        """A ``_tx(savepoint=False)`` write has changed rows: from here on it cannot fail alone."""
        self._unsaved_change = True

    def _lose_group(self, cause: BaseException) -> None:
        """Roll back the open group after a write failed half-way with no savepoint to undo it alone."""
        self._group_open = False
        if self._conn.in_transaction:
            self._conn.execute("ROLLBACK")
        for ident in self._group_writers:
            self._lost[ident] = cause
        self._group_writers.clear()

    def _refuse_if_lost(self) -> None:
        """This thread's group was rolled back: refuse its writes until it has heard so
        (:meth:`commit_deferred`), so none of them is committed under a reply that says failed."""
        cause = self._lost.get(threading.get_ident())
        if cause is not None:
            raise RuntimeError("this thread's group of writes was rolled back") from cause

    def _commit(self) -> None:
        """COMMIT the open transaction (under the lock); on failure roll all of it back."""
        if not self._group_open:
            return
        self._group_open = False
        self._group_writers.clear()
        try:
            self._conn.execute("COMMIT")
        except BaseException:
            if self._conn.in_transaction:
                self._conn.execute("ROLLBACK")
            raise
        self._checkpointer.wake()

    groups_commits = True

    @contextmanager
    def deferred_commit(self) -> Iterator[None]:
        self._deferring.active = True
        try:
            yield
        finally:
            self._deferring.active = False

    def has_deferred(self) -> bool:
        return self._group_open or threading.get_ident() in self._lost

    def commit_deferred(self) -> None:
        with self._lock:
            self._commit()
            cause = self._lost.pop(threading.get_ident(), None)
        if cause is not None:
            raise RuntimeError("a write failed half-way and its group of writes was rolled back") from cause

    def _shared_tx(self) -> AbstractContextManager[sqlite3.Connection]:
        return self._tx()

    def _shared_read(self) -> AbstractContextManager[sqlite3.Connection]:
        return self._read()

    @contextmanager
    def _read(self) -> Iterator[sqlite3.Connection]:
        """Several reads that must see one snapshot (the open group transaction's, if any)."""
        with self._lock:
            if self._group_open:
                yield self._conn
                return
            self._conn.execute("BEGIN")
            try:
                yield self._conn
            finally:
                self._conn.execute("COMMIT")

    # -- lifecycle -------------------------------------------------------------------------
    def reset(self, merchant_id: int | None = None) -> None:
        with self._tx() as conn:
            for table in (*_MERCHANT_TABLES, "invoice_counts"):
                if merchant_id is None:
                    conn.execute(f"DELETE FROM {table}")
                else:
                    conn.execute(f"DELETE FROM {table} WHERE merchant_id = ?", (merchant_id,))

    def close(self) -> None:
        self._checkpointer.close()
        with self._lock:
            self._commit()
            self._conn.close()  # the last connection to the file checkpoints it all and removes the WAL

    # -- invoices ----------------------------------------------------------------------------
    @staticmethod
    def _put_invoices(conn: sqlite3.Connection, invoices: Sequence[Invoice]) -> list[Invoice]:
        """Insert invoices under the ids they carry, with their search terms (one statement each
        for all of them: seeding a million goes in batches through here)."""
        _INVOICES.insert_many(conn, invoices)
        _insert_terms(conn, [(inv, search_terms(inv)) for inv in invoices])
        return list(invoices)

    @staticmethod
    def _next_invoice_id(conn: sqlite3.Connection) -> int:
        """The id AUTOINCREMENT would give next: above every id the table ever held."""
        row = conn.execute("SELECT seq FROM sqlite_sequence WHERE name = 'invoices'").fetchone()
        return (row[0] if row else 0) + 1

    def insert_invoices(self, invoices: Sequence[Invoice]) -> list[Invoice]:
        with _conflicts(), self._tx() as conn:
            first = self._next_invoice_id(conn)
            return self._put_invoices(conn, [replace(inv, id=first + n) for n, inv in enumerate(invoices)])

    def create_invoices(self, build: Callable[[Iterator[int]], Sequence[Invoice]]) -> list[Invoice]:
        # No savepoint (_tx): a key conflict can only refuse the rows' INSERT, one statement that
        # SQLite undoes whole; the terms' rows are new (the ids are), so nothing refuses them.
        with _conflicts(), self._tx(savepoint=False) as conn:
            built = list(build(count(self._next_invoice_id(conn))))
            if any(inv.id <= 0 for inv in built):
                raise ValueError("create_invoices: build must take the ids it is given")
            terms = [(inv, search_terms(inv)) for inv in built]
            _INVOICES.insert_in_one(conn, built)
            self._changed()
            _insert_terms(conn, terms)
            return built

    def insert_with_ids(
        self,
        invoices: Sequence[Invoice] = (),
        open_invoices: Sequence[OpenInvoice] = (),
        bulk_rows: Sequence[BulkRow] = (),
    ) -> None:
        """Seed records under their own ids; AUTOINCREMENT then continues above the highest."""
        ids = [r.id for r in invoices] + [o.id for o in open_invoices] + [b.id for b in bulk_rows]
        if any(i <= 0 for i in ids):
            raise KeyConflict("explicit ids must be positive")
        with _conflicts(), self._tx() as conn:
            self._put_invoices(conn, invoices)
            for item in open_invoices:
                _OPEN_INVOICES.insert(conn, item, keep_id=True)
            for row in bulk_rows:
                _BULK_ROWS.insert(conn, row, keep_id=True)

    def update_invoice(self, invoice: Invoice, expected: Invoice | None = None) -> bool:
        with _conflicts(), self._tx() as conn:  # BEGIN IMMEDIATE: one writer of the file at a time
            row = conn.execute("SELECT doc FROM invoices WHERE id = ? AND merchant_id = ?",
                               (invoice.id, invoice.merchant_id)).fetchone()
            if row is None:
                raise KeyError(invoice.id)
            old: Invoice = _INVOICES.load(invoice.id, row[0])
            if expected is not None and old != expected:
                return False
            _INVOICES.update(conn, invoice)
            if (old.invoice_type, old.invoice_status) == (invoice.invoice_type, invoice.invoice_status):
                dropped, added = search_terms_delta(old, invoice)
            else:  # every term carries the type and status: all of them are written again
                dropped, added = search_terms(old), search_terms(invoice)
            conn.executemany(
                "DELETE FROM invoice_terms WHERE merchant_id = ? AND term = ? AND invoice_id = ?",
                [(old.merchant_id, term, old.id) for term in dropped],
            )
            _insert_terms(conn, [(invoice, added)])
            return True

    def _select(self, table: _Table, where: str, params: Sequence[Any]) -> list[Any]:
        with self._lock:
            rows = self._conn.execute(f"SELECT id, doc FROM {table.name} WHERE {where}", params).fetchall()
        return [table.load(i, doc) for i, doc in rows]

    def _invoice_where(self, where: str, params: Sequence[Any]) -> list[Invoice]:
        return self._select(_INVOICES, where, params)

    def get_invoice(self, merchant_id: int, invoice_id: int) -> Invoice | None:
        found = self._invoice_where("id = ? AND merchant_id = ?", (invoice_id, merchant_id))
        return found[0] if found else None

    def get_invoice_by_token(self, merchant_id: int, token: str) -> Invoice | None:
        found = self._invoice_where("token = ? AND merchant_id = ?", (token, merchant_id))
        return found[0] if found else None

    def find_invoice_by_access_key(self, access_key: str) -> Invoice | None:
        found = self._invoice_where("access_key = ?", (access_key,))
        return found[0] if found else None

    def find_split_group(self, split_access_key: str) -> list[Invoice]:
        return self._invoice_where("split_access_key = ? AND split_access_key <> '' ORDER BY id",
                                   (split_access_key,))

    def list_invoices(self, merchant_id: int, query: InvoiceQuery) -> Page:
        with self._read() as conn:
            if query.search or query.from_date or query.to_date:
                ids, total = self._filtered_ids(conn, merchant_id, query)
            else:
                ids, total = self._dashboard_ids(conn, merchant_id, query)
            if not ids:
                return Page([], total)
            marks = ",".join("?" * len(ids))
            docs = dict(conn.execute(f"SELECT id, doc FROM invoices WHERE id IN ({marks})", ids).fetchall())
        return Page([_INVOICES.load(i, docs[i]) for i in ids], total)

    @staticmethod
    def _kind_filter(query: InvoiceQuery, column: str) -> tuple[str, list[Any]]:
        if query.kinds is None:
            sql, params = f"{column}invoice_type <> ?", [InvoiceKind.ORDER.value]
        else:
            kinds = sorted(set(query.kinds))
            sql, params = f"{column}invoice_type IN ({','.join('?' * len(kinds))})", list(kinds)
        if query.status is not None:
            sql += f" AND {column}invoice_status = ?"
            params.append(query.status)
        return sql, params

    def _dashboard_ids(self, conn: sqlite3.Connection, merchant_id: int,
                       query: InvoiceQuery) -> tuple[list[int], int]:
        """Type/status-only query: totals from the counters, the page from a merge of index ranges."""
        if query.kinds is not None and not query.kinds:
            return [], 0
        kind_sql, kind_params = self._kind_filter(query, "")
        buckets = conn.execute(
            f"SELECT invoice_type, invoice_status, n FROM invoice_counts"
            f" WHERE merchant_id = ? AND {kind_sql} AND n > 0",
            (merchant_id, *kind_params),
        ).fetchall()
        total = sum(n for _k, _s, n in buckets)
        start, end = query.offset, min(query.offset + query.limit, total)
        if query.limit <= 0 or start >= end:
            return [], total
        # Walk from whichever end of the id order is nearer to the page.
        newest_first = start <= total - end
        skip = start if newest_first else total - end
        bound, skip = self._seek(conn, merchant_id, [(k, s) for k, s, _n in buckets], skip, newest_first)
        order, below = ("DESC", "<") if newest_first else ("ASC", ">=")
        arm = ("SELECT id FROM invoices WHERE merchant_id = ? AND invoice_type = ? AND invoice_status = ?"
               f" AND id {below} ?")
        sql = " UNION ALL ".join([arm] * len(buckets)) + f" ORDER BY 1 {order} LIMIT ? OFFSET ?"
        params = [p for k, s, _n in buckets for p in (merchant_id, k, s, bound)]
        ids = [i for (i,) in conn.execute(sql, (*params, end - start, skip))]
        return (ids if newest_first else ids[::-1]), total

    @staticmethod
    def _seek(conn: sqlite3.Connection, merchant_id: int, buckets: Sequence[tuple[int, int]], skip: int,
              newest_first: bool) -> tuple[int, int]:
        """Where a page starts, without reading the rows before it: ``(bound, rest)`` such that the
        page is found by skipping ``rest`` ids (fewer than a block holds) of the selected buckets
        below ``bound`` (newest first) or from ``bound`` up (oldest first).

        ``invoice_blocks`` counts each bucket's ids per block of 1024; adding those counts from the
        walking end finds the block holding the ``skip``-th id in O(blocks) small rows, whatever
        ``skip`` is, instead of O(skip) index entries.
        """
        order = "DESC" if newest_first else "ASC"
        arm = ("SELECT block, n FROM invoice_blocks"
               " WHERE merchant_id = ? AND invoice_type = ? AND invoice_status = ?")
        sql = " UNION ALL ".join([arm] * len(buckets)) + f" ORDER BY 1 {order}"
        params = [p for k, s in buckets for p in (merchant_id, k, s)]
        walked = 0  # ids in the blocks walked past
        for block, rows in groupby(conn.execute(sql, params), key=itemgetter(0)):
            in_block = sum(n for _block, n in rows)
            if walked + in_block > skip:  # the page starts in this block
                return (block + 1 if newest_first else block) << BLOCK_SHIFT, skip - walked
            walked += in_block
        return (0 if newest_first else 1 << 62), 0  # past the last id: an empty page

    def _filtered_ids(self, conn: sqlite3.Connection, merchant_id: int,
                      query: InvoiceQuery) -> tuple[list[int], int]:
        """Search and/or date query: drive from the smallest index range, probe the rest."""
        terms = list(dict.fromkeys(query.search))
        dated = bool(query.from_date or query.to_date)
        low, high = query.from_date or "", (query.to_date or NO_UPPER_DATE) + "\uffff"
        sizes: list[tuple[int, str | None]] = [
            (conn.execute("SELECT count(*) FROM invoice_terms WHERE merchant_id = ? AND term = ?",
                          (merchant_id, term)).fetchone()[0], term)
            for term in terms
        ]
        if dated:
            sizes.append((conn.execute(
                "SELECT count(*) FROM invoices INDEXED BY inv_date"
                " WHERE merchant_id = ? AND created_at >= ? AND created_at < ?",
                (merchant_id, low, high)).fetchone()[0], None))
        if (query.kinds is not None and not query.kinds) or min(n for n, _t in sizes) == 0:
            return [], 0
        _n, driver = min(sizes, key=lambda s: s[0])
        if driver is None:  # date range is the smallest: sort its matches
            kind_sql, kind_params = self._kind_filter(query, "i.")
            source, ident = "invoices i INDEXED BY inv_date", "i.id"
            where = ["i.merchant_id = ? AND i.created_at >= ? AND i.created_at < ?", kind_sql]
            params: list[Any] = [merchant_id, low, high, *kind_params]
        else:
            # the term's index range is already in id order (no sort) and its entries carry the
            # type and status: without a date, matches are counted and paged on that index alone
            kind_sql, kind_params = self._kind_filter(query, "d.")
            source, ident = "invoice_terms d", "d.invoice_id"
            where = ["d.merchant_id = ? AND d.term = ?", kind_sql]
            params = [merchant_id, driver, *kind_params]
            if dated:
                source += " CROSS JOIN invoices i ON i.id = d.invoice_id"
                where.append("i.created_at >= ? AND i.created_at < ?")
                params += [low, high]
        for term in terms:
            if term != driver:
                where.append("EXISTS (SELECT 1 FROM invoice_terms x"
                             f" WHERE x.merchant_id = ? AND x.term = ? AND x.invoice_id = {ident})")
                params += [merchant_id, term]
        body = f"FROM {source} WHERE {' AND '.join(where)}"
        total = conn.execute(f"SELECT count(*) {body}", params).fetchone()[0]
        if query.limit <= 0 or query.offset >= total:
            return [], total
        rows = conn.execute(f"SELECT {ident} {body} ORDER BY {ident} DESC LIMIT ? OFFSET ?",
                            (*params, query.limit, query.offset))
        return [i for (i,) in rows], total

    def invoice_counts(self, merchant_id: int) -> StatusCounts:
        with self._lock:
            rows = self._conn.execute(
                "SELECT invoice_type, invoice_status, n FROM invoice_counts WHERE merchant_id = ? AND n > 0",
                (merchant_id,),
            ).fetchall()
        return {(k, s): n for k, s, n in rows}

    # -- open invoices -----------------------------------------------------------------------
    def insert_open_invoice(self, item: OpenInvoice) -> OpenInvoice:
        with _conflicts(), self._tx() as conn:
            return replace(item, id=_OPEN_INVOICES.insert(conn, item, keep_id=False))

    def update_open_invoice(self, item: OpenInvoice, expected: OpenInvoice | None = None) -> bool:
        with _conflicts(), self._tx() as conn:  # BEGIN IMMEDIATE: one writer of the file at a time
            if expected is not None:
                row = conn.execute("SELECT doc FROM open_invoices WHERE id = ? AND merchant_id = ?",
                                   (item.id, item.merchant_id)).fetchone()
                if row is not None and _OPEN_INVOICES.load(item.id, row[0]) != expected:
                    return False
            if not _OPEN_INVOICES.update(conn, item):
                raise KeyError(item.id)
            return True

    def get_open_invoice(self, merchant_id: int, item_id: int) -> OpenInvoice | None:
        found = self._select(_OPEN_INVOICES, "id = ? AND merchant_id = ?", (item_id, merchant_id))
        return found[0] if found else None

    def find_open_invoice_by_access_key(self, access_key: str) -> OpenInvoice | None:
        found = self._select(_OPEN_INVOICES, "access_key = ?", (access_key,))
        return found[0] if found else None

    def list_open_invoices(self, merchant_id: int, query: OpenInvoiceQuery) -> Page:
        equal = (("paid_status", query.paid_status), ("type", query.type))
        conditions: list[tuple[str, list[Any]]] = []
        if query.status is not None:
            # as shown (models.open_status_as_seen): active past its expiry date reads as expired
            # (a null expiry date compares as null, and an empty one is left out: never expired)
            expiry = "json_extract(doc, '$.expiry_date')"
            shown = (f"(CASE WHEN status = {_OPEN_ACTIVE} AND substr({expiry}, 1, 10) < ?"
                     f" AND {expiry} <> '' THEN {_OPEN_EXPIRED} ELSE status END) = ?")
            conditions.append((shown, [query.today or "", query.status]))
        return self._filtered_page(_OPEN_INVOICES, merchant_id, query.from_date, query.to_date, query.search,
                                   [(column, value) for column, value in equal if value is not None],
                                   query.offset, query.limit, conditions)

    def _filtered_page(self, table: _Table, merchant_id: int, from_day: str | None, to_day: str | None,
                       search: Sequence[str], equal: Sequence[tuple[str, Any]], offset: int,
                       limit: int, conditions: Sequence[tuple[str, Sequence[Any]]] = ()) -> Page:
        """One page, newest first, of one merchant's rows of ``table`` (columns ``created_day`` and
        ``terms``, a JSON list): inside the day range, with every search term, columns equal, and
        every ``(SQL condition, its parameters)`` of ``conditions``."""
        where: list[str] = ["merchant_id = ?"]
        params: list[Any] = [merchant_id]
        for op, day in ((">=", from_day), ("<=", to_day)):
            if day:
                where.append(f"created_day {op} ?")
                params.append(day)
        for column, value in equal:
            where.append(f"{column} = ?")
            params.append(value)
        for condition, values in conditions:
            where.append(condition)
            params.extend(values)
        for term in search:
            where.append("EXISTS (SELECT 1 FROM json_each(terms) WHERE value = ?)")
            params.append(term)
        body = f"FROM {table.name} WHERE {' AND '.join(where)}"
        with self._read() as conn:
            total = conn.execute(f"SELECT count(*) {body}", params).fetchone()[0]
            rows = conn.execute(f"SELECT id, doc {body} ORDER BY id DESC LIMIT ? OFFSET ?",
                                (*params, max(limit, 0), offset)).fetchall()
        return Page([table.load(*row) for row in rows], total)

    # -- bulk rows ---------------------------------------------------------------------------
    def insert_bulk_rows(self, rows: Sequence[BulkRow]) -> list[BulkRow]:
        with self._tx() as conn:
            return [replace(row, id=_BULK_ROWS.insert(conn, row, keep_id=False)) for row in rows]

    def update_bulk_row(self, row: BulkRow) -> None:
        with self._tx() as conn:
            if not _BULK_ROWS.update(conn, row):
                raise KeyError(row.id)

    def delete_bulk_row(self, merchant_id: int, row_id: int) -> bool:
        with self._tx() as conn:
            cur = conn.execute("DELETE FROM bulk_rows WHERE id = ? AND merchant_id = ?",
                               (row_id, merchant_id))
            return cur.rowcount == 1

    def get_bulk_row(self, merchant_id: int, row_id: int) -> BulkRow | None:
        found = self._select(_BULK_ROWS, "id = ? AND merchant_id = ?", (row_id, merchant_id))
        return found[0] if found else None

    def list_bulk_rows(self, merchant_id: int, scheduled: bool, offset: int, limit: int) -> Page:
        params = (merchant_id, 1 if scheduled else 0)
        with self._read() as conn:
            total = conn.execute("SELECT count(*) FROM bulk_rows WHERE merchant_id = ? AND scheduled = ?",
                                 params).fetchone()[0]
            rows = conn.execute(
                "SELECT id, doc FROM bulk_rows WHERE merchant_id = ? AND scheduled = ?"
                " ORDER BY id DESC LIMIT ? OFFSET ?",
                (*params, max(limit, 0), offset),
            ).fetchall()
        return Page([_BULK_ROWS.load(*row) for row in rows], total)

    # -- checkouts ---------------------------------------------------------------------------
    def insert_checkout(self, checkout: Checkout) -> Checkout:
        with _conflicts(), self._tx() as conn:
            return replace(checkout, id=_CHECKOUTS.insert(conn, checkout, keep_id=False))

    def update_checkout(self, checkout: Checkout) -> None:
        with self._tx() as conn:
            row = conn.execute(
                "SELECT token, session, order_reference FROM checkouts WHERE id = ? AND merchant_id = ?",
                (checkout.id, checkout.merchant_id)).fetchone()
            if row is None:
                raise KeyError(checkout.id)
            if tuple(row) != (checkout.token, checkout.session, checkout.order_reference):
                raise ValueError("a checkout's token, session and order reference never change")
            _CHECKOUTS.update(conn, checkout)

    def find_checkout(self, token: str) -> Checkout | None:
        found = self._select(_CHECKOUTS, "token = ?", (token,))
        return found[0] if found else None

    def find_checkout_by_session(self, session: str) -> Checkout | None:
        found = self._select(_CHECKOUTS, "session = ?", (session,))
        return found[0] if found else None

    def checkouts_by_reference(self, merchant_id: int, order_reference: str) -> list[Checkout]:
        return self._select(_CHECKOUTS, "merchant_id = ? AND order_reference = ? ORDER BY id",
                            (merchant_id, order_reference))

    def recent_checkouts(self, merchant_id: int, limit: int) -> list[Checkout]:
        return self._select(_CHECKOUTS, "merchant_id = ? ORDER BY id DESC LIMIT ?", (merchant_id, limit))

    def checkouts_of_merchant(self, merchant_id: int, source: str | None = None) -> list[Checkout]:
        if source is None:
            return self._select(_CHECKOUTS, "merchant_id = ? ORDER BY id", (merchant_id,))
        return self._select(_CHECKOUTS, "merchant_id = ? AND source = ? ORDER BY id", (merchant_id, source))

    # -- subscriptions -----------------------------------------------------------------------
    def due_subscriptions(self, merchant_id: int, today: str) -> list[Checkout]:
        return self._select(_CHECKOUTS, "merchant_id = ? AND next_billing <= ? ORDER BY id",
                            (merchant_id, today))

    def claim_checkout(self, before: Checkout, after: Checkout,
                       new: Checkout | None = None) -> Checkout | None:
        with _conflicts(), self._tx() as conn:  # BEGIN IMMEDIATE: one writer of the file at a time
            cur = conn.execute(
                f"UPDATE checkouts SET doc = ?, next_billing = ? WHERE id = ? AND merchant_id = ?"
                f" AND json_extract(doc, '$.status') = ? AND {_SUBSCRIPTION_STATUS} IS ?"
                " AND coalesce(json_extract(doc, '$.recurrences'), 0) = ?",
                (document(after), after.next_billing_day, before.id, before.merchant_id, before.status,
                 before.subscription_status, before.recurrences))
            if cur.rowcount != 1:
                return None
            if new is None:
                return after
            return replace(new, id=_CHECKOUTS.insert(conn, new, keep_id=False))

    # -- saved cards -------------------------------------------------------------------------
    def insert_card_customer(self, customer: CardCustomer) -> CardCustomer:
        with self._tx() as conn:
            return replace(customer, id=_CARD_CUSTOMERS.insert(conn, customer, keep_id=False))

    def get_card_customer(self, merchant_id: int, customer_id: int) -> CardCustomer | None:
        found = self._select(_CARD_CUSTOMERS, "id = ? AND merchant_id = ?", (customer_id, merchant_id))
        return found[0] if found else None

    def insert_saved_card(self, card: SavedCard) -> SavedCard:
        with self._tx() as conn:
            return replace(card, id=_SAVED_CARDS.insert(conn, card, keep_id=False))

    def get_saved_card(self, merchant_id: int, card_id: int) -> SavedCard | None:
        found = self._select(_SAVED_CARDS, "id = ? AND merchant_id = ?", (card_id, merchant_id))
        return found[0] if found else None

    def saved_cards(self, merchant_id: int, customer_id: int) -> list[SavedCard]:
        return self._select(_SAVED_CARDS, "merchant_id = ? AND customer_id = ? ORDER BY id",
                            (merchant_id, customer_id))

    def delete_saved_card(self, merchant_id: int, card_id: int) -> bool:
        with self._tx() as conn:
            cur = conn.execute("DELETE FROM saved_cards WHERE id = ? AND merchant_id = ?",
                               (card_id, merchant_id))
            return cur.rowcount == 1

    # -- refunds -----------------------------------------------------------------------------
    def find_invoice_by_transaction_token(self, merchant_id: int, token: str) -> Invoice | None:
        found = self._invoice_where("merchant_id = ? AND txn_token = ?", (merchant_id, token))
        return found[0] if found else None

    def insert_refund(self, refund: Refund, paid: int, take_rest: bool) -> Refund:
        # BEGIN IMMEDIATE takes the file's write lock first: no other connection, in this process or
        # another, can add a refund between the sum and the insert.
        with self._tx() as conn:
            taken = conn.execute(
                f"SELECT coalesce(sum(amount_fils), 0) FROM refunds"
                f" WHERE merchant_id = ? AND token = ? AND status IN {_HOLDING}",
                (refund.merchant_id, refund.token)).fetchone()[0]
            stored = fit_refund(refund, paid, taken, take_rest)
            return replace(stored, id=_REFUNDS.insert(conn, stored, keep_id=False))

    def get_refund(self, merchant_id: int, refund_id: int) -> Refund | None:
        found = self._select(_REFUNDS, "id = ? AND merchant_id = ?", (refund_id, merchant_id))
        return found[0] if found else None

    def decide_refund(self, refund: Refund) -> bool:
        sets = ", ".join(f"{c} = ?" for c in (*_REFUNDS.columns, "doc"))
        with self._tx() as conn:
            cur = conn.execute(f"UPDATE refunds SET {sets} WHERE id = ? AND merchant_id = ? AND status = ?",
                               (*_REFUNDS.values(refund), document(refund), refund.id, refund.merchant_id,
                                _PENDING))
            return cur.rowcount == 1

    def cancel_pending_refund(self, merchant_id: int, refund_id: int) -> bool:
        with self._tx() as conn:
            cur = conn.execute("DELETE FROM refunds WHERE id = ? AND merchant_id = ? AND status = ?",
                               (refund_id, merchant_id, _PENDING))
            return cur.rowcount == 1

    def refunds_of_transaction(self, merchant_id: int, token: str) -> list[Refund]:
        return self._select(_REFUNDS, "merchant_id = ? AND token = ? ORDER BY id", (merchant_id, token))

    def pending_refunds(self, merchant_id: int) -> list[Refund]:
        return self._select(_REFUNDS, "merchant_id = ? AND status = ? ORDER BY id", (merchant_id, _PENDING))

    def list_refunds(self, merchant_id: int, query: RefundQuery) -> Page:
        return self._filtered_page(_REFUNDS, merchant_id, query.from_date, query.to_date, query.search, (),
                                   query.offset, query.limit)

    def refund_totals(self, merchant_id: int) -> RefundTotals:
        with self._lock:
            rows = self._conn.execute(
                "SELECT status, n, amount_fils FROM refund_totals WHERE merchant_id = ? AND n > 0",
                (merchant_id,)).fetchall()
        return {status: (n, fils) for status, n, fils in rows}

    # -- tokens ------------------------------------------------------------------------------
    def put_token(self, kind: str, token: str, merchant_id: int, expires_at: float) -> None:
        with self._tx() as conn:
            conn.execute("INSERT OR REPLACE INTO tokens VALUES (?, ?, ?, ?)",
                         (kind, token, merchant_id, expires_at))

    def get_token(self, kind: str, token: str) -> tuple[int, float] | None:
        with self._lock:
            row = self._conn.execute(
                "SELECT merchant_id, expires_at FROM tokens WHERE kind = ? AND token = ?", (kind, token)
            ).fetchone()
        return None if row is None else (row[0], row[1])

    def revoke_token(self, kind: str, token: str) -> None:
        with self._tx() as conn:
            conn.execute("DELETE FROM tokens WHERE kind = ? AND token = ?", (kind, token))

    def purge_expired_tokens(self, now: float) -> int:
        with self._tx() as conn:
            return conn.execute("DELETE FROM tokens WHERE expires_at <= ?", (now,)).rowcount

    # -- diagnostics -------------------------------------------------------------------------
    def fingerprint(self) -> str:
        """SHA-256 over every record in id order (a diagnostic: it reads everything once)."""
        digest = hashlib.sha256()
        with self._read() as conn:
            for table, sql in FINGERPRINT_QUERIES:
                digest.update(f"\x1e{table}".encode())
                for row in conn.execute(sql):
                    digest.update(("\x1f" + json.dumps(row, ensure_ascii=False)).encode())
        return digest.hexdigest()
