"""PostgreSQL store (``--db postgresql://...``): the same behaviour as the memory and SQLite stores,
shared by every worker and every host that opens the same database.

Records are JSON documents (``to_record``/``from_record``, kept as ``text`` so they come back byte
for byte) next to the columns the queries need, as in the SQLite store.

Durability. Every write is one transaction committed before the store returns; with PostgreSQL's
defaults (``fsync=on``, ``synchronous_commit=on``) an answered write is on disk, so it survives the
mock being killed, the database server being killed, and a power cut. The mock's process holds
nothing the database does not.

Atomicity and races. Tokens and access keys are UNIQUE; access-key uniqueness across invoices and
open invoices is one ``access_keys`` table both insert into, so two hosts racing for one key cannot
both win. A violation becomes :class:`KeyConflict` and nothing is stored. ``insert_refund`` takes a
transaction-scoped advisory lock on (merchant, token) before it sums what is taken, so two
processes can never both take the last of a payment; ``decide_refund`` / ``cancel_pending_refund``
are one ``UPDATE``/``DELETE .. WHERE status = pending`` (PostgreSQL re-checks the condition on the
row a concurrent writer just changed, so only one of two deciders succeeds).

Ids come from sequences: they increase, are never reused (a reset deletes rows, not sequences) and
never collide between hosts, since every host draws from the same sequence. A rolled-back insert
may leave a gap. ``insert_with_ids`` (seeding) stores explicit ids and moves the sequence past them.

Counters. ``invoice_counts``, ``invoice_blocks`` and ``refund_totals`` are kept in the same
transaction as the write (``INSERT .. ON CONFLICT DO UPDATE``, atomic under concurrency), so stats
never count rows. Invoice counters are upserted in one order (counts, then blocks, each by key), so
two writers never hold each other's rows: they queue, they do not deadlock.

Reading at scale (no list or search reads the rows before its answer):

* a dashboard page: the total from ``invoice_counts``; where the page starts from ``invoice_blocks``
  (each bucket's ids per block of 16384 and of 256 ids: :meth:`PostgresStore._seek` sums coarse
  then fine blocks from the nearer end); then each selected bucket's ``inv_dash`` range from there,
  at most 256 + limit ids each, merged.
* a search: ``invoice_terms (merchant_id, term, invoice_id) INCLUDE (invoice_type)``, so a search
  under a kind filter alone is counted (exactly) and paged from that index; with a status or a date
  range it reads the matching invoices. Dates: ``inv_date``.
* a read of several statements is one read-only REPEATABLE READ transaction: one snapshot, whatever
  other connections commit meanwhile.
* inserts stream rows with ``COPY .. FROM STDIN``; connections run with ``jit = off`` (the server
  would compile statements it estimates as costly, and the compilation outweighs the short index
  reads the store runs).

Schema versions. ``mock_schema_migrations`` holds one row per applied script of
:data:`MIGRATIONS`; opening a database applies the missing ones in one transaction, under an
advisory lock, so two hosts starting at once migrate it once. Tables live in the first schema of the
connection's ``search_path`` (``?options=-csearch_path%3Dname`` in the URL picks another one).

Text. PostgreSQL's ``text`` cannot hold NUL characters, which a hostile request may carry: every
column value and query parameter that can come from outside goes through :func:`_text`, an injective
escape (``\\`` -> ``\\\\``, NUL -> ``\\0``), so equality and uniqueness still mean what they say. The
JSON documents need none (JSON escapes control characters).

Threads. One connection behind one re-entrant lock, as the SQLite store: a multi-statement read sees
one snapshot and nothing outlives ``close()``. Several processes (``--workers``) or hosts each hold
their own connection.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, replace
from datetime import date
from typing import Any

from hesabe_spec.amounts import to_fils
from hesabe_spec.enums import InvoiceKind, OpenInvoiceStatus, RefundStatus
from hesabe_spec.extras import require_extra
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
from mock_server.state.opening import describe
from mock_server.state.shared import SHARED_SCHEMA, SqlSharedState
from mock_server.state.store import (
    BIGINT_MAX,
    KeyConflict,
    RefundTotals,
    StatusCounts,
    Store,
    fit_refund,
    fits_bigint,
    is_record_id,
)

require_extra("postgres", "the PostgreSQL store")

import psycopg  # noqa: E402 - after the extra check, which names what to install
from psycopg import errors as pg_errors  # noqa: E402
from psycopg import pq  # noqa: E402

__all__ = ["MIGRATIONS", "SCHEMA_VERSION", "PostgresStore"]

_V1 = """
CREATE TABLE invoices (
    id               BIGINT PRIMARY KEY,
    merchant_id      BIGINT NOT NULL,
    invoice_type     INTEGER NOT NULL,
    invoice_status   INTEGER NOT NULL,
    token            TEXT NOT NULL UNIQUE,
    access_key       TEXT NOT NULL,
    split_access_key TEXT NOT NULL,
    created_at       TEXT COLLATE "C" NOT NULL,
    txn_token        TEXT,
    doc              TEXT NOT NULL
);
CREATE SEQUENCE invoices_id_seq OWNED BY invoices.id;
CREATE INDEX inv_dash ON invoices (merchant_id, invoice_type, invoice_status, id);
CREATE INDEX inv_merchant ON invoices (merchant_id, id);
CREATE INDEX inv_date ON invoices (merchant_id, created_at, id);
CREATE INDEX inv_split ON invoices (split_access_key, id) WHERE split_access_key <> '';
CREATE INDEX inv_txn ON invoices (merchant_id, txn_token) WHERE txn_token IS NOT NULL;

CREATE TABLE invoice_terms (
    merchant_id BIGINT NOT NULL,
    term        TEXT NOT NULL,
    invoice_id  BIGINT NOT NULL,
    PRIMARY KEY (merchant_id, term, invoice_id)
);
CREATE INDEX terms_invoice ON invoice_terms (invoice_id);

CREATE TABLE invoice_counts (
    merchant_id    BIGINT NOT NULL,
    invoice_type   INTEGER NOT NULL,
    invoice_status INTEGER NOT NULL,
    n              BIGINT NOT NULL,
    PRIMARY KEY (merchant_id, invoice_type, invoice_status)
);

-- one namespace of payment-link keys for invoices and open invoices
CREATE TABLE access_keys (
    access_key  TEXT PRIMARY KEY,
    merchant_id BIGINT NOT NULL
);
CREATE INDEX access_keys_merchant ON access_keys (merchant_id);

CREATE TABLE open_invoices (
    id           BIGINT PRIMARY KEY,
    merchant_id  BIGINT NOT NULL,
    access_key   TEXT NOT NULL UNIQUE,
    created_day  TEXT COLLATE "C" NOT NULL,
    type         INTEGER NOT NULL,
    status       INTEGER NOT NULL,
    paid_status  INTEGER NOT NULL,
    expiry_day   TEXT COLLATE "C",
    terms        TEXT[] NOT NULL,
    doc          TEXT NOT NULL
);
CREATE SEQUENCE open_invoices_id_seq OWNED BY open_invoices.id;
CREATE INDEX open_merchant ON open_invoices (merchant_id, id);

CREATE TABLE bulk_rows (
    id          BIGINT PRIMARY KEY,
    merchant_id BIGINT NOT NULL,
    scheduled   BOOLEAN NOT NULL,
    doc         TEXT NOT NULL
);
CREATE SEQUENCE bulk_rows_id_seq OWNED BY bulk_rows.id;
CREATE INDEX bulk_merchant ON bulk_rows (merchant_id, scheduled, id);

