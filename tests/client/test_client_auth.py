"""Token lifecycle: login on first use, refresh ahead of expiry, re-login fallback, 401 replay."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

import pytest
import requests
from client_fakes import FakeClock, FakeResponse, FakeSession, Sent, encrypted, plain, token_reply

from hesabe_spec.client import HesabeClient
from hesabe_spec.client.tokens import Token, TokenManager, parse_token
from hesabe_spec.errors import (
    AuthenticationError,
    EnvelopeError,
    HesabeError,
    InvalidCredentialsError,
    NotFoundError,
    ProtocolError,
)

MakeClient = Callable[..., HesabeClient]


def _paths(session: FakeSession) -> list[str]:
    return [s.path for s in session.sent]


def test_logs_in_on_first_use_with_configured_credentials(
    make_client: MakeClient, session: FakeSession
) -> None:
    client = make_client(username="merchant", password="pw")
    session.reply(token_reply("a1"), encrypted({}))
    client.get_invoice(1)
    assert _paths(session) == ["/api/v1/login", "/api/v1/invoice/1"]
    assert session.sent[0].payload() == {"username": "merchant", "password": "pw"}
    assert session.sent[1].headers["Authorization"] == "Bearer a1"


def test_reuses_the_token_then_refreshes_60s_before_expiry(
    make_client: MakeClient, session: FakeSession, clock: FakeClock
) -> None:
    client = make_client()
    session.reply(
        token_reply("a1", "r1"), encrypted({}), encrypted({}), token_reply("a2", "r2"), encrypted({})
    )
    client.get_invoice(1)
    clock.now += 900 - 61
    client.get_invoice(1)  # still 61 s left: same token
    clock.now += 2
    client.get_invoice(1)  # 59 s left: refresh first
    assert _paths(session) == [
        "/api/v1/login",
        "/api/v1/invoice/1",
        "/api/v1/invoice/1",
        "/api/v1/token-refresh",
        "/api/v1/invoice/1",
    ]
    assert session.sent[3].payload() == {"refreshToken": "r1"}
    assert "accessCode" not in session.sent[3].headers
    assert session.sent[4].headers["Authorization"] == "Bearer a2"


def test_failed_refresh_falls_back_to_login(
    make_client: MakeClient, session: FakeSession, clock: FakeClock
) -> None:
    client = make_client()
    session.reply(
        token_reply("a1", "r1"),
        encrypted({}),
        plain({"status": False, "message": "Not found, Please verify the token credentials"}, http=404),
        token_reply("a2", "r2"),
        encrypted({}),
    )
    client.get_invoice(1)
    clock.now += 10_000
    client.get_invoice(1)
    assert _paths(session)[2:] == ["/api/v1/token-refresh", "/api/v1/login", "/api/v1/invoice/1"]
    assert session.sent[-1].headers["Authorization"] == "Bearer a2"


def test_expires_in_missing_or_string(
    make_client: MakeClient, session: FakeSession, clock: FakeClock
) -> None:
    assert parse_token({"response": {"token": {"access_token": "a"}}}, 0).expires_in == 900
    assert parse_token({"response": {"access_token": "a", "expires_in": "120"}}, 0).expires_in == 120
    assert parse_token({"access_token": "a", "expires_in": "soon"}, 0).expires_in == 900
    with pytest.raises(EnvelopeError):
        parse_token({"status": True, "response": None}, 0)


def test_login_failure_is_an_authentication_error(make_client: MakeClient, session: FakeSession) -> None:
    client = make_client()
    session.reply(plain({"status": False, "message": "Invalid Signature.", "response": None}))
    with pytest.raises(AuthenticationError) as info:
        client.list_invoices()
    assert info.value.operation == "login"
    assert len(session.sent) == 1


def test_explicit_login_and_refresh_keep_the_token(make_client: MakeClient, session: FakeSession) -> None:
    client = make_client()
    session.reply(token_reply("a1", "r1"), token_reply("a2", "r2"), encrypted({}))
    assert client.login()["token"]["access_token"] == "a1"
    assert client.refresh_token()["token"]["refresh_token"] == "r2"
    client.get_invoice(1)
    assert session.sent[1].payload() == {"refreshToken": "r1"}
    assert session.sent[2].headers["Authorization"] == "Bearer a2"


def test_401_on_a_read_reauthenticates_once_and_replays(client: HesabeClient, session: FakeSession) -> None:
    session.reply(
        plain({"message": "Unauthenticated."}, http=401), token_reply("a9", "r9"), encrypted({"ok": 1})
    )
    assert client.list_invoices() == {"ok": 1}
    assert _paths(session) == [
        "/api/v1/invoice-dashboard",
        "/api/v1/token-refresh",
        "/api/v1/invoice-dashboard",
    ]
    assert session.sent[2].headers["Authorization"] == "Bearer a9"


def test_a_second_401_on_a_read_is_raised(client: HesabeClient, session: FakeSession) -> None:
    unauth = plain({"message": "Unauthenticated."}, http=401)
    session.reply(unauth, token_reply("a9", "r9"), unauth)
    with pytest.raises(AuthenticationError):
        client.get_invoice(1)
    assert len(session.sent) == 3


@pytest.mark.parametrize(
    "call",
    [
        lambda c: c.create_invoice(amount=1),
        lambda c: c.resend_invoice(1, mobile_number="1"),
        lambda c: c.send_bulk_invoices([1]),
        lambda c: c.cancel_invoice("t"),
        lambda c: c.cancel_open_invoice(1),
    ],
)
def test_401_on_a_write_is_sent_once_more_with_a_renewed_token(
    call: Callable[[HesabeClient], object], client: HesabeClient, session: FakeSession
) -> None:
    """Hesabe refuses a bearer before it does anything: the write did not happen, so it goes again
    (once) with a renewed token; a second 401 is the caller's."""
    session.reply(plain({"message": "Unauthenticated."}, http=401), token_reply("a2", "r2"), encrypted({}))
    call(client)
    first, renewal, again = session.sent[-3:]
    assert renewal.path == "/api/v1/token-refresh" and again.path == first.path
    assert again.headers["Authorization"] == "Bearer a2" != first.headers["Authorization"]
    session.reply(plain({"message": "Unauthenticated."}, http=401), token_reply("a3", "r3"),
                  plain({"message": "Unauthenticated."}, http=401))
    with pytest.raises(AuthenticationError):
        call(client)
    assert [s.path for s in session.sent[-3:]] == [first.path, "/api/v1/token-refresh", first.path]


