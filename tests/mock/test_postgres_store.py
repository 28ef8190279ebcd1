"""What only the PostgreSQL store has: its versioned migrations, several hosts opening one database
at once, and the errors ``--db postgresql://`` gives. The behaviour it shares with the other stores
is the store contract (test_store_contract.py, test_refund_store.py, run on every store)."""

from __future__ import annotations

import threading
from pathlib import Path

import psycopg
import pytest
from support.postgres import schema_url

from mock_server.cli import main
from mock_server.state.opening import describe
from mock_server.state.postgres import MIGRATIONS, SCHEMA_VERSION, PostgresStore

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
    # the throwaway cluster trusts loopback, so a password in the URL is accepted: never shown
    store = PostgresStore(schema_url(str(tmp_path)).replace("postgres@", "postgres:s3cret-pw@", 1))
    try:
        assert "s3cret" not in repr(store) and "s3cret" not in str(vars(store))
    finally:
        store.close()


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
            replace(base, id=2, token="T2", session="S2", notes=('"subscription_status":"ACTIVE"',))]
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
        mandate, plain = rows
        assert store.active_subscriptions(1) == [mandate]
        assert store.claim_checkout(replace(mandate, recurrences=1), replace(mandate, recurrences=9)) is None
        assert store.claim_checkout(mandate, replace(mandate, recurrences=3)) is not None
        assert store.claim_checkout(replace(plain, status="SUCCESSFUL"), plain) is None  # it is PENDING
        assert store.claim_checkout(plain, replace(plain, status="FAILED")) is not None
    finally:
        store.close()
