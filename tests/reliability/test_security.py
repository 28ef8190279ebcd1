"""Security: tokens, merchant isolation across every operation, credential checks, secrets.

Two merchants with different keys, access codes, merchant codes and ids share one mock; merchant
B must never see or touch A's records through any operation, whatever ids or tokens it sends.
"""

from __future__ import annotations

import base64
import contextlib
import itertools
import json
import logging
import math
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest
from relkit import (
    ALPHA,
    BETA,
    ENCRYPTED_OPS,
    AsgiClient,
    Reply,
    Seeded,
    assert_field_error,
    assert_refused,
    make_app,
    valid_payload,
)

import mock_server.auth
from hesabe_spec.operations import OPERATIONS, Operation
from hesabe_spec.sandbox import MerchantIdentity
from mock_server.settings import MockSettings

LOGIN = OPERATIONS["login"]
REFRESH = OPERATIONS["refresh_token"]
SECRETS = [ALPHA.secret_key, ALPHA.iv_key, ALPHA.password, BETA.secret_key, BETA.iv_key, BETA.password]


def post_plain(client: AsgiClient, path: str, body: Any) -> Reply:
    return client.request("POST", path, body=json.dumps(body).encode(),
                          headers=[("content-type", "application/json")])


def call_ok(client: AsgiClient, op: Operation, payload: Any, token: str, who: MerchantIdentity = ALPHA,
            **params: Any) -> Any:
    r = client.call(op, payload, who=who, token=token, params=params)
    env, _ = r.envelope(who.keys)
    assert r.status == 200 and env["status"] is True, (op.name, r.status, env)
    return env["response"]


# ------------------------------------------------------------------------------------- tokens


def _bits_per_char(samples: list[str]) -> float:
    counts = Counter("".join(samples))
    total = sum(counts.values())
    return -sum(n / total * math.log2(n / total) for n in counts.values())


def test_tokens_are_random_unique_and_carry_no_secret(world: Any) -> None:
    pairs = [world.client.login() for _ in range(40)] + [world.client.login(BETA) for _ in range(10)]
    access = [p["access_token"] for p in pairs]
    refresh = [p["refresh_token"] for p in pairs]
    assert len(set(access)) == len(access) and len(set(refresh)) == len(refresh)
    assert not set(access) & set(refresh)
    for p in pairs:
        assert p["token_type"] == "Bearer" and p["expires_in"] == 900
    # The random tail of each token: hex for refresh tokens, base64url for the JWT signature.
    tails = [r[8:] for r in refresh]
    assert all(len(t) >= 64 for t in tails)  # >= 256 bits of hex
    assert _bits_per_char(tails) > 3.95  # hex is 4 bits/char; a counter or timestamp scores far lower
    signatures = [a.rsplit(".", 1)[1] for a in access]
    assert len(set(signatures)) == len(signatures) and all(len(s) >= 43 for s in signatures)  # >= 256 bits
    assert _bits_per_char(signatures) > 5.8  # base64url is 6 bits/char
    # no two tokens share a long run beyond their fixed prefix (no reuse of random material)
    for a, b in itertools.pairwise(tails):
        assert sum(x == y for x, y in zip(a, b, strict=False)) < len(a) / 4
    for token in access + refresh:
        decoded = token + " " + _jwt_text(token)
        for secret in SECRETS:
            assert secret not in decoded


def _jwt_text(token: str) -> str:
    parts = token.split(".")
    out = []
    for part in parts[:2]:
        with contextlib.suppress(ValueError):
            out.append(base64.urlsafe_b64decode(part + "===").decode("utf-8", "replace"))
    return " ".join(out)


def test_access_token_expires_on_the_mock_clock(world: Any) -> None:
    op = OPERATIONS["list_invoices"]
    clock = world.app.state.mock.clock
    clock.freeze()  # only advance() moves it: a slow machine cannot spend the 5 s margin below
    token = world.client.login()["access_token"]
    ttl = world.app.state.mock.settings.token_ttl
    clock.advance(ttl - 5)
    call_ok(world.client, op, {"merchantCode": ALPHA.merchant_code}, token)
    clock.advance(6)
    before = world.fingerprint()
    r = world.client.call(op, {"merchantCode": ALPHA.merchant_code}, token=token)
    assert_refused(world, r, before, status=401, message="Unauthenticated.", encrypted=False)


