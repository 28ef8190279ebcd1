"""One mock served by several processes: ``--workers N`` on one port, or hosts on one PostgreSQL.

Two levels. In-process, two runtimes with ``MockSettings(shared=True)`` open one SQLite file or one
PostgreSQL schema through two store objects (two connections, two locks): what two processes
have, with each request sent to a chosen one, so every control-plane fact is checked on the
process that did *not* change it. Then real processes: ``hesabe-mock --workers 2`` on one port,
and two ``hesabe-mock`` hosts on one PostgreSQL, each with client threads creating at once.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import threading
import time
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import pytest
import requests
from relkit import ALPHA, AsgiClient, HttpMerchant, invoice_fields, make_app, open_store, registry, seed_state
from support.mock_process import mock_process
from support.receiver import Receiver

from hesabe_spec.operations import OPERATIONS
from mock_server.app import create_app
from mock_server.cli import RESTART_WINDOW_S, main
from mock_server.control.seed import MAX_SEED_ID
from mock_server.settings import MockSettings
from mock_server.state.memory import MemoryStore

SHARED = MockSettings(shared=True)


@pytest.fixture(params=["sqlite", "postgres"])
def pair(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[AsgiClient, AsgiClient]]:
    """Two mocks on one database, as two workers or two hosts are."""
    kind = str(request.param)
    if kind == "postgres":
        request.getfixturevalue("postgres_url")
    with ExitStack() as stack:
        clients = []
        for _ in range(2):
            store = open_store(kind, tmp_path)
            stack.callback(store.close)
            client = AsgiClient(create_app(SHARED, store, registry()))
            stack.callback(client.close)
            clients.append(client)
        yield clients[0], clients[1]


def test_a_host_with_other_answer_settings_is_told_so(tmp_path: Path) -> None:
    """Hosts on one database answer alike only with the same settings: a mock started with another
    token lifetime or envelope learns which, and how (hesabe-mock prints it as a warning); how a
    host is reached (its public URL, its control-plane access) is its own."""
    with ExitStack() as stack:
        def started(settings: MockSettings) -> list[str]:
            store = open_store("sqlite", tmp_path)
            stack.callback(store.close)
            runtime = create_app(settings, store, registry()).state.mock
            stack.callback(runtime.close)
            return list(runtime.settings_differ)

        assert started(SHARED) == []
        assert started(MockSettings(shared=True, public_base_url="https://mock.example")) == []
        assert started(MockSettings(shared=True, token_ttl=60, envelope="bare")) == [
            "envelope: 'bare' here, 'response' there", "token_ttl: 60 here, 900 there"]
        assert started(MockSettings(shared=True, token_ttl=60, envelope="bare")) == []


def control(client: AsgiClient, method: str, path: str, body: Any = None) -> Any:
    sent = json.dumps(body).encode() if body is not None else b""
    reply = client.request(method, f"/_mock{path}", body=sent)
    assert reply.status in (200, 201), (path, reply.body)
    return reply.json()


def list_total(client: AsgiClient, token: str) -> int:
    reply = client.call(OPERATIONS["list_invoices"], {"merchantCode": ALPHA.merchant_code}, token=token)
    env, _ = reply.envelope(ALPHA.keys)
    return int(env["response"]["invoices"]["pagination"]["total"])


def test_a_patch_that_fits_no_reply_is_not_used_up_on_either(pair: tuple[AsgiClient, AsgiClient]) -> None:
    a, b = pair
    token = a.login()["access_token"]
    control(a, "POST", "/faults", {"kind": "mutate_reply", "operation": "get_invoice", "times": 1,
                                   "patch": [{"op": "replace", "path": "/response/amount", "value": 1}]})
    missing = b.call(OPERATIONS["get_invoice"], {"merchantCode": ALPHA.merchant_code}, token=token,
                     params={"id": "999999"})  # a 404: no response.amount to replace
    assert missing.status == 404 and [r["fired"] for r in control(a, "GET", "/faults")["rules"]] == [0]
    made = a.call(OPERATIONS["create_invoice"], invoice_fields(), token=token).envelope(ALPHA.keys)[0]
    found = b.call(OPERATIONS["get_invoice"], {"merchantCode": ALPHA.merchant_code}, token=token,
                   params={"id": made["response"]["id"]})
    assert found.envelope(ALPHA.keys)[0]["response"]["amount"] == 1  # the one that fitted
    assert [r["fired"] for r in control(b, "GET", "/faults")["rules"]] == [1]


def test_records_and_tokens_made_on_one_are_used_on_the_other(pair: tuple[AsgiClient, AsgiClient]) -> None:
    a, b = pair
    token, seeded = seed_state(a)  # logged in, created and paid on a
    reply = b.call(OPERATIONS["get_invoice"], {"merchantCode": ALPHA.merchant_code}, token=token,
                   params={"id": seeded.invoice_id})
    env, _ = reply.envelope(ALPHA.keys)
    assert reply.status == 200 and env["response"]["token"] == seeded.invoice_token
    made_on_b = b.call(OPERATIONS["create_invoice"], invoice_fields(), token=token)
    new_id = int(made_on_b.envelope(ALPHA.keys)[0]["response"]["id"])
    assert new_id > seeded.invoice_id and list_total(a, token) == list_total(b, token)


def test_clock_faults_auto_approval_journal_and_findings_are_one(pair: tuple[AsgiClient, AsgiClient]) -> None:
    a, b = pair
    control(a, "POST", "/clock", {"set": 1_800_000_000, "freeze": True})
    assert control(b, "GET", "/clock")["epoch"] == control(a, "GET", "/clock")["epoch"]
    control(b, "POST", "/clock", {"advance": 60})
    assert control(a, "GET", "/clock")["epoch"] == control(b, "GET", "/clock")["epoch"]
    token = a.login()["access_token"]  # issued at the shared mock time: valid on both

    control(a, "POST", "/faults", {"kind": "error_500", "operation": "list_invoices", "times": 3})
    statuses = [c.call(OPERATIONS["list_invoices"], {"merchantCode": ALPHA.merchant_code}, token=token).status
                for c in (a, b, a, b, a, b)]
    assert statuses == [500, 500, 500, 200, 200, 200]  # "times": 3 across both
    assert [r["fired"] for r in control(b, "GET", "/faults")["rules"]] == [3]

    control(b, "POST", "/refunds/auto-approve", {"seconds": 120})
    assert control(a, "GET", "/refunds/auto-approve") == {"seconds": 120}

    journal = control(b, "GET", "/journal")
    assert [e["operation"] for e in journal["entries"]] == ["login", *["list_invoices"] * 6]
    assert [e["seq"] for e in journal["entries"]] == list(range(1, 8)) and journal["recorded"] == 7
    # the inspector's reads, on the process that served none of them
    recent = b.app.state.mock.journal.recent(after=4, status="2xx")
    assert [(r["seq"], r["status"]) for r in recent] == [(7, 200), (6, 200), (5, 200)]
    assert b.app.state.mock.journal.entry(3)["status"] == 500
    assert b.app.state.mock.journal.raw_wire(3) is not None
    assert a.app.state.mock.control_token == b.app.state.mock.control_token  # one for the inspector
    # an integration finding seen by a, summarised by b
    a.call(OPERATIONS["create_invoice"], {**invoice_fields(), "unknownField": "x"}, token=token)
    assert control(b, "GET", "/findings")["total"] >= 1

    control(b, "POST", "/reset", {})  # one reset undoes it all, for both
    assert control(a, "GET", "/clock")["frozen"] is False
    assert control(a, "GET", "/faults")["rules"] == []
    assert control(a, "GET", "/refunds/auto-approve") == {"seconds": None}
    assert control(a, "GET", "/journal")["entries"] == [] and control(a, "GET", "/findings")["total"] == 0


def test_a_nul_in_a_control_plane_filter_matches_nothing_and_breaks_nothing(
        pair: tuple[AsgiClient, AsgiClient]) -> None:
    """PostgreSQL's text cannot hold a NUL: a filter carrying one is escaped like the store's keys
    (it matches nothing), never a 500."""
    a, b = pair
    a.login()
    for query in ("operation=log%00in", "merchant_code=%00", f"merchant_code={ALPHA.merchant_code}%00"):
        reply = b.request("GET", "/_mock/journal", query=query)
        assert (reply.status, reply.json()["entries"]) == (200, []), query
    assert [e["operation"] for e in control(b, "GET", "/journal")["entries"]] == ["login"]
    assert b.app.state.mock.journal.recent(operation="log\x00in") == []
    reply = b.request("POST", "/_mock/reset", body=json.dumps({"merchant_code": "\x00"}).encode())
    assert reply.status < 500, reply.body
    assert [e["operation"] for e in control(a, "GET", "/journal")["entries"]] == ["login"]


def test_the_journal_numbering_is_one_per_database(pair: tuple[AsgiClient, AsgiClient],
                                                    tmp_path: Path) -> None:
    """The inspector's cursor belongs to a numbering: every process on one database shares it, a
    new database (a fresh throwaway cluster, a new file) starts another."""
    a, b = pair
    epoch = a.app.state.mock.journal.epoch
    assert epoch == b.app.state.mock.journal.epoch
    (tmp_path / "another").mkdir()
    store = open_store("sqlite", tmp_path / "another")
    try:
        other = create_app(SHARED, store, registry()).state.mock
        assert other.journal.epoch != epoch
        other.close()
    finally:
        store.close()


def test_a_reset_on_one_empties_both_and_ids_keep_increasing(pair: tuple[AsgiClient, AsgiClient]) -> None:
    a, b = pair
    token = a.login()["access_token"]
    first = int(a.call(OPERATIONS["create_invoice"], invoice_fields(), token=token)
                .envelope(ALPHA.keys)[0]["response"]["id"])
    control(b, "POST", "/reset", {"merchant_code": ALPHA.merchant_code})
    token = b.login()["access_token"]  # the merchant's tokens went with its reset
    assert list_total(a, token) == list_total(b, token) == 0
    again = int(b.call(OPERATIONS["create_invoice"], invoice_fields(), token=token)
                .envelope(ALPHA.keys)[0]["response"]["id"])
    assert again > first


def test_no_seed_can_use_up_the_ids_of_a_shared_mock(pair: tuple[AsgiClient, AsgiClient]) -> None:
    """A seed's ids stop at 2^53 - 1: the ids above stay free for creates, on every store. (At
    2^63 - 1 every later create on the database failed, and no reset set the sequence back.)"""
    a, b = pair
    for refused in (2**63 - 1, MAX_SEED_ID + 1, 0, -5):
        document = {"invoices": [{"id": refused, "amount": "1"}]}
        reply = a.request("POST", "/_mock/seed", body=json.dumps(document).encode())
        assert reply.status == 400 and "id must be from 1 to 9007199254740991" in reply.json()["error"]
    control(a, "POST", "/seed", {"invoices": [{"id": MAX_SEED_ID, "amount": "1"}]})
    token = b.login()["access_token"]
    made = [int(client.call(OPERATIONS["create_invoice"], invoice_fields(), token=token)
                .envelope(ALPHA.keys)[0]["response"]["id"]) for client in (b, a)]
    assert MAX_SEED_ID < made[0] < made[1]
    assert list_total(a, token) == 3


def _pattern(clients: list[AsgiClient], rolls: int) -> list[int]:
    """Status of ``rolls`` logins sent round-robin to ``clients`` under one seeded 50% rule."""
    control(clients[0], "POST", "/faults", {"kind": "error_500", "operation": "login", "probability": 0.5,
                                            "seed": 1234})
    body = json.dumps({"username": ALPHA.username, "password": ALPHA.password}).encode()
    return [clients[i % len(clients)].request("POST", "/api/v1/login", body=body,
                                              headers=[("content-type", "application/json")]).status
            for i in range(rolls)]


def test_a_seeded_rule_fires_on_the_same_requests_as_in_one_process(
        pair: tuple[AsgiClient, AsgiClient]) -> None:
    """The n-th request the rule sees gets the n-th draw of random.Random(seed), whichever process
    serves it: round-robin over two processes fires exactly where one process does."""
    alone = AsgiClient(make_app(MemoryStore()))
    try:
        expected = _pattern([alone], 40)
    finally:
        alone.close()
    assert 5 < expected.count(500) < 35  # the rule really is a coin
    assert _pattern(list(pair), 40) == expected


def test_a_due_refund_is_approved_once_whoever_reads_it(pair: tuple[AsgiClient, AsgiClient]) -> None:
    a, b = pair
    _token, seeded = seed_state(a)  # one pending refund
    control(a, "POST", "/refunds/auto-approve", {"seconds": 30})
    control(b, "POST", "/clock", {"advance": 31})
    for client in (a, b, a, b):
        assert control(client, "GET", f"/refunds/{seeded.refund_id}")["status"] == 1
    store = a.app.state.mock.store
    totals = store.refund_totals(ALPHA.merchant_id)
    assert totals.get(0, (0, 0))[0] == 0 and totals[1][0] == 1  # moved once: pending 0, approved 1


def test_webhooks_are_sent_once_and_logged_and_steered_for_all(pair: tuple[AsgiClient, AsgiClient]) -> None:
    a, b = pair
    with Receiver(fail_first=1) as rx:
        control(b, "POST", "/webhooks/settings", {"attempts": 3, "base_delay": 0.01})  # changed on b ...
        token = a.login()["access_token"]
        reply = a.call(OPERATIONS["create_invoice"], invoice_fields(webhook=rx.url), token=token)
        invoice_id = int(reply.envelope(ALPHA.keys)[0]["response"]["id"])
        control(a, "POST", f"/invoices/{invoice_id}/pay", {"outcome": "success"})  # ... paid on a
        assert a.app.state.mock.webhooks.wait_idle(30)
        rx.wait_for(2)
        [delivery] = control(b, "GET", "/webhooks")["deliveries"]  # the log, read on b
        assert delivery["state"] == "delivered" and [t["status"] for t in delivery["attempts"]] == [500, 200]
        assert len(rx.hits) == 2  # one failure, one retry: sent by a alone
        again = control(b, "POST", f"/webhooks/{delivery['id']}/redeliver")["delivery"]  # a's, from b
        assert b.app.state.mock.webhooks.wait_idle(30)
        rx.wait_for(3)
        assert again["id"] in {d["id"] for d in control(a, "GET", "/webhooks")["deliveries"]}
        control(a, "DELETE", "/webhooks")
        control(b, "POST", "/webhooks/modes", {"duplicate": True})
        reply = a.call(OPERATIONS["create_invoice"], invoice_fields(webhook=rx.url), token=token)
        invoice_id = int(reply.envelope(ALPHA.keys)[0]["response"]["id"])
        control(a, "POST", f"/invoices/{invoice_id}/pay", {"outcome": "success"})
        assert a.app.state.mock.webhooks.wait_idle(30)
        rx.wait_for(5)
        log = control(b, "GET", "/webhooks")
        assert [d["kind"] for d in log["deliveries"]] == ["payment", "duplicate"]  # modes set on b
        assert log["count"] == 2 and len({d["id"] for d in log["deliveries"]}) == 2
        control(a, "DELETE", "/webhooks")
        assert control(b, "GET", "/webhooks")["deliveries"] == []


def test_a_merchant_added_on_one_is_served_by_the_other(pair: tuple[AsgiClient, AsgiClient]) -> None:
    a, b = pair
    made = control(a, "POST", "/merchants", {"name": "Second shop"})["merchant"]
    body = json.dumps({"username": made["username"], "password": made["password"]}).encode()
    login = b.request("POST", "/api/v1/login", body=body, headers=[("content-type", "application/json")])
    assert login.status == 200, login.body
    again = control(b, "POST", "/merchants", {})["merchant"]  # b knows a's: no identifier twice
    assert again["merchant_id"] > made["merchant_id"] and again["merchant_code"] != made["merchant_code"]
    assert {m["merchant_code"] for m in control(a, "GET", "/merchants")["merchants"]} >= {
        made["merchant_code"], again["merchant_code"]}


def test_a_connection_the_database_dropped_is_the_api_s_500_then_replaced(
        tmp_path: Path, postgres_url: str, caplog: pytest.LogCaptureFixture) -> None:
    """A host whose PostgreSQL connection the server dropped (a restart, an administrator) answers
    the request that meets it with the real API's plain 500 (the control plane: its JSON error),
    logs one line, and reconnects on the next."""
    import psycopg
    from support.postgres import schema_url

    store = open_store("postgres", tmp_path)
    client = AsgiClient(create_app(SHARED, store, registry()))
    try:
        login = json.dumps({"username": ALPHA.username, "password": ALPHA.password}).encode()
        for path, body in (("/api/v1/login", login), ("/_mock/clock", b"")):
            with psycopg.connect(schema_url(str(tmp_path)), autocommit=True) as admin:
                admin.execute("SELECT pg_terminate_backend(%s)", (store._conn.info.backend_pid,))
            method = "POST" if body else "GET"
            headers = [("content-type", "application/json")]
            failed = client.request(method, path, body=body, headers=headers)
            assert failed.status == 500
            if path.startswith("/_mock"):
                assert "could not be read" in failed.json()["error"]
            else:
                assert failed.json() == {"message": "Internal server error occurred"}
            again = client.request(method, path, body=body, headers=headers)
            assert again.status == 200, again.body
        lines = [r for r in caplog.records if "shared store could not be read" in r.getMessage()]
        assert len(lines) == 2 and all(r.exc_info is None for r in lines)  # one line each, no traceback
    finally:
        client.close()
        store.close()


def test_the_memory_store_cannot_serve_several_workers(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--workers", "2", "--port", "0"], environ={}) == 2
    assert "needs a store the workers can share" in capsys.readouterr().err
    with pytest.raises(Exception, match="memory store lives in one process"):
        create_app(SHARED, MemoryStore(), registry())


# -- real processes -------------------------------------------------------------------------------
def _creates(url: str, n: int, made: list[int], lock: threading.Lock, errors: list[str]) -> None:
    try:
        with HttpMerchant(url) as api:
            api.login()
            for i in range(n):
                status, env = api.call("create_invoice", invoice_fields(referenceNumber=f"H{i}"))
                if status != 200:
                    errors.append(f"{status} {env}")
                    continue
                with lock:
                    made.append(int(env["response"]["id"]))
    except (requests.RequestException, ValueError, AssertionError) as exc:  # reported below
        errors.append(repr(exc))


def _storm(urls: list[str], threads_per_url: int, each: int) -> list[int]:
    made: list[int] = []
    errors: list[str] = []
    lock = threading.Lock()
    threads = [threading.Thread(target=_creates, args=(url, each, made, lock, errors))
               for url in urls for _ in range(threads_per_url)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not errors and not any(t.is_alive() for t in threads), errors[:3]
    return made


def _pay_open(url: str, item_id: int, n: int, made: list[str], lock: threading.Lock,
              errors: list[str]) -> None:
    """``n`` customers' payments on one connection (the kernel hands each to either worker)."""
    try:
        with requests.Session() as session:
            for i in range(n):
                reply = session.post(f"{url}/_mock/open-invoices/{item_id}/pay", timeout=30,
                                     json={"amount": f"{i + 1}.000", "customer": {"name": f"customer {i}"}})
                if reply.status_code != 200:
                    errors.append(f"{reply.status_code} {reply.text}")
                    continue
                with lock:
                    made.append(reply.json()["transaction"]["payment_id"])
    except (requests.RequestException, ValueError) as exc:  # reported below
        errors.append(repr(exc))


