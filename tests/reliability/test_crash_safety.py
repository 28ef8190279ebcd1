"""Crash safety with ``--db``: ``kill -9`` in the middle of a create storm, restart, check.

``hesabe-mock --port 0 --db FILE`` (or ``--db postgresql://...``) runs as a child process; client
threads create invoices as fast as they can and remember every create that was answered with
success (one thread charges a saved card instead); the child is killed
with SIGKILL mid-storm and restarted on the same database, CYCLES times (fewer on PostgreSQL, whose
server is not the process that dies). After each restart every answered create is present and
intact (same token, amount, reference), and every approved saved-card charge is in the
transactions report; at the end a SQLite file passes SQLite's integrity check and the counters,
the dashboard and a full listing agree.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest
import requests
from relkit import ALPHA, HttpMerchant, invoice_fields

from mock_server.cli import _bind
from mock_server.state.sqlite import SqliteStore
from mock_server.state.store import Store

#: kill -9 cycles per store: the PostgreSQL server outlives the killed mock, so a sample proves it
CYCLES = {"sqlite": 5, "postgres": 2}
THREADS = 6
#: answered creates to wait for before pulling the plug (then the storm is still in full flow)
KILL_AFTER = 60
_URL = re.compile(r"listening on (http://\S+)")

pytestmark = pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs POSIX kill -9")


class Child:
    def __init__(self, db: str, log: Path) -> None:
        self.log = log.open("ab")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "mock_server.cli", "--port", "0", "--db", db],
            stdout=subprocess.PIPE, stderr=self.log, text=True,
        )
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()  # printed before the first request can arrive
        found = _URL.search(line)
        if not found:
            self.kill()
            raise AssertionError(f"no URL line from hesabe-mock: {line!r}, log: {log.read_text()[-2000:]}")
        self.url = found.group(1)
        self._wait_ready()

    def _wait_ready(self) -> None:
        # the socket listens before the URL is printed: the first request waits in its backlog until
        # the server answers, however long a loaded machine takes to get there
        requests.get(self.url + "/api/v1/login", timeout=30).close()

    def kill(self) -> None:
        if self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=10)
        if self.proc.stdout:
            self.proc.stdout.close()
        self.log.close()


def _saved_card(url: str) -> int:
    """A saved card of the sandbox merchant: a customer, a VERIFY checkout paid through /_mock/."""
    with HttpMerchant(url) as api:
        api.login()
        return api.save_card("Crash", "crash@example.com")


def _charges(url: str, stop: threading.Event, charged: list[dict[str, Any]], lock: threading.Lock,
             card: int) -> None:
    """The storm's saved-card thread: charge the card again and again, remember every approval."""
    i = 0
    with HttpMerchant(url, timeout=5) as api:
        try:
            api.login()
            while not stop.is_set():
                amount = f"{i % 90 + 1}.{i % 1000:03d}"
                status, env = api.call("charge_saved_card", {"merchantCode": ALPHA.merchant_code,
                                                             "card_id": card, "amount": amount})
                if status == 200 and env.get("status") is True:
                    with lock:
                        charged.append({"token": env["response"]["paymentToken"], "amount": amount})
                i += 1
        except (requests.RequestException, ValueError):
            return


def _check_charges(url: str, charged: list[dict[str, Any]]) -> None:
    """Every approved charge is in the transactions report, once, at its amount."""
    with HttpMerchant(url) as api:
        api.login()
        first = {"merchantCode": ALPHA.merchant_code, "nostats": "1"}
        status, env = api.call("get_transactions_report", first)
        assert status == 200, env
        pages = env["response"]["transactions"]["pagination"]["total_pages"]
        rows = list(env["response"]["transactions"]["data"])
        for page in range(2, pages + 1):
            status, env = api.call("get_transactions_report", {"merchantCode": ALPHA.merchant_code,
                                                               "nostats": "1", "page": page})
            rows += env["response"]["transactions"]["data"]
    found = {r["token"]: r["amount"] for r in rows}
    assert len(found) == len(rows)
    for want in charged:
        assert found.get(want["token"]) == want["amount"], want


def _storm(url: str, stop: threading.Event, answered: list[dict[str, Any]], lock: threading.Lock,
           n: int, cycle: int) -> None:
    i = 0
    with HttpMerchant(url, timeout=5) as api:
        try:
            api.login()
            while not stop.is_set():
                ref = f"K{cycle}-{n}-{i}"
                amount = f"{(cycle * 1000 + n * 100 + i) % 999_999 + 1}.{i % 1000:03d}"
                sms = i % 4 == 0
                extra = {"invoiceType": "1", "invoiceSubType": "0", "mobileNumber": "66666666",
                         "countryCode": "965"} if sms else {}
                payload = invoice_fields(amount=amount, referenceNumber=ref, **extra)
                status, env = api.call("create_invoice", payload)
                if status == 200 and env.get("status") is True:
                    r = env["response"]
                    with lock:
                        answered.append({"id": int(r["id"]), "token": str(r["token"]), "amount": r["amount"],
                                         "ref": ref})
                i += 1
        except (requests.RequestException, ValueError):
            return  # the server died under us: exactly what this test does on purpose