def test_refresh_token_expires(world: Any) -> None:
    pair = world.client.login()
    mock = world.app.state.mock
    mock.clock.advance(mock.settings.refresh_ttl + 1)
    before = world.fingerprint()
    r = post_plain(world.client, REFRESH.path, {"refreshToken": pair["refresh_token"]})
    assert_refused(world, r, before, status=404, encrypted=False)


def test_refresh_rotates_and_revokes_the_old_pair(world: Any) -> None:
    op = OPERATIONS["list_invoices"]
    mc = {"merchantCode": ALPHA.merchant_code}
    first = world.client.login()
    r = post_plain(world.client, REFRESH.path, {"refreshToken": first["refresh_token"]})
    assert r.status == 200, r.body
    second = r.json()["response"]["token"]
    assert second["access_token"] != first["access_token"]
    assert second["refresh_token"] != first["refresh_token"]
    call_ok(world.client, op, mc, second["access_token"])
    # the old access token died with the rotation, the old refresh token cannot be replayed
    before = world.fingerprint()
    r = world.client.call(op, mc, token=first["access_token"])
    assert_refused(world, r, before, status=401, encrypted=False)
    r = post_plain(world.client, REFRESH.path, {"refreshToken": first["refresh_token"]})
    assert_refused(world, r, before, status=404, encrypted=False)
    # the new refresh token works once, and what it gives is still merchant A's
    r = post_plain(world.client, REFRESH.path, {"refreshToken": second["refresh_token"]})
    third = r.json()["response"]["token"]
    listed = call_ok(world.client, op, mc, third["access_token"])
    assert listed["stats"]["total_invoice_count"] >= 1
    # a rotated token cannot be used as merchant B (keys and access code are B's)
    before = world.fingerprint()
    r = world.client.call(op, {"merchantCode": BETA.merchant_code}, who=BETA, token=third["access_token"])
    assert_refused(world, r, before, status=401, encrypted=False)


def test_an_unrelated_login_does_not_revoke_other_sessions(world: Any) -> None:
    op = OPERATIONS["list_invoices"]
    world.client.login()
    world.client.login(BETA)
    call_ok(world.client, op, {"merchantCode": ALPHA.merchant_code}, world.token)
    call_ok(world.client, op, {"merchantCode": BETA.merchant_code}, world.beta_token, who=BETA)


def test_refresh_of_b_never_yields_a_token_for_a(world: Any) -> None:
    pair = world.client.login(BETA)
    r = post_plain(world.client, REFRESH.path, {"refreshToken": pair["refresh_token"]})
    token = r.json()["response"]["token"]["access_token"]
    before = world.fingerprint()
    r = world.client.call(OPERATIONS["list_invoices"], {"merchantCode": ALPHA.merchant_code}, token=token)
    assert_refused(world, r, before, status=401, encrypted=False)


# --------------------------------------------------------------------------- merchant isolation


def _a_targets(seeded: Seeded) -> dict[str, tuple[dict[str, Any], dict[str, Any]]]:
    """For each operation: (payload extras, path params) aimed at merchant A's records."""
    return {
        "get_invoice": ({}, {"id": seeded.invoice_id}),
        "resend_invoice": ({"resendId": str(seeded.invoice_id)}, {}),
        "send_bulk_invoices": ({"ids": [str(seeded.invoice_id)]}, {}),
        "cancel_invoice": ({}, {"token": seeded.invoice_token}),
        "get_open_invoice": ({}, {"id": seeded.open_id}),
        "update_open_invoice": ({}, {"id": seeded.open_id}),
        "cancel_open_invoice": ({}, {"id": seeded.open_id}),
        "update_bulk_invoice": ({}, {"id": seeded.bulk_id}),
        "delete_bulk_invoice": ({}, {"id": seeded.bulk_id}),
        "get_refund": ({}, {"id": seeded.refund_id}),
        "cancel_refund": ({}, {"id": seeded.refund_id}),
    }


TARGETED = [OPERATIONS[name] for name in _a_targets(Seeded())]


