"""The SQLite store's checkpoints run off the request path: the writing connection never copies the
WAL into the database file (``wal_autocheckpoint`` off); a thread with a connection of its own does,
shortly after each commit, and restarts a WAL that a steady stream of commits never lets it finish.
"""

from __future__ import annotations

import shutil
import sqlite3
import struct
import threading
import time
from pathlib import Path

from test_store_contract import make_invoice

from mock_server.state import sqlite as sqlite_store
from mock_server.state.sqlite import SqliteStore


def _wal_pages(path: str) -> int:
    """Pages the file's WAL holds, read from the WAL file without touching it: the frames from its
    start that carry the salts of its header (frames left over from before a restart do not)."""
    wal = Path(path + "-wal").read_bytes()
    if len(wal) < 32:
        return 0
    page_size, salts = struct.unpack(">I", wal[8:12])[0], wal[16:24]
    frames = 0
    while 32 + (frames + 1) * (24 + page_size) <= len(wal):
        start = 32 + frames * (24 + page_size)
        if wal[start + 8:start + 16] != salts:
            break
        frames += 1
    return frames


def _invoices_in_database_file(path: str, copy: Path) -> int:
    """Invoices in the database file alone, as if its WAL were lost (-1: caught mid-write)."""
    shutil.copyfile(path, copy)
    conn = sqlite3.connect(copy)
    try:
        return int(conn.execute("SELECT count(*) FROM invoices").fetchone()[0])
    except sqlite3.DatabaseError:  # copied while a checkpoint was writing it: look again
        return -1
    finally:
        conn.close()
        for suffix in ("", "-wal", "-shm"):
            Path(f"{copy}{suffix}").unlink(missing_ok=True)


def test_commits_reach_the_database_file_without_the_writer_checkpointing(tmp_path: Path) -> None:
    path = str(tmp_path / "ckpt.sqlite")
    store = SqliteStore(path)
    try:
        assert store._conn.execute("PRAGMA wal_autocheckpoint").fetchone()[0] == 0
        with store.deferred_commit():
            store.insert_invoices([make_invoice() for _ in range(40)])
        store.commit_deferred()
        store.insert_invoices([make_invoice() for _ in range(2)])
        # a commit is in the WAL; the checkpointer thread copies it into the file a moment later
        deadline = time.monotonic() + 60
        while _invoices_in_database_file(path, tmp_path / "copy.sqlite") != 42:
            assert time.monotonic() < deadline, "the commits never reached the database file"
            time.sleep(0.02)
    finally:
        store.close()


def test_a_wal_at_its_limit_is_restarted_after_the_writer_commits(tmp_path: Path) -> None:
    path = str(tmp_path / "restart.sqlite")
    store = SqliteStore(path)
    store._checkpointer.close()  # this test runs the checkpoints itself
    checkpointer = sqlite_store._Checkpointer(path, delay=3600, limit=64)
    try:
        checkpointer.checkpoint()  # the schema's pages; the next writer starts the WAL over
        for _ in range(5):
            store.insert_invoices([make_invoice()])
        mode, pages = checkpointer.checkpoint()
        assert (mode, 0 < pages < 64) == ("PASSIVE", True)
        for _ in range(60):
            store.insert_invoices([make_invoice()])
        assert _wal_pages(path) >= 64
        # the writer's transaction is open: the RESTART waits for it, then copies the rest
        with store.deferred_commit():
            [last] = store.insert_invoices([make_invoice()])
        done: list[tuple[str, int]] = []
        runner = threading.Thread(target=lambda: done.append(checkpointer.checkpoint()))
        runner.start()
        store.commit_deferred()
        runner.join(60)
        assert done and done[0][0] == "RESTART"
        store.insert_invoices([make_invoice()])  # the next writer starts the WAL over
        assert _wal_pages(path) < 64
        assert store.get_invoice(1, last.id) == last
    finally:
        checkpointer.close()
        store.close()


def test_closing_stops_the_checkpointer_and_removes_the_wal(tmp_path: Path) -> None:
    path = str(tmp_path / "close.sqlite")
    store = SqliteStore(path)
    store.insert_invoices([make_invoice()])
    name = f"sqlite-checkpoint {path}"
    assert any(t.name == name for t in threading.enumerate())
    store.close()
    assert not any(t.name == name for t in threading.enumerate())
    assert not Path(path + "-wal").exists()
    reopened = SqliteStore(path)
    try:
        assert reopened.list_invoices(1, sqlite_store.InvoiceQuery()).total == 1
    finally:
        reopened.close()


def test_a_close_that_lands_as_the_delay_ends_still_stops_the_thread(tmp_path: Path) -> None:
    """close() sets stop and then dirty; the thread may have seen its delay run out just before and
    clear dirty just after. It must still end (it used to wait for the next commit forever, and the
    test session with it)."""
    checkpointer = sqlite_store._Checkpointer(str(tmp_path / "race.sqlite"), delay=0)
    plain_wait = checkpointer._stop.wait
    raced: list[bool] = []

    def delay_ends_as_close_begins(timeout: float | None = None) -> bool:
        if not raced:
            raced.append(True)
            checkpointer._stop.set()  # close() runs here, between the timeout and the clear
            checkpointer._dirty.set()
            return False  # the delay's timeout had already won
        return plain_wait(timeout)

    checkpointer._stop.wait = delay_ends_as_close_begins  # type: ignore[method-assign]
    checkpointer.wake()
    checkpointer._thread.join(timeout=30)
    stuck = checkpointer._thread.is_alive()
    checkpointer._dirty.set()  # lets a stuck thread go, so a failure leaves nothing behind
    checkpointer.close()
    assert raced and not stuck
