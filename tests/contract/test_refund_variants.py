"""Proof of power for refunds: each deliberately broken mock is caught by the refund rules.

Every variant is the real mock with one defect added to its store, its refund service or its
answers; the refund state machine (or the per-call ``refund_stats_add_up`` rule) must name it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from contract_breakers import OPEN, Tamper, catching, run_machine, run_property, session_for

from contract_tests.operation_checks import check_invalid, check_valid
from contract_tests.refund_lifecycle import refund_machine
from contract_tests.rules import RULES
from hesabe_spec.enums import RefundStatus
from mock_server.app import create_app

#: long enough runs that refunds get asked for, decided and cancelled
STEPS = {"stateful_step_count": 30, "max_examples": 15}


@pytest.fixture(autouse=True)
def close_targets() -> Any:
    yield
    while OPEN:
        OPEN.pop().close()


def _machine_rules(app: Any, **steps: int) -> set[str]:
    session, res = session_for(app)
    return run_machine(session, refund_machine(session, res), **{**STEPS, **steps})


def _after_an_approved_refund(app: Any, then: Callable[[Any, int], None]) -> set[str]:
    """The machine's own steps, in the order that shows an approved refund: pay, ask the rest,
    approve, then ``then(machine, refund_id)``; the rules that caught something. (Which steps a run of the
    machine draws depends on the constants of every loaded module, so a change anywhere in the
    repository may leave an approval out of the few examples a test can afford.)"""
    session, res = session_for(app)
    machine = refund_machine(session, res)()
    token = machine.pay(5000)
    refund_id = machine.ask_rest(token)
    with catching() as rules:
        machine.decide(refund_id, approve=True)
        then(machine, refund_id)
    return rules


def test_the_unbroken_mock_passes() -> None:
    session, res = session_for(create_app())
    for op in ("create_refund", "get_refund", "list_refunds", "cancel_refund", "get_profile"):
        assert run_property(lambda d, op=op: check_valid(session, res, op, d), max_examples=5) == set()
    assert run_property(lambda d: check_invalid(session, res, "create_refund", d)) == set()
    assert run_machine(session, refund_machine(session, res), **STEPS) == set()


def test_refunding_more_than_was_paid_is_caught() -> None:
    app = create_app()
    store = app.state.mock.store
    insert = store.insert_refund
    store.insert_refund = lambda refund, paid, take_rest: insert(refund, paid * 2, take_rest)
    assert {"refusal_honoured", "refunds_within_paid"} & _machine_rules(app)


def test_refunding_an_unpaid_invoice_is_caught() -> None:
    app = create_app()
    runtime = app.state.mock
    paid_lookup = runtime.refunds.lookups[0]

    def any_invoice(merchant_id: int, token: str) -> Any:
        found = paid_lookup(merchant_id, token)
        inv = runtime.store.get_invoice_by_token(merchant_id, token)
        if found is None and inv is not None:  # an unpaid invoice named by its own token
            from mock_server.state.refundable import PaidTransaction

            return PaidTransaction(merchant_id, token, inv.amount, "invoice", inv.id, inv.reference_number,
                                   None, 1, 2)
        return found

    runtime.refunds.lookups[0] = any_invoice
    assert "refusal_honoured" in _machine_rules(app)


def test_a_cancel_that_keeps_the_amount_is_caught() -> None:
    app = create_app()
    app.state.mock.store.cancel_pending_refund = lambda merchant_id, refund_id: True  # nothing deleted
    rules = _machine_rules(app)
    assert {"refund_status_kept", "refund_stats_match_model", "valid_accepted"} & rules


def test_cancelling_a_decided_refund_is_caught() -> None:
    app = create_app()
    service = app.state.mock.refunds
    real_cancel = service.cancel

    def accept_any_cancel(merchant: Any, refund_id: int) -> Any:
        refund = service.get(merchant.merchant_id, refund_id)
        return refund if refund.status != RefundStatus.PENDING else real_cancel(merchant, refund_id)

    service.cancel = accept_any_cancel  # a decided refund "cancelled": answered true, nothing done
    # the machine's own cancel rule, on a refund asked for and decided
    rules = _after_an_approved_refund(app, lambda machine, refund_id: machine.cancel(refund_id))
    assert rules == {"refusal_honoured"}


def test_stats_that_drift_are_caught() -> None:
    def one_dinar_more_approved(scope: dict[str, Any], env: Any) -> Any:
        if scope["method"] == "GET" and scope["path"].rstrip("/") == "/api/v1/refund" and env.get("status"):
            stats = env["response"]["stats"]
            if stats["approved_total_refund_request_amount"] not in (None, "0.000"):
                whole, frac = stats["approved_total_refund_request_amount"].split(".")
                stats["approved_total_refund_request_amount"] = f"{int(whole) + 1}.{frac}"
        return env

    def read_stats(machine: Any, _refund_id: int) -> None:
        machine.stats_match()

    app = Tamper(create_app(), one_dinar_more_approved)
    assert "refund_stats_add_up" in _after_an_approved_refund(app, read_stats)  # the per-call rule first
    with pytest.MonkeyPatch.context() as patch:  # without it, the model still does
        patch.delitem(RULES, "refund_stats_add_up")
        app = Tamper(create_app(), one_dinar_more_approved)
        assert "refund_stats_match_model" in _after_an_approved_refund(app, read_stats)


def test_approved_refunds_missing_from_the_invoice_are_caught() -> None:
    def no_refunds(scope: dict[str, Any], env: Any) -> Any:
        txn = (env.get("response") or {}).get("transaction") if isinstance(env, dict) else None
        if scope["method"] == "GET" and "/api/v1/invoice/" in scope["path"] and isinstance(txn, dict):
            txn["refund"] = []
        return env

    def end_checks(machine: Any, _refund_id: int) -> None:
        machine.teardown()

    app = Tamper(create_app(), no_refunds)
    assert "approved_in_transaction" in _after_an_approved_refund(app, end_checks)
