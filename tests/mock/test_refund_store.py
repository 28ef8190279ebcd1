"""The refund part of the Store contract, run against every store (fixtures: tests/mock/conftest.py).

Expected results come from a plain model of what was asked, never from another store. The race
tests use threads on one store and, for SQLite, two stores (two connections, two Python locks) on
one file: only the file's own transaction can keep them from both taking the last of a payment.
"""

from __future__ import annotations

import itertools
import sqlite3
import threading
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)
from support.stores import StoreFactory, set_back_to_version_8

from hesabe_spec.amounts import from_fils, to_fils
from hesabe_spec.enums import RefundStatus
from mock_server.state import sqlite as sqlite_store
from mock_server.state.models import Customer, Invoice, Refund, RefundQuery
from mock_server.state.sqlite import SqliteStore
from mock_server.state.store import OverRefund, Store

PENDING, APPROVED, REJECTED = RefundStatus.PENDING, RefundStatus.APPROVED, RefundStatus.REJECTED
_serial = itertools.count(1)


def make_refund(token: str = "TXN1", amount: str = "1.000", merchant_id: int = 1, *, day: int = 5,
                reference: str = "ORDER-1") -> Refund:
    stamp = f"2024-03-{day:02d} 10:00:00"
    return Refund(merchant_id=merchant_id, token=token, amount=amount, refund_method="2", created_at=stamp,
                  updated_at=stamp, requested_at=1_709_622_000.0, source="invoice", source_id=1,
                  paid_amount="10.000", order_reference_number=reference, transaction_date=stamp,
                  payment_type_id=1, service_type_id=2)


def paid_invoice(merchant_id: int = 1, txn_token: str | None = None) -> Invoice:
    n = next(_serial)
    return Invoice(merchant_id=merchant_id, invoice_type=1, invoice_sub_type=3, token=f"INV{n:06d}",
                   access_key=f"RK{n:06d}", reference_number=f"R{n}", amount="10.000",
                   created_at="2024-03-05 10:00:00", updated_at="2024-03-05 10:00:00", invoice_status=1,
                   customer=Customer(), transaction={"token": txn_token or f"TXN{n:06d}", "amount": 10})


# -- the check and the insert ------------------------------------------------------------------
def test_a_refund_is_stored_only_if_it_fits(store: Store) -> None:
    first = store.insert_refund(make_refund(amount="6.000"), 10_000, take_rest=False)
    assert first.id > 0 and store.get_refund(1, first.id) == first
    before = store.fingerprint()
    with pytest.raises(OverRefund) as info:
        store.insert_refund(make_refund(amount="4.001"), 10_000, take_rest=False)
    assert info.value.left == 4_000 and store.fingerprint() == before
    exact = store.insert_refund(make_refund(amount="4.000"), 10_000, take_rest=False)
    assert exact.id > first.id
    with pytest.raises(OverRefund) as info:
        store.insert_refund(make_refund(amount="0.001"), 10_000, take_rest=True)
    assert info.value.left == 0 and store.fingerprint() != before


def test_a_full_refund_takes_what_is_left(store: Store) -> None:
    store.insert_refund(make_refund(amount="2.500"), 10_000, take_rest=False)
    rest = store.insert_refund(make_refund(amount="10.000"), 10_000, take_rest=True)
    assert rest.amount == "7.500" and store.get_refund(1, rest.id) == rest


def test_a_rejected_refund_gives_its_amount_back_an_approved_one_keeps_it(store: Store) -> None:
    a = store.insert_refund(make_refund(amount="6.000"), 10_000, take_rest=False)
    b = store.insert_refund(make_refund(amount="4.000"), 10_000, take_rest=False)
    assert store.decide_refund(replace(a, status=APPROVED))
    assert store.decide_refund(replace(b, status=REJECTED))
    assert store.insert_refund(make_refund(amount="10.000"), 10_000, take_rest=True).amount == "4.000"