def test_one_login_at_a_time_under_threads(make_client: MakeClient, session: FakeSession) -> None:
    client = make_client()
    logins = 0
    gate = threading.Lock()

    def answer(sent: Sent) -> FakeResponse:
        nonlocal logins
        if sent.path == "/api/v1/login":
            with gate:
                logins += 1
            time.sleep(0.05)  # a slow login: the other threads must wait for it, not start their own
            return token_reply("shared")
        return encrypted({})

    session.reply(*([answer] * 9))
    threads = [threading.Thread(target=client.get_invoice, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert logins == 1
    assert {s.headers.get("Authorization") for s in session.api_calls} == {"Bearer shared"}


def test_reauthenticate_skips_when_another_thread_already_renewed(clock: FakeClock) -> None:
    calls: list[str] = []

    def login() -> dict[str, str]:
        calls.append("login")
        return {"access_token": f"t{len(calls)}"}

    manager = TokenManager(login, lambda r: calls.append("refresh"), clock=clock)
    first = manager.bearer()
    second = manager.reauthenticate(first)
    assert manager.reauthenticate(first) == second  # stale token reported twice: one renewal
    assert calls == ["login", "login"]


def test_refresh_transport_failure_falls_back_to_login(clock: FakeClock) -> None:
    def refresh(token: str) -> object:
        raise HesabeError("down")

    manager = TokenManager(lambda: {"access_token": "fresh", "refresh_token": "r"}, refresh, clock=clock)
    manager.adopt({"access_token": "old", "refresh_token": "r0", "expires_in": 1})
    clock.now += 1
    assert manager.bearer() == "fresh"


@pytest.mark.parametrize(("ttl", "used_until"), [(900, 840), (240, 180), (120, 90), (60, 45), (8, 6)])
def test_a_token_is_renewed_60_s_or_a_quarter_of_its_life_before_it_expires(
        clock: FakeClock, ttl: int, used_until: int) -> None:
    logins: list[float] = []

    def login() -> object:
        logins.append(clock.now)
        return {"access_token": f"t{len(logins)}", "refresh_token": None, "expires_in": ttl}

    manager = TokenManager(login, lambda _r: None, clock=clock)
    start = clock.now
    assert manager.bearer() == "t1"
    clock.now = start + used_until - 0.01
    assert manager.bearer() == "t1"
    clock.now = start + used_until
    assert manager.bearer() == "t2" and logins == [start, start + used_until]


def test_adopt_takes_what_client_login_returns(clock: FakeClock) -> None:
    manager = TokenManager(lambda: None, lambda _r: None, clock=clock)
    manager.adopt({"token": {"access_token": "shared", "refresh_token": "r", "expires_in": "900"}})
    assert manager.bearer() == "shared"


def test_token_repr_hides_secrets() -> None:
    token = Token("access-secret", "refresh-secret", expires_in=900, obtained_at=0)
    manager = TokenManager(lambda: None, lambda r: None)
    manager.adopt({"access_token": "access-secret", "refresh_token": "refresh-secret"})
    for text in (repr(token), repr(manager)):
        assert "access-secret" not in text and "refresh-secret" not in text


@pytest.mark.parametrize("failure", [
    requests.ConnectionError("refused"), plain({"message": "Internal server error occurred"}, http=500),
])
def test_a_failed_automatic_login_is_retried_for_a_create_too(
        make_client: MakeClient, session: FakeSession, sleeps: list[float], failure: Any) -> None:
    """The call itself has not gone out when the login before it fails: retrying the login is safe."""
    client = make_client(max_retries=2)
    session.reply(failure, token_reply(), encrypted({"id": 1}))
    client.create_invoice(amount=1)
    assert _paths(session) == ["/api/v1/login", "/api/v1/login", "/api/v1/invoice"] and len(sleeps) == 1
    again = make_client(max_retries=1)
    session.reply(failure, failure)
    with pytest.raises(HesabeError) as caught:
        again.create_invoice(amount=1)
    assert getattr(caught.value, "operation", None) == "login" and not session.api_calls[1:]


def test_a_wrong_password_is_an_authentication_error_and_the_404_hesabe_sends(
        make_client: MakeClient, session: FakeSession) -> None:
    """Hesabe answers a bad login with 404 "User details not found ...": the error is both kinds,
    so code catching either (the documented NotFoundError, or any AuthenticationError) sees it."""
    session.reply(plain({"status": False, "message": "User details not found, Please verify the login "
                                                     "credentials", "response": None}, http=404))
    with pytest.raises(InvalidCredentialsError) as info:
        make_client().login()
    assert isinstance(info.value, NotFoundError) and isinstance(info.value, AuthenticationError)
    assert "HESABE_MERCHANT_PASSWORD" in str(info.value)


def test_invalid_signature_says_which_settings_to_check(client: HesabeClient, session: FakeSession) -> None:
    session.reply(plain({"status": False, "message": "Invalid Signature.", "response": None}, http=401),
                  token_reply("a2", "r2"), plain({"status": False, "message": "Invalid Signature.",
                                                  "response": None}, http=401))
    with pytest.raises(AuthenticationError) as info:
        client.get_invoice(1)
    text = str(info.value)
    assert text.startswith("get_invoice: Invalid Signature. (HTTP 401)") and "HESABE_ACCESS_CODE" in text
    assert info.value.message == "Invalid Signature."  # the server's words, as sent


def test_a_protocol_error_names_its_operation(client: HesabeClient, session: FakeSession) -> None:
    session.reply(FakeResponse(200, b"not hex at all", {}), FakeResponse(200, b"not hex at all", {}),
                  FakeResponse(200, b"not hex at all", {}))
    with pytest.raises(ProtocolError) as info:
        client.get_invoice(1)
    assert str(info.value).startswith("get_invoice: ")
