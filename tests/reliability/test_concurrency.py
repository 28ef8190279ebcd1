"""Concurrency through real HTTP: uvicorn on loopback, many client threads, both stores.

Phase 1, a mixed storm: THREADS threads x OPS operations each (create single/SMS/split invoices,
cancel, pay through the control plane, list), every thread keeping its own model of what it did.
Phase 2, contention: every thread races to cancel or pay the same invoices; exactly one wins each.
Then: ids, tokens and access keys unique; every answered write present once with the status the
model says; dashboard stats equal to the model's counts; stats read mid-storm self-consistent; the
transactions report holds every paid invoice. Saved cards: threads race to charge one card while
the control plane's queued declines are taken, each exactly once.
"""

from __future__ import annotations

import random
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from relkit import ALPHA, HttpMerchant, ServerThread, invoice_fields, make_app, open_store

from hesabe_spec.enums import InvoiceStatus

THREADS = 8
OPS = 50
CONTENDED = 24
UNPAID, PAID, CANCELLED = InvoiceStatus.UNPAID, InvoiceStatus.PAID, InvoiceStatus.CANCELLED
CANCEL = {"merchantCode": ALPHA.merchant_code, "statusId": str(CANCELLED.value)}


@dataclass
class Model:
    invoices: dict[int, dict[str, Any]] = field(default_factory=dict)  # id -> token, amount, ref, status
    access_keys: list[str] = field(default_factory=list)
    tokens: list[str] = field(default_factory=list)
    logins: list[str] = field(default_factory=list)
    mid_storm_stats: list[dict[str, Any]] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, rows: list[dict[str, Any]], ref: str) -> None:
        with self.lock:
            for row in rows:
                assert int(row["id"]) not in self.invoices, f"id {row['id']} handed out twice"
                self.invoices[int(row["id"])] = {"token": str(row["token"]), "amount": row["amount"],
                                                 "ref": ref, "status": UNPAID}
                self.tokens.append(str(row["token"]))
                self.access_keys.append(str(row["access_key"]))


@pytest.fixture(params=["memory", "sqlite", "postgres"])
def server(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[str, Any]]:
    if request.param == "postgres":
        request.getfixturevalue("postgres_url")
    store = open_store(str(request.param), tmp_path)
    app = make_app(store)
    try:
        with ServerThread(app) as url:
            yield url, app
    finally:
        store.close()


