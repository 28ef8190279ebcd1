"""Retry rules: reads retry with capped backoff, money-moving calls are never replayed."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import requests
from client_fakes import FakeResponse, FakeSession, encrypted, plain

from hesabe_spec.client import HesabeClient
from hesabe_spec.errors import RateLimitError, ServerError, TransportError

MakeClient = Callable[..., HesabeClient]

READS: list[Callable[[HesabeClient], Any]] = [
    lambda c: c.list_invoices(),
    lambda c: c.get_invoice(1),
    lambda c: c.list_open_invoices(),
    lambda c: c.get_open_invoice(1),
    lambda c: c.list_bulk_invoices(),
    lambda c: c.get_transaction("ORD-1", return_result=True).response,
]
#: every operation that creates, sends, cancels, changes or deletes something
WRITES: list[Callable[[HesabeClient], Any]] = [
    lambda c: c.create_invoice(amount=1),
    lambda c: c.create_subscription_invoice(amount=1),
    lambda c: c.create_split_invoice([{"amount": 1}]),
    lambda c: c.create_installment_invoice([{"amount": 1}]),
    lambda c: c.resend_invoice(1, mobile_number="66666666"),
    lambda c: c.send_bulk_invoices([1]),
    lambda c: c.cancel_invoice("t"),
    lambda c: c.create_open_invoice(title="t"),
    lambda c: c.update_open_invoice(1, expiry_date="2026-01-01"),
    lambda c: c.cancel_open_invoice(1),
    lambda c: c.upload_bulk_invoices(b"x"),
    lambda c: c.update_bulk_invoice(1, amount=1),
    lambda c: c.delete_bulk_invoice(1),
    lambda c: c.checkout(1, response_url="https://shop.example/ok"),
    lambda c: c.capture("8422171", 1),
    lambda c: c.void("8422171"),
]


def _authed(make_client: MakeClient, **kwargs: Any) -> HesabeClient:
    client = make_client(**kwargs)
    client.tokens.adopt({"access_token": "t", "refresh_token": "r"})
    return client


@pytest.mark.parametrize("call", READS)
def test_reads_retry_5xx_and_transport_failures_with_backoff(
    call: Callable[[HesabeClient], Any], client: HesabeClient, session: FakeSession, sleeps: list[float]
) -> None:
    session.reply(
        FakeResponse(503, b"busy"), requests.exceptions.ConnectionError("reset"), encrypted({"x": 1})
    )
    assert call(client) == {"x": 1}
    assert len(session.sent) == 3
    assert sleeps == [0.5, 1.0]


def test_read_retries_are_capped(make_client: MakeClient, session: FakeSession, sleeps: list[float]) -> None:
    client = _authed(make_client, max_retries=5, backoff=1, max_backoff=3)
    session.reply(*[FakeResponse(500, b"")] * 6)
    with pytest.raises(ServerError):
        client.get_invoice(1)
    assert len(session.sent) == 6
    assert sleeps == [1, 2, 3, 3, 3]


def test_transport_failure_on_reads_raises_after_the_last_try(
    client: HesabeClient, session: FakeSession, sleeps: list[float]
) -> None:
    session.reply(*[requests.exceptions.ConnectionError("down")] * 3)
    with pytest.raises(TransportError):
        client.get_invoice(1)
    assert len(session.sent) == 3


@pytest.mark.parametrize("call", WRITES)
@pytest.mark.parametrize(
    "failure",
    [
        FakeResponse(500, b""),
        FakeResponse(503, b"busy"),
        requests.exceptions.ReadTimeout("slow"),
        requests.exceptions.ConnectionError("reset"),
        plain({"message": "Too Many Attempts."}, http=429),  # no Retry-After: outcome unclear, not retried
    ],
)
def test_money_moving_calls_are_never_replayed(
    call: Callable[[HesabeClient], Any],
    failure: FakeResponse | Exception,
    client: HesabeClient,
    session: FakeSession,
    sleeps: list[float],
) -> None:
    session.reply(failure)
    with pytest.raises((ServerError, TransportError, RateLimitError)):
        call(client)
    assert len(session.sent) == 1
    assert sleeps == []


def test_429_with_retry_after_is_retried_for_writes_too(
    client: HesabeClient, session: FakeSession, sleeps: list[float]
) -> None:
    session.reply(plain({}, http=429, headers={"Retry-After": "2"}), encrypted({"id": 5}))
    assert client.create_invoice(amount=1) == {"id": 5}
    assert sleeps == [2.0] and len(session.sent) == 2


def test_429_retry_after_too_long_is_not_waited_for(
    make_client: MakeClient, session: FakeSession, sleeps: list[float]
) -> None:
    client = _authed(make_client, max_retry_after=10)
    session.reply(plain({}, http=429, headers={"Retry-After": "120"}))
    with pytest.raises(RateLimitError) as info:
        client.get_invoice(1)
    assert info.value.retry_after == 120 and sleeps == []


def test_429_without_retry_after_on_a_read_uses_backoff(
    client: HesabeClient, session: FakeSession, sleeps: list[float]
) -> None:
    session.reply(plain({}, http=429), encrypted([]))
    assert client.list_open_invoices() == []
    assert sleeps == [0.5]


def test_validation_and_not_found_are_not_retried(
    client: HesabeClient, session: FakeSession, sleeps: list[float]
) -> None:
    session.reply(encrypted(None, status=False, message="Invoice details not found.", http=404))
    with pytest.raises(Exception, match="not found"):
        client.get_invoice(1)
    assert len(session.sent) == 1 and sleeps == []


def test_attempts_are_reported(client: HesabeClient, session: FakeSession) -> None:
    session.reply(FakeResponse(502, b""), encrypted({}))
    assert client.call("get_invoice", path_params={"id": 1}).attempts == 2