@pytest.mark.parametrize("op", TARGETED, ids=[op.name for op in TARGETED])
def test_b_cannot_touch_a_records_by_id_or_token(world: Any, op: Operation) -> None:
    extras, params = _a_targets(world.seeded)[op.name]
    payload = {**valid_payload(op.name, world.beta_seeded, BETA), **extras}
    before = world.fingerprint()
    r = world.client.call(op, payload, who=BETA, token=world.beta_token, params=params)
    env = assert_refused(world, r, before, keys=BETA.keys, encrypted=True)
    assert r.status == 404, (r.status, env)
    # and A's record is still there, unchanged, for A
    r = world.client.call(op, valid_payload(op.name, world.seeded), token=world.token,
                          params=world.seeded.params(op))
    assert r.status == 200, r.envelope()[0]


def test_b_bulk_send_mixing_own_and_a_ids_changes_nothing(world: Any) -> None:
    op = OPERATIONS["send_bulk_invoices"]
    payload = {"merchantCode": BETA.merchant_code,
               "ids": [str(world.beta_seeded.invoice_id), str(world.seeded.invoice_id)]}
    before = world.fingerprint()
    r = world.client.call(op, payload, who=BETA, token=world.beta_token)
    assert_refused(world, r, before, keys=BETA.keys, status=404)


def test_b_cannot_refund_a_payment_of_a(world: Any) -> None:
    """A's transaction token names no payment of B's: the refund is refused like an unknown token."""
    payload = {**valid_payload("create_refund", world.beta_seeded, BETA),
               "token": world.seeded.transaction_token}
    before = world.fingerprint()
    r = world.client.call(OPERATIONS["create_refund"], payload, who=BETA, token=world.beta_token)
    assert_field_error(world, r, before, "token", keys=BETA.keys)


_LIST_ROWS = {"list_invoices": lambda listed: listed["invoices"]["data"],
              "list_refunds": lambda listed: listed["refund_request_list"]["data"]}


@pytest.mark.parametrize("op_name",
                         ["list_invoices", "list_open_invoices", "list_bulk_invoices", "list_refunds"])
def test_lists_never_show_the_other_merchants_records(world: Any, op_name: str) -> None:
    op = OPERATIONS[op_name]
    a_marks = {str(world.seeded.invoice_token), world.seeded.transaction_token}
    for who, token in ((ALPHA, world.token), (BETA, world.beta_token)):
        for search in ({}, {"search": "Reliability"}, {"search": world.seeded.invoice_token},
                       {"fromDate": "2000-01-01", "toDate": "2999-12-31"}):
            filters = search if op_name != "list_bulk_invoices" else {}
            payload = {"merchantCode": who.merchant_code, **filters}
            listed = call_ok(world.client, op, payload, token, who)
            text = json.dumps(listed)
            rows = _LIST_ROWS.get(op_name, lambda listed: listed["data"])(listed)
            for row in rows:
                assert int(row["merchant_id"]) == who.merchant_id, row
            if who is BETA:
                assert not any(mark in text for mark in a_marks)
            if op_name == "list_invoices" and who is BETA:
                assert listed["stats"]["total_invoice_count"] == 4  # B's own seed: 1 + split pair + paid


@pytest.mark.parametrize("op", [op for op in ENCRYPTED_OPS if op.kind == "create"],
                         ids=[op.name for op in ENCRYPTED_OPS if op.kind == "create"])
def test_b_creates_land_in_b_only(world: Any, op: Operation) -> None:
    lists = {name: OPERATIONS[name] for name in ("list_invoices", "list_open_invoices", "list_bulk_invoices")}
    mc = {"merchantCode": ALPHA.merchant_code}
    a_before = {name: call_ok(world.client, lop, mc, world.token) for name, lop in lists.items()}
    call_ok(world.client, op, valid_payload(op.name, world.beta_seeded, BETA), world.beta_token, BETA)
    a_after = {name: call_ok(world.client, lop, mc, world.token) for name, lop in lists.items()}
    assert a_before == a_after