def _run_threads(target: Callable[[int], None]) -> None:
    failures: list[BaseException] = []

    def wrapped(n: int) -> None:
        try:
            target(n)
        except BaseException as exc:  # re-raised in the main thread below
            failures.append(exc)

    threads = [threading.Thread(target=wrapped, args=(n,), name=f"storm-{n}") for n in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not any(t.is_alive() for t in threads), "a storm thread hung"
    if failures:
        raise failures[0]


def _storm(url: str, model: Model, n: int) -> None:
    rng = random.Random(n)
    mine: list[int] = []
    with HttpMerchant(url) as api:
        model.logins.append(api.login()["access_token"])
        for i in range(OPS):
            roll = rng.random()
            unpaid = [k for k in mine if model.invoices[k]["status"] == UNPAID]
            if roll < 0.45 or not unpaid:
                ref = f"T{n}-{i}"
                amount = f"{rng.randint(1, 999_999) / 1000:.3f}"
                if rng.random() < 0.15:
                    payload = {"merchantCode": ALPHA.merchant_code, "invoices": [
                        invoice_fields(amount=amount, referenceNumber=ref),
                        invoice_fields(amount=amount, referenceNumber=ref)]}
                    status, env = api.call("create_split_invoice", payload)
                    rows = env["response"] if status == 200 else []
                else:
                    sms = rng.random() < 0.3
                    extra = {"invoiceType": "1", "invoiceSubType": "0", "mobileNumber": "66666666",
                             "countryCode": "965"} if sms else {}
                    status, env = api.call("create_invoice",
                                           invoice_fields(amount=amount, referenceNumber=ref, **extra))
                    rows = [env["response"]] if status == 200 else []
                assert status == 200 and env["status"] is True, (status, env)
                model.add(rows, ref)
                mine += [int(r["id"]) for r in rows]
            elif roll < 0.65:
                victim = rng.choice(unpaid)
                status, env = api.call("cancel_invoice", CANCEL,
                                       token=model.invoices[victim]["token"])
                assert status == 200 and env["status"] is True, (status, env)
                model.invoices[victim]["status"] = CANCELLED
            elif roll < 0.8:
                victim = rng.choice(unpaid)
                status, body = api.control("POST", f"/invoices/{victim}/pay", {"outcome": "success"})
                assert status == 200 and body["paid"] is True, (status, body)
                model.invoices[victim]["status"] = PAID
            else:
                status, env = api.call("list_invoices", {"merchantCode": ALPHA.merchant_code,
                                                         "page": rng.randint(1, 3)})
                assert status == 200, env
                model.mid_storm_stats.append(env["response"]["stats"])


def _contend(url: str, targets: list[dict[str, Any]], wins: Counter[int], n: int) -> None:
    rng = random.Random(1000 + n)
    order = list(range(len(targets)))
    rng.shuffle(order)
    with HttpMerchant(url) as api:
        api.login()
        for k in order:
            t = targets[k]
            if rng.random() < 0.5:
                status, env = api.call("cancel_invoice", CANCEL,
                                       token=t["token"])
                won, outcome = status == 200 and env["status"] is True, CANCELLED
                if not won:
                    assert status == 400 and env["message"] == "Invoice status update failed", (status, env)
            else:
                status, body = api.control("POST", f"/invoices/{t['id']}/pay", {"outcome": "success"})
                won, outcome = status == 200 and body.get("paid") is True, PAID
                assert won or 400 <= status < 500, (status, body)
            if won:
                with t["lock"]:
                    wins[k] += 1
                    t["status"] = outcome


def _dashboard(api: HttpMerchant) -> tuple[dict[str, Any], dict[int, dict[str, Any]]]:
    status, env = api.call("list_invoices", {"merchantCode": ALPHA.merchant_code})
    assert status == 200
    stats = env["response"]["stats"]
    seen: dict[int, dict[str, Any]] = {}
    page = 1
    while True:
        status, env = api.call("list_invoices", {"merchantCode": ALPHA.merchant_code, "page": page})
        rows = env["response"]["invoices"]["data"]
        for row in rows:
            assert int(row["id"]) not in seen, f"id {row['id']} listed twice"
            seen[int(row["id"])] = row
        if not env["response"]["invoices"]["pagination"]["next_page_url"]:
            break
        page += 1
    return stats, seen


def test_storm_then_contention_matches_the_model(server: tuple[str, Any]) -> None:
    url, app = server
    model = Model()
    _run_threads(lambda n: _storm(url, model, n))

    # phase 2: everybody races for the same invoices
    with HttpMerchant(url) as api:
        api.login()
        targets = []
        for i in range(CONTENDED):
            status, env = api.call("create_invoice", invoice_fields(referenceNumber=f"C-{i}", amount="7.000"))
            assert status == 200
            model.add([env["response"]], f"C-{i}")
            targets.append({"id": int(env["response"]["id"]), "token": env["response"]["token"],
                            "lock": threading.Lock(), "status": UNPAID})
    wins: Counter[int] = Counter()
    _run_threads(lambda n: _contend(url, targets, wins, n))
    assert all(wins[k] == 1 for k in range(CONTENDED)), wins

    with HttpMerchant(url) as api:
        api.login()
        for t in targets:  # the single winner's outcome is what the server kept
            status, state = api.control("GET", f"/invoices/{t['id']}")
            assert status == 200 and state["invoice_status"] == t["status"], (state, t)
            model.invoices[t["id"]]["status"] = t["status"]
        stats, listed = _dashboard(api)

    # uniqueness
    assert len(model.invoices) == len(model.tokens) == len(set(model.tokens))
    assert len(set(model.access_keys)) == len(model.access_keys)
    assert len(set(model.logins)) == THREADS
    # nothing lost, nothing duplicated, every status as the model says, amounts and refs intact
    assert set(listed) == set(model.invoices)
    for inv_id, want in model.invoices.items():
        row = listed[inv_id]
        assert (str(row["token"]), row["amount"], row["reference_number"], row["invoice_status"]) == (
            want["token"], want["amount"], want["ref"], want["status"]), (inv_id, row, want)
    # dashboard stats equal the model
    counts = Counter(v["status"] for v in model.invoices.values())
    assert stats["total_invoice_count"] == len(listed)
    assert int(stats["invoice_paid"]) == counts[PAID]
    assert int(stats["invoice_cancelled"]) == counts[CANCELLED]
    assert int(stats["invoice_not_paid"]) == len(listed) - counts[PAID] - counts[CANCELLED]
    for s in model.mid_storm_stats:  # every snapshot read mid-storm adds up
        assert int(s["invoice_paid"]) + int(s["invoice_not_paid"]) + int(s["invoice_cancelled"]) == \
            s["total_invoice_count"]
    assert app.state.mock.store.invoice_counts(ALPHA.merchant_id)  # the store's own counters agree
    assert sum(app.state.mock.store.invoice_counts(ALPHA.merchant_id).values()) == len(model.invoices)
    # the one ledger: the transactions report holds every paid invoice once, at its amount
    with HttpMerchant(url) as api:
        api.login()
        status, env = api.call("get_transactions_report", {"merchantCode": ALPHA.merchant_code})
        assert status == 200, env
    paid = [v for v in model.invoices.values() if v["status"] == PAID]
    report = env["response"]["stats"]
    assert report["total_transactions"] == len(paid)
    assert report["total_amount"] == f"{sum(Decimal(v['amount']) for v in paid):.3f}"


CHARGES = 6  # per thread
DECLINES = 10  # queued through the control plane before the race


def test_racing_charges_of_one_saved_card(server: tuple[str, Any]) -> None:
    """Eight threads charge one saved card at once while the control plane's queued declines are
    taken: every charge answered once with a token of its own, exactly DECLINES declined, and the
    report holds the approved ones and nothing else."""
    url, _app = server
    mc = {"merchantCode": ALPHA.merchant_code}
    with HttpMerchant(url) as api:
        api.login()
        card = api.save_card("Race", "race@example.com")
        for _ in range(DECLINES):
            status, body = api.control("POST", "/charges", {"outcome": "failure",
                                                                       "result_code": "DECLINED"})
            assert status == 201, body
    answers: list[tuple[str, bool]] = []
    lock = threading.Lock()

    def charge(n: int) -> None:
        with HttpMerchant(url) as api:
            api.login()
            for i in range(CHARGES):
                status, env = api.call("charge_saved_card", {**mc, "card_id": card, "amount": "1.250",
                                                             "order_reference": f"R{n}-{i}"})
                assert status in (200, 400) and "paymentToken" in env["response"], (status, env)
                with lock:
                    answers.append((env["response"]["paymentToken"], env["status"] is True))

    _run_threads(charge)
    tokens = [t for t, _ok in answers]
    assert len(tokens) == THREADS * CHARGES == len(set(tokens))
    approved = {t for t, ok in answers if ok}
    assert len(tokens) - len(approved) == DECLINES
    with HttpMerchant(url) as api:
        api.login()
        status, env = api.call("get_transactions_report", {**mc, "nostats": "1", "search": ""})
        assert status == 200, env
        rows = env["response"]["transactions"]["data"]
        status, whole = api.call("get_transactions_report", mc)
    assert whole["response"]["stats"]["total_transactions"] == len(approved)
    assert whole["response"]["stats"]["total_amount"] == f"{Decimal('1.250') * len(approved):.3f}"
    assert {r["token"] for r in rows} <= approved and all(r["source"] == "saved_card" for r in rows)
