"""What only the PostgreSQL store has: its versioned migrations, several hosts opening one database
at once, and the errors ``--db postgresql://`` gives. The behaviour it shares with the other stores
is the store contract (test_store_contract.py, test_refund_store.py, run on every store)."""

from __future__ import annotations

import threading
from dataclasses import replace
from pathlib import Path

import psycopg
import pytest
from support.postgres import schema_name, schema_url
from test_store_contract import STATUSES, assert_page, make_invoice

from mock_server.cli import main
from mock_server.state.models import Invoice, InvoiceQuery
from mock_server.state.opening import describe
from mock_server.state.postgres import _BLOCKS, MIGRATIONS, SCHEMA_VERSION, PostgresStore

pytestmark = pytest.mark.usefixtures("postgres_url")


def test_a_database_at_an_older_version_is_migrated_and_keeps_its_rows(tmp_path: Path) -> None:
    url = schema_url(str(tmp_path))
    with psycopg.connect(url, autocommit=True) as conn:  # what a mock of schema version 1 left
        conn.execute("CREATE TABLE mock_schema_migrations (version INTEGER PRIMARY KEY,"
                     " applied_at TIMESTAMPTZ NOT NULL DEFAULT now())")
        conn.execute(MIGRATIONS[0].encode())
        conn.execute("INSERT INTO mock_schema_migrations (version) VALUES (1)")
        conn.execute("INSERT INTO tokens VALUES ('access', 'kept', 1, 9e9)")
    store = PostgresStore(url)
    try:
        assert store.schema_version == SCHEMA_VERSION > 1
        assert store.get_token("access", "kept") == (1, 9e9)
        assert store.change_control("clock", lambda _old: '{"offset": 5}') == '{"offset": 5}'  # version 2
    finally:
        store.close()


def test_a_database_from_before_block_counts_gains_them_and_typed_terms(tmp_path: Path) -> None:
    """Before ``_BLOCKS`` there was no ``invoice_blocks`` and term rows had no invoice type: opening
    such a database fills both from the invoices already there, and pages and searches read them."""
    source = PostgresStore(schema_url(f"{tmp_path}/now"))  # the rows, made by today's store
    stored = [make_invoice(id=n * 7, status=STATUSES[n % 3], invoice_type=(1, 1, 4)[n % 3],
                           description="blue" if n % 4 else "") for n in range(1, 400)]
    source.insert_with_ids(stored)
    source.close()
    url = schema_url(f"{tmp_path}/before")
    old, new = schema_name(f"{tmp_path}/before"), schema_name(f"{tmp_path}/now")
    before = MIGRATIONS.index(_BLOCKS)  # the schema version a database had before block counts
    with psycopg.connect(url, autocommit=True) as conn:  # the database as that version's mock left it
        conn.execute("CREATE TABLE mock_schema_migrations (version INTEGER PRIMARY KEY,"
                     " applied_at TIMESTAMPTZ NOT NULL DEFAULT now())")
        for version, script in enumerate(MIGRATIONS[:before], start=1):
            conn.execute(script.encode())
            conn.execute("INSERT INTO mock_schema_migrations (version) VALUES (%s)", (version,))
        for table, columns in (("invoices", "*"), ("invoice_counts", "*"), ("access_keys", "*"),
                               ("invoice_terms", "merchant_id, term, invoice_id")):
            conn.execute(f'INSERT INTO "{old}".{table} SELECT {columns} FROM "{new}".{table}')
        conn.execute(f"SELECT setval('\"{old}\".invoices_id_seq', 3000)")
    store = PostgresStore(url)
    try:
        assert store.schema_version == SCHEMA_VERSION
        stored += store.insert_invoices([make_invoice(status=1, description="blue") for _ in range(30)])
        for query in (InvoiceQuery(offset=200), InvoiceQuery(status=1, offset=100), InvoiceQuery(offset=280),
                      InvoiceQuery(status=1, offset=5, limit=40), InvoiceQuery(search=("blue",), offset=50),
                      InvoiceQuery(kinds=(4,), search=("blue",), limit=100)):
            assert_page(store, stored, 1, query)
    finally:
        store.close()


def test_hosts_opening_a_new_database_at_once_migrate_it_once(tmp_path: Path) -> None:
    url = schema_url(str(tmp_path))
    opened: list[PostgresStore] = []
    errors: list[BaseException] = []

    def open_one() -> None:
        try:
            opened.append(PostgresStore(url))
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=open_one) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    try:
        assert not errors and len(opened) == 4
        with psycopg.connect(url) as conn:
            rows = conn.execute("SELECT version FROM mock_schema_migrations ORDER BY version").fetchall()
        assert [v for (v,) in rows] == list(range(1, SCHEMA_VERSION + 1))
    finally:
        for store in opened:
            store.close()


