"""The reference client's retry and error handling against the mock's fault rules (real HTTP)."""

from __future__ import annotations

from typing import Any

import pytest

from hesabe_spec.client import HesabeClient
from hesabe_spec.errors import AuthenticationError, CryptoError, RateLimitError, ServerError, TransportError
from mock_server.testing import MockHandle

pytest_plugins = ["mock_server.testing"]


@pytest.fixture
def sleeps() -> list[float]:
    return []


@pytest.fixture
def client(hesabe_mock: MockHandle, sleeps: list[float]) -> HesabeClient:
    return hesabe_mock.client(sleep=sleeps.append, max_retries=2)


@pytest.fixture
def invoice(hesabe_mock: MockHandle, client: HesabeClient) -> dict[str, Any]:
    created = hesabe_mock.create_invoice(client)
    hesabe_mock.control.clear_journal()
    return created


def _trail(mock: MockHandle) -> list[tuple[str, int | None, str | None]]:
    return [(e["operation"], e["status"], e["fault"]) for e in mock.control.journal()]


def test_rate_limit_with_retry_after_is_waited_for_and_retried(
        hesabe_mock: MockHandle, client: HesabeClient, invoice: dict[str, Any], sleeps: list[float]) -> None:
    hesabe_mock.control.add_fault("rate_limit", operation="get_invoice", times=1, retry_after=3)
    assert client.get_invoice(invoice["id"])["id"] == invoice["id"]
    assert sleeps == [3.0]
    assert _trail(hesabe_mock) == [("get_invoice", 429, "rate_limit"), ("get_invoice", 200, None)]


def test_rate_limit_without_retry_after_retries_a_read_but_never_a_create(
        hesabe_mock: MockHandle, client: HesabeClient, invoice: dict[str, Any], sleeps: list[float]) -> None:
    for operation in ("get_invoice", "create_invoice"):
        hesabe_mock.control.add_fault("rate_limit", operation=operation, times=1, retry_after=None)
    assert client.get_invoice(invoice["id"])["id"] == invoice["id"]  # a read: retried after a backoff
    assert len(sleeps) == 1
    with pytest.raises(RateLimitError) as caught:
        hesabe_mock.create_invoice(client)
    assert caught.value.retry_after is None and len(sleeps) == 1  # a create: not repeated
    assert _trail(hesabe_mock) == [("get_invoice", 429, "rate_limit"), ("get_invoice", 200, None),
                                   ("create_invoice", 429, "rate_limit")]


def test_server_error_retries_reads_then_raises_server_error(
        hesabe_mock: MockHandle, client: HesabeClient, invoice: dict[str, Any], sleeps: list[float]) -> None:
    hesabe_mock.control.add_fault("error_500", operation="get_invoice")
    with pytest.raises(ServerError) as caught:
        client.get_invoice(invoice["id"])
    assert caught.value.status == 500
    assert len(sleeps) == 2 and len(hesabe_mock.control.journal(operation="get_invoice")) == 3


def test_server_error_on_a_write_is_not_retried(hesabe_mock: MockHandle, client: HesabeClient,
                                                invoice: dict[str, Any], sleeps: list[float]) -> None:
    hesabe_mock.control.add_fault("error_500", operation="create_invoice")
    with pytest.raises(ServerError):
        hesabe_mock.create_invoice(client)
    assert sleeps == [] and len(hesabe_mock.control.journal(operation="create_invoice")) == 1


def test_dropped_connection_is_a_transport_error_retried_only_for_reads(
        hesabe_mock: MockHandle, client: HesabeClient, invoice: dict[str, Any]) -> None:
    control = hesabe_mock.control
    control.add_fault("drop_connection", operation="get_invoice", times=1)
    assert client.get_invoice(invoice["id"])["id"] == invoice["id"]
    control.add_fault("drop_connection", operation="create_invoice", times=1)
    with pytest.raises(TransportError):
        hesabe_mock.create_invoice(client)
    assert _trail(hesabe_mock) == [("get_invoice", None, "drop_connection"), ("get_invoice", 200, None),
                                   ("create_invoice", None, "drop_connection")]


def test_malformed_ciphertext_is_a_crypto_error(hesabe_mock: MockHandle, client: HesabeClient,
                                                invoice: dict[str, Any]) -> None:
    hesabe_mock.control.add_fault("malformed_ciphertext", operation="get_invoice")
    with pytest.raises(CryptoError):
        client.get_invoice(invoice["id"])


def test_sixteen_byte_padding_still_decrypts(hesabe_mock: MockHandle, client: HesabeClient,
                                             invoice: dict[str, Any]) -> None:
    expected = client.get_invoice(invoice["id"])
    hesabe_mock.control.add_fault("padding_16", operation="*")
    assert client.get_invoice(invoice["id"]) == expected
    assert client.list_invoices()["stats"]["total_invoice_count"] == 1


def test_expired_token_relogs_in_and_replays_reads(hesabe_mock: MockHandle, client: HesabeClient,
                                                   invoice: dict[str, Any]) -> None:
    hesabe_mock.control.add_fault("expired_token", operation="get_invoice", times=1)
    assert client.get_invoice(invoice["id"])["id"] == invoice["id"]
    trail = _trail(hesabe_mock)
    assert trail[0] == ("get_invoice", 401, "expired_token") and trail[-1] == ("get_invoice", 200, None)
    assert [op for op, _s, _f in trail[1:-1]] in (["login"], ["refresh_token"])


def test_expired_token_on_a_write_renews_it_and_sends_the_write_once_more(
        hesabe_mock: MockHandle, client: HesabeClient, invoice: dict[str, Any]) -> None:
    hesabe_mock.control.add_fault("expired_token", operation="create_invoice", times=1)
    assert hesabe_mock.create_invoice(client)["id"] > invoice["id"]
    creates = hesabe_mock.control.journal(operation="create_invoice")
    assert [e["status"] for e in creates[-2:]] == [401, 200]
    assert client.list_invoices()["stats"]["total_invoice_count"] == 2  # the refused write stored nothing
    hesabe_mock.control.add_fault("expired_token", operation="create_invoice", times=2)
    with pytest.raises(AuthenticationError):  # refused again after the renewal: the caller's
        hesabe_mock.create_invoice(client)
