"""Refund races through real HTTP: uvicorn on loopback, client threads released together, both stores.

For each payment, a first refund leaves 6.000 of 10.000; then THREADS threads ask at once for
6.000 or for the rest. Exactly one may win; every other gets the ``refundAmount`` field error and
the payment ends exactly refunded. Then threads race to approve (control plane) and to cancel (API)
the same pending refund: exactly one of them wins.

One server answers its requests one at a time on its event loop, so the single-server runs check
what concurrent clients see. The decisive case runs two mock servers, each with its own
store (own connection, own lock) on one SQLite file or one PostgreSQL database, the threads split
between them: only the database's transaction can decide, as for two ``hesabe-mock --db`` processes
sharing it (a store that checked outside its transaction fails this case). Thread safety of one
store object is tests/mock/test_refund_store.py's race.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import pytest
from relkit import HttpMerchant, ServerThread, make_app, open_store

from mock_server.state.store import Store

THREADS = 8
ROUNDS = 12


@pytest.fixture(params=["memory", "sqlite", "sqlite-two-servers", "postgres-two-servers"])
def urls(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[list[str]]:
    kind = str(request.param)
    if kind.startswith("postgres"):
        request.getfixturevalue("postgres_url")
    stores: list[Store] = [open_store(kind.split("-")[0], tmp_path)]
    if kind.endswith("two-servers"):
        # the same file or database, a second connection (and lock) behind a second server
        stores.append(open_store(kind.split("-")[0], tmp_path))
    with ExitStack() as stack:
        try:
            yield [stack.enter_context(ServerThread(make_app(store))) for store in stores]
        finally:
            stack.close()
            for store in stores:
                store.close()


Answer = tuple[int, Any]


def _all_at_once(urls: list[str], act: Callable[[HttpMerchant, int], Answer]) -> list[Answer]:
    """Each thread logs in on its server, waits for the others, then acts; the answers."""
    results: list[tuple[int, Any]] = [(0, None)] * THREADS
    merchants = [HttpMerchant(urls[n % len(urls)]) for n in range(THREADS)]
    for m in merchants:
        m.login()
    start = threading.Barrier(THREADS)
    failures: list[BaseException] = []

    def run(n: int) -> None:
        try:
            start.wait(30)
            results[n] = act(merchants[n], n)
        except BaseException as exc:  # re-raised below
            failures.append(exc)

    threads = [threading.Thread(target=run, args=(n,)) for n in range(THREADS)]
    try:
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
    finally:
        for m in merchants:
            m.close()
    assert not any(t.is_alive() for t in threads), "a racing thread hung"
    if failures:
        raise failures[0]
    return results


def _paid(api: HttpMerchant) -> str:
    status, env = api.call("create_invoice", {"merchantCode": api.who.merchant_code, "amount": "10.000",
                                              "invoiceType": "0", "expiresAt": "2099-12-31"})
    assert status == 200, env
    status, paid = api.control("POST", f"/invoices/{env['response']['id']}/pay", {"outcome": "success"})
    assert status == 200, paid
    return str(paid["transaction"]["token"])


def _refund(api: HttpMerchant, token: str, amount: str | None) -> tuple[int, Any]:
    payload = {"merchantCode": api.who.merchant_code, "token": token, "refundMethod": "1"}
    if amount is not None:
        payload.update(refundMethod="2", refundAmount=amount)
    return api.call("create_refund", payload)


def test_two_refunds_never_both_take_the_last_of_a_payment(urls: list[str]) -> None:
    with HttpMerchant(urls[0]) as api:
        api.login()
        for round_no in range(ROUNDS):
            token = _paid(api)
            status, env = _refund(api, token, "4.000")
            assert status == 200, env
            full = bool(round_no % 2)  # the rest, or exactly what is left by amount
            results = _all_at_once(urls, lambda m, _n, t=token, f=full: _refund(m, t, None if f else "6.000"))
            won = [env for status, env in results if status == 200]
            assert len(won) == 1, results
            assert won[0]["response"]["amount"] == "6.000"
            for status, env in results:
                if status != 200:
                    assert status == 400 and list(env["response"]) == ["refundAmount"], env
                    assert env["message"] == "The refund amount may not be greater than 0.000.", env
            mine = {"merchantCode": api.who.merchant_code, "search": token}
            status, listed = api.call("list_refunds", mine)
            amounts = sorted(r["amount"] for r in listed["response"]["refund_request_list"]["data"])
            assert amounts == ["4.000", "6.000"], listed


def test_approve_and_cancel_racing_for_one_pending_refund_one_wins(urls: list[str]) -> None:
    with HttpMerchant(urls[0]) as api:
        api.login()
        for _round in range(ROUNDS):
            status, env = _refund(api, _paid(api), None)
            refund_id = env["response"]["id"]

            def approve_or_cancel(m: HttpMerchant, n: int, rid: int = refund_id) -> tuple[int, Any]:
                if n % 2:
                    return m.control("POST", f"/refunds/{rid}/approve", {})
                return m.call("cancel_refund", {"merchantCode": m.who.merchant_code}, id=rid)

            results = _all_at_once(urls, approve_or_cancel)
            winners = [(n % 2, env) for n, (status, env) in enumerate(results) if status == 200]
            assert len(winners) == 1, results
            approved = winners[0][0] == 1
            status, env = api.call("get_refund", {"merchantCode": api.who.merchant_code}, id=refund_id)
            if approved:
                assert status == 200 and env["response"]["status"] == 1, env
            else:
                assert status == 404, env
            for status, _env in results:
                assert status in (200, 400, 404, 409), results  # refused, never a 500