def _open_invoice_storm(url: str, threads: int, each: int) -> None:
    """Customers paying one open invoice at once through every worker: all recorded, each once."""
    with HttpMerchant(url) as api:
        api.login()
        status, env = api.call("create_open_invoice", {
            "merchantCode": ALPHA.merchant_code, "title": "Donations", "amountType": "1",
            "minAmount": "1.000", "maxAmount": "50.000", "expiryDate": "2099-12-31"})
        assert status == 200, env
        item_id = int(env["response"]["id"])
        made: list[str] = []
        errors: list[str] = []
        lock = threading.Lock()
        payers = [threading.Thread(target=_pay_open, args=(url, item_id, each, made, lock, errors))
                  for _ in range(threads)]
        for t in payers:
            t.start()
        for t in payers:
            t.join(timeout=120)
        assert not errors and not any(t.is_alive() for t in payers), errors[:3]
        status, item = api.control("GET", f"/open-invoices/{item_id}")
        assert status == 200, item
    recorded = [p["payment_id"] for p in item["payments"]]
    assert len(made) == threads * each and sorted(recorded) == sorted(made)  # none lost, none twice


def test_a_sqlite_file_is_served_by_one_mock(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A one-process mock holds its file alone (its clock, faults and journal are its own); shared
    mocks (``--workers``) may join each other, as hosts join one PostgreSQL database."""
    db = str(tmp_path / "mock.sqlite")
    with mock_process("--db", db) as single:
        link = tmp_path / "link.sqlite"  # the same file under another name is the same file
        link.symlink_to(db)
        for extra, path in (([], db), (["--workers", "2"], db), ([], str(link))):
            assert main([*extra, "--port", "0", "--db", path], environ={}) == 2
            assert f"served by another hesabe-mock (pid {single.proc.pid})" in capsys.readouterr().err
        with HttpMerchant(single.url) as api:  # refused before it touched anything: still serving
            api.login()
            assert api.call("create_invoice", invoice_fields())[0] == 200
    # gone (the kernel let go of its hold): shared mocks may take the file, and share it
    with mock_process("--workers", "2", "--db", db) as one, mock_process("--workers", "2", "--db", db) as two:
        assert main(["--port", "0", "--db", db], environ={}) == 2
        assert "served by another hesabe-mock" in capsys.readouterr().err
        with HttpMerchant(one.url) as api:
            api.login()
            assert api.call("create_invoice", invoice_fields())[0] == 200
        with HttpMerchant(two.url) as api:
            api.login()
            status, env = api.call("list_invoices", {"merchantCode": ALPHA.merchant_code})
            assert status == 200 and env["response"]["invoices"]["pagination"]["total"] == 2


def test_a_url_that_is_not_postgresqls_is_refused_not_taken_for_a_file(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    """The SQLAlchemy spelling of an operator's environment, or a typo, names no SQLite file: it is
    refused with the scheme named and the password left out (it was a 'cannot open ...-lock' error
    that printed the password)."""
    monkeypatch.chdir(tmp_path)
    for url in ("postgresql+psycopg://ops:s3cret@127.0.0.1:5432/mock", "postgresq://ops:s3cret@db/mock"):
        assert main(["--port", "0", "--db", url], environ={}) == 2
        err = capsys.readouterr().err
        assert "unknown scheme" in err and "postgresql://USER@HOST:PORT/NAME" in err, err
        assert "s3cret" not in err
    assert list(tmp_path.iterdir()) == []  # no file made for it


def test_workers_on_one_port_answer_alike(tmp_path: Path) -> None:
    with mock_process("--workers", "2", "--db", str(tmp_path / "mock.sqlite")) as mock:
        made = _storm([mock.url], threads_per_url=4, each=10)
        assert len(set(made)) == len(made) == 40
        _open_invoice_storm(mock.url, threads=8, each=12)
        seen: set[int] = set()
        with HttpMerchant(mock.url) as api:
            api.control("POST", "/clock", {"set": 1_800_000_000, "freeze": True})
        for _ in range(200):  # a fresh connection each: the kernel hands them to either worker
            with HttpMerchant(mock.url) as api:
                _status, index = api.control("GET", "")
                seen.add(index["process"]["pid"])
                assert api.control("GET", "/clock")[1]["frozen"] is True
                api.login()
                status, env = api.call("list_invoices", {"merchantCode": ALPHA.merchant_code})
                assert status == 200 and env["response"]["invoices"]["pagination"]["total"] == 40
            if len(seen) == 2:
                break
        assert len(seen) == 2 and mock.proc.pid not in seen, seen
        with HttpMerchant(mock.url) as api:  # each exchange names the worker that answered it
            _status, journal = api.control("GET", "/journal?operation=list_invoices")
        answered = {entry["pid"] for entry in journal["entries"]}
        assert answered and answered <= seen, (answered, seen)
        killed = seen.pop()
        os.kill(killed, signal.SIGKILL)  # a worker dies: another takes its place, on the same port
        _wait_for_output(mock, f"worker {killed} exited (-9); starting another")
        now: set[int] = set()
        for _ in range(200):
            with HttpMerchant(mock.url) as api:
                now.add(api.control("GET", "")[1]["process"]["pid"])
                api.login()  # the new worker serves the same store and control plane
                status, env = api.call("list_invoices", {"merchantCode": ALPHA.merchant_code})
                assert status == 200 and env["response"]["invoices"]["pagination"]["total"] == 40
                assert api.control("GET", "/clock")[1]["frozen"] is True
            if len(now) == 2:
                break
        assert len(now) == 2 and killed not in now and now & seen, (now, seen)
        assert mock.proc.poll() is None


def _wait_for_output(mock: Any, text: str) -> None:
    deadline = time.monotonic() + 10  # the output reader may not have drained the pipe yet
    while text not in mock.output and time.monotonic() < deadline:
        time.sleep(0.05)
    assert text in mock.output, mock.output[-2000:]


def _workers_of(pid: int) -> set[int]:
    with open(f"/proc/{pid}/task/{pid}/children") as children:
        return {int(p) for p in children.read().split()}


@pytest.mark.skipif(not Path("/proc/self/task").exists(), reason="reads a process's children in /proc")
def test_workers_that_keep_dying_stop_the_mock(tmp_path: Path) -> None:
    with mock_process("--workers", "2", "--db", str(tmp_path / "mock.sqlite")) as mock:
        deadline = time.monotonic() + 60
        while mock.proc.poll() is None and time.monotonic() < deadline:
            for pid in _workers_of(mock.proc.pid):
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
            time.sleep(0.05)
        assert mock.proc.wait(timeout=30) == 1
        _wait_for_output(mock, f"workers died in {RESTART_WINDOW_S:g} s; stopping the others")


@pytest.mark.usefixtures("postgres_url")
def test_two_hosts_on_one_postgres_are_one_mock(tmp_path: Path) -> None:
    from support.postgres import schema_url

    db = schema_url(str(tmp_path))
    with mock_process("--db", db) as one, mock_process("--db", db) as two:
        made = _storm([one.url, two.url], threads_per_url=3, each=10)
        assert len(set(made)) == len(made) == 60  # ids never collide
        with HttpMerchant(one.url) as api_one, HttpMerchant(two.url) as api_two:
            api_one.login()
            api_two.token = api_one.token  # a token issued by one host works on the other
            for invoice_id in made[::7]:
                status, env = api_two.call("get_invoice", {"merchantCode": ALPHA.merchant_code},
                                           id=invoice_id)
                assert status == 200 and int(env["response"]["id"]) == invoice_id
            assert api_two.control("GET", "/journal")[1]["recorded"] >= 60 + 6  # both hosts' exchanges
            assert api_one.control("POST", "/reset", {})[0] == 200
            api_two.login()
            status, env = api_two.call("list_invoices", {"merchantCode": ALPHA.merchant_code})
            assert status == 200 and env["response"]["invoices"]["pagination"]["total"] == 0
            status, env = api_two.call("create_invoice", invoice_fields())
            assert int(env["response"]["id"]) > max(made)


@pytest.mark.usefixtures("postgres_url")
def test_saved_cards_and_the_report_are_one_across_hosts(tmp_path: Path) -> None:
    """The later families on two hosts of one PostgreSQL: a card saved through one is charged
    through the other, a decline queued on one is taken by a charge on the other (once), and
    both hosts' reports and enquiries hold the same approved payments."""
    from support.postgres import schema_url

    db = schema_url(str(tmp_path))
    mc = {"merchantCode": ALPHA.merchant_code}
    with mock_process("--db", db) as one, mock_process("--db", db) as two, \
            HttpMerchant(one.url) as api_one, HttpMerchant(two.url) as api_two:
        api_one.login()
        api_two.token = api_one.token
        card = api_one.save_card("Hosts", "h@example.com")
        status, body = api_two.control("POST", "/charges", {"outcome": "failure", "result_code": "DECLINED"})
        assert status == 201, body
        answers = []
        for n, api in enumerate((api_one, api_two, api_one)):
            status, env = api.call("charge_saved_card", {**mc, "card_id": card, "amount": "2.500",
                                                         "order_reference": f"HOSTS-{n}"})
            assert status in (200, 400), env
            answers.append((env["response"]["paymentToken"], env["status"] is True))
        assert [ok for _token, ok in answers] == [False, True, True]  # the decline was taken once
        approved = {token for token, ok in answers if ok}
        for api in (api_one, api_two):
            status, env = api.call("get_transactions_report", {**mc, "nostats": "1"})
            assert status == 200, env
            assert {r["token"] for r in env["response"]["transactions"]["data"]} == approved
