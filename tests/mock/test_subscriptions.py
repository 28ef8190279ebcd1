"""Subscriptions on the mock clock, saved-card charges and the control plane's decisions, on every
store: a monthly subscription bills each month as the clock passes it, a queued decline takes
exactly the next off-session charge, cancel stops the billing, and every recurrence is a payment
of the one ledger (report, enquiry, refund)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest

from hesabe_spec.client import ASGITransport, HesabeClient
from hesabe_spec.errors import APIError, TransactionError
from mock_server.app import create_app
from mock_server.clock import KUWAIT
from mock_server.control import MockControl
from mock_server.control.client import MockControlError
from mock_server.state.decisions import APPROVE, ChargeDecision, ChargeDecisions
from mock_server.state.sqlite import SqliteStore
from mock_server.state.store import Store

DAY = 86400
OK = "https://shop.example/ok"


@pytest.fixture
def world(store: Store) -> Iterator[tuple[HesabeClient, MockControl]]:
    with ASGITransport(create_app(store=store)) as transport:
        control = MockControl("http://mock", session=transport)
        control.set_clock("2026-01-31T10:00:00+03:00", freeze=True)  # a month end: February clamps
        yield HesabeClient(base_url="http://mock", transport=transport), control


def _report(client: HesabeClient) -> list[tuple[str, str, str]]:
    rows = client.get_transactions_report(nostats=True)["transactions"]["data"]
    return sorted((r["datetime"][:10], r["source"], r["status"]) for r in rows)


def test_a_monthly_subscription_bills_on_the_clock_and_a_decline_takes_one_recurrence(
        world: tuple[HesabeClient, MockControl]) -> None:
    client, control = world
    session = client.checkout(0, response_url=OK, payment_type=15, subscription=True,
                              number_of_installments=4, recurring_frequency="1",
                              recurring_start_date="2026-01-31", recurring_amount="9.5",
                              order_reference_number="SUB-M")
    assert _report(client) == []  # nothing is billed before the customer pays
    control.pay_checkout(session.token)
    assert _report(client) == [("2026-01-31", "subscription", "SUCCESSFUL")]
    control.advance(28 * DAY)  # 28 Feb: the 31st clamped to the month's last day
    control.decide_next_charge("failure", result_code="DECLINED")
    assert _report(client) == [("2026-01-31", "subscription", "SUCCESSFUL")]
    attempts = client.get_transaction("SUB-M", by_order_reference=True).attempts
    assert [(a.status, str(a.amount)) for a in attempts] == [
        ("SUCCESSFUL", "0.000"), ("SUCCESSFUL", "9.500"), ("FAILED", "9.500")]
    # each recurrence's token carries the instant of its datetime (§4.5): the first, due on the day
    # the customer signed up (10:00), at the sign-up, not at that day's start; the next at 28 Feb's
    records = client.get_transaction("SUB-M", by_order_reference=True).envelope["results"]
    stamps = [r["datetime"] for r in records[1:]]
    assert stamps == ["2026-01-31 10:00:00", "2026-02-28 00:00:00"]
    for record in records[1:]:
        moment = datetime.strptime(record["datetime"], "%Y-%m-%d %H:%M:%S").replace(tzinfo=KUWAIT)
        assert record["token"][len("842217"):][:10] == str(int(moment.timestamp())), record
    assert control.request("GET", "/charges")["queued"] == []  # the decline was taken once
    control.advance(31 * DAY)
    assert _report(client)[-1] == ("2026-03-31", "subscription", "SUCCESSFUL")
    client.cancel_subscription(session.token)
    control.advance(90 * DAY)
    assert len(_report(client)) == 2  # cancelled: April is never billed
    with pytest.raises(APIError) as refused:
        client.cancel_subscription(session.token)
    assert refused.value.message == "Invalid Request"
    # a recurrence is a payment like any other: refunded in full, it reads REFUNDED everywhere
    first = attempts[1].token
    control.approve_refund(client.create_refund(first)["id"])
    assert client.get_transaction(first).transaction.status == "REFUNDED"
    assert ("2026-01-31", "subscription", "REFUNDED") in _report(client)


def test_on_demand_capture_until_the_installments_run_out(world: tuple[HesabeClient, MockControl]) -> None:
    client, control = world
    session = client.checkout(0, response_url=OK, payment_type=15, subscription=True,
                              number_of_installments=2, recurring_frequency="0",
                              recurring_start_date="2026-02-01", recurring_amount=3)
    with pytest.raises(APIError) as unpaid:
        client.capture_subscription(session.token, 3)  # not paid yet: no subscription to capture from
    assert unpaid.value.message == "Subscription Not Found"
    control.pay_checkout(session.token)
    control.decide_next_charge("failure")
    with pytest.raises(TransactionError):
        client.capture_subscription(session.token, 3)  # declined on the control plane's word
    assert client.capture_subscription(session.token, "2.5").amount == 2.5  # the second, the last
    with pytest.raises(TransactionError):
        client.capture_subscription(session.token, 3)  # COMPLETED
    control.advance(400 * DAY)
    assert [r[1:] for r in _report(client)] == [("subscription", "SUCCESSFUL")]


def test_saved_card_charges_take_queued_decisions_in_order(world: tuple[HesabeClient, MockControl]) -> None:
    client, control = world
    customer = client.create_card_customer("Sara", "sara@example.com", "+96566666666", customer_id="u-1")
    assert customer["customer_id"] == "u-1"
    verify = client.checkout(0, response_url=OK, payment_type=2, save_card=True, customer_id=customer["id"])
    control.pay_checkout(verify.token)
    (card,) = client.list_saved_cards(customer["id"])
    control.decide_next_charge("failure", result_code="EXPIRED_CARD")
    control.decide_next_charge("success")
    outcomes = [client.charge_saved_card(card["card_id"], 1) for _ in range(3)]
    assert [(c.paid, c.result_code) for c in outcomes] == [
        (False, "EXPIRED_CARD"), (True, "CAPTURED"), (True, "CAPTURED")]
    other = client.create_card_customer("Ali", "ali@example.com", "66666667")
    with pytest.raises(APIError) as refused:  # the card is not this customer's
        client.charge_saved_card(card["card_id"], 1, customer_id=other["id"])
    assert refused.value.field_errors == {"card_id": ["The card does not belong to this customer."]}
    with pytest.raises(MockControlError) as bad:
        control.decide_next_charge("failure", result_code="CAPTURED")  # a success code for a decline
    assert bad.value.status == 400
    assert len(_report(client)) == 2


def test_decisions_are_shared_by_the_processes_of_one_mock(tmp_path: Path) -> None:
    """Two processes of one mock (two connections to one SQLite file): a decision queued through
    one is taken exactly once, by whichever answers the next charge, in order."""
    first, second = SqliteStore(str(tmp_path / "mock.sqlite")), SqliteStore(str(tmp_path / "mock.sqlite"))
    try:
        here, there = ChargeDecisions(shared=first), ChargeDecisions(shared=second)
        assert here.queue(7, ChargeDecision("failure", "DECLINED")) == 1
        assert there.queue(7, ChargeDecision("success")) == 2
        assert here.pending(7) == there.pending(7) == [ChargeDecision("failure", "DECLINED"),
                                                        ChargeDecision("success")]
        assert there.take(7) == ChargeDecision("failure", "DECLINED")
        assert here.take(7) == ChargeDecision("success")
        assert here.take(7) == there.take(7) == APPROVE and there.pending(8) == []
        here.queue(8, ChargeDecision("failure"))
        there.forget(8)
        assert here.pending(8) == []
    finally:
        first.close()
        second.close()
