"""Group commit (mock_server/group_commit.py): requests served together share one SQLite commit,
and none is answered before its writes are committed.

The store half: writes inside ``deferred_commit()`` stay invisible to another connection on the
file until ``commit_deferred()``, and a refused write in a group takes nothing else with it. The
server half: concurrent creates over real HTTP (uvicorn on loopback) are all stored, answered once
each, with fewer commits than creates.
"""

from __future__ import annotations

import sqlite3
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path

import pytest
from test_store_contract import make_invoice

from hesabe_spec.sandbox import SANDBOX
from mock_server.state import sqlite as sqlite_store
from mock_server.state.memory import MemoryStore
from mock_server.state.models import Invoice, InvoiceQuery
from mock_server.state.sqlite import SqliteStore
from mock_server.state.store import KeyConflict
from mock_server.testing import running_mock


def test_deferred_writes_are_invisible_to_other_connections_until_committed(tmp_path: Path) -> None:
    path = str(tmp_path / "group.sqlite")
    writer, reader = SqliteStore(path), SqliteStore(path)
    try:
        with writer.deferred_commit():
            [first] = writer.insert_invoices([make_invoice()])
            [second] = writer.insert_invoices([make_invoice()])
        assert writer.has_deferred()
        assert writer.get_invoice(1, second.id) == second  # the writer reads its own group
        assert reader.get_invoice(1, first.id) is None
        assert reader.list_invoices(1, InvoiceQuery()).total == 0
        writer.commit_deferred()
        assert not writer.has_deferred()
        assert [i.id for i in reader.list_invoices(1, InvoiceQuery()).items] == [second.id, first.id]
    finally:
        writer.close()
        reader.close()


def test_a_refused_write_in_a_group_takes_nothing_else_with_it(tmp_path: Path) -> None:
    path = str(tmp_path / "group.sqlite")
    store = SqliteStore(path)
    try:
        with store.deferred_commit():
            [kept] = store.insert_invoices([make_invoice()])
            clash = make_invoice(access_key=kept.access_key)
            with pytest.raises(KeyConflict):
                store.insert_invoices([make_invoice(), clash])  # the first of the two goes too
            [after] = store.insert_invoices([make_invoice()])
        store.commit_deferred()
        store.close()
        store = SqliteStore(path)
        assert [i.id for i in store.list_invoices(1, InvoiceQuery()).items] == [after.id, kept.id]
        assert store.invoice_counts(1) == {(1, 0): 2}
    finally:
        store.close()


def _create(store: SqliteStore, *invoices: Invoice) -> list[Invoice]:
    """``create_invoices`` as the service calls it: the store hands out the ids."""
    return store.create_invoices(lambda ids: [replace(inv, id=next(ids)) for inv in invoices])


def test_a_refused_create_in_a_group_takes_nothing_else_with_it(tmp_path: Path) -> None:
    """A create joins the group without a savepoint: its rows go in one statement, which SQLite
    undoes whole when a key is refused, and nothing else of the group goes with it."""
    path = str(tmp_path / "group.sqlite")
    store = SqliteStore(path)
    try:
        with store.deferred_commit():
            [kept] = _create(store, make_invoice(description="kept"))
            for clash in (make_invoice(token=kept.token), make_invoice(access_key=kept.access_key)):
                with pytest.raises(KeyConflict):
                    _create(store, make_invoice(description="first"), clash)  # a split: none of it
            [after] = _create(store, make_invoice(description="after"))
        store.commit_deferred()
        store.close()
        store = SqliteStore(path)
        assert [i.id for i in store.list_invoices(1, InvoiceQuery()).items] == [after.id, kept.id]
        assert store.list_invoices(1, InvoiceQuery(search=("first",))).total == 0
        assert store.invoice_counts(1) == {(1, 0): 2}
    finally:
        store.close()