CREATE TABLE tokens (
    kind        TEXT NOT NULL,
    token       TEXT NOT NULL,
    merchant_id BIGINT NOT NULL,
    expires_at  DOUBLE PRECISION NOT NULL,
    PRIMARY KEY (kind, token)
);
CREATE INDEX tokens_merchant ON tokens (merchant_id);
CREATE INDEX tokens_expiry ON tokens (expires_at);

CREATE TABLE checkouts (
    id              BIGINT PRIMARY KEY,
    merchant_id     BIGINT NOT NULL,
    token           TEXT NOT NULL UNIQUE,
    session         TEXT NOT NULL UNIQUE,
    order_reference TEXT,
    doc             TEXT NOT NULL
);
CREATE SEQUENCE checkouts_id_seq OWNED BY checkouts.id;
CREATE INDEX checkout_reference ON checkouts (merchant_id, order_reference, id)
    WHERE order_reference IS NOT NULL;
CREATE INDEX checkout_merchant ON checkouts (merchant_id, id);

CREATE TABLE refunds (
    id          BIGINT PRIMARY KEY,
    merchant_id BIGINT NOT NULL,
    token       TEXT NOT NULL,
    status      INTEGER NOT NULL,
    amount_fils BIGINT NOT NULL,
    created_day TEXT COLLATE "C" NOT NULL,
    terms       TEXT[] NOT NULL,
    doc         TEXT NOT NULL
);
CREATE SEQUENCE refunds_id_seq OWNED BY refunds.id;
CREATE INDEX refund_txn ON refunds (merchant_id, token, status, amount_fils);
CREATE INDEX refund_merchant ON refunds (merchant_id, status, id);

CREATE TABLE refund_totals (
    merchant_id BIGINT NOT NULL,
    status      INTEGER NOT NULL,
    n           BIGINT NOT NULL,
    amount_fils BIGINT NOT NULL,
    PRIMARY KEY (merchant_id, status)
);
"""

#: version 3: saved-card customers and their cards (direct payment)
_SAVED_CARDS = """
CREATE TABLE card_customers (
    id          BIGINT PRIMARY KEY,
    merchant_id BIGINT NOT NULL,
    doc         TEXT NOT NULL
);
CREATE SEQUENCE card_customers_id_seq OWNED BY card_customers.id;

CREATE TABLE saved_cards (
    id          BIGINT PRIMARY KEY,
    merchant_id BIGINT NOT NULL,
    customer_id BIGINT NOT NULL,
    doc         TEXT NOT NULL
);
CREATE SEQUENCE saved_cards_id_seq OWNED BY saved_cards.id;
CREATE INDEX saved_card_customer ON saved_cards (merchant_id, customer_id, id);
"""

#: version 4: a checkout's status, its subscription's status and charged recurrences as columns
#: (what a claim moves a checkout on from; a document holding ``\u0000`` cannot be cast to json),
#: filled from the compact documents (a key is never matched inside a string, where its quotes
#: are escaped), and the ACTIVE subscriptions, which the recurrence timer walked (a partial
#: index: only those rows are in it; version 6 drops it for the billing-day index)
_SUBSCRIPTIONS = """
ALTER TABLE checkouts ADD COLUMN status TEXT NOT NULL DEFAULT 'PENDING';
UPDATE checkouts SET status = substring(doc from '"status":"([A-Z_]+)"');
ALTER TABLE checkouts ADD COLUMN subscription_status TEXT;
ALTER TABLE checkouts ADD COLUMN recurrences BIGINT NOT NULL DEFAULT 0;
UPDATE checkouts SET subscription_status = substring(doc from '"subscription_status":"([A-Z]+)"'),
                     recurrences = coalesce(substring(doc from '"recurrences":([0-9]+)')::bigint, 0)
    WHERE strpos(doc, '"subscription_status":"') > 0;
CREATE INDEX checkout_active_subscription ON checkouts (merchant_id, id)
    WHERE subscription_status = 'ACTIVE';
"""

#: the block sizes of ``invoice_blocks``, coarse to fine: the block of an id at ``shift`` is
#: ``id >> shift`` (a coarse block of 16384 ids holds 64 fine blocks of 256)
BLOCK_SHIFTS = (14, 8)

#: version 5: how many of each (merchant, type, status) bucket's ids fall in each block, at two block
#: sizes, so a page's first id is found without reading the rows before it (filled from the invoices
#: there); and each search term's row carries its invoice's type (immutable), so a search under the
#: default kind filter is counted from the term index alone, without a heap fetch per match
_BLOCKS = f"""
CREATE TABLE invoice_blocks (
    merchant_id    BIGINT NOT NULL,
    invoice_type   INTEGER NOT NULL,
    invoice_status INTEGER NOT NULL,
    shift          INTEGER NOT NULL,
    block          BIGINT NOT NULL,
    n              BIGINT NOT NULL,
    PRIMARY KEY (merchant_id, invoice_type, invoice_status, shift, block)
);
INSERT INTO invoice_blocks
SELECT merchant_id, invoice_type, invoice_status, shift, id >> shift, count(*)
FROM invoices CROSS JOIN (VALUES {", ".join(f"({shift})" for shift in BLOCK_SHIFTS)}) AS sizes (shift)
GROUP BY 1, 2, 3, 4, 5;

-- rebuilt rather than updated in place: one pass, one index build (no dead rows)
CREATE TABLE invoice_terms_typed (
    merchant_id  BIGINT NOT NULL,
    term         TEXT NOT NULL,
    invoice_id   BIGINT NOT NULL,
    invoice_type INTEGER NOT NULL
);
INSERT INTO invoice_terms_typed
SELECT t.merchant_id, t.term, t.invoice_id, i.invoice_type
FROM invoice_terms t JOIN invoices i ON i.id = t.invoice_id;
DROP TABLE invoice_terms;
ALTER TABLE invoice_terms_typed RENAME TO invoice_terms;
ALTER TABLE invoice_terms ADD PRIMARY KEY (merchant_id, term, invoice_id) INCLUDE (invoice_type);