@pytest.mark.parametrize("op", ENCRYPTED_OPS, ids=[op.name for op in ENCRYPTED_OPS])
def test_a_payload_under_b_credentials_is_refused(world: Any, op: Operation) -> None:
    """A's ciphertext sent with B's bearer and access code: B's keys cannot read it (506), and a
    payload naming A's merchantCode under B's keys is a signature failure."""
    a_payload = valid_payload(op.name, world.seeded)
    before = world.fingerprint()
    r = world.client.call(op, a_payload, who=BETA, token=world.beta_token, keys=ALPHA.keys,
                          params=world.seeded.params(op))
    assert_refused(world, r, before, keys=BETA.keys, status=400, message="Invalid Request Data")
    r = world.client.call(op, a_payload, who=BETA, token=world.beta_token, params=world.seeded.params(op))
    message = "Invalid Merchant" if op.host == "gateway" else "Invalid Signature."
    assert_refused(world, r, before, keys=BETA.keys, status=401, message=message)


@pytest.mark.parametrize("op_name", ["transaction_enquiry", "cancel_authorization", "capture_authorization"])
def test_b_cannot_read_or_move_a_checkout(world: Any, op_name: str) -> None:
    """B names A's transaction token (enquiry, void, capture): nothing is found, nothing changes."""
    op = OPERATIONS[op_name]
    params = {"reference": world.seeded.authorized_token, "token": world.seeded.authorized_token}
    payload: dict[str, Any] = {}
    if op.encrypted:
        a_token = world.seeded.authorized_token
        payload = {**valid_payload(op_name, world.beta_seeded, BETA), "paymentToken": a_token}
    before = world.fingerprint()
    r = world.client.call(op, payload, who=BETA, token=world.beta_token,
                          params={p: params[p] for p in op.path_params})
    env = assert_refused(world, r, before, keys=BETA.keys)
    assert r.status in (400, 404) and env.get("data") is None, (r.status, env)
    state = world.app.state.mock.checkouts.find(world.seeded.authorized_token)
    assert state.status == "AUTHORIZED"


def test_hosted_payment_pages_are_public_but_per_key(world: Any) -> None:
    """The payment link is the one public read (by access key); an unknown key is a plain 404."""
    before = world.fingerprint()
    for key in ("00000000", "../../api/v1/login", "%2e%2e", "A" * 5000):
        r = world.client.request("GET", f"/s/{key}")
        assert r.status in (404, 405) and b"Traceback" not in r.body
    assert world.fingerprint() == before


# ------------------------------------------------------------------------- credential checks


def test_login_failures_do_not_reveal_which_part_was_wrong(world: Any) -> None:
    """Unknown user, wrong password, a prefix of the password, a longer one: one identical answer
    (no user enumeration, nothing that depends on how much of the secret matched)."""
    bodies = [
        {"username": "nobody", "password": "Test@1234"},
        {"username": "Test", "password": "x"},
        {"username": "Test", "password": "Test@123"},
        {"username": "Test", "password": "Test@12345"},
        {"username": "Test", "password": "T" * 4096},
        {"username": BETA.username, "password": ALPHA.password},
    ]
    before = world.fingerprint()
    replies = {(r.status, r.body) for r in (post_plain(world.client, LOGIN.path, b) for b in bodies)}
    assert len(replies) == 1, replies
    assert world.fingerprint() == before


