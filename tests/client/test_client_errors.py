"""Every error mapping, and every body shape the client must read."""

from __future__ import annotations

import json

import pytest
import requests
from client_fakes import KEYS, FakeResponse, FakeSession, encrypted, plain

from hesabe_spec.client import HesabeClient
from hesabe_spec.errors import (
    APIError,
    AuthenticationError,
    CryptoError,
    EnvelopeError,
    HesabeError,
    InvalidPaddingError,
    NotFoundError,
    ProtocolError,
    RateLimitError,
    RedirectError,
    ServerError,
    TransportError,
    ValidationError,
)
from hesabe_spec.errors import (
    HesabeTimeoutError as HesabeTimeout,
)
from hesabe_spec.wire import server_json


@pytest.mark.parametrize("style", ["response", "bare"])
def test_reads_response_wrapper_and_bare_hex(style: str, client: HesabeClient, session: FakeSession) -> None:
    session.reply(encrypted({"id": 7}, style=style))
    result = client.get_invoice(7, return_result=True)
    assert result.response == {"id": 7} and result.shape == style


def test_reads_a_json_string_holding_hex(client: HesabeClient, session: FakeSession) -> None:
    hex_text = KEYS.encrypt(server_json({"status": True, "message": "m", "response": [1]}))
    session.reply(FakeResponse(200, json.dumps(hex_text).encode()))
    result = client.get_invoice(7, return_result=True)
    assert result.response == [1] and result.shape == "json-string"


def test_reads_plain_json_success(client: HesabeClient, session: FakeSession) -> None:
    session.reply(plain({"status": True, "message": "m", "response": {"a": 1}}))
    assert client.get_invoice(7) == {"a": 1}


def _raises(
    client: HesabeClient, session: FakeSession, reply: FakeResponse, cls: type[Exception]
) -> Exception:
    session.reply(reply)
    with pytest.raises(cls) as info:
        client.resend_invoice(1, mobile_number="66666666")
    assert isinstance(info.value, HesabeError)
    return info.value


def test_field_errors_from_response_as_the_server_sends_them(
    client: HesabeClient, session: FakeSession
) -> None:
    reply = encrypted(
        {"mobileNumber": ["The mobile number field is required."]},
        status=False,
        message="Validation failed",
        http=422,
    )
    err = _raises(client, session, reply, ValidationError)
    assert isinstance(err, ValidationError)
    assert err.field_errors == {"mobileNumber": ["The mobile number field is required."]}
    assert err.status == 422 and err.operation == "resend_invoice"
    assert err.envelope["message"] == "Validation failed" and err.body == reply.content
    assert "mobileNumber" in str(err) and "resend_invoice" in str(err)


def test_field_errors_tolerated_under_data_and_as_strings(client: HesabeClient, session: FakeSession) -> None:
    reply = plain(
        {"status": False, "message": {"en": "Invalid data", "ar": "بيانات"}, "data": {"amount": "bad"}}
    )
    err = _raises(client, session, reply, ValidationError)
    assert isinstance(err, ValidationError)
    assert err.field_errors == {"amount": ["bad"]} and err.message == "Invalid data" and err.status == 200


def test_code_506_is_a_validation_error(client: HesabeClient, session: FakeSession) -> None:
    err = _raises(
        client,
        session,
        encrypted(None, status=False, message="Invalid Request Data", code=506),
        ValidationError,
    )
    assert isinstance(err, APIError) and err.code == 506 and err.field_errors == {}


