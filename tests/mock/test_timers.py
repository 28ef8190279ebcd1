"""What falls due on the mock clock happens once, without a read: the store's claim of a
subscription's recurrence on every store (also between two connections racing for it), and the
timer that settles due recurrences in a served mock, stops cleanly and survives its errors."""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import threading
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import pytest
from support.receiver import Receiver
from support.stores import StoreFactory, race, set_back_to_version_9, set_back_to_version_10

from hesabe_spec.client import HesabeClient
from mock_server.control import MockControl
from mock_server.state.decisions import ChargeDecision, ChargeDecisions
from mock_server.state.models import Checkout
from mock_server.state.sqlite import SqliteStore
from mock_server.state.store import KeyConflict, Store
from mock_server.testing import running_mock
from mock_server.timers import Timer

DAY = 86400
MERCHANT = 1


def _checkout(token: str, **fields: object) -> Checkout:
    base = Checkout(merchant_id=MERCHANT, token=token, session=f"S-{token}", amount="1.000", currency="KWD",
                    payment_type=15, response_url="https://shop.example/ok", failure_url="", created_at=
                    "2026-01-01 10:00:00", expires_at=0.0)
    return replace(base, **fields)  # type: ignore[arg-type]


def _mandate(store: Store, **fields: object) -> Checkout:
    return store.insert_checkout(_checkout("SUB", status="SUCCESSFUL", recurring_frequency="1",
                                           recurring_installments=3, subscription_status="ACTIVE", **fields))


def _charge(n: int) -> Checkout:
    return _checkout(f"R{n}", status="SUCCESSFUL", source="subscription", parent_token="SUB")


#: a day after every billing day of the mandates here
LATER = "2030-01-01"


def test_a_recurrence_is_claimed_from_the_state_it_was_read_in(store: Store) -> None:
    mandate = _mandate(store)
    assert [c.token for c in store.due_subscriptions(MERCHANT, LATER)] == ["SUB"]
    first = replace(mandate, recurrences=1)
    charged = store.claim_checkout(mandate, first, _charge(1))
    assert charged is not None and charged.id > mandate.id and store.find_checkout("R1") == charged
    assert store.claim_checkout(mandate, first, _charge(2)) is None  # recurrence 0 is taken
    assert store.find_checkout("R2") is None and store.find_checkout("SUB") == first
    with pytest.raises(KeyConflict):  # a taken token: nothing stored, the claim not made either
        store.claim_checkout(first, replace(first, recurrences=2), _charge(1))
    assert store.find_checkout("SUB") == first
    cancelled = replace(first, subscription_status="CANCELLED")
    assert store.claim_checkout(first, cancelled) == cancelled
    assert store.claim_checkout(first, replace(first, recurrences=2), _charge(3)) is None  # not ACTIVE
    assert store.due_subscriptions(MERCHANT, LATER) == [] and store.find_checkout("R3") is None
    assert store.due_subscriptions(MERCHANT + 1, LATER) == []


def test_a_checkout_is_paid_once_from_pending(store: Store) -> None:
    pending = store.insert_checkout(_checkout("PAY"))
    paid = replace(pending, status="SUCCESSFUL", result_code="CAPTURED")
    assert store.claim_checkout(pending, paid) == paid
    expired = replace(pending, status="FAILED", result_code="NOT CAPTURED")
    assert store.claim_checkout(pending, expired) is None  # read PENDING, but it was paid meanwhile
    assert store.find_checkout("PAY") == paid
    other = replace(paid, merchant_id=MERCHANT + 1)
    assert store.claim_checkout(other, replace(other, status="CANCELLED")) is None  # not its checkout