def test_refunds_of_other_payments_and_merchants_do_not_count(store: Store) -> None:
    store.insert_refund(make_refund("A", "10.000"), 10_000, take_rest=False)
    assert store.insert_refund(make_refund("B", "10.000"), 10_000, take_rest=False).amount == "10.000"
    other = store.insert_refund(make_refund("A", "10.000", merchant_id=2), 10_000, take_rest=False)
    assert store.get_refund(1, other.id) is None and store.get_refund(2, other.id) == other
    assert [r.token for r in store.refunds_of_transaction(1, "A")] == ["A"]
    assert store.refund_totals(2) == {PENDING: (1, 10_000)}


# -- deciding and cancelling only while pending -------------------------------------------------
def test_a_refund_is_decided_once(store: Store) -> None:
    refund = store.insert_refund(make_refund(), 10_000, take_rest=False)
    approved = replace(refund, status=APPROVED, remarks="ok", refund_at="2024-03-06")
    assert store.decide_refund(approved)
    before = store.fingerprint()
    assert not store.decide_refund(replace(refund, status=REJECTED))
    assert not store.cancel_pending_refund(1, refund.id)
    assert store.get_refund(1, refund.id) == approved and store.fingerprint() == before


def test_cancelling_a_pending_refund_deletes_it_and_frees_its_amount(store: Store) -> None:
    refund = store.insert_refund(make_refund(amount="10.000"), 10_000, take_rest=False)
    assert not store.cancel_pending_refund(2, refund.id)  # another merchant's: untouched
    assert store.cancel_pending_refund(1, refund.id)
    assert store.get_refund(1, refund.id) is None and store.refund_totals(1) == {}
    assert store.list_refunds(1, RefundQuery()).total == 0 and store.pending_refunds(1) == []
    assert not store.cancel_pending_refund(1, refund.id)
    assert store.insert_refund(make_refund(amount="10.000"), 10_000, take_rest=False).id > refund.id


def test_the_pending_refunds_are_those_neither_decided_cancelled_nor_reset(store: Store) -> None:
    """What the timer's round reads (an index of the pending ones on every store)."""
    first, second, third, other = (
        store.insert_refund(make_refund(f"TXN-{n}", merchant_id=merchant), 10_000, take_rest=False)
        for n, merchant in ((1, 1), (2, 1), (3, 1), (4, 2)))
    assert store.pending_refunds(1) == [first, second, third] and store.pending_refunds(2) == [other]
    assert store.decide_refund(replace(second, status=APPROVED, refund_at="2024-03-06"))
    assert store.cancel_pending_refund(1, first.id)
    assert store.pending_refunds(1) == [third]
    store.reset(1)
    assert store.pending_refunds(1) == [] and store.pending_refunds(2) == [other]
    fourth = store.insert_refund(make_refund("TXN-5"), 10_000, take_rest=False)
    assert store.pending_refunds(1) == [fourth]


# -- reads ------------------------------------------------------------------------------------
def test_list_filters_and_pages(store: Store) -> None:
    made = [store.insert_refund(make_refund(f"T{n}", "1.000", day=1 + n % 3, reference=f"Order {n}"),
                                10_000, take_rest=False) for n in range(20)]
    newest_first = [r.id for r in reversed(made)]
    page1, page2 = store.list_refunds(1, RefundQuery(limit=15)), store.list_refunds(1, RefundQuery(offset=15))
    assert page1.total == page2.total == 20
    assert [r.id for r in page1.items + page2.items] == newest_first
    on_day_2 = store.list_refunds(1, RefundQuery(from_date="2024-03-02", to_date="2024-03-02"))
    assert [r.id for r in on_day_2.items] == [r.id for r in reversed(made) if r.created_at[8:10] == "02"]
    assert [r.id for r in store.list_refunds(1, RefundQuery(search=("t7",))).items] == [made[7].id]
    assert [r.id for r in store.list_refunds(1, RefundQuery(search=("order", "12"))).items] == [made[12].id]
    assert store.list_refunds(2, RefundQuery()).total == 0