@pytest.mark.parametrize(
    ("reply", "cls"),
    [
        (encrypted(None, status=False, message="Invalid Signature."), AuthenticationError),
        (plain({"message": "Unauthenticated."}, http=403), AuthenticationError),
        (encrypted(None, status=False, message="x", code=501), AuthenticationError),
        (
            encrypted(None, status=False, message="Request not found, Please verify the request data"),
            NotFoundError,
        ),
        (plain({"message": "Request not found, Please verify the request data"}), NotFoundError),
        (encrypted(None, status=False, message="Invoice details not found.", http=404), NotFoundError),
        (plain({"message": "Internal server error occurred"}), ServerError),
        (FakeResponse(502, b"<html>Bad gateway</html>"), ServerError),
        (FakeResponse(500, b""), ServerError),
        (encrypted(None, status=False, message="Invoice status update failed"), APIError),
        (plain({"status": False, "message": "nope"}, http=400), ValidationError),
    ],
)
def test_error_mapping(
    reply: FakeResponse, cls: type[Exception], client: HesabeClient, session: FakeSession
) -> None:
    err = _raises(client, session, reply, cls)
    assert type(err) is cls
    assert err.status == reply.status_code  # type: ignore[attr-defined]


def test_rate_limit_carries_retry_after(make_client, session: FakeSession) -> None:  # type: ignore[no-untyped-def]
    client = make_client(max_retry_after=1)
    client.tokens.adopt({"access_token": "t"})
    err = _raises(
        client,
        session,
        plain({"message": "Too Many Attempts."}, http=429, headers={"Retry-After": "30"}),
        RateLimitError,
    )
    assert isinstance(err, RateLimitError) and err.retry_after == 30.0


def test_rate_limit_retry_after_http_date(make_client, session: FakeSession) -> None:  # type: ignore[no-untyped-def]
    client = make_client(max_retries=0)
    client.tokens.adopt({"access_token": "t"})
    reply = plain({}, http=429, headers={"retry-after": "Wed, 21 Oct 2015 07:28:00 GMT"})
    err = _raises(client, session, reply, RateLimitError)
    assert isinstance(err, RateLimitError) and err.retry_after == 0.0


def test_redirect_is_never_followed(client: HesabeClient, session: FakeSession) -> None:
    err = _raises(
        client, session, FakeResponse(301, b"", {"Location": "https://elsewhere/api"}), RedirectError
    )
    assert isinstance(err, RedirectError) and err.location == "https://elsewhere/api"
    assert "https://elsewhere/api" in str(err) and err.status == 301
    assert len(session.sent) == 1 and session.sent[0].allow_redirects is False


@pytest.mark.parametrize(
    ("body", "cls"),
    [
        (b"zz-not-json", EnvelopeError),
        (b"abcd", CryptoError),  # hex, but not whole AES blocks
        (b'{"response":"' + b"00" * 32 + b'"}', InvalidPaddingError),
    ],
)
def test_undecodable_success_is_a_protocol_error(
    body: bytes, cls: type[Exception], client: HesabeClient, session: FakeSession
) -> None:
    err = _raises(client, session, FakeResponse(200, body), cls)
    assert isinstance(err, ProtocolError)
    assert err.body == body and err.status == 200 and err.operation == "resend_invoice"


def test_raise_errors_false_returns_the_error_on_the_result(
    client: HesabeClient, session: FakeSession
) -> None:
    session.reply(encrypted(None, status=False, message="Invalid Signature."), FakeResponse(200, b"zz"))
    result = client.call("get_invoice", path_params={"id": 1}, raise_errors=False)
    assert not result.ok and isinstance(result.error, AuthenticationError)
    assert result.message == "Invalid Signature."
    result = client.call("get_invoice", path_params={"id": 1}, raise_errors=False)
    assert isinstance(result.error, EnvelopeError) and result.envelope is None


@pytest.mark.parametrize(
    ("exc", "cls"),
    [
        (requests.exceptions.ConnectTimeout("slow"), HesabeTimeout),
        (requests.exceptions.ReadTimeout("slow"), HesabeTimeout),
        (requests.exceptions.ConnectionError("refused"), TransportError),
        (ConnectionResetError("reset"), TransportError),
    ],
)
def test_transport_failures(
    exc: Exception, cls: type[Exception], client: HesabeClient, session: FakeSession
) -> None:
    session.reply(exc)
    with pytest.raises(cls) as info:
        client.cancel_invoice("tok")
    assert isinstance(info.value, TransportError)
    assert info.value.operation == "cancel_invoice"
    assert len(session.sent) == 1  # a cancel is never replayed