def test_only_subscriptions_with_a_recurrence_due_are_read_oldest_first(store: Store) -> None:
    store.insert_checkout(_checkout("PLAIN"))
    later = store.insert_checkout(_checkout("LATER", recurring_frequency="1", recurring_installments=2,
                                            recurring_start="2026-01-31"))  # unpaid: not active yet
    store.insert_checkout(_checkout("DEMAND", status="SUCCESSFUL", recurring_frequency="0",  # on demand
                                    recurring_installments=3, subscription_status="ACTIVE"))
    first = _mandate(store, customer_name="nul\x00 and \\ quote\"")  # any text in the document
    assert store.due_subscriptions(MERCHANT, LATER) == [first]
    store.update_checkout(replace(later, subscription_status="ACTIVE"))
    assert [c.token for c in store.due_subscriptions(MERCHANT, LATER)] == ["LATER", "SUB"]
    assert store.due_subscriptions(MERCHANT, "2025-12-31") == []  # SUB bills from 2026-01-01
    assert [c.token for c in store.due_subscriptions(MERCHANT, "2026-01-30")] == ["SUB"]
    assert [c.token for c in store.due_subscriptions(MERCHANT, "2026-01-31")] == ["LATER", "SUB"]
    charged = replace(first, recurrences=1)  # next: 2026-02-01
    assert store.claim_checkout(first, charged, _charge(1)) is not None
    assert [c.token for c in store.due_subscriptions(MERCHANT, "2026-01-31")] == ["LATER"]
    assert store.due_subscriptions(MERCHANT, "2026-02-01") == [store.find_checkout("LATER"), charged]
    store.update_checkout(replace(store.find_checkout("LATER"), recurrences=1))  # next: 2026-02-28
    assert store.due_subscriptions(MERCHANT, "2026-02-27") == [charged]
    assert store.claim_checkout(charged, replace(charged, recurrences=3, subscription_status="COMPLETED"),
                                _charge(2)) is not None
    assert [c.token for c in store.due_subscriptions(MERCHANT, "2026-02-28")] == ["LATER"]
    assert store.due_subscriptions(MERCHANT + 1, LATER) == []
    store.reset(MERCHANT)
    assert store.due_subscriptions(MERCHANT, LATER) == []


def test_writers_racing_for_one_recurrence_charge_it_once(make_store: StoreFactory) -> None:
    """Eight threads, each with its own connection to one database (the memory store: one store),
    claim the same recurrence at once: exactly one charge is stored."""
    first = make_store(name="race")
    mandate = _mandate(first)
    stores = [first] + [make_store(name="race") if not _is_memory(first) else first for _ in range(7)]
    won: list[Checkout] = []

    def claim(store: Store, n: int) -> None:
        charged = store.claim_checkout(mandate, replace(mandate, recurrences=1), _charge(n))
        if charged is not None:
            won.append(charged)

    race(stores, claim)
    assert len(won) == 1
    stored = [c for c in (first.find_checkout(f"R{n}") for n in range(len(stores))) if c is not None]
    assert stored == won and first.find_checkout("SUB") == replace(mandate, recurrences=1)


def _is_memory(store: Store) -> bool:
    return type(store).__name__ == "MemoryStore"


@pytest.mark.parametrize("shared", [False, True])
def test_a_decision_taken_by_a_lost_claim_goes_back_to_the_head(shared: bool, tmp_path: Path) -> None:
    store = SqliteStore(str(tmp_path / "mock.sqlite"))
    try:
        decisions = ChargeDecisions(shared=store if shared else None)
        decline, approve = ChargeDecision("failure", "DECLINED"), ChargeDecision("success")
        decisions.queue(MERCHANT, decline)
        decisions.queue(MERCHANT, approve)
        taken = decisions.take(MERCHANT)
        decisions.give_back(MERCHANT, taken)
        assert decisions.pending(MERCHANT) == [decline, approve]
        assert decisions.take(MERCHANT) == decline and decisions.take(MERCHANT) == approve
        decisions.give_back(MERCHANT, decisions.take(MERCHANT))  # the default approval: nothing queued
        assert decisions.pending(MERCHANT) == []
    finally:
        store.close()


