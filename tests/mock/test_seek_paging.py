"""Seek paging: any page of any list equals the naive slice of the sorted matches, on every store,
and a page deep in the list does not walk the rows before it (SQLite, PostgreSQL).

The stores find where a page starts without counting the rows above it (the memory store by binary
search over sorted id lists, SQLite and PostgreSQL from per-block counts, ``invoice_blocks``); the
model here is the plain sort-and-slice those replace. Ids are spread over several blocks (explicit
ids), more invoices then take the store's next ids, status changes move invoices between
buckets after they were stored, and a merchant's reset deletes its invoices.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from support.stores import StoreFactory, set_back_to_version_8
from test_store_contract import KINDS, STATUSES, assert_page, make_invoice

from mock_server.state.models import Invoice, InvoiceQuery
from mock_server.state.postgres import BLOCK_SHIFTS
from mock_server.state.sqlite import _BLOCKS_SCHEMA, _MIGRATIONS, BLOCK_SHIFT, SqliteStore

#: ids over several of SQLite's blocks, or over several of PostgreSQL's coarse blocks
_IDS = st.integers(1, 6 << BLOCK_SHIFT) | st.integers(1, 3 << max(BLOCK_SHIFTS))

#: (id, kind, status, status after an update or None, merchant, description)
_Record = tuple[int, int, int, int | None, int, str]
_record = (_IDS, st.sampled_from(KINDS), st.sampled_from(STATUSES),
           st.none() | st.sampled_from(STATUSES), st.sampled_from((1, 1, 1, 2, 3)),
           st.sampled_from(("", "blue", "blue sky")))
#: invoices of merchant 1 (and a few of merchants 2 and 3) under explicit ids
_records = st.lists(st.tuples(*_record), min_size=1, max_size=60, unique_by=lambda r: r[0])
#: invoices stored afterwards under the store's next ids (the id is drawn and ignored)
_fresh = st.lists(st.tuples(*_record), max_size=12)
_queries = st.builds(
    InvoiceQuery,
    kinds=st.none() | st.lists(st.sampled_from(KINDS), max_size=3, unique=True).map(tuple),
    status=st.none() | st.sampled_from(STATUSES),
    search=st.sampled_from(((), (), (), ("blue",), ("blue", "sky"))),
    offset=st.integers(0, 70),
    limit=st.integers(0, 20),
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(records=_records, fresh=_fresh, reset_merchant=st.none() | st.sampled_from((1, 2)),
       queries=st.lists(_queries, min_size=1, max_size=6))
def test_every_page_is_the_naive_slice(make_store: StoreFactory, records: list[_Record],
                                       fresh: list[_Record], reset_merchant: int | None,
                                       queries: list[InvoiceQuery]) -> None:
    store = make_store()
    stored = [make_invoice(merchant, id=ident, invoice_type=kind, status=status, description=words)
              for ident, kind, status, _later, merchant, words in records]
    store.insert_with_ids(stored)
    stored += store.insert_invoices([
        make_invoice(merchant, invoice_type=kind, status=status, description=words)
        for _id, kind, status, _later, merchant, words in fresh
    ])
    now: dict[int, Invoice] = {inv.id: inv for inv in stored}
    for inv, (_id, _kind, _status, later, _merchant, _words) in zip(stored, records + fresh, strict=True):
        if later is not None:
            moved = replace(inv, invoice_status=later)
            store.update_invoice(moved)
            now[inv.id] = moved
    if reset_merchant is not None:  # deletes that merchant's invoices, nobody else's
        store.reset(reset_merchant)
        now = {i: inv for i, inv in now.items() if inv.merchant_id != reset_merchant}
    for query in queries:
        for merchant in (1, 2, 3):
            assert_page(store, now.values(), merchant, query)


def test_a_deep_sqlite_page_does_not_walk_the_rows_before_it(tmp_path: Path) -> None:
    """SQLite virtual-machine steps for the middle page of 20,000 invoices, against reading the same
    page with OFFSET (which steps over every index entry before it)."""
    store = SqliteStore(str(tmp_path / "deep.sqlite"))
    try:
        for _batch in range(10):
            store.insert_invoices([make_invoice(status=0) for _ in range(2_000)])
        conn = store._conn
        steps = 0

        def count() -> int:
            nonlocal steps
            steps += 1
            return 0

        def cost(run: object) -> int:
            nonlocal steps
            steps = 0
            conn.set_progress_handler(count, 100)
            try:
                assert callable(run)
                run()
            finally:
                conn.set_progress_handler(None, 0)
            return steps

        middle = InvoiceQuery(status=0, offset=10_005, limit=15)
        seek = cost(lambda: store.list_invoices(1, middle))
        walk = cost(lambda: conn.execute(
            "SELECT id FROM invoices WHERE merchant_id = 1 AND invoice_type = 1 AND invoice_status = 0"
            " ORDER BY id DESC LIMIT 15 OFFSET 10005").fetchall())
        page = store.list_invoices(1, middle)
        assert [inv.id for inv in page.items] == list(range(20_000 - 10_005, 20_000 - 10_020, -1))
        assert seek * 4 < walk, (seek, walk)
    finally:
        store.close()


def test_a_file_from_before_block_counts_gains_them_from_its_invoices(tmp_path: Path) -> None:
    path = str(tmp_path / "v3.sqlite")
    store = SqliteStore(path)
    stored = [make_invoice(id=n * 7, status=STATUSES[n % 3]) for n in range(1, 400)]
    store.insert_with_ids(stored)
    before = _MIGRATIONS.index(_BLOCKS_SCHEMA)  # the schema version a file had before block counts
    for trigger in ("inv_block_ins", "inv_block_del", "inv_block_upd"):
        store._conn.execute(f"DROP TRIGGER {trigger}")
    store._conn.execute("DROP TABLE invoice_blocks")
    set_back_to_version_8(store._conn)
    store._conn.execute(f"PRAGMA user_version = {before}")
    store.close()
    store = SqliteStore(path)
    try:
        for query in (InvoiceQuery(offset=200), InvoiceQuery(status=1, offset=100), InvoiceQuery(offset=390)):
            assert_page(store, stored, 1, query)
    finally:
        store.close()


def test_a_deep_postgres_page_does_not_walk_the_rows_before_it(postgres_url: str, tmp_path: Path) -> None:
    """Index entries and rows PostgreSQL reads for the middle page of 20,000 invoices (its own count
    for the transaction, ``pg_stat_get_xact_tuples_returned``), against the same page read with
    OFFSET (which reads every index entry before it)."""
    from support.postgres import schema_url

    from mock_server.state.postgres import PostgresStore

    store = PostgresStore(schema_url(str(tmp_path)))
    try:
        for _batch in range(10):
            store.insert_invoices([make_invoice(status=0) for _ in range(2_000)])
        first = store.list_invoices(1, InvoiceQuery(status=0, offset=19_999, limit=1)).items[0].id
        conn = store._conn

        def cost(run: object) -> int:
            """Tuples the store's tables and their indexes returned while ``run`` ran."""
            assert callable(run)
            tables = "('invoices'::regclass, 'invoice_blocks'::regclass, 'invoice_counts'::regclass)"
            sql = ("SELECT sum(pg_stat_get_xact_tuples_returned(c.oid)) FROM pg_class c"
                   f" WHERE c.oid IN {tables}"
                   f" OR c.oid IN (SELECT indexrelid FROM pg_index WHERE indrelid IN {tables})")
            with conn.transaction():  # the counts are this transaction's
                before = conn.execute(sql).fetchone()
                run()
                after = conn.execute(sql).fetchone()
            assert before is not None and after is not None
            return int(after[0]) - int(before[0])

        middle = InvoiceQuery(status=0, offset=10_005, limit=15)
        seek = cost(lambda: store.list_invoices(1, middle))
        walk = cost(lambda: conn.execute(
            "SELECT id FROM invoices WHERE merchant_id = 1 AND invoice_type = 1 AND invoice_status = 0"
            " ORDER BY id DESC LIMIT 15 OFFSET 10005").fetchall())
        page = store.list_invoices(1, middle)
        top = first + 19_999
        assert [inv.id for inv in page.items] == list(range(top - 10_005, top - 10_020, -1))
        assert 0 < seek * 4 < walk, (seek, walk)
    finally:
        store.close()
