"""Search on every store equals a naive filter of the stored invoices (total and page), also after
their status and kind change; SQLite's search-term index carries each invoice's type and status
(schema version 8), so a search's exact total is counted on that index alone, and a file from
before it migrates.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st
from support.stores import StoreFactory, set_back_to_version_8
from test_store_contract import KINDS, STATUSES, assert_page, make_invoice

from mock_server.state.models import Customer, Invoice, InvoiceQuery, search_terms
from mock_server.state.sqlite import _COVERING_TERMS_SCHEMA, _MIGRATIONS, SqliteStore

#: the search-term table as files before version 8 have it
_TERMS_BEFORE = """
CREATE TABLE invoice_terms_old (
    merchant_id INTEGER NOT NULL,
    term        TEXT NOT NULL,
    invoice_id  INTEGER NOT NULL,
    PRIMARY KEY (merchant_id, term, invoice_id)
) WITHOUT ROWID
"""

_QUERIES = [
    InvoiceQuery(search=("ali",)),
    InvoiceQuery(search=("ali",), status=1, limit=40),
    InvoiceQuery(search=("rent", "ali"), kinds=(0, 1), offset=3, limit=5),
    InvoiceQuery(search=("gym",), kinds=(4,)),
    InvoiceQuery(search=("ali",), from_date="2024-03-03", to_date="2024-03-05", status=0),
]


_WORDS = ("ali", "hassan", "sara", "omar", "rent", "gym", "blue")
#: (kind, status, name words, description words, day, (status, kind) later or None)
_Spec = tuple[int, int, list[str], list[str], int, tuple[int, int] | None]
_specs = st.lists(
    st.tuples(st.sampled_from(KINDS), st.sampled_from(STATUSES),
              st.lists(st.sampled_from(_WORDS), max_size=2), st.lists(st.sampled_from(_WORDS), max_size=2),
              st.integers(1, 4), st.none() | st.tuples(st.sampled_from(STATUSES), st.sampled_from(KINDS))),
    min_size=1, max_size=40,
)


def test_a_search_finds_what_a_naive_filter_finds(make_store: StoreFactory, history_examples: int) -> None:
    store = make_store()  # one store, emptied for each example (a PostgreSQL schema is slow to make)

    @settings(max_examples=history_examples, deadline=None)
    @given(specs=_specs, data=st.data())
    def check(specs: list[_Spec], data: st.DataObject) -> None:
        store.reset()
        stored = store.insert_invoices([
            make_invoice(1, invoice_type=kind, status=status, day=day, name=" ".join(name),
                         description=" ".join(description))
            for kind, status, name, description, day, _later in specs
        ])
        now = {inv.id: inv for inv in stored}
        for inv, (*_spec, later) in zip(stored, specs, strict=True):
            if later is not None:
                now[inv.id] = replace(inv, invoice_status=later[0], invoice_type=later[1])
                store.update_invoice(now[inv.id])
        invoices = list(now.values())
        for _query in range(4):
            # words of a stored invoice, so most searches find something; a filter is often its own
            target = data.draw(st.sampled_from(invoices))
            words = sorted(search_terms(target) & set(_WORDS)) or ["blue"]
            query = InvoiceQuery(
                search=tuple(data.draw(st.lists(st.sampled_from(words), min_size=1, max_size=2))),
                status=data.draw(st.sampled_from((None, target.invoice_status, STATUSES[0]))),
                kinds=data.draw(st.sampled_from((None, (target.invoice_type,), (1, 4)))),
                from_date=data.draw(st.sampled_from((None, None, "2024-03-02"))),
                offset=data.draw(st.integers(0, 8)), limit=data.draw(st.integers(1, 10)),
            )
            assert_page(store, invoices, 1, query)

    check()


def test_a_status_change_moves_the_invoice_between_searches(make_store: StoreFactory) -> None:
    store = make_store()
    [paid, unpaid] = store.insert_invoices([make_invoice(customer=Customer(name="Ali Blue")),
                                            make_invoice(customer=Customer(name="Ali"))])
    store.update_invoice(replace(paid, invoice_status=1))
    for status, found in ((1, paid), (0, unpaid)):
        page = store.list_invoices(1, InvoiceQuery(search=("ali",), status=status))
        assert [i.id for i in page.items] == [found.id]
    assert store.list_invoices(1, InvoiceQuery(search=("blue",), status=0)).total == 0


def _invoices() -> list[Invoice]:
    names, descriptions = ("Ali Hassan", "Sara Ali", "Omar"), ("rent", "gym", "")
    return [make_invoice(1 + n % 5 // 4, id=n * 3, invoice_type=(0, 1, 4)[n % 3], status=STATUSES[n % 4 % 3],
                         day=1 + n % 7, name=names[n % 3], description=descriptions[n % 2 + (n % 7 == 0)])
            for n in range(1, 300)]


def test_a_file_from_before_covering_terms_migrates_and_searches_alike(tmp_path: Path) -> None:
    path = str(tmp_path / "v7.sqlite")
    store = SqliteStore(path)
    stored = _invoices()
    store.insert_with_ids(stored)
    conn = store._conn
    conn.execute(_TERMS_BEFORE)
    conn.execute("INSERT INTO invoice_terms_old SELECT merchant_id, term, invoice_id FROM invoice_terms")
    conn.execute("DROP TABLE invoice_terms")
    conn.execute("ALTER TABLE invoice_terms_old RENAME TO invoice_terms")
    set_back_to_version_8(conn)
    conn.execute(f"PRAGMA user_version = {_MIGRATIONS.index(_COVERING_TERMS_SCHEMA)}")
    store.close()
    store = SqliteStore(path)
    try:
        columns = [row[1] for row in store._conn.execute("PRAGMA table_info(invoice_terms)")]
        assert columns == ["merchant_id", "term", "invoice_id", "invoice_type", "invoice_status"]
        for query in _QUERIES:
            for merchant in (1, 2):
                assert_page(store, stored, merchant, query)
        # a status change after the migration moves every term of the invoice with it
        now = {inv.id: inv for inv in stored}
        for inv in stored[::4]:
            kind = 1 if inv.invoice_type == 0 else inv.invoice_type
            moved = replace(inv, invoice_status=3, invoice_type=kind)
            store.update_invoice(moved)
            now[inv.id] = moved
        for query in (*_QUERIES, InvoiceQuery(search=("ali",), status=3)):
            assert_page(store, now.values(), 1, query)
    finally:
        store.close()


def test_a_search_counts_its_matches_without_reading_invoice_rows(tmp_path: Path) -> None:
    store = SqliteStore(str(tmp_path / "count.sqlite"))
    try:
        stored = _invoices()
        store.insert_with_ids(stored)
        statements: list[str] = []
        store._conn.set_trace_callback(statements.append)
        query = InvoiceQuery(search=("ali", "rent"), status=0)
        page = store.list_invoices(1, query)
        store._conn.set_trace_callback(None)
        assert page.total > len(page.items) > 0
        [count] = [sql for sql in statements if "count(*)" in sql and "rent" in sql and "ali" in sql]
        tables = {row[3].split()[1] for row in store._conn.execute("EXPLAIN QUERY PLAN " + count)
                  if row[3].startswith(("SEARCH", "SCAN"))}
        assert tables == {"d", "x"}, tables  # the term index only, once as driver and once as probe
        assert_page(store, stored, 1, query)
    finally:
        store.close()
