"""``logging.getLogger("hesabe")``: timing, retries and renewals are recorded; secrets never are."""

from __future__ import annotations

import logging

import pytest

from hesabe_spec.errors import HesabeTimeoutError, TransportError
from hesabe_spec.sandbox import SANDBOX
from mock_server.testing import MockHandle


def test_exchanges_retries_and_renewals_are_logged_without_secrets(
    hesabe_mock_inprocess: MockHandle, caplog: pytest.LogCaptureFixture
) -> None:
    mock = hesabe_mock_inprocess
    client = mock.client(sleep=lambda _s: None)
    mock.control.add_fault("rate_limit", operation="list_invoices", times=1, retry_after=1)
    with caplog.at_level(logging.DEBUG, logger="hesabe"):
        client.list_invoices()
        token = client.tokens.token
        assert token is not None
        client.tokens.expire(token.access_token)
        client.get_invoice(mock.create_invoice(client)["id"])
    messages = [r.getMessage() for r in caplog.records if r.name.startswith("hesabe")]
    text = "\n".join(messages)
    assert "logging in (no token yet)" in text
    assert "list_invoices: retry 1 of 2 in 1.00 s after HTTP 429 (RateLimitError)" in text
    assert "refreshing the access token" in text
    assert any(m.startswith("list_invoices GET http://") and "/api/v1/invoice-dashboard -> HTTP 200 in " in m
               for m in messages)
    assert "refreshing the access token (expired)" in text
    current = client.tokens.token
    assert current is not None
    secrets = [SANDBOX.secret_key, SANDBOX.iv_key, SANDBOX.password, SANDBOX.access_code,
               token.access_token, current.access_token, "data="]
    assert not [s for s in secrets if s in text]


def test_the_timeout_error_is_also_the_builtin_one() -> None:
    error = HesabeTimeoutError("get_invoice: no answer within 1.0s", operation="get_invoice")
    assert isinstance(error, TimeoutError) and isinstance(error, TransportError)
    with pytest.raises(TimeoutError):
        raise error