# -- the timer ------------------------------------------------------------------------------------
def _wait(condition: Callable[[], bool], timeout: float = 30) -> bool:
    event = threading.Event()
    for _ in range(int(timeout * 20)):
        if condition():
            return True
        event.wait(0.05)
    return condition()


def test_the_timer_charges_due_recurrences_without_any_read() -> None:
    """A served mock (memory store, one process): the clock moved three months on, and nothing read:
    the recurrences' webhooks reach a real receiver, each once, stamped with its due day."""
    with Receiver() as rx, running_mock() as mock:
        client = HesabeClient(base_url=mock.url)
        control = MockControl(mock.url)
        control.set_clock("2026-01-15T10:00:00+03:00", freeze=True)
        session = client.checkout(0, response_url="https://shop.example/ok", payment_type=15,
                                  subscription=True,
                                  number_of_installments=3, recurring_frequency="1", webhook_url=rx.url,
                                  recurring_start_date="2026-01-15", recurring_amount="4.5")
        control.pay_checkout(session.token)  # the customer's payment: its own webhook
        rx.wait_for(1)
        control.advance(70 * DAY)  # 26 March: the recurrences of 15 Jan, 15 Feb and 15 Mar are due
        rx.wait_for(4)
        recurring = [h.body for h in rx.hits[1:]]
        assert sorted(b["datetime"][:10] for b in recurring) == ["2026-01-15", "2026-02-15", "2026-03-15"]
        assert len({b["token"] for b in recurring}) == 3 and {b["amount"] for b in recurring} == {"4.500"}
        rounds = mock.runtime.timer.rounds
        control.advance(0)  # each move wakes the timer: two more rounds, which find nothing due
        control.advance(0)
        assert _wait(lambda: mock.runtime.timer.rounds >= rounds + 2)
        assert mock.runtime.webhooks.dispatcher.wait_idle(10) and len(rx.hits) == 4
        rows = client.get_transactions_report(nostats=True)["transactions"]["data"]
        assert len(rows) == 3  # the report reads what the timer charged; charges none twice


def test_the_timer_survives_its_errors_and_stops_cleanly() -> None:
    calls: list[int] = []

    def fire() -> None:
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("the store went away")

    async def scenario() -> Timer:
        timer = Timer(fire, interval=60)
        timer.start()
        timer.start()  # once only
        timer.wake()
        while timer.rounds < 1:
            await asyncio.sleep(0)
        timer.wake()  # the error did not end it: a wake still fires
        while timer.rounds < 2:
            await asyncio.sleep(0)
        assert timer.running
        await timer.stop()
        await timer.stop()
        assert not timer.running
        timer.wake()  # stopped: nothing happens
        return timer

    timer = asyncio.run(scenario())
    assert len(calls) == 2 and timer.rounds == 2


def test_a_failure_that_repeats_is_logged_once_then_its_end(caplog: pytest.LogCaptureFixture) -> None:
    """A shared store that is down fails every round: one traceback, not one a round; a different
    failure is told again, and so is the recovery."""
    failures = [RuntimeError("connection refused")] * 30 + [ValueError("bad row")] * 3

    def fire() -> None:
        if failures:
            raise failures.pop(0)

    async def scenario() -> None:
        timer = Timer(fire, interval=60)
        timer.start()
        for n in range(1, 35):
            timer.wake()
            while timer.rounds < n:
                await asyncio.sleep(0)
        await timer.stop()

    with caplog.at_level(logging.WARNING, logger="hesabe_mock.timers"):
        asyncio.run(scenario())
    messages = [r.getMessage() for r in caplog.records]
    assert messages == ["the mock's timer failed; it tries again every 60 s",
                        "the mock's timer failed; it tries again every 60 s",
                        "the mock's timer works again after 33 failed rounds"]
    assert [type(r.exc_info[1]).__name__ for r in caplog.records[:2] if r.exc_info] == ["RuntimeError",
                                                                                          "ValueError"]