-- vacuumed after every 1% of new rows (the server's default waits for 20%): until a page is vacuumed,
-- an index-only scan must read the table row of each entry it meets there
ALTER TABLE invoices SET (autovacuum_vacuum_insert_scale_factor = 0.01);
ALTER TABLE invoice_terms SET (autovacuum_vacuum_insert_scale_factor = 0.01);
"""

#: version 6: the day each monthly subscription bills its next recurrence, as a column with a
#: partial index (only subscriptions with one to bill are in it), so the recurrence timer reads the
#: ones due instead of every active subscription; filled from the documents (:func:`_fill_billing`).
#: Version 4's index of the active ones, which nothing reads any more, goes
_BILLING = """
ALTER TABLE checkouts ADD COLUMN next_billing DATE;
CREATE INDEX checkout_billing ON checkouts (merchant_id, next_billing, id) WHERE next_billing IS NOT NULL;
DROP INDEX IF EXISTS checkout_active_subscription;
"""


def _fill_billing(cur: psycopg.Cursor[Any]) -> None:
    """Version 6's column for the subscriptions a database already has (the day is worked out in
    Python: ``Checkout.next_billing_day``)."""
    cur.execute("SELECT id, doc FROM checkouts WHERE subscription_status = 'ACTIVE'")
    days = [(_day(_CHECKOUTS.load(ident, doc).next_billing_day), ident) for ident, doc in cur.fetchall()]
    cur.executemany("UPDATE checkouts SET next_billing = %s WHERE id = %s", [d for d in days if d[0]])


#: version 7: each checkout's source as a column with an index, so a list of one source (the Smart
#: POS invoices) reads only those, whatever else the merchant has; filled from the compact documents
#: as version 4 does (no cast to json, which a ``\u0000`` in any string refuses)
_SOURCE = """
ALTER TABLE checkouts ADD COLUMN source TEXT;
UPDATE checkouts SET source = coalesce(substring(doc from '"source":"([a-z_]+)"'), 'checkout');
ALTER TABLE checkouts ALTER COLUMN source SET NOT NULL;
CREATE INDEX checkout_source ON checkouts (merchant_id, source, id);
"""


#: a schema version: its script, or its script and a function of the open cursor run after it
#: (data a script cannot compute)
Migration = str | tuple[str, Callable[[psycopg.Cursor[Any]], None]]

#: the schema scripts in order; ``mock_schema_migrations`` has a row per script applied (version 2:
#: what the workers and hosts of one mock share, mock_server/state/shared.py; version 3: saved
#: cards; version 4: active subscriptions; version 5: the block counts and typed search terms;
#: version 6: each subscription's next billing day; version 7: each checkout's source)
MIGRATIONS: tuple[Migration, ...] = (_V1, SHARED_SCHEMA, _SAVED_CARDS, _SUBSCRIPTIONS, _BLOCKS,
                                     (_BILLING, _fill_billing), _SOURCE)
SCHEMA_VERSION = len(MIGRATIONS)
#: the advisory lock key every host takes while it migrates (an arbitrary constant)
_MIGRATION_LOCK = 0x4E5A_B3_19

#: tables holding one merchant's data, with the column that scopes them
_MERCHANT_TABLES = ("invoices", "invoice_terms", "invoice_counts", "invoice_blocks", "access_keys",
                    "open_invoices", "bulk_rows", "tokens", "refunds", "refund_totals", "checkouts",
                    "card_customers", "saved_cards")

_PENDING = RefundStatus.PENDING.value
#: an open invoice's stored status, as plain ints in SQL (active past its expiry reads as expired)
_OPEN_ACTIVE, _OPEN_EXPIRED = int(OpenInvoiceStatus.ACTIVE), int(OpenInvoiceStatus.EXPIRED)
_HOLDING = (RefundStatus.PENDING.value, RefundStatus.APPROVED.value)

_BUCKET = "merchant_id, invoice_type, invoice_status"
_BUCKET_IS = "merchant_id = %s AND invoice_type = %s AND invoice_status = %s"
#: add n to each counter row named by parallel arrays, rows taken in the arrays' (sorted) order
_TALLY = {
    "invoice_counts": f"INSERT INTO invoice_counts ({_BUCKET}, n)"
                      " SELECT m, k, s, n FROM unnest(%s::bigint[], %s::int[], %s::int[], %s::bigint[])"
                      " WITH ORDINALITY AS u (m, k, s, n, o) ORDER BY o"
                      f" ON CONFLICT ({_BUCKET}) DO UPDATE SET n = invoice_counts.n + excluded.n",
    "invoice_blocks": f"INSERT INTO invoice_blocks ({_BUCKET}, shift, block, n)"
                      " SELECT m, k, s, h, b, n FROM unnest(%s::bigint[], %s::int[], %s::int[], %s::int[],"
                      " %s::bigint[], %s::bigint[]) WITH ORDINALITY AS u (m, k, s, h, b, n, o) ORDER BY o"
                      f" ON CONFLICT ({_BUCKET}, shift, block)"
                      " DO UPDATE SET n = invoice_blocks.n + excluded.n",
}


def _walk_sql(arms: int, order: str) -> str:
    """The block (and the ids before it) where a walk through ``arms`` buckets' block counts at one
    size, inside one id range, in ``order``, passes the number of ids to skip."""
    arm = (f"(SELECT block, n FROM invoice_blocks WHERE {_BUCKET_IS}"
           " AND shift = %s AND block BETWEEN %s AND %s)")
    per_block = f"SELECT block, sum(n) AS n FROM ({' UNION ALL '.join([arm] * arms)}) AS arms GROUP BY block"
    return (f"SELECT block, walked FROM (SELECT block, sum(n) OVER w - n AS walked, sum(n) OVER w AS through"
            f" FROM ({per_block}) AS per_block WINDOW w AS (ORDER BY block {order})) AS steps"
            f" WHERE through > %s ORDER BY block {order} LIMIT 1")


def _text(value: str) -> str:
    """An injective escape into what ``text`` can hold (no NUL): equal in, equal out."""
    if "\\" in value or "\x00" in value:
        return value.replace("\\", "\\\\").replace("\x00", "\\0")
    return value


def _texts(values: Sequence[str]) -> list[str]:
    return [_text(v) for v in values]


def _day(value: str | None) -> date | None:
    """A YYYY-MM-DD day as a DATE parameter."""
    return None if value is None else date.fromisoformat(value)


def _optional(value: str | None) -> str | None:
    return None if value is None else _text(value)


@dataclass(frozen=True)
class _Table:
    """A record table: its id sequence, the columns the queries use, the document."""

    name: str
    columns: tuple[str, ...]
    values: Callable[[Any], tuple[Any, ...]]
    from_record: Callable[[dict[str, Any]], Any]

    def insert(self, cur: psycopg.Cursor[Any], record: Any, keep_id: bool) -> int:
        """Insert ``record`` under its own id or the sequence's next; return the id."""
        names = ", ".join(self.columns)
        marks = ", ".join(["%s"] * (len(self.columns) + 1))
        ident = "%s" if keep_id else f"nextval('{self.name}_id_seq')"
        params = (record.id,) if keep_id else ()
        cur.execute(f"INSERT INTO {self.name} (id, {names}, doc) VALUES ({ident}, {marks}) RETURNING id",
                    (*params, *self.values(record), document(record)))
        row = cur.fetchone()
        assert row is not None  # RETURNING always gives the row
        return int(row[0])

    def update(self, cur: psycopg.Cursor[Any], record: Any, extra: str = "",
               extra_params: Sequence[Any] = ()) -> bool:
        """Replace the merchant's record with the same id; False if there is none."""
        sets = ", ".join(f"{c} = %s" for c in (*self.columns, "doc"))
        cur.execute(f"UPDATE {self.name} SET {sets} WHERE id = %s AND merchant_id = %s{extra}",
                    (*self.values(record), document(record), record.id, record.merchant_id, *extra_params))
        return cur.rowcount == 1

    def load(self, record_id: int, doc: str) -> Any:
        return self.from_record({**json.loads(doc), "id": record_id})


_INVOICES = _Table(
    "invoices",
    ("merchant_id", "invoice_type", "invoice_status", "token", "access_key", "split_access_key", "created_at",
     "txn_token"),
    lambda i: (i.merchant_id, i.invoice_type, i.invoice_status, _text(i.token), _text(i.access_key),
               _text(i.split_access_key), _text(i.created_at), _optional(i.payment_token)),
    Invoice.from_record,
)
_OPEN_INVOICES = _Table(
    "open_invoices",
    ("merchant_id", "access_key", "created_day", "type", "status", "paid_status", "expiry_day", "terms"),
    lambda o: (o.merchant_id, _text(o.access_key), _text(o.created_at[:10]), o.type, o.status, o.paid_status,
               _text(str(o.expiry_date)[:10]) if o.expiry_date else None,
               _texts(sorted(open_invoice_terms(o)))),
    OpenInvoice.from_record,
)
_BULK_ROWS = _Table("bulk_rows", ("merchant_id", "scheduled"),
                    lambda r: (r.merchant_id, bool(r.has_schedule)), BulkRow.from_record)