def test_a_paid_invoice_is_found_by_its_transaction_token(store: Store) -> None:
    unpaid = replace(paid_invoice(), invoice_status=0, transaction=None)
    (stored,) = store.insert_invoices([unpaid])
    assert store.find_invoice_by_transaction_token(1, "TXN-X") is None
    paid = replace(stored, invoice_status=1, transaction={"token": "TXN-X", "amount": 10})
    store.update_invoice(paid)
    assert store.find_invoice_by_transaction_token(1, "TXN-X") == paid
    assert store.find_invoice_by_transaction_token(2, "TXN-X") is None
    (seeded,) = store.insert_invoices([paid_invoice(txn_token="TXN-Y")])
    assert store.find_invoice_by_transaction_token(1, "TXN-Y") == seeded
    store.reset(1)
    assert store.find_invoice_by_transaction_token(1, "TXN-X") is None


def test_reset_forgets_refunds_and_never_reuses_their_ids(make_store: StoreFactory) -> None:
    store = make_store()
    one = store.insert_refund(make_refund(), 10_000, take_rest=False)
    two = store.insert_refund(make_refund(merchant_id=2), 10_000, take_rest=False)
    store.reset(1)
    assert store.get_refund(1, one.id) is None and store.get_refund(2, two.id) == two
    assert store.refund_totals(1) == {} and store.refund_totals(2) == {PENDING: (1, 1_000)}
    store.reset()
    assert store.insert_refund(make_refund(), 10_000, take_rest=False).id > two.id


# -- any history agrees with a model -------------------------------------------------------------
class RefundHistory(RuleBasedStateMachine):
    """Random requests, decisions and cancels over three payments; the store must match a model."""

    store: Store
    PAID = {"P1": 5_000, "P2": 1_000, "P3": 12_345}

    def __init__(self) -> None:
        super().__init__()
        self.store.reset()
        self.model: dict[int, tuple[str, int, RefundStatus]] = {}

    def _left(self, token: str) -> int:
        held = sum(f for t, f, s in self.model.values() if t == token and s in (PENDING, APPROVED))
        return self.PAID[token] - held

    @rule(token=st.sampled_from(sorted(PAID)), fils=st.integers(1, 13_000), rest=st.booleans())
    def ask(self, token: str, fils: int, rest: bool) -> None:
        left = self._left(token)
        try:
            got = self.store.insert_refund(make_refund(token, from_fils(fils)), self.PAID[token], rest)
        except OverRefund as exc:
            assert exc.left == max(left, 0) and (left <= 0 or (not rest and fils > left))
            return
        want = left if rest else fils
        assert 0 < want <= left and to_fils(got.amount) == want
        self.model[got.id] = (token, want, PENDING)

    @precondition(lambda self: self.model)
    @rule(data=st.data(), status=st.sampled_from([APPROVED, REJECTED, None]))
    def decide_or_cancel(self, data: st.DataObject, status: RefundStatus | None) -> None:
        refund_id = data.draw(st.sampled_from(sorted(self.model)))
        token, fils, current = self.model[refund_id]
        stored = self.store.get_refund(1, refund_id)
        assert stored is not None
        if status is None:
            done = self.store.cancel_pending_refund(1, refund_id)
        else:
            done = self.store.decide_refund(replace(stored, status=status))
        assert done == (current == PENDING)
        if done and status is None:
            del self.model[refund_id]
        elif done:
            self.model[refund_id] = (token, fils, status)  # type: ignore[assignment]

    @invariant()
    def totals_pages_and_limits_agree(self) -> None:
        totals: dict[int, tuple[int, int]] = {}
        for _t, fils, status in self.model.values():
            n, total = totals.get(status, (0, 0))
            totals[status] = (n + 1, total + fils)
        assert self.store.refund_totals(1) == totals
        page = self.store.list_refunds(1, RefundQuery(limit=1000))
        assert [r.id for r in page.items] == sorted(self.model, reverse=True)
        assert [(r.token, to_fils(r.amount), r.status) for r in page.items] == [
            self.model[i] for i in sorted(self.model, reverse=True)]
        for token in self.PAID:
            assert self._left(token) >= 0
        assert {r.id for r in self.store.pending_refunds(1)} == {
            i for i, (_t, _f, s) in self.model.items() if s == PENDING}