def _reopened_at(store: SqliteStore, version: int,
                 set_back: Callable[[sqlite3.Connection], None]) -> SqliteStore:
    """The store's file taken back to schema ``version`` and opened again (which migrates it)."""
    with store._tx() as conn:
        set_back(conn)
        conn.execute(f"PRAGMA user_version = {version}")
    store.close()
    return SqliteStore(store.path)


def test_a_file_from_before_billing_days_bills_its_subscriptions(tmp_path: Path) -> None:
    """Version 10 fills the next billing day of the subscriptions a file already has."""
    path = str(tmp_path / "v9.sqlite")
    store = SqliteStore(path)
    mandate = _mandate(store, recurring_start="2026-03-31", recurrences=1)  # next: 2026-04-30
    ended = store.insert_checkout(_checkout("DONE", status="SUCCESSFUL", recurring_frequency="1",
                                            recurring_installments=2, recurrences=2,
                                            subscription_status="ACTIVE"))  # every installment charged
    store = _reopened_at(store, 9, set_back_to_version_9)
    try:
        assert store.due_subscriptions(MERCHANT, "2026-04-29") == []
        assert store.due_subscriptions(MERCHANT, "2026-04-30") == [mandate]
        assert store.find_checkout("DONE") == ended
    finally:
        store.close()


def test_a_file_from_before_checkout_sources_lists_its_pos_invoices(tmp_path: Path) -> None:
    """Version 11 fills each checkout's source from its document."""
    path = str(tmp_path / "v10.sqlite")
    store = SqliteStore(path)
    page = store.insert_checkout(_checkout("PAGE"))
    pos = store.insert_checkout(_checkout("POS", source="pos", customer_name='"source":"x" \x00'))
    store = _reopened_at(store, 10, set_back_to_version_10)
    try:
        assert store.checkouts_of_merchant(MERCHANT, source="pos") == [pos]
        assert store.checkouts_of_merchant(MERCHANT, source="checkout") == [page]
        later = store.insert_checkout(_checkout("POS-2", source="pos"))
        assert store.checkouts_of_merchant(MERCHANT, source="pos") == [pos, later]
    finally:
        store.close()


@pytest.mark.parametrize(("start", "charged", "day"), [
    ("2026-01-31", 0, "2026-01-31"), ("2026-01-31", 1, "2026-02-28"), ("2028-01-31", 1, "2028-02-29"),
    ("2026-01-31", 2, "2026-03-31"), ("2026-11-30", 3, "2027-02-28"), ("2026-05-15", 2, "2026-07-15"),
    (None, 1, "2026-02-01"),  # no start date: billed from the day it was created
])
def test_the_next_billing_day_keeps_the_start_day_or_the_month_s_last(start: str | None, charged: int,
                                                                       day: str) -> None:
    mandate = _checkout("SUB", status="SUCCESSFUL", recurring_frequency="1", recurring_installments=4,
                        subscription_status="ACTIVE", recurring_start=start, recurrences=charged,
                        created_at="2026-01-01 10:00:00")
    assert mandate.next_billing_day == day


@pytest.mark.parametrize("change", [
    {"recurrences": 4},  # every installment charged
    {"subscription_status": "CANCELLED"}, {"subscription_status": None},  # not (or no longer) active
    {"recurring_frequency": "0"}, {"recurring_frequency": None},  # on demand; not a subscription
])
def test_nothing_is_billed_but_an_active_monthly_subscription_with_installments_left(
        change: dict[str, object]) -> None:
    mandate = _checkout("SUB", status="SUCCESSFUL", recurring_frequency="1", recurring_installments=4,
                        subscription_status="ACTIVE", recurring_start="2026-01-31")
    assert mandate.next_billing_day == "2026-01-31"
    assert replace(mandate, **change).next_billing_day is None  # type: ignore[arg-type]