_CHECKOUTS = _Table(
    "checkouts", ("merchant_id", "token", "session", "order_reference", "status", "subscription_status",
                  "recurrences", "next_billing", "source"),
    lambda c: (c.merchant_id, _text(c.token), _text(c.session), _optional(c.order_reference), _text(c.status),
               _optional(c.subscription_status), c.recurrences, _day(c.next_billing_day), _text(c.source)),
    Checkout.from_record,
)
_CARD_CUSTOMERS = _Table("card_customers", ("merchant_id",), lambda c: (c.merchant_id,),
                         CardCustomer.from_record)
_SAVED_CARDS_TABLE = _Table("saved_cards", ("merchant_id", "customer_id"),
                            lambda c: (c.merchant_id, c.customer_id), SavedCard.from_record)
_REFUNDS = _Table(
    "refunds", ("merchant_id", "token", "status", "amount_fils", "created_day", "terms"),
    lambda r: (r.merchant_id, _text(r.token), r.status, to_fils(r.amount), _text(r.created_at[:10]),
               _texts(sorted(refund_terms(r)))),
    Refund.from_record,
)


def _session(conn: psycopg.Connection[Any]) -> psycopg.Connection[Any]:
    """A new connection as the store uses it: no JIT compilation (the server's default compiles any
    statement it estimates as costly, work that outweighs the store's short reads; every statement
    here reads an index range)."""
    conn.execute("SET jit = off")
    return conn


@contextmanager
def _conflicts() -> Iterator[None]:
    """A UNIQUE violation (token, access key, id) -> KeyConflict (the transaction rolled back)."""
    try:
        yield
    except pg_errors.UniqueViolation as exc:
        raise KeyConflict(f"already in use: {exc.diag.constraint_name or exc}") from exc