def test_a_database_newer_than_the_mock_is_refused(tmp_path: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    url = schema_url(str(tmp_path))
    PostgresStore(url).close()
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("INSERT INTO mock_schema_migrations (version) VALUES (%s)", (SCHEMA_VERSION + 1,))
    assert main(["--db", url, "--port", "0"], environ={}) == 2
    assert f"newer than this mock's {SCHEMA_VERSION}" in capsys.readouterr().err


def test_an_unreachable_database_is_one_line_without_the_password(tmp_path: Path,
                                                                  capsys: pytest.CaptureFixture[str]) -> None:
    url = "postgresql://someone:s3cret-pw@127.0.0.1:1/nothing"
    assert main(["--db", url, "--port", "0"], environ={}) == 2
    err = capsys.readouterr().err
    assert err.startswith("hesabe-mock: cannot open the database postgresql://someone@127.0.0.1:1/nothing")
    assert "s3cret" not in err and "Traceback" not in err and err.count("\n") == 1
    assert describe(url) == "postgresql://someone@127.0.0.1:1/nothing"
    given = "postgresql://u:pw@db/mock?options=-csearch_path%3Dteam&password=pw2&sslmode=require"
    shown = "postgresql://u@db/mock?options=-csearch_path%3Dteam&sslmode=require"  # the schema, no password
    assert describe(given) == shown
    # the throwaway cluster trusts loopback, so a password in the URL is accepted: never shown
    store = PostgresStore(schema_url(str(tmp_path)).replace("postgres@", "postgres:s3cret-pw@", 1))
    try:
        assert "s3cret" not in repr(store) and "s3cret" not in str(vars(store))
    finally:
        store.close()


@pytest.mark.parametrize("url", [
    "postgresql://mockpw:S3cretPw@[::1:56039/x",  # a bracket never closed
    "postgresql://mockpw:S3cret%zzPw@127.0.0.1:1/x",  # a % that starts no escape
    "postgresql://mockpw:S3cret Pw@127.0.0.1:1/x",  # a space
    "postgresql://mockpw:S3cret@Pw@127.0.0.1:1/x",  # an @ libpq would take for the host's start
    "postgresql://mockpw:S3cret/Pw@127.0.0.1:1/x",  # a / that ends the authority early
    "postgresql://mockpw:S3cret#Pw@127.0.0.1:1/x",
    "postgresql://mockpw@127.0.0.1:1/x?password=S3cret Pw",  # the password as a parameter
    "postgresql://mockpw@127.0.0.1:1/x?sslmode=disable&password=S3cret%zzPw",
    "postgresql://mockpw@127.0.0.1:1/x?pass%77ord=S3cret%zzPw",  # libpq decodes the name too
    "postgresql://127.0.0.1:1?password=S3cret@Pw",  # no path: libpq would read user info up to the @
])
def test_a_malformed_url_is_refused_without_a_piece_of_its_password(
        url: str, capsys: pytest.CaptureFixture[str]) -> None:
    """libpq's message for such a URL quotes the piece it choked on, which may be the password:
    the mock refuses it first, saying how to write it."""
    assert main(["--db", url, "--port", "0"], environ={}) == 2
    err = capsys.readouterr().err
    assert "S3cret" not in err and "Pw" not in err and "Traceback" not in err and err.count("\n") == 1
    assert "percent-encode" in err


@pytest.mark.parametrize("url", [
    "postgresql://someone:S3cretPw@127.0.0.1:1,127.0.0.1:2/nothing",  # libpq's several hosts
    "postgresql://someone@127.0.0.1:1/nothing?password=S3cret%20Pw",
    "postgresql://someone:S3cret:Pw@[::1]:1/nothing",
])
def test_libpqs_own_url_forms_go_to_libpq_and_never_show_the_password(
        url: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--db", url, "--port", "0"], environ={}) == 2
    err = capsys.readouterr().err
    assert err.startswith("hesabe-mock: cannot open the database") and "percent-encode" not in err
    assert "S3cret" not in err and "Pw" not in err


def test_a_percent_encoded_password_is_read_and_never_shown(capsys: pytest.CaptureFixture[str]) -> None:
    url = "postgresql://someone:S3cret%40Pw%20x@127.0.0.1:1/nothing"
    assert main(["--db", url, "--port", "0"], environ={}) == 2
    err = capsys.readouterr().err
    assert err.startswith("hesabe-mock: cannot open the database postgresql://someone@127.0.0.1:1/nothing:")
    assert "S3cret" not in err and "Pw" not in err


def test_a_connection_the_server_dropped_is_replaced(tmp_path: Path) -> None:
    url = schema_url(str(tmp_path))
    store = PostgresStore(url)
    try:
        store.put_token("access", "t", 1, 9e9)
        backend = store._conn.info.backend_pid
        with psycopg.connect(url, autocommit=True) as admin:  # what a server restart does to it
            admin.execute("SELECT pg_terminate_backend(%s)", (backend,))
        with pytest.raises(psycopg.OperationalError):
            store.get_token("access", "t")  # the request that meets it fails (a plain 500)
        assert store.get_token("access", "t") == (1, 9e9)  # the next one reconnects
    finally:
        store.close()


def test_two_hosts_writing_and_reading_at_once_keep_pages_exact(tmp_path: Path) -> None:
    """Two stores on one database (two hosts), each with writers moving their own invoices between
    two statuses in opposite directions while they create more, and readers paging meanwhile.

    Counter rows are taken in one order by every writer, so none deadlocks (PostgreSQL would abort
    one of two writers that took the two buckets' rows in opposite orders); a page read mid-storm is
    one snapshot (its rows have the status asked for, and as many as its total leaves for it); at
    the end every page is the naive slice of what the writers did."""
    url = schema_url(str(tmp_path))
    hosts = [PostgresStore(url), PostgresStore(url)]
    moves = 40
    errors: list[BaseException] = []
    final: dict[int, Invoice] = {}
    lock = threading.Lock()
    done = threading.Event()

    def writer(store: PostgresStore, start: int, to: int) -> None:
        try:
            mine = store.insert_invoices([make_invoice(status=start) for _ in range(moves)])
            for n, inv in enumerate(mine):
                moved = replace(inv, invoice_status=to)
                store.update_invoice(moved)
                made = store.insert_invoices([make_invoice(status=(start, to)[n % 2])])
                with lock:
                    final[moved.id] = moved
                    final.update((i.id, i) for i in made)
        except BaseException as exc:  # reported below
            errors.append(exc)

    def reader(store: PostgresStore) -> None:
        try:
            while not done.is_set():
                for status, offset in ((0, 0), (1, 7), (0, 30)):
                    page = store.list_invoices(1, InvoiceQuery(status=status, offset=offset, limit=15))
                    assert all(inv.invoice_status == status for inv in page.items), status
                    assert len(page.items) == max(0, min(15, page.total - offset)), (page.total, offset)
        except BaseException as exc:  # reported below
            errors.append(exc)

    writers = [threading.Thread(target=writer, args=(host, start, 1 - start))
               for host in hosts for start in (0, 1)]
    readers = [threading.Thread(target=reader, args=(host,)) for host in hosts]
    try:
        for t in readers + writers:
            t.start()
        for t in writers:
            t.join(timeout=120)
        done.set()
        for t in readers:
            t.join(timeout=60)
        assert not errors, errors
        assert len(final) == 4 * 2 * moves
        for query in (InvoiceQuery(), InvoiceQuery(offset=150), InvoiceQuery(offset=305),
                      InvoiceQuery(status=0, offset=70), InvoiceQuery(status=1, limit=200)):
            for host in hosts:
                assert_page(host, final.values(), 1, query)
    finally:
        for host in hosts:
            host.close()


def test_checkouts_of_an_older_version_are_claimed_and_walked_after_the_migration(tmp_path: Path) -> None:
    """Version 4 reads a checkout's status, its subscription's status and recurrences out of the
    documents an older mock wrote (also one holding \\u0000, which no json cast can read)."""
    from dataclasses import replace

    from mock_server.state.documents import document
    from mock_server.state.models import Checkout

    base = Checkout(merchant_id=1, token="T", session="S", amount="0.000", currency="KWD", payment_type=15,
                    response_url="https://shop.example/ok", failure_url="", created_at="2026-01-01 10:00:00",
                    expires_at=0.0)
    rows = [replace(base, id=1, status="SUCCESSFUL", recurring_frequency="1", recurring_installments=5,
                    subscription_status="ACTIVE", recurrences=2, customer_name='a "status":"PENDING" \x00'),
            replace(base, id=2, token="T2", session="S2", notes=('"subscription_status":"ACTIVE"',)),
            replace(base, id=3, token="T3", session="S3", source="pos", customer_name='"source":"x" \x00')]
    url = schema_url(str(tmp_path))
    with psycopg.connect(url, autocommit=True) as conn:  # what a mock of schema version 3 left
        conn.execute("CREATE TABLE mock_schema_migrations (version INTEGER PRIMARY KEY,"
                     " applied_at TIMESTAMPTZ NOT NULL DEFAULT now())")
        for number, script in enumerate(MIGRATIONS[:3], start=1):
            conn.execute(script.encode())
            conn.execute("INSERT INTO mock_schema_migrations (version) VALUES (%s)", (number,))
        for row in rows:
            conn.execute("INSERT INTO checkouts (id, merchant_id, token, session, doc)"
                         " VALUES (%s, 1, %s, %s, %s)", (row.id, row.token, row.session, document(row)))
    store = PostgresStore(url)
    try:
        mandate, plain, pos = rows
        # version 7 filled each checkout's source from its document
        assert store.checkouts_of_merchant(1, source="pos") == [pos]
        assert store.checkouts_of_merchant(1, source="checkout") == [mandate, plain]
        # version 6 filled the next billing day: recurrence 2 of a subscription billed from its
        # creation day
        assert store.due_subscriptions(1, "2026-02-28") == []
        assert store.due_subscriptions(1, "2026-03-01") == [mandate]
        assert store.claim_checkout(replace(mandate, recurrences=1), replace(mandate, recurrences=9)) is None
        assert store.claim_checkout(mandate, replace(mandate, recurrences=3)) is not None
        assert store.claim_checkout(replace(plain, status="SUCCESSFUL"), plain) is None  # it is PENDING
        assert store.claim_checkout(plain, replace(plain, status="FAILED")) is not None
    finally:
        store.close()