def test_a_create_failing_half_way_rolls_back_its_group_and_tells_every_writer(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Should SQLite itself fail between a create's rows and its search terms (a full disk, an I/O
    error), there is no savepoint to undo the create alone: the group is rolled back, and each
    thread that wrote in it hears so from commit_deferred (its replies become errors), so nothing
    is answered as stored that is not."""
    path = str(tmp_path / "group.sqlite")
    store = SqliteStore(path)
    try:
        [before] = _create(store, make_invoice())
        joined, told = threading.Event(), threading.Event()
        heard: list[BaseException] = []

        def other_thread() -> None:
            with store.deferred_commit():
                store.insert_invoices([make_invoice(description="other")])
            joined.set()
            told.wait(60)
            try:
                store.commit_deferred()
            except RuntimeError as exc:
                heard.append(exc)

        other = threading.Thread(target=other_thread)
        other.start()
        assert joined.wait(60)

        def failing_terms(*args: object) -> None:
            raise sqlite3.OperationalError("disk I/O error")

        with store.deferred_commit():
            _create(store, make_invoice(description="mine"))
            monkeypatch.setattr(sqlite_store, "_insert_terms", failing_terms)
            with pytest.raises(sqlite3.OperationalError):
                _create(store, make_invoice(description="half"))
            monkeypatch.undo()
            with pytest.raises(RuntimeError):  # refused until this thread has heard
                _create(store, make_invoice(description="late"))
        assert store.has_deferred()
        with pytest.raises(RuntimeError, match="rolled back"):
            store.commit_deferred()
        told.set()
        other.join(60)
        assert len(heard) == 1
        # nothing of the group is stored, and the store goes on
        with store.deferred_commit():
            [after] = _create(store, make_invoice())
        store.commit_deferred()
        assert not store.has_deferred()
        assert [i.id for i in store.list_invoices(1, InvoiceQuery()).items] == [after.id, before.id]
        assert store.invoice_counts(1) == {(1, 0): 2}
        for word in ("other", "mine", "half", "late"):
            assert store.list_invoices(1, InvoiceQuery(search=(word,))).total == 0
    finally:
        store.close()


def test_a_write_from_another_thread_commits_the_group_with_it(tmp_path: Path) -> None:
    """Timers and the webhook sender write without deferring: their commit takes the open group
    along (earlier is never less durable)."""
    path = str(tmp_path / "group.sqlite")
    store, reader = SqliteStore(path), SqliteStore(path)
    try:
        with store.deferred_commit():
            [deferred] = store.insert_invoices([make_invoice()])
        other = threading.Thread(target=store.insert_invoices, args=([make_invoice()],))
        other.start()
        other.join()
        assert not store.has_deferred()
        assert reader.get_invoice(1, deferred.id) == deferred
    finally:
        store.close()
        reader.close()


def test_the_memory_store_never_defers() -> None:
    store = MemoryStore()
    with store.deferred_commit():
        store.insert_invoices([make_invoice()])
    assert not store.has_deferred()
    store.commit_deferred()  # nothing to do, no error


def test_concurrent_creates_over_http_share_commits_and_all_survive(tmp_path: Path) -> None:
    path = str(tmp_path / "served.sqlite")
    store = SqliteStore(path)
    commits = 0
    commit = store.commit_deferred

    def counted() -> None:
        nonlocal commits
        if store.has_deferred():
            commits += 1
        commit()

    store.commit_deferred = counted  # type: ignore[method-assign]
    creates = 48
    try:
        with running_mock(store=store) as mock:
            clients = [mock.client() for _ in range(8)]

            def create(n: int) -> str:
                return str(clients[n % 8].create_invoice(
                    amount="5", customer_name="GROUP", invoice_type="0", invoice_sub_type="3",
                    allocate_pay_type=[1], reference_number=f"G-{n}", expires_at="2099-12-12")["token"])

            for client in clients:  # log in first: only the creates are counted
                client.list_invoices()
            commits = 0
            with ThreadPoolExecutor(8) as pool:
                tokens = list(pool.map(create, range(creates)))
    finally:
        store.close()
    assert len(set(tokens)) == creates
    assert 0 < commits < creates  # some answered creates shared a commit
    reopened = SqliteStore(path)
    try:
        assert reopened.list_invoices(SANDBOX.merchant_id, InvoiceQuery(limit=100)).total == creates
        assert all(reopened.get_invoice_by_token(SANDBOX.merchant_id, token) is not None for token in tokens)
    finally:
        reopened.close()