class PostgresStore(SqlSharedState, Store):
    """All merchants' records in one PostgreSQL database; every process that opens it sees them."""

    def __init__(self, url: str, *, connect_timeout: float = 10) -> None:
        #: the database as it may be shown (the URL may carry a password; it is not kept)
        self.where = describe(url)
        self._lock = threading.RLock()
        timeout = max(1, int(connect_timeout))
        #: opens a new connection (after the server dropped ours); keeps the URL out of ``vars()``
        self._connect: Callable[[], psycopg.Connection[Any]] = lambda: _session(psycopg.connect(
            url, autocommit=True, connect_timeout=timeout))
        self._conn = self._connect()
        self._closed = False
        try:
            self._migrate()
        except BaseException:
            self._conn.close()
            raise

    def __repr__(self) -> str:
        return f"<PostgresStore {self.where}>"

    def _migrate(self) -> None:
        with self._tx() as cur:
            cur.execute("SELECT pg_advisory_xact_lock(%s)", (_MIGRATION_LOCK,))
            cur.execute("CREATE TABLE IF NOT EXISTS mock_schema_migrations ("
                        " version INTEGER PRIMARY KEY, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())")
            cur.execute("SELECT coalesce(max(version), 0) FROM mock_schema_migrations")
            row = cur.fetchone()
            version = int(row[0]) if row else 0
            if version > SCHEMA_VERSION:
                raise RuntimeError(f"store schema version {version}, newer than this mock's {SCHEMA_VERSION}")
            for number, step in enumerate(MIGRATIONS[version:], start=version + 1):
                script, fill = (step, None) if isinstance(step, str) else step
                cur.execute(script.encode())
                if fill is not None:
                    fill(cur)
                cur.execute("INSERT INTO mock_schema_migrations (version) VALUES (%s)", (number,))

    @property
    def schema_version(self) -> int:
        """The highest migration applied to the database."""
        with self._cursor() as cur:
            cur.execute("SELECT max(version) FROM mock_schema_migrations")
            row = cur.fetchone()
        return int(row[0]) if row and row[0] is not None else 0

    def _connection(self) -> psycopg.Connection[Any]:
        """The connection (call under the lock). One the server dropped (a restart, a terminated
        backend) is replaced: the request that met the failure fails, the next one works."""
        if self._conn.closed and not self._closed:
            self._conn = self._connect()
        return self._conn

    @contextmanager
    def _cursor(self) -> Iterator[psycopg.Cursor[Any]]:
        """A cursor under the lock, outside any transaction (one statement, autocommit)."""
        with self._lock, self._connection().cursor() as cur:
            yield cur

    @contextmanager
    def _tx(self) -> Iterator[psycopg.Cursor[Any]]:
        """One transaction under the lock: all of it is committed or none of it."""
        with self._lock:
            conn = self._connection()
            with conn.transaction(), conn.cursor() as cur:
                yield cur

    @contextmanager
    def _read(self) -> Iterator[psycopg.Cursor[Any]]:
        """Several reads that must see one snapshot, whatever other connections commit meanwhile: a
        read-only REPEATABLE READ transaction (under READ COMMITTED each statement takes a snapshot
        of its own, so a total and the page counted after it could disagree)."""
        with self._lock:
            conn = self._connection()
            if conn.info.transaction_status != pq.TransactionStatus.IDLE:  # inside an open one: part of it
                with conn.transaction(), conn.cursor() as cur:
                    yield cur
                return
            conn.isolation_level, conn.read_only = psycopg.IsolationLevel.REPEATABLE_READ, True
            try:
                with conn.transaction(), conn.cursor() as cur:
                    yield cur
            finally:
                conn.isolation_level, conn.read_only = None, None

    _mark = "%s"
    _key = staticmethod(_text)

    def _shared_tx(self) -> AbstractContextManager[psycopg.Cursor[Any]]:
        return self._tx()

    def _shared_read(self) -> AbstractContextManager[psycopg.Cursor[Any]]:
        return self._tx()

    # -- lifecycle -------------------------------------------------------------------------
    def reset(self, merchant_id: int | None = None) -> None:
        with self._tx() as cur:
            if merchant_id is None:
                # TRUNCATE keeps the sequences where they are: ids are never reused
                cur.execute(f"TRUNCATE {', '.join(_MERCHANT_TABLES)}")
                return
            for table in _MERCHANT_TABLES:
                cur.execute(f"DELETE FROM {table} WHERE merchant_id = %s", (merchant_id,))

    def close(self) -> None:
        with self._lock:
            self._closed = True
            self._conn.close()

    # -- invoices ----------------------------------------------------------------------------
    @staticmethod
    def _claim_key(cur: psycopg.Cursor[Any], merchant_id: int, key: str) -> None:
        cur.execute("INSERT INTO access_keys VALUES (%s, %s)", (_text(key), merchant_id))

    @staticmethod
    def _tally(cur: psycopg.Cursor[Any], changes: Counter[tuple[int, int, int, int]]) -> None:
        """Apply ``(merchant, type, status, id) -> +/-n`` to ``invoice_counts`` and ``invoice_blocks``.

        Each statement is one ``INSERT .. ON CONFLICT DO UPDATE`` over the summed changes in key
        order, counts before blocks: every writer takes these row locks in one order (and a block's
        row only while it holds its bucket's count row), so concurrent writers queue, never deadlock.
        """
        counts: Counter[tuple[int, ...]] = Counter()
        blocks: Counter[tuple[int, ...]] = Counter()
        for (merchant_id, kind, status, ident), n in changes.items():
            counts[merchant_id, kind, status] += n
            for shift in BLOCK_SHIFTS:
                blocks[merchant_id, kind, status, shift, ident >> shift] += n
        for table, summed in (("invoice_counts", counts), ("invoice_blocks", blocks)):
            keys = sorted(k for k, n in summed.items() if n)
            if keys:
                cur.execute(_TALLY[table], (*map(list, zip(*keys, strict=True)), [summed[k] for k in keys]))

    def _put_invoices(self, cur: psycopg.Cursor[Any], invoices: Sequence[Invoice],
                      keep_id: bool) -> list[Invoice]:
        """Insert a batch in a handful of statements: ids drawn in one query, the rows of each table
        streamed with ``COPY .. FROM STDIN`` (no statement per row), the counters in one upsert each."""
        if not invoices:
            return []
        if keep_id:
            ids = [inv.id for inv in invoices]
        else:
            cur.execute("SELECT nextval('invoices_id_seq') FROM generate_series(1, %s)", (len(invoices),))
            ids = sorted(int(i) for (i,) in cur.fetchall())
        stored = [replace(inv, id=i) for inv, i in zip(invoices, ids, strict=True)]
        with cur.copy("COPY access_keys (access_key, merchant_id) FROM STDIN") as copy:
            for inv in stored:
                copy.write_row((_text(inv.access_key), inv.merchant_id))
        with cur.copy(f"COPY invoices (id, {', '.join(_INVOICES.columns)}, doc) FROM STDIN") as copy:
            for inv in stored:
                copy.write_row((inv.id, *_INVOICES.values(inv), document(inv)))
        with cur.copy("COPY invoice_terms (merchant_id, term, invoice_id, invoice_type) FROM STDIN") as copy:
            for inv in stored:
                for term in search_terms(inv):
                    copy.write_row((inv.merchant_id, _text(term), inv.id, inv.invoice_type))
        self._tally(cur, Counter((inv.merchant_id, inv.invoice_type, inv.invoice_status, inv.id)
                                 for inv in stored))
        return stored

    def insert_invoices(self, invoices: Sequence[Invoice]) -> list[Invoice]:
        with _conflicts(), self._tx() as cur:
            return self._put_invoices(cur, invoices, keep_id=False)

    def insert_with_ids(
        self,
        invoices: Sequence[Invoice] = (),
        open_invoices: Sequence[OpenInvoice] = (),
        bulk_rows: Sequence[BulkRow] = (),
    ) -> None:
        """Seed records under their own ids; each sequence then continues above the highest."""
        ids = [r.id for r in invoices] + [o.id for o in open_invoices] + [b.id for b in bulk_rows]
        if not all(is_record_id(i) for i in ids):
            raise KeyConflict("explicit ids must be positive")
        with _conflicts(), self._tx() as cur:
            self._put_invoices(cur, invoices, keep_id=True)
            for item in open_invoices:
                self._claim_key(cur, item.merchant_id, item.access_key)
                _OPEN_INVOICES.insert(cur, item, keep_id=True)
            for row in bulk_rows:
                _BULK_ROWS.insert(cur, row, keep_id=True)
            for table, records in (("invoices", invoices), ("open_invoices", open_invoices),
                                   ("bulk_rows", bulk_rows)):
                if records:
                    top = max(r.id for r in records)
                    # past the highest given id, never back below what was handed out already
                    cur.execute(f"SELECT setval('{table}_id_seq', greatest(%s,"
                                f" (SELECT last_value FROM {table}_id_seq)))", (top,))

    def update_invoice(self, invoice: Invoice, expected: Invoice | None = None) -> bool:
        with _conflicts(), self._tx() as cur:
            cur.execute("SELECT doc FROM invoices WHERE id = %s AND merchant_id = %s FOR UPDATE",
                        (invoice.id, invoice.merchant_id))
            row = cur.fetchone()
            if row is None:
                raise KeyError(invoice.id)
            old: Invoice = _INVOICES.load(invoice.id, row[0])
            if expected is not None and old != expected:
                return False
            if old.access_key != invoice.access_key:
                cur.execute("DELETE FROM access_keys WHERE access_key = %s", (_text(old.access_key),))
                self._claim_key(cur, invoice.merchant_id, invoice.access_key)
            _INVOICES.update(cur, invoice)
            moved: Counter[tuple[int, int, int, int]] = Counter()
            moved[old.merchant_id, old.invoice_type, old.invoice_status, old.id] -= 1
            moved[invoice.merchant_id, invoice.invoice_type, invoice.invoice_status, invoice.id] += 1
            self._tally(cur, moved)  # nothing when type and status stay
            if old.invoice_type == invoice.invoice_type:
                dropped, added = search_terms_delta(old, invoice)
            else:  # every term row carries the type
                dropped, added = search_terms(old), search_terms(invoice)
            if dropped:
                cur.execute("DELETE FROM invoice_terms WHERE merchant_id = %s AND invoice_id = %s"
                            " AND term = ANY(%s)", (old.merchant_id, old.id, _texts(sorted(dropped))))
            cur.executemany("INSERT INTO invoice_terms (merchant_id, term, invoice_id, invoice_type)"
                            " VALUES (%s, %s, %s, %s)",
                            [(invoice.merchant_id, _text(term), invoice.id, invoice.invoice_type)
                             for term in added])
            return True

    def _select(self, table: _Table, where: str, params: Sequence[Any]) -> list[Any]:
        with self._cursor() as cur:
            cur.execute(f"SELECT id, doc FROM {table.name} WHERE {where}", params)
            rows = cur.fetchall()
        return [table.load(i, doc) for i, doc in rows]

    def _one(self, table: _Table, where: str, params: Sequence[Any]) -> Any:
        found = self._select(table, where, params)
        return found[0] if found else None

    def get_invoice(self, merchant_id: int, invoice_id: int) -> Invoice | None:
        if not fits_bigint(invoice_id):
            return None
        found: Invoice | None = self._one(_INVOICES, "id = %s AND merchant_id = %s",
                                          (invoice_id, merchant_id))
        return found

    def get_invoice_by_token(self, merchant_id: int, token: str) -> Invoice | None:
        found: Invoice | None = self._one(_INVOICES, "token = %s AND merchant_id = %s",
                                          (_text(token), merchant_id))
        return found

    def find_invoice_by_access_key(self, access_key: str) -> Invoice | None:
        found: Invoice | None = self._one(_INVOICES, "access_key = %s", (_text(access_key),))
        return found

    def find_split_group(self, split_access_key: str) -> list[Invoice]:
        return self._select(_INVOICES, "split_access_key = %s AND split_access_key <> '' ORDER BY id",
                            (_text(split_access_key),))

    def list_invoices(self, merchant_id: int, query: InvoiceQuery) -> Page:
        with self._read() as cur:
            if query.search or query.from_date or query.to_date:
                ids, total = self._filtered_ids(cur, merchant_id, query)
            else:
                ids, total = self._dashboard_ids(cur, merchant_id, query)
            if not ids:
                return Page([], total)
            cur.execute("SELECT id, doc FROM invoices WHERE id = ANY(%s)", (ids,))
            docs = dict(cur.fetchall())
        return Page([_INVOICES.load(i, docs[i]) for i in ids], total)

    @staticmethod
    def _kind_filter(query: InvoiceQuery) -> tuple[str, list[Any]]:
        params: list[Any]
        if query.kinds is None:
            sql, params = "invoice_type <> %s", [InvoiceKind.ORDER.value]
        else:
            sql, params = "invoice_type = ANY(%s)", [sorted(set(query.kinds))]
        if query.status is not None:
            sql += " AND invoice_status = %s"
            params.append(query.status)
        return sql, params

    def _dashboard_ids(self, cur: psycopg.Cursor[Any], merchant_id: int,
                       query: InvoiceQuery) -> tuple[list[int], int]:
        """Type/status-only query: the total from the counters; the page from the nearer end, a merge
        of the selected buckets' index ranges that starts where :meth:`_seek` says."""
        if query.kinds is not None and not query.kinds:
            return [], 0
        kind_sql, kind_params = self._kind_filter(query)
        cur.execute(f"SELECT invoice_type, invoice_status, n FROM invoice_counts"
                    f" WHERE merchant_id = %s AND {kind_sql} AND n > 0", (merchant_id, *kind_params))
        counted = cur.fetchall()
        buckets = [(int(k), int(s)) for k, s, _n in counted]
        total = sum(int(n) for _k, _s, n in counted)
        start, end = query.offset, min(query.offset + query.limit, total)
        if query.limit <= 0 or start >= end:
            return [], total
        newest_first = start <= total - end
        found = self._seek(cur, merchant_id, buckets, start if newest_first else total - end, newest_first)
        if found is None:
            return [], total
        bound, rest = found
        # each bucket's first rest + limit ids from the bound (one index range each), then the page
        # of their merge: at most buckets x (256 + limit) ids
        order, side = ("DESC", "<=") if newest_first else ("ASC", ">=")
        arm = f"(SELECT id FROM invoices WHERE {_BUCKET_IS} AND id {side} %s ORDER BY id {order} LIMIT %s)"
        cur.execute(f"SELECT id FROM ({' UNION ALL '.join([arm] * len(buckets))}) AS arms"
                    f" ORDER BY id {order} LIMIT %s OFFSET %s",
                    (*(p for k, s in buckets for p in (merchant_id, k, s, bound, rest + end - start)),
                     end - start, rest))
        ids = [int(i) for (i,) in cur.fetchall()]
        return (ids if newest_first else ids[::-1]), total

    @staticmethod
    def _seek(cur: psycopg.Cursor[Any], merchant_id: int, buckets: Sequence[tuple[int, int]], skip: int,
              newest_first: bool) -> tuple[int, int] | None:
        """Where a page starts without reading the rows before it: ``(bound, rest)`` such that the
        page is found by skipping ``rest`` ids (fewer than a fine block holds) of the buckets' ids up
        to ``bound`` (newest first) or from ``bound`` up (oldest first); None past the last id.

        ``invoice_blocks`` counts each bucket's ids per block at two sizes. Summing the coarse
        blocks from the walking end names the coarse block holding the ``skip``-th id; summing the
        fine blocks inside it names the fine one. Each step reads the buckets' block rows in one
        range, O(coarse blocks + 64) small index entries whatever ``skip`` is, not O(skip) rows.
        """
        walk = _walk_sql(len(buckets), "DESC" if newest_first else "ASC")
        first, last = 0, BIGINT_MAX  # the ids the walk stays within
        walked = 0
        for shift in BLOCK_SHIFTS:
            cur.execute(walk, (*(p for k, s in buckets for p in (merchant_id, k, s, shift, first >> shift,
                                                                  last >> shift)), skip - walked))
            row = cur.fetchone()
            if row is None:
                return None
            block = int(row[0])
            walked += int(row[1])
            first, last = block << shift, ((block + 1) << shift) - 1
        return (last if newest_first else first), skip - walked

    def _filtered_ids(self, cur: psycopg.Cursor[Any], merchant_id: int,
                      query: InvoiceQuery) -> tuple[list[int], int]:
        """Search and/or date query, exact total. A search filtered by kind alone is answered by
        the term index (each entry carries its invoice's type: no invoice row is read to count);
        a status or date filter reads the matching invoices' rows."""
        if query.kinds is not None and not query.kinds:
            return [], 0
        kind_sql, kind_params = self._kind_filter(query)
        terms = [_text(term) for term in dict.fromkeys(query.search)]
        dated = bool(query.from_date or query.to_date)
        if terms and query.status is None and not dated:
            source, column = "invoice_terms", "invoice_id"
            where = ["merchant_id = %s AND term = %s", kind_sql]
            params: list[Any] = [merchant_id, terms[0], *kind_params]
            rest = terms[1:]
        else:
            source, column = "invoices", "id"
            where = ["merchant_id = %s", kind_sql]
            params = [merchant_id, *kind_params]
            if dated:
                where.append("created_at >= %s AND created_at < %s")
                params += [_text(query.from_date or ""), _text((query.to_date or NO_UPPER_DATE) + "\uffff")]
            rest = terms
        for term in rest:
            where.append(f"{column} IN (SELECT invoice_id FROM invoice_terms"
                         " WHERE merchant_id = %s AND term = %s)")
            params += [merchant_id, term]
        body = f"FROM {source} WHERE {' AND '.join(where)}"
        cur.execute(f"SELECT count(*) {body}", params)
        row = cur.fetchone()
        total = int(row[0]) if row else 0
        if query.limit <= 0 or query.offset >= total:
            return [], total
        cur.execute(f"SELECT {column} {body} ORDER BY {column} DESC LIMIT %s OFFSET %s",
                    (*params, query.limit, query.offset))
        return [int(i) for (i,) in cur.fetchall()], total

    def invoice_counts(self, merchant_id: int) -> StatusCounts:
        with self._cursor() as cur:
            cur.execute("SELECT invoice_type, invoice_status, n FROM invoice_counts"
                        " WHERE merchant_id = %s AND n > 0", (merchant_id,))
            rows = cur.fetchall()
        return {(k, s): int(n) for k, s, n in rows}

    # -- open invoices -----------------------------------------------------------------------
    def insert_open_invoice(self, item: OpenInvoice) -> OpenInvoice:
        with _conflicts(), self._tx() as cur:
            self._claim_key(cur, item.merchant_id, item.access_key)
            return replace(item, id=_OPEN_INVOICES.insert(cur, item, keep_id=False))

    def update_open_invoice(self, item: OpenInvoice, expected: OpenInvoice | None = None) -> bool:
        with _conflicts(), self._tx() as cur:
            # the row lock: a concurrent claim waits here and then reads what this one committed
            cur.execute("SELECT access_key, doc FROM open_invoices WHERE id = %s AND merchant_id = %s"
                        " FOR UPDATE", (item.id, item.merchant_id))
            row = cur.fetchone()
            if row is None:
                raise KeyError(item.id)
            if expected is not None and _OPEN_INVOICES.load(item.id, row[1]) != expected:
                return False
            if row[0] != _text(item.access_key):
                cur.execute("DELETE FROM access_keys WHERE access_key = %s", (row[0],))
                self._claim_key(cur, item.merchant_id, item.access_key)
            _OPEN_INVOICES.update(cur, item)
            return True

    def get_open_invoice(self, merchant_id: int, item_id: int) -> OpenInvoice | None:
        if not fits_bigint(item_id):
            return None
        found: OpenInvoice | None = self._one(_OPEN_INVOICES, "id = %s AND merchant_id = %s",
                                              (item_id, merchant_id))
        return found

    def find_open_invoice_by_access_key(self, access_key: str) -> OpenInvoice | None:
        found: OpenInvoice | None = self._one(_OPEN_INVOICES, "access_key = %s", (_text(access_key),))
        return found

    def list_open_invoices(self, merchant_id: int, query: OpenInvoiceQuery) -> Page:
        conditions: list[tuple[str, list[Any]]] = [
            (f"{column} = %s", [value])
            for column, value in (("paid_status", query.paid_status), ("type", query.type))
            if value is not None
        ]
        if query.status is not None:
            # as shown (models.open_status_as_seen): active past its expiry day reads as expired
            shown = (f"(CASE WHEN status = {_OPEN_ACTIVE} AND expiry_day IS NOT NULL AND expiry_day < %s"
                     f" THEN {_OPEN_EXPIRED} ELSE status END) = %s")
            conditions.append((shown, [_text(query.today or ""), query.status]))
        return self._filtered_page(_OPEN_INVOICES, merchant_id, query.from_date, query.to_date, query.search,
                                   query.offset, query.limit, conditions)

    def _filtered_page(self, table: _Table, merchant_id: int, from_day: str | None, to_day: str | None,
                       search: Sequence[str], offset: int, limit: int,
                       conditions: Sequence[tuple[str, Sequence[Any]]] = ()) -> Page:
        """One page, newest first, of one merchant's rows of ``table`` (columns ``created_day`` and
        ``terms``): inside the day range, with every search term and every condition."""
        where: list[str] = ["merchant_id = %s"]
        params: list[Any] = [merchant_id]
        for op, day in ((">=", from_day), ("<=", to_day)):
            if day:
                where.append(f"created_day {op} %s")
                params.append(_text(day))
        for condition, values in conditions:
            where.append(condition)
            params.extend(values)
        if search:
            where.append("terms @> %s")
            params.append(_texts(list(search)))
        body = f"FROM {table.name} WHERE {' AND '.join(where)}"
        with self._read() as cur:
            cur.execute(f"SELECT count(*) {body}", params)
            row = cur.fetchone()
            total = int(row[0]) if row else 0
            cur.execute(f"SELECT id, doc {body} ORDER BY id DESC LIMIT %s OFFSET %s",
                        (*params, max(limit, 0), max(offset, 0)))
            rows = cur.fetchall()
        return Page([table.load(*r) for r in rows], total)

    # -- bulk rows ---------------------------------------------------------------------------
    def insert_bulk_rows(self, rows: Sequence[BulkRow]) -> list[BulkRow]:
        with self._tx() as cur:
            return [replace(row, id=_BULK_ROWS.insert(cur, row, keep_id=False)) for row in rows]

    def update_bulk_row(self, row: BulkRow) -> None:
        with self._tx() as cur:
            if not _BULK_ROWS.update(cur, row):
                raise KeyError(row.id)

    def delete_bulk_row(self, merchant_id: int, row_id: int) -> bool:
        if not fits_bigint(row_id):
            return False
        with self._tx() as cur:
            cur.execute("DELETE FROM bulk_rows WHERE id = %s AND merchant_id = %s", (row_id, merchant_id))
            return cur.rowcount == 1

    def get_bulk_row(self, merchant_id: int, row_id: int) -> BulkRow | None:
        if not fits_bigint(row_id):
            return None
        found: BulkRow | None = self._one(_BULK_ROWS, "id = %s AND merchant_id = %s", (row_id, merchant_id))
        return found

    def list_bulk_rows(self, merchant_id: int, scheduled: bool, offset: int, limit: int) -> Page:
        where = "merchant_id = %s AND scheduled = %s"
        with self._read() as cur:
            cur.execute(f"SELECT count(*) FROM bulk_rows WHERE {where}", (merchant_id, scheduled))
            row = cur.fetchone()
            cur.execute(f"SELECT id, doc FROM bulk_rows WHERE {where} ORDER BY id DESC LIMIT %s OFFSET %s",
                        (merchant_id, scheduled, max(limit, 0), max(offset, 0)))
            rows = cur.fetchall()
        return Page([_BULK_ROWS.load(*r) for r in rows], int(row[0]) if row else 0)

    # -- checkouts ---------------------------------------------------------------------------
    def insert_checkout(self, checkout: Checkout) -> Checkout:
        with _conflicts(), self._tx() as cur:
            return replace(checkout, id=_CHECKOUTS.insert(cur, checkout, keep_id=False))

    def update_checkout(self, checkout: Checkout) -> None:
        with self._tx() as cur:
            cur.execute("SELECT token, session, order_reference FROM checkouts"
                        " WHERE id = %s AND merchant_id = %s FOR UPDATE", (checkout.id, checkout.merchant_id))
            row = cur.fetchone()
            if row is None:
                raise KeyError(checkout.id)
            if tuple(row) != (_text(checkout.token), _text(checkout.session),
                              _optional(checkout.order_reference)):
                raise ValueError("a checkout's token, session and order reference never change")
            _CHECKOUTS.update(cur, checkout)

    def find_checkout(self, token: str) -> Checkout | None:
        found: Checkout | None = self._one(_CHECKOUTS, "token = %s", (_text(token),))
        return found

    def find_checkout_by_session(self, session: str) -> Checkout | None:
        found: Checkout | None = self._one(_CHECKOUTS, "session = %s", (_text(session),))
        return found

    def checkouts_by_reference(self, merchant_id: int, order_reference: str) -> list[Checkout]:
        return self._select(_CHECKOUTS, "merchant_id = %s AND order_reference = %s ORDER BY id",
                            (merchant_id, _text(order_reference)))

    def recent_checkouts(self, merchant_id: int, limit: int) -> list[Checkout]:
        return self._select(_CHECKOUTS, "merchant_id = %s ORDER BY id DESC LIMIT %s",
                            (merchant_id, max(limit, 0)))

    # -- subscriptions -----------------------------------------------------------------------
    def due_subscriptions(self, merchant_id: int, today: str) -> list[Checkout]:
        return self._select(_CHECKOUTS, "merchant_id = %s AND next_billing <= %s ORDER BY id",
                            (merchant_id, date.fromisoformat(today)))

    def claim_checkout(self, before: Checkout, after: Checkout,
                       new: Checkout | None = None) -> Checkout | None:
        # READ COMMITTED: a writer that finds the row locked by another claim waits for its
        # commit, then checks the condition again on the row as that claim left it
        with _conflicts(), self._tx() as cur:
            if not _CHECKOUTS.update(cur, after, " AND status = %s AND recurrences = %s"
                                     " AND subscription_status IS NOT DISTINCT FROM %s",
                                     (_text(before.status), before.recurrences,
                                      _optional(before.subscription_status))):
                return None
            if new is None:
                return after
            return replace(new, id=_CHECKOUTS.insert(cur, new, keep_id=False))

    def checkouts_of_merchant(self, merchant_id: int, source: str | None = None) -> list[Checkout]:
        if source is None:
            return self._select(_CHECKOUTS, "merchant_id = %s ORDER BY id", (merchant_id,))
        return self._select(_CHECKOUTS, "merchant_id = %s AND source = %s ORDER BY id", (merchant_id, source))

    # -- saved cards -------------------------------------------------------------------------
    def insert_card_customer(self, customer: CardCustomer) -> CardCustomer:
        with self._tx() as cur:
            return replace(customer, id=_CARD_CUSTOMERS.insert(cur, customer, keep_id=False))

    def get_card_customer(self, merchant_id: int, customer_id: int) -> CardCustomer | None:
        if not fits_bigint(customer_id):
            return None
        found: CardCustomer | None = self._one(_CARD_CUSTOMERS, "id = %s AND merchant_id = %s",
                                               (customer_id, merchant_id))
        return found

    def insert_saved_card(self, card: SavedCard) -> SavedCard:
        with self._tx() as cur:
            return replace(card, id=_SAVED_CARDS_TABLE.insert(cur, card, keep_id=False))

    def get_saved_card(self, merchant_id: int, card_id: int) -> SavedCard | None:
        if not fits_bigint(card_id):
            return None
        found: SavedCard | None = self._one(_SAVED_CARDS_TABLE, "id = %s AND merchant_id = %s",
                                            (card_id, merchant_id))
        return found

    def saved_cards(self, merchant_id: int, customer_id: int) -> list[SavedCard]:
        if not fits_bigint(customer_id):
            return []
        return self._select(_SAVED_CARDS_TABLE, "merchant_id = %s AND customer_id = %s ORDER BY id",
                            (merchant_id, customer_id))

    def delete_saved_card(self, merchant_id: int, card_id: int) -> bool:
        if not fits_bigint(card_id):
            return False
        with self._tx() as cur:
            cur.execute("DELETE FROM saved_cards WHERE id = %s AND merchant_id = %s", (card_id, merchant_id))
            return cur.rowcount == 1

    # -- refunds -----------------------------------------------------------------------------
    def find_invoice_by_transaction_token(self, merchant_id: int, token: str) -> Invoice | None:
        found: Invoice | None = self._one(_INVOICES, "merchant_id = %s AND txn_token = %s",
                                          (merchant_id, _text(token)))
        return found

    @staticmethod
    def _total(cur: psycopg.Cursor[Any], refund: Refund, n: int, sign: int) -> None:
        cur.execute("INSERT INTO refund_totals VALUES (%s, %s, %s, %s) ON CONFLICT (merchant_id, status)"
                    " DO UPDATE SET n = refund_totals.n + excluded.n,"
                    " amount_fils = refund_totals.amount_fils + excluded.amount_fils",
                    (refund.merchant_id, refund.status, n, sign * to_fils(refund.amount)))

    def insert_refund(self, refund: Refund, paid: int, take_rest: bool) -> Refund:
        with self._tx() as cur:
            # one writer per payment at a time, across connections, processes and hosts
            cur.execute("SELECT pg_advisory_xact_lock(%s, hashtext(%s))", (refund.merchant_id % 2**31,
                                                                            _text(refund.token)))
            cur.execute("SELECT coalesce(sum(amount_fils), 0) FROM refunds"
                        " WHERE merchant_id = %s AND token = %s AND status = ANY(%s)",
                        (refund.merchant_id, _text(refund.token), list(_HOLDING)))
            row = cur.fetchone()
            stored = fit_refund(refund, paid, int(row[0]) if row else 0, take_rest)
            stored = replace(stored, id=_REFUNDS.insert(cur, stored, keep_id=False))
            self._total(cur, stored, 1, 1)
            return stored

    def get_refund(self, merchant_id: int, refund_id: int) -> Refund | None:
        if not fits_bigint(refund_id):
            return None
        found: Refund | None = self._one(_REFUNDS, "id = %s AND merchant_id = %s", (refund_id, merchant_id))
        return found

    def decide_refund(self, refund: Refund) -> bool:
        with self._tx() as cur:
            cur.execute("SELECT doc FROM refunds WHERE id = %s AND merchant_id = %s AND status = %s"
                        " FOR UPDATE", (refund.id, refund.merchant_id, _PENDING))
            row = cur.fetchone()
            if row is None:
                return False
            old: Refund = _REFUNDS.load(refund.id, row[0])
            _REFUNDS.update(cur, refund)
            self._total(cur, old, -1, -1)
            self._total(cur, refund, 1, 1)
            return True

    def cancel_pending_refund(self, merchant_id: int, refund_id: int) -> bool:
        if not fits_bigint(refund_id):
            return False
        with self._tx() as cur:
            cur.execute("DELETE FROM refunds WHERE id = %s AND merchant_id = %s AND status = %s"
                        " RETURNING doc", (refund_id, merchant_id, _PENDING))
            row = cur.fetchone()
            if row is None:
                return False
            self._total(cur, _REFUNDS.load(refund_id, row[0]), -1, -1)
            return True

    def refunds_of_transaction(self, merchant_id: int, token: str) -> list[Refund]:
        return self._select(_REFUNDS, "merchant_id = %s AND token = %s ORDER BY id",
                            (merchant_id, _text(token)))

    def pending_refunds(self, merchant_id: int) -> list[Refund]:
        return self._select(_REFUNDS, "merchant_id = %s AND status = %s ORDER BY id", (merchant_id, _PENDING))

    def list_refunds(self, merchant_id: int, query: RefundQuery) -> Page:
        return self._filtered_page(_REFUNDS, merchant_id, query.from_date, query.to_date, query.search,
                                   query.offset, query.limit)

    def refund_totals(self, merchant_id: int) -> RefundTotals:
        with self._cursor() as cur:
            cur.execute("SELECT status, n, amount_fils FROM refund_totals WHERE merchant_id = %s AND n > 0",
                        (merchant_id,))
            rows = cur.fetchall()
        return {int(status): (int(n), int(fils)) for status, n, fils in rows}

    # -- tokens ------------------------------------------------------------------------------
    def put_token(self, kind: str, token: str, merchant_id: int, expires_at: float) -> None:
        with self._cursor() as cur:
            cur.execute("INSERT INTO tokens VALUES (%s, %s, %s, %s) ON CONFLICT (kind, token)"
                        " DO UPDATE SET merchant_id = excluded.merchant_id, expires_at = excluded.expires_at",
                        (_text(kind), _text(token), merchant_id, expires_at))

    def get_token(self, kind: str, token: str) -> tuple[int, float] | None:
        with self._cursor() as cur:
            cur.execute("SELECT merchant_id, expires_at FROM tokens WHERE kind = %s AND token = %s",
                        (_text(kind), _text(token)))
            row = cur.fetchone()
        return None if row is None else (int(row[0]), float(row[1]))

    def revoke_token(self, kind: str, token: str) -> None:
        with self._cursor() as cur:
            cur.execute("DELETE FROM tokens WHERE kind = %s AND token = %s", (_text(kind), _text(token)))

    def purge_expired_tokens(self, now: float) -> int:
        with self._cursor() as cur:
            cur.execute("DELETE FROM tokens WHERE expires_at <= %s", (now,))
            return cur.rowcount

    # -- diagnostics -------------------------------------------------------------------------
    def fingerprint(self) -> str:
        """SHA-256 over every record in id order (a diagnostic: it reads everything once)."""
        digest = hashlib.sha256()
        with self._read() as cur:
            for table, sql in FINGERPRINT_QUERIES:
                digest.update(f"\x1e{table}".encode())
                cur.execute(sql)
                for row in cur:
                    digest.update(("\x1f" + json.dumps(list(row), ensure_ascii=False)).encode())
        return digest.hexdigest()