def test_password_check_goes_through_compare_digest(world: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """Behavioural guard for the constant-time rule (mock_server.auth keeps the why in a comment):
    every login attempt, known user or not, right or wrong, is decided by hmac.compare_digest."""
    calls: list[tuple[bytes, bytes]] = []
    real = mock_server.auth.hmac.compare_digest

    def spy(a: Any, b: Any) -> bool:
        calls.append((a, b))
        return real(a, b)

    monkeypatch.setattr(mock_server.auth.hmac, "compare_digest", spy)
    for body in ({"username": "nobody", "password": "p"}, {"username": "Test", "password": "wrong"},
                 {"username": "Test", "password": "Test@1234"}):
        post_plain(world.client, LOGIN.path, body)
    assert len(calls) >= 3


# ------------------------------------------------------------------------- secrets stay secret


def _every_operation_once(client: AsgiClient, token: str, seeded: Seeded) -> list[Reply]:
    replies = []
    for op in ENCRYPTED_OPS:
        replies.append(client.call(op, valid_payload(op.name, seeded), token=token, params=seeded.params(op)))
        replies.append(client.call(op, valid_payload(op.name, seeded), token=token, data="zz",
                                   params=seeded.params(op)))
        replies.append(client.call(op, {"merchantCode": ALPHA.merchant_code, "amount": -1}, token=token,
                                   params=seeded.params(op)))
    return replies


@pytest.fixture
def debug_logs(caplog: pytest.LogCaptureFixture) -> Iterator[pytest.LogCaptureFixture]:
    caplog.set_level(logging.DEBUG)
    logging.getLogger("hesabe_mock").setLevel(logging.DEBUG)
    yield caplog


def test_no_secret_in_logs_or_error_bodies(world: Any, debug_logs: pytest.LogCaptureFixture) -> None:
    replies = [post_plain(world.client, LOGIN.path, {"username": "Test", "password": ALPHA.password}),
               post_plain(world.client, LOGIN.path, {"username": "Test", "password": ALPHA.password + "x"}),
               post_plain(world.client, REFRESH.path, {"refreshToken": ALPHA.secret_key})]
    replies += _every_operation_once(world.client, world.token, world.seeded)
    logged = "\n".join(
        f"{r.name} {r.getMessage()} {r.exc_text or ''} {r.stack_info or ''}" for r in debug_logs.records)
    for secret in SECRETS:
        assert secret not in logged
        for r in replies:
            assert secret.encode() not in r.body
            if r.status >= 400:
                env, _ = r.envelope()
                assert secret not in json.dumps(env)
    assert world.token not in logged


def test_no_secret_in_the_journal(world: Any) -> None:
    mock = world.app.state.mock
    journal = getattr(mock, "journal", None)
    if journal is None:
        pytest.skip("no journal in this build")
    post_plain(world.client, LOGIN.path, {"username": "Test", "password": ALPHA.password})
    post_plain(world.client, REFRESH.path, {"refreshToken": world.client.login()["refresh_token"]})
    _every_operation_once(world.client, world.token, world.seeded)
    r = world.client.request("GET", "/_mock/journal")
    assert r.status == 200, r.body[:200]
    text = r.body.decode()
    assert json.loads(text)  # it is JSON, and it has entries
    for secret in [*SECRETS, world.token]:
        assert secret not in text


# ---------------------------------------------------------------------------------- control plane


def _control_path(app: Any) -> str | None:
    paths = [getattr(r, "path", "") for r in app.routes]
    return next((p for p in paths if p.startswith("/_mock/") and "{" not in p), None)


@pytest.mark.parametrize("client_host", ["10.1.2.3", "192.168.0.7", "8.8.8.8", "::ffff:10.0.0.1", "fe80::1",
                                         "2001:db8::1", "localhost.evil.com", "", "unknown"])
def test_control_plane_is_loopback_only_by_default(client_host: str) -> None:
    app = make_app()
    path = _control_path(app)
    if path is None:
        pytest.skip("no control plane in this build")
    client = AsgiClient(app)
    try:
        scope_client = client.request  # a remote client: patch the scope's client address
        reply = _from(client, path, client_host)
        assert reply.status in (403, 404), (path, reply.status, reply.body[:200])
        assert _from(client, path, "127.0.0.1").status not in (403, 404)
        assert _from(client, path, "::1").status not in (403, 404)
        del scope_client
    finally:
        client.close()
    opened = make_app(settings=MockSettings(control_open=True))
    open_client = AsgiClient(opened)
    try:
        assert _from(open_client, path, client_host or "10.9.9.9").status not in (403, 404)
    finally:
        open_client.close()


def _from(client: AsgiClient, path: str, host: str) -> Reply:
    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "GET", "scheme": "http",
        "path": path, "raw_path": path.encode(), "query_string": b"", "root_path": "",
        "headers": [(b"host", b"testserver")], "client": (host, 40000) if host else None,
        "server": ("testserver", 80),
    }
    return client.loop.run_until_complete(client._exchange(scope, b""))


def test_cli_binds_loopback_by_default() -> None:
    from mock_server.cli import build_parser

    args = build_parser().parse_args([])
    assert args.host == "127.0.0.1"
    assert not getattr(args, "open_control_plane", False)
