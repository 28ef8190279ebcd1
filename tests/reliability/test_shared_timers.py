"""Every timer fires once across the processes of one mock, with real processes: ``hesabe-mock
--workers 2`` on a SQLite file, and two hosts (one of them with two workers) on one PostgreSQL.

A monthly subscription is paid on the hosted page (its form POST), the clock is moved months
ahead, and clients read the payments through every process at once while the processes' timers
charge what fell due: each recurrence is one checkout (enquiry), one report row and one webhook at
a real loopback receiver. Then the clock is moved again and nothing reads: the timers charge the
last recurrence by themselves. Conditions are waited on, never slept for.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import pytest
import requests
from support.mock_process import mock_process
from support.receiver import Receiver

from hesabe_spec.client import HesabeClient
from mock_server.control import MockControl
from mock_server.state.cards import prefill

DAY = 86400
ORDER = "SUB-SHARED"
#: the recurrences' days: the start day (charged as soon as the subscription is paid), then monthly
DUE = [f"2026-{month:02}-15" for month in range(1, 13)]


@contextmanager
def _sqlite_workers(tmp_path: Path) -> Iterator[list[str]]:
    with mock_process("--workers", "2", "--db", str(tmp_path / "mock.sqlite")) as mock:
        yield [mock.url]


@contextmanager
def _postgres_hosts(tmp_path: Path) -> Iterator[list[str]]:
    from support.postgres import schema_url

    db = schema_url(str(tmp_path))
    with mock_process("--workers", "2", "--db", db) as one, mock_process("--db", db) as two:
        yield [one.url, two.url]


@pytest.fixture(params=["sqlite-workers", "postgres-hosts"])
def urls(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[list[str]]:
    """The base URLs of one mock served by several processes."""
    if request.param == "postgres-hosts":
        request.getfixturevalue("postgres_url")
        with _postgres_hosts(tmp_path) as found:
            yield found
    else:
        with _sqlite_workers(tmp_path) as found:
            yield found


def _pay_on_the_page(payment_url: str) -> None:
    card = prefill(15)
    assert card is not None
    form = {"action": "pay", "payment_type": "15", "card_number": card.number,
            "expiry": card.expiry or "12/30", "cvv": card.cvv}
    answer = requests.post(payment_url, data=form, allow_redirects=False, timeout=10)
    assert answer.status_code == 302, answer.text[:300]


def _read_until(client: HesabeClient, charges: int, start: threading.Barrier, seen: list[tuple[int, int]],
                errors: list[str]) -> None:
    """One customer service agent, logged in already, reading the report and the enquiry the moment
    the clock moves (racing the timers), until it sees ``charges`` charges; what it saw last."""
    try:
        start.wait(30)
        for _ in range(200):
            rows = client.get_transactions_report(nostats=True)["transactions"]["data"]
            attempts = client.get_transaction(ORDER, by_order_reference=True).attempts
            if len(rows) >= charges:
                break
        seen.append((len(rows), len(attempts)))
    except Exception as exc:  # reported by the test
        errors.append(repr(exc))


def test_each_recurrence_is_charged_once_whoever_reads_or_ticks(urls: list[str]) -> None:
    with Receiver() as rx, ExitStack() as stack:
        client = stack.enter_context(HesabeClient(base_url=urls[0]))
        control = MockControl(urls[-1])
        control.set_clock("2026-01-15T10:00:00+03:00", freeze=True)
        session = client.checkout(0, response_url="https://shop.example/ok", payment_type=15,
                                  subscription=True,
                                  number_of_installments=len(DUE), recurring_frequency="1",
                                  webhook_url=rx.url,
                                  recurring_start_date=DUE[0], recurring_amount="7.25",
                                  order_reference_number=ORDER)
        _pay_on_the_page(session.payment_url)
        agents = [stack.enter_context(HesabeClient(base_url=urls[n % len(urls)])) for n in range(6)]
        for agent in agents:  # logged in, each on a connection of its own (the kernel spreads them)
            agent.list_invoices()
        seen: list[tuple[int, int]] = []
        errors: list[str] = []
        start = threading.Barrier(len(agents) + 1)
        readers = [threading.Thread(target=_read_until, args=(agent, 11, start, seen, errors))
                   for agent in agents]
        for reader in readers:
            reader.start()
        start.wait(30)
        control.advance(307 * DAY)  # 18 November: eleven recurrences are due, the readers and timers race
        for reader in readers:
            reader.join(60)
        assert not errors, errors[:2]
        assert seen == [(11, 12)] * len(readers)  # every reader, on any process: 11 charges + the mandate

        control.advance(30 * DAY)  # 18 December: the last recurrence, and nobody reads
        hits = rx.wait_for(1 + len(DUE), timeout=60)  # the timers charged it: its webhook came
        recurring = [h.body for h in hits[1:]]
        assert sorted(b["datetime"][:10] for b in recurring) == DUE
        assert len({b["token"] for b in recurring}) == len(DUE)
        assert {b["amount"] for b in recurring} == {"7.250"}

        for url in urls:  # the same four, once each, through every process
            with HesabeClient(base_url=url) as reader:
                attempts = reader.get_transaction(ORDER, by_order_reference=True).attempts
                assert sorted(a.token for a in attempts[1:]) == sorted(b["token"] for b in recurring)
                rows = reader.get_transactions_report(nostats=True)["transactions"]["data"]
                assert sorted(r["datetime"][:10] for r in rows) == DUE
        log = control.request("GET", "/webhooks")["deliveries"]
        assert sorted(d["payload"]["token"] for d in log if d["payload"]["token"] != session.token) == sorted(
            b["token"] for b in recurring)  # one delivery each, whichever process made it
        assert len(rx.hits) == 1 + len(DUE)