def test_any_refund_history_agrees_with_the_model(make_store: StoreFactory) -> None:
    machine = type("BoundRefundHistory", (RefundHistory,), {"store": make_store()})
    run_state_machine_as_test(machine, settings=settings(
        max_examples=25, stateful_step_count=30, deadline=None, derandomize=True, database=None,
        suppress_health_check=list(HealthCheck)))


# -- the race for the last of a payment -----------------------------------------------------------
def _race(stores: list[Store], ask: Callable[[Store], Any], threads: int = 8) -> list[Any]:
    """Every thread asks at the same moment (each on one of ``stores``); the answers."""
    start = threading.Barrier(threads)
    results: list[Any] = [None] * threads

    def run(n: int) -> None:
        start.wait()
        try:
            results[n] = ask(stores[n % len(stores)])
        except OverRefund as exc:
            results[n] = exc

    workers = [threading.Thread(target=run, args=(n,)) for n in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join(30)
    assert not any(w.is_alive() for w in workers)
    return results


def _check_race_rounds(stores: list[Store], rounds: int = 30) -> None:
    for n in range(rounds):
        token = f"RACE{n}"
        stores[0].insert_refund(make_refund(token, "4.000"), 10_000, take_rest=False)
        # six left: every thread wants 6 (partial) or the rest (full); exactly one may have it
        results = _race(stores, lambda s, t=token, k=n: s.insert_refund(
            make_refund(t, "6.000"), 10_000, take_rest=bool(k % 2)))
        won = [r for r in results if isinstance(r, Refund)]
        assert len(won) == 1, results
        assert all(isinstance(r, OverRefund) and r.left == 0 for r in results if r is not won[0])
        held = sum(to_fils(r.amount) for r in stores[0].refunds_of_transaction(1, token))
        assert held == 10_000


def test_racing_refunds_never_both_take_the_last_of_a_payment(store: Store) -> None:
    _check_race_rounds([store])


def test_two_connections_on_one_sqlite_file_race_safely(tmp_path: Path) -> None:
    """Two stores on one file share no Python lock: only SQLite's write transaction decides."""
    path = str(tmp_path / "shared.sqlite")
    stores: list[Store] = [SqliteStore(path), SqliteStore(path)]
    try:
        _check_race_rounds(stores)
    finally:
        for s in stores:
            s.close()


# -- SQLite only ------------------------------------------------------------------------------------
def test_a_version_1_file_gains_the_refund_tables(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = str(tmp_path / "old.sqlite")
    monkeypatch.setattr(sqlite_store, "_MIGRATIONS", sqlite_store._MIGRATIONS[:1])
    monkeypatch.setattr(sqlite_store, "SCHEMA_VERSION", 1)
    old = SqliteStore(path)
    with old._tx() as conn:  # the row as version 1 has it (the token of its payment in its document only)
        _insert_as_before_version_9(conn, [replace(paid_invoice(txn_token="TXN-OLD"), id=1)])
    old.close()
    monkeypatch.undo()
    store = SqliteStore(path)
    try:
        assert store._conn.execute("PRAGMA user_version").fetchone()[0] == sqlite_store.SCHEMA_VERSION
        assert store.find_invoice_by_transaction_token(1, "TXN-OLD") is not None
        assert store.insert_refund(make_refund("TXN-OLD"), 10_000, take_rest=True).amount == "10.000"
    finally:
        store.close()
    newer = sqlite3.connect(path)
    newer.execute(f"PRAGMA user_version = {sqlite_store.SCHEMA_VERSION + 1}")
    newer.close()
    with pytest.raises(RuntimeError, match="newer"):
        SqliteStore(path)


def _insert_as_before_version_9(conn: sqlite3.Connection, invoices: list[Invoice]) -> None:
    """Invoice rows as files before version 9 have them: no ``txn_token`` column."""
    columns = [c for c in sqlite_store._INVOICE_COLUMNS if c != "txn_token"]
    marks = ", ".join("?" * (len(columns) + 2))
    conn.executemany(
        f"INSERT INTO invoices (id, {', '.join(columns)}, doc) VALUES ({marks})",
        [(inv.id, *sqlite_store._invoice_values(inv)[:len(columns)], sqlite_store.document(inv))
         for inv in invoices])


def test_a_version_8_file_finds_paid_invoices_by_the_new_token_column(tmp_path: Path) -> None:
    """Version 9 moves the payment's token from an index on the document into a column: a file
    from before finds its paid invoices by token as before, and new payments join them."""
    path = str(tmp_path / "v8.sqlite")
    paid = [replace(paid_invoice(txn_token=f"TXN-V8-{n}"), id=n) for n in range(1, 4)]
    unpaid = replace(paid_invoice(), id=4, transaction=None, invoice_status=0)
    store = SqliteStore(path)
    conn = store._conn
    with store._tx():  # the file as version 8 left it
        set_back_to_version_8(conn)
        _insert_as_before_version_9(conn, [*paid, unpaid])
        conn.execute("PRAGMA user_version = 8")
    store.close()
    store = SqliteStore(path)
    try:
        conn = store._conn
        assert conn.execute("PRAGMA user_version").fetchone()[0] == sqlite_store.SCHEMA_VERSION >= 9
        assert dict(conn.execute("SELECT id, txn_token FROM invoices").fetchall()) == {
            1: "TXN-V8-1", 2: "TXN-V8-2", 3: "TXN-V8-3", 4: None}
        index_sql = conn.execute("SELECT sql FROM sqlite_schema WHERE name = 'inv_txn'").fetchone()[0]
        assert "json_extract" not in index_sql and "txn_token" in index_sql
        for inv in paid:
            assert store.find_invoice_by_transaction_token(1, inv.transaction["token"]) == inv
        assert store.find_invoice_by_transaction_token(2, "TXN-V8-1") is None
        # paying the unpaid one afterwards indexes it like the others
        now_paid = replace(unpaid, invoice_status=1, transaction={"token": "TXN-V8-4", "amount": 10})
        assert store.update_invoice(now_paid, expected=unpaid)
        assert store.find_invoice_by_transaction_token(1, "TXN-V8-4") == now_paid
        assert store.insert_refund(make_refund("TXN-V8-2"), 10_000, take_rest=True).amount == "10.000"
    finally:
        store.close()


def test_sqlite_refund_reads_never_scan_a_table(tmp_path: Path) -> None:
    store = SqliteStore(str(tmp_path / "plans.sqlite"))
    try:
        (inv,) = store.insert_invoices([paid_invoice(txn_token="TXN-P")])
        refund = store.insert_refund(make_refund("TXN-P"), 10_000, take_rest=False)
        statements: list[str] = []
        store._conn.set_trace_callback(statements.append)
        store.find_invoice_by_transaction_token(1, "TXN-P")
        store.insert_refund(make_refund("TXN-P"), 10_000, take_rest=False)
        store.get_refund(1, refund.id)
        store.refunds_of_transaction(1, "TXN-P")
        store.pending_refunds(1)
        store.list_refunds(1, RefundQuery(from_date="2024-03-01", search=("txn",)))
        store.refund_totals(1)
        store._conn.set_trace_callback(None)
        queries = [s for s in statements if s.lstrip().upper().startswith("SELECT")]
        assert len(queries) >= 7
        for sql in queries:
            plan = [row[3] for row in store._conn.execute("EXPLAIN QUERY PLAN " + sql)]
            scans = [step for step in plan if step.startswith("SCAN") and "json_each" not in step]
            assert not scans, (sql, plan)
        assert inv.id
    finally:
        store.close()