def _check_present(url: str, answered: list[dict[str, Any]]) -> None:
    with HttpMerchant(url) as api:
        api.login()
        for want in answered:
            status, env = api.call("get_invoice", {"merchantCode": ALPHA.merchant_code}, id=want["id"])
            assert status == 200, (want, env)
            got = env["response"]
            assert (str(got["token"]), got["amount"], got["reference_number"]) == (
                want["token"], want["amount"], want["ref"]), (want, got)


def _listing(url: str) -> tuple[dict[str, Any], int, int]:
    with HttpMerchant(url) as api:
        api.login()
        page, seen, total = 1, set(), 0
        while True:
            status, env = api.call("list_invoices", {"merchantCode": ALPHA.merchant_code, "page": page})
            assert status == 200
            block = env["response"]["invoices"]
            total = block["pagination"]["total"]
            ids = {int(row["id"]) for row in block["data"]}
            assert not ids & seen
            seen |= ids
            if not block["pagination"]["next_page_url"]:
                return env["response"]["stats"], total, len(seen)
            page += 1


@pytest.fixture(params=["sqlite", "postgres"])
def database(request: pytest.FixtureRequest, tmp_path: Path) -> tuple[str, str]:
    """(kind, what ``--db`` is given): a file, or a fresh schema on the session's PostgreSQL."""
    if request.param == "postgres":
        request.getfixturevalue("postgres_url")
        from support.postgres import schema_url

        return "postgres", schema_url(str(tmp_path))
    return "sqlite", str(tmp_path / "state.sqlite")


def _reopen(kind: str, db: str) -> Store:
    if kind == "postgres":
        from mock_server.state.postgres import PostgresStore

        return PostgresStore(db)
    return SqliteStore(db)


def test_kill_9_mid_storm_loses_no_answered_create(database: tuple[str, str], tmp_path: Path) -> None:
    kind, db = database
    log = tmp_path / "mock.log"
    answered: list[dict[str, Any]] = []
    charged: list[dict[str, Any]] = []
    lock = threading.Lock()
    card = 0
    for cycle in range(CYCLES[kind]):
        child = Child(db, log)
        try:
            _check_present(child.url, answered)  # everything answered before the last kill
            _check_charges(child.url, charged)
            card = card or _saved_card(child.url)
            before = len(answered)
            stop = threading.Event()
            threads = [threading.Thread(target=_storm, args=(child.url, stop, answered, lock, n, cycle))
                       for n in range(THREADS - 1)]
            threads.append(threading.Thread(target=_charges, args=(child.url, stop, charged, lock, card)))
            for t in threads:
                t.start()
            deadline = time.monotonic() + 30
            while len(answered) < before + KILL_AFTER and time.monotonic() < deadline:
                time.sleep(0.005)
            assert len(answered) >= before + KILL_AFTER, "the storm never got going"
        finally:
            child.kill()  # kill -9 while the threads are still sending
        stop.set()
        for t in threads:
            t.join(timeout=30)
        assert not any(t.is_alive() for t in threads)

    child = Child(db, log)
    try:
        _check_present(child.url, answered)
        _check_charges(child.url, charged)
        assert charged, "no saved-card charge was answered"
        stats, total, listed = _listing(child.url)
        assert stats["total_invoice_count"] == total == listed >= len(answered)
        assert int(stats["invoice_not_paid"]) == total  # creates only: nothing paid or cancelled
    finally:
        child.kill()

    # the database itself: consistent, every record readable, counters equal to the rows
    if kind == "sqlite":
        with sqlite3.connect(db) as conn:
            assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
            rows = conn.execute("SELECT count(*) FROM invoices").fetchone()[0]
        conn.close()
    else:
        import psycopg

        with psycopg.connect(db) as pg:
            row = pg.execute("SELECT count(*) FROM invoices").fetchone()
            rows = row[0] if row else -1
    store = _reopen(kind, db)
    try:
        assert len(store.fingerprint()) == 64  # reads and hashes every record
        counts = store.invoice_counts(ALPHA.merchant_id)
        assert sum(counts.values()) == rows == listed
        ids = sorted(a["id"] for a in answered)
        assert len(set(ids)) == len(ids)
        for want in answered:
            inv = store.get_invoice(ALPHA.merchant_id, want["id"])
            assert inv is not None and inv.token == want["token"] and inv.amount == want["amount"]
    finally:
        store.close()
    print(f"\ncrash safety ({kind}): {CYCLES[kind]} kill -9 survived, {len(answered)} answered creates and "
          f"{len(charged)} saved-card charges all intact, {rows} rows on disk")


def test_cli_socket_lets_asyncio_disable_nagle() -> None:
    """asyncio sets TCP_NODELAY on accepted connections only when the listening socket says
    IPPROTO_TCP; without it every reply of ``hesabe-mock`` waited ~40 ms for a delayed ACK."""
    sock = _bind("127.0.0.1", 0)
    try:
        assert sock.proto == socket.IPPROTO_TCP
    finally:
        sock.close()
