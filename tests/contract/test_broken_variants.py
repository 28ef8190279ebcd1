"""Proof of power: each deliberately broken mock is caught by the rule one would expect.

Every variant is the real mock with one defect added, either by a response-editing middleware
(:class:`contract_breakers.Tamper`) or by patching one method on the app's own runtime.
"""

from __future__ import annotations

import dataclasses
import re
from typing import Any

import pytest
from contract_breakers import FAST, OPEN, Tamper, catching, run_machine, run_property, session_for
from hypothesis import settings
from hypothesis.stateful import run_state_machine_as_test

from contract_tests.checkout_lifecycle import checkout_machine
from contract_tests.lifecycle_checks import Model, ModelInvoice, check_details_match_rows, check_pages
from contract_tests.mutations import Mutation, mutations
from contract_tests.operation_checks import check_invalid, check_valid
from contract_tests.rules import RULES
from hesabe_spec.sandbox import SANDBOX
from mock_server.app import create_app
from mock_server.exchange import PipelineHook


@pytest.fixture(autouse=True)
def close_targets() -> Any:
    """Stop every mock a test opened (their webhook workers are threads)."""
    yield
    while OPEN:
        OPEN.pop().close()


def _on(path_part: str, method: str = "") -> Any:
    return lambda scope: path_part in scope["path"] and (not method or scope["method"] == method)


def _editing(when: Any, change: Any) -> Any:
    def edit(scope: dict[str, Any], env: Any) -> Any:
        if when(scope) and isinstance(env, dict) and env.get("status") is True:
            change(env)
        return env

    return edit


def test_the_unbroken_mock_passes() -> None:
    """The baseline: without a defect nothing fires (else the variants below prove nothing)."""
    session, res = session_for(create_app())
    for op in ("create_invoice", "get_invoice", "cancel_invoice", "list_invoices"):
        assert run_property(lambda d, op=op: check_valid(session, res, op, d), max_examples=5) == set()
    assert run_property(lambda d: check_invalid(session, res, "create_invoice", d)) == set()
    assert run_machine(session) == set()


def test_the_unbroken_gateway_passes() -> None:
    session, res = session_for(create_app())
    for op in ("create_checkout", "transaction_enquiry", "capture_authorization", "cancel_authorization"):
        assert run_property(lambda d, op=op: check_valid(session, res, op, d), max_examples=5) == set()
    assert run_property(lambda d: check_invalid(session, res, "create_checkout", d)) == set()
    assert run_machine(session, checkout_machine(session)) == set()


def test_field_with_wrong_type_is_caught_by_response_schema() -> None:
    def amount_as_number(env: dict[str, Any]) -> None:
        env["response"]["amount"] = float(env["response"]["amount"])

    app = Tamper(create_app(), _editing(_on("/api/v1/invoice", "POST"), amount_as_number))
    session, res = session_for(app)
    assert "response_schema" in run_property(lambda d: check_valid(session, res, "create_invoice", d))


def test_missing_field_is_caught_by_response_schema() -> None:
    def drop_token(env: dict[str, Any]) -> None:
        env["response"].pop("token", None)

    app = Tamper(create_app(), _editing(_on("/api/v1/invoice/", "GET"), drop_token))
    session, res = session_for(app)
    assert "response_schema" in run_property(lambda d: check_valid(session, res, "get_invoice", d))


def test_wrong_message_is_caught_by_success_message() -> None:
    def prose_message(env: dict[str, Any]) -> None:
        env["message"] = "Invoice status update successfully"  # the docs' prose, not the wire

    app = Tamper(create_app(), _editing(_on("/api/v1/invoice/", "PUT"), prose_message))
    session, res = session_for(app)
    assert run_property(lambda d: check_valid(session, res, "cancel_invoice", d)) == {"success_message"}


def test_202_for_a_success_is_caught_by_success_status() -> None:
    from mock_server.faults import rule_from_json

    app = create_app()
    app.state.mock.faults.add(rule_from_json({"kind": "mutate_reply", "operation": "get_profile",
                                              "http_status": 202}))
    session, res = session_for(app)
    assert run_property(lambda d: check_valid(session, res, "get_profile", d)) == {"success_status"}


def test_a_dropped_connection_is_caught_by_answered() -> None:
    """No answer at all (the connection closed): a violation named like the others, in the report."""
    from mock_server.faults import rule_from_json

    app = create_app()
    app.state.mock.faults.add(rule_from_json({"kind": "drop_connection", "operation": "get_profile"}))
    session, res = session_for(app)
    assert run_property(lambda d: check_valid(session, res, "get_profile", d)) == {"answered"}
    [record] = [v for v in session.recorder.violations.values() if v.finding.operation == "get_profile"]
    assert record.finding.rule == "answered" and "closed" in record.finding.actual
    assert session.recorder.tallies["get_profile"].violations >= 1


def test_a_throttled_call_is_sent_again_as_retry_after_says(monkeypatch: pytest.MonkeyPatch) -> None:
    """HTTP 429 says nothing of the operation: the call goes again after Retry-After, and is judged
    on the answer it then gets; the report says how often and how long."""
    import contract_tests.session as session_module
    from mock_server.faults import rule_from_json

    waits: list[float] = []
    monkeypatch.setattr(session_module.time, "sleep", waits.append)
    app = create_app()
    app.state.mock.faults.add(rule_from_json({"kind": "rate_limit", "operation": "get_profile", "times": 2,
                                              "retry_after": 3}))
    session, _res = session_for(app)
    ex = session.call("get_profile", {})
    assert ex.status == 200 and ex.accepted
    assert waits == [3.0, 3.0] and session.recorder.throttled == 2 and not session.recorder.violations
    assert any("2 call(s) answered HTTP 429" in line for line in session.recorder.lines())


def test_a_target_that_keeps_throttling_is_a_throttled_violation(monkeypatch: pytest.MonkeyPatch) -> None:
    import contract_tests.session as session_module
    from mock_server.faults import rule_from_json

    monkeypatch.setattr(session_module.time, "sleep", lambda _s: None)
    app = create_app()
    app.state.mock.faults.add(rule_from_json({"kind": "rate_limit", "operation": "get_profile",
                                              "retry_after": 60}))
    session, res = session_for(app)
    assert run_property(lambda d: check_valid(session, res, "get_profile", d)) == {"throttled"}
    [record] = [v for v in session.recorder.violations.values() if v.finding.operation == "get_profile"]
    assert record.finding.actual == "HTTP 429 3 times in a row (Retry-After: 60)"


@pytest.mark.parametrize(("header", "attempt", "seconds"), [
    ("3", 0, 3.0), ("0", 1, 0.0), ("2.5", 0, 2.5), (None, 0, 1.0), (None, 2, 4.0), ("3600", 0, 10.0),
    ("Wed, 21 Oct 2026 07:28:00 GMT", 1, 2.0), ("nan", 0, 1.0), ("-5", 0, 1.0),
])
def test_retry_after_is_read_in_seconds_and_capped(header: str | None, attempt: int, seconds: float) -> None:
    from contract_tests.session import retry_after

    assert retry_after(header, attempt) == seconds


def test_16_byte_padding_is_caught_by_response_padding() -> None:
    session, res = session_for(Tamper(create_app(), block_size=16))
    assert "response_padding" in run_property(lambda d: check_valid(session, res, "list_invoices", d))
    [padded] = [v for v in session.recorder.violations.values() if v.finding.rule == "response_padding"]
    assert padded.finding.actual.endswith("standard 16-byte PKCS#7 (most libraries' default), not Hesabe's "
                                          "32-byte blocks")  # says what the server did


def test_200_instead_of_401_is_caught_by_unauthenticated_rejected() -> None:
    app = create_app()
    runtime = app.state.mock
    merchant = runtime.merchants.merchants[0]
    runtime.tokens.authenticate = lambda _bearer: merchant  # any bearer is good enough
    session, _res = session_for(app)
    with catching() as rules:
        session.call("list_invoices", {}, intent="unauthenticated", bearer="not-a-token")
    assert rules == {"unauthenticated_rejected"}


def test_validation_switched_off_is_caught_by_invalid_rejected(monkeypatch: pytest.MonkeyPatch) -> None:
    import mock_server.pipeline as pipeline

    monkeypatch.setattr(pipeline, "validate_request", lambda *_a: [])
    session, res = session_for(create_app())
    rules = run_property(lambda d: check_invalid(session, res, "create_invoice", d), max_examples=30)
    assert "invalid_rejected" in rules


class _StoresWhatItRefuses(PipelineHook):
    """A server that refuses a create's field and stores an invoice with its reference anyway."""

    def __init__(self, mock: Any) -> None:
        self.mock = mock

    def after(self, ex: Any) -> None:
        from hesabe_spec.enums import InvoiceKind
        from mock_server.handlers.invoices import new_invoice

        reference = ex.request.get("referenceNumber") if isinstance(ex.request, dict) else None
        if ex.operation == "create_invoice" and ex.status == 400 and isinstance(reference, str) and reference:
            command = new_invoice({"amount": "5", "invoiceType": "0", "expiresAt": "2099-01-01",
                                   "referenceNumber": reference})
            self.mock.domain.invoices.create(self.mock.merchants.merchants[0], command, InvoiceKind.SINGLE)


def test_a_refusal_that_stores_an_invoice_is_caught_by_refusal_changes_nothing() -> None:
    app = create_app()
    session, res = session_for(app)
    assert "refusal_changes_nothing" not in run_property(
        lambda d: check_invalid(session, res, "create_invoice", d), max_examples=30)
    app.state.mock.hooks.append(_StoresWhatItRefuses(app.state.mock))
    rules = run_property(lambda d: check_invalid(session, res, "create_invoice", d), max_examples=30)
    assert "refusal_changes_nothing" in rules


class _Reworded(PipelineHook):
    """A server refusing a cancel of a cancelled invoice in words other than Hesabe's."""

    def after(self, ex: Any) -> None:
        if ex.operation == "cancel_invoice" and ex.status == 400 and isinstance(ex.body, dict):
            ex.body = {**ex.body, "message": "Invoice could not be updated"}


class _BusyNeighbour(PipelineHook):
    """Another worker of the same run on the same merchant: between this worker's two searches
    it creates an invoice with a reference its own draws produce (prefix and eight digits)."""

    def __init__(self, mock: Any) -> None:
        self.mock = mock

    def after(self, ex: Any) -> None:
        from hesabe_spec.enums import InvoiceKind
        from mock_server.handlers.invoices import new_invoice

        search = ex.request.get("search") if isinstance(ex.request, dict) else None
        drawn = isinstance(search, str) and re.fullmatch(r"ctproof\d{8}", search)
        if ex.operation == "list_invoices" and drawn:
            command = new_invoice({"amount": "5", "invoiceType": "0", "expiresAt": "2099-01-01",
                                   "referenceNumber": search})
            self.mock.domain.invoices.create(self.mock.merchants.merchants[0], command, InvoiceKind.SINGLE)


def test_other_workers_creates_are_not_taken_for_a_refusals() -> None:
    """refusal_changes_nothing searches for a reference the refused call alone carries."""
    app = create_app()
    app.state.mock.hooks.append(_BusyNeighbour(app.state.mock))
    session, res = session_for(app)
    rules = run_property(lambda d: check_invalid(session, res, "create_invoice", d), max_examples=30)
    assert "refusal_changes_nothing" not in rules


def test_a_refusal_in_other_words_is_caught_by_refusal_honoured() -> None:
    from hesabe_spec.client import ASGITransport, HesabeClient

    app = create_app()
    with ASGITransport(app) as transport:
        client = HesabeClient(base_url="http://in.process", transport=transport)
        token = client.create_invoice(amount="5", invoice_type="0", expires_at="2099-01-01")["token"]
        client.cancel_invoice(token)
    session, _res = session_for(app)
    cancel = {"merchantCode": SANDBOX.merchant_code, "statusId": "3"}
    with catching() as rules:
        session.call("cancel_invoice", dict(cancel), path_params={"token": token}, intent="refused")
    assert rules == set()  # the verified words: nothing to report
    app.state.mock.hooks.append(_Reworded())
    with catching() as rules:
        session.call("cancel_invoice", dict(cancel), path_params={"token": token}, intent="refused")
    assert rules == {"refusal_honoured"}


def test_invoice_lost_after_create_is_caught_by_the_lifecycle_model() -> None:
    app = create_app()
    store = app.state.mock.store
    lost: set[int] = set()
    create, get = store.create_invoices, store.get_invoice

    def create_and_lose_the_first(build: Any) -> Any:
        made = create(build)
        if not lost:
            lost.add(made[0].id)
        return made

    store.create_invoices = create_and_lose_the_first
    store.get_invoice = lambda merchant_id, invoice_id: (
        None if invoice_id in lost else get(merchant_id, invoice_id)
    )
    session, _res = session_for(app)
    assert "found_by_get" in run_machine(session)


def test_stats_off_by_one_is_caught_by_stats_match_model() -> None:
    def one_unpaid_shown_paid(env: dict[str, Any]) -> None:
        stats = env["response"]["stats"]  # consistent in itself and with the list: only history shows it
        if int(stats["invoice_not_paid"] or 0):
            stats["invoice_not_paid"] = str(int(stats["invoice_not_paid"]) - 1)
            stats["invoice_paid"] = str(int(stats["invoice_paid"]) + 1)

    app = Tamper(create_app(), _editing(_on("/invoice-dashboard"), one_unpaid_shown_paid))
    session, _res = session_for(app)
    assert "stats_match_model" in run_machine(session)


def test_pagination_skipping_an_item_is_caught_by_the_page_walk(monkeypatch: pytest.MonkeyPatch) -> None:
    app = create_app()
    store = app.state.mock.store
    listing = store.list_invoices

    def skip_one_at_each_page_break(merchant_id: int, query: Any) -> Any:
        if query.offset:
            query = dataclasses.replace(query, offset=query.offset + 1)
        return listing(merchant_id, query)

    store.list_invoices = skip_one_at_each_page_break
    session, res = session_for(app)
    model = Model()
    for _ in range(20):  # more than one page of 15
        inv = res.fresh_invoice()
        model.invoices[inv["id"]] = ModelInvoice(inv["id"], inv["token"], inv["reference_number"], 1)
    with catching() as rules:
        check_pages(session, model)
    assert rules == {"page_counts_consistent"}  # the short second page is caught by its own answer
    monkeypatch.delitem(RULES, "page_counts_consistent")  # and without that rule, by the walk
    with catching() as rules:
        check_pages(session, model)
    assert {"pages_consistent", "found_on_a_page"} <= rules


# -- rules that read one list answer (each also checked against seed 003: test_rules_on_seed.py) ---
def _with_invoices(app: Any, n: int = 3) -> tuple[Any, Any]:
    session, res = session_for(app)
    for _ in range(n):
        res.fresh_invoice()
    return session, res


def _dashboard_rules(change: Any, payload: dict[str, Any] | None = None) -> set[str]:
    """The rules that catch a dashboard answer edited by ``change``, on a mock with three invoices."""
    session, _res = _with_invoices(Tamper(create_app(), _editing(_on("/invoice-dashboard"), change)))
    with catching() as rules:
        session.call("list_invoices", payload or {})
    return rules


def test_counters_that_do_not_add_up_are_caught_by_stats_add_up() -> None:
    def one_more_paid(env: dict[str, Any]) -> None:
        stats = env["response"]["stats"]
        stats["invoice_paid"] = str(int(stats["invoice_paid"] or 0) + 1)

    assert _dashboard_rules(one_more_paid) == {"stats_add_up"}


def test_stats_apart_from_the_list_total_are_caught_by_stats_match_pagination() -> None:
    def one_more_everywhere_in_stats(env: dict[str, Any]) -> None:
        stats = env["response"]["stats"]  # consistent in itself, apart from the list it came with
        stats["total_invoice_count"] += 1
        stats["invoice_not_paid"] = str(int(stats["invoice_not_paid"] or 0) + 1)

    assert _dashboard_rules(one_more_everywhere_in_stats) == {"stats_match_pagination"}
    # filtered: stats ignore filters, so there is nothing to compare
    assert _dashboard_rules(one_more_everywhere_in_stats, {"search": "nothing"}) == set()


def test_a_count_that_misfits_the_page_is_caught_by_page_counts_consistent() -> None:
    def one_row_short(env: dict[str, Any]) -> None:
        env["response"]["invoices"]["pagination"]["count"] -= 1

    assert _dashboard_rules(one_row_short) == {"page_counts_consistent"}


def test_a_missing_next_link_is_caught_by_page_counts_consistent() -> None:
    def no_next(env: dict[str, Any]) -> None:
        env["response"]["pagination"]["next_page_url"] = None

    app = Tamper(create_app(), _editing(_on("/open-invoice/", "GET"), no_next))
    session, _res = session_for(app)
    for _ in range(16):  # more than one page of 15
        session.call("create_open_invoice", {"title": "T", "amountType": "0", "fixAmount": "5.000"})
    with catching() as rules:
        session.call("list_open_invoices", {})
    assert rules == {"page_counts_consistent"}


def test_details_that_disagree_with_their_row_are_caught_by_details_match_row() -> None:
    def other_amount(env: dict[str, Any]) -> None:
        env["response"]["amount"] = "99.999"

    app = Tamper(create_app(), _editing(lambda s: s["path"].startswith("/api/v1/invoice/") and
                                        s["method"] == "GET", other_amount))
    session, _res = _with_invoices(app)
    ex = session.call("list_invoices", {})
    with catching() as rules:
        check_details_match_rows(session, ex.response["invoices"]["data"])
    assert rules == {"details_match_row"}


# -- the one-rule-broken payloads follow the server's leniencies ------------------------------------
def _broken_at(operation: str, kind: str, pointer: str, payload: dict[str, Any]) -> Mutation:
    found = [m for m in mutations(operation, payload) if (m.kind, m.pointer) == (kind, pointer)]
    assert found, (kind, pointer)
    return found[0]


_INVOICE = {"merchantCode": "842217", "amount": "20.000", "invoiceType": "0", "expiresAt": "2099-12-31",
            "customerName": "Test", "referenceNumber": "LEN-1"}


def test_the_unbroken_mock_answers_drift_506_and_tolerates_with_a_finding() -> None:
    session, _res = session_for(create_app())
    drift = _broken_at("create_invoice", "drift", "/amount", _INVOICE)
    empty = _broken_at("create_invoice", "minLength", "/customerName", _INVOICE)
    for mutation in (drift, empty):
        with catching() as rules:
            ex = session.call("create_invoice", mutation.payload, intent="invalid", mutation=mutation)
        assert rules == set()
    assert ex.accepted and "empty_value" in [f["rule"] for f in ex.context["mock_findings"]]


def test_a_field_error_for_a_drifted_amount_is_caught_by_invalid_rejected(
        monkeypatch: pytest.MonkeyPatch) -> None:
    import mock_server.pipeline as pipeline
    from hesabe_spec.tolerance import Tolerated

    monkeypatch.setattr(pipeline, "tolerate", lambda _op, payload: Tolerated(payload, ()))  # the docs' letter
    session, _res = session_for(create_app())
    drift = _broken_at("create_invoice", "drift", "/amount", _INVOICE)
    with catching() as rules:
        session.call("create_invoice", drift.payload, intent="invalid", mutation=drift)
    assert rules == {"invalid_rejected"}
    empty = _broken_at("create_invoice", "minLength", "/customerName", _INVOICE)
    with catching() as rules:  # refusing what the real server reads is caught too
        session.call("create_invoice", empty.payload, intent="invalid", mutation=empty)
    assert rules == {"invalid_rejected"}


def test_a_tolerance_without_its_finding_is_caught_by_invalid_rejected() -> None:
    class Forget(PipelineHook):  # a mock that tolerates silently
        def after(self, ex: Any) -> None:
            ex.findings.clear()

    app = create_app()
    app.state.mock.hooks.insert(0, Forget())
    session, _res = session_for(app)
    empty = _broken_at("create_invoice", "minLength", "/customerName", _INVOICE)
    with catching() as rules:
        session.call("create_invoice", empty.payload, intent="invalid", mutation=empty)
    assert rules == {"invalid_rejected"}


# -- the payment gateway ---------------------------------------------------------------------------
def test_checkout_answer_without_its_token_is_caught_by_response_schema() -> None:
    app = Tamper(create_app(), _editing(_on("/checkout", "POST"), lambda env: env.pop("token")))
    session, res = session_for(app)
    assert "response_schema" in run_property(lambda d: check_valid(session, res, "create_checkout", d))


def test_gateway_field_errors_under_response_are_caught_by_invalid_rejected(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """The gateway's field errors sit under ``data``; put anywhere the rule does not look, they are lost."""
    from mock_server import gateway

    real = gateway.gateway_error
    monkeypatch.setattr(gateway, "gateway_error", lambda code, message=None, errors=None: real(code, message))
    session, res = session_for(create_app())
    assert "invalid_rejected" in run_property(lambda d: check_invalid(session, res, "create_checkout", d))


def test_a_callback_that_disagrees_with_the_enquiry_is_caught(monkeypatch: pytest.MonkeyPatch) -> None:
    from mock_server.control import routes

    real = routes.callback_url
    monkeypatch.setattr(routes, "callback_url", lambda checkout, keys, nesting="flat": real(
        dataclasses.replace(checkout, amount="0.001"), keys, nesting))
    session, _res = session_for(create_app())
    assert "callback_matches_enquiry" in run_machine(session, checkout_machine(session))


def _patched_enquiry(app: Any, change: Any) -> Any:
    checkouts = app.state.mock.checkouts
    real = checkouts.enquire

    def enquire(merchant: Any, key: str, by_reference: bool) -> Any:
        found = real(merchant, key, by_reference)
        return None if found is None else change(*found)

    checkouts.enquire = enquire
    return app


def test_a_declined_attempt_reported_paid_is_caught() -> None:
    def paid_after_all(named: Any, attempts: list[Any]) -> Any:
        def fix(checkout: Any) -> Any:
            failed = checkout.status == "FAILED"
            return dataclasses.replace(checkout, status="SUCCESSFUL") if failed else checkout

        return fix(named), [fix(c) for c in attempts]

    session, _res = session_for(_patched_enquiry(create_app(), paid_after_all))
    rules = run_machine(session, checkout_machine(session))
    assert {"declined_never_captured", "status_never_backwards"} & rules, rules


def test_an_enquiry_that_forgets_an_attempt_is_caught() -> None:
    def first_one_forgotten(named: Any, attempts: list[Any]) -> Any:
        return named, attempts[1:] if len(attempts) > 1 else attempts

    session, _res = session_for(_patched_enquiry(create_app(), first_one_forgotten))
    assert "enquiry_lists_attempts" in run_machine(session, checkout_machine(session), stateful_step_count=30)


def test_a_full_refund_the_enquiry_ignores_is_caught() -> None:
    app = create_app()
    app.state.mock.checkouts.reported = lambda checkout: checkout  # refunds never show
    session, _res = session_for(app)
    # it takes a paid checkout refunded, approved and read back: more runs than the other variants
    assert "refunded_in_enquiry" in run_machine(session, checkout_machine(session), stateful_step_count=30,
                                                max_examples=60)


def test_refunding_a_declined_checkout_is_caught() -> None:
    app = create_app()
    checkouts = app.state.mock.checkouts

    def declined_too(merchant_id: int, token: str) -> Any:
        found = checkouts.store.find_checkout(token)
        if found is None or found.status != "FAILED":
            return None
        checkouts.store.update_checkout(dataclasses.replace(found, status="SUCCESSFUL"))
        try:  # the lookup as if the payment had gone through
            return checkouts.find_paid(merchant_id, token)
        finally:
            checkouts.store.update_checkout(found)

    app.state.mock.refunds.lookups.append(declined_too)
    session, _res = session_for(app)
    assert "refusal_honoured" in run_machine(session, checkout_machine(session), stateful_step_count=30,
                                             max_examples=60)


def test_an_unauthenticated_call_is_judged_as_the_operation_it_named() -> None:
    """Refused before its payload is read, a call to the subscription route with a payload that
    names no subscription field is still the subscription invoice's (not create_invoice's)."""
    from mock_server.faults import rule_from_json

    app = create_app()
    app.state.mock.faults.add(rule_from_json({"kind": "mutate_reply", "http_status": 404,
                                              "operation": "create_subscription_invoice"}))
    session, _res = session_for(app)
    with catching() as rules:
        session.call("create_subscription_invoice", {}, intent="unauthenticated", bearer="not-a-token")
    assert rules == {"unauthenticated_rejected"}
    [record] = session.recorder.violations.values()
    assert record.finding.operation == "create_subscription_invoice"


def test_a_500_on_an_unknown_field_is_caught(monkeypatch: pytest.MonkeyPatch) -> None:
    """Hesabe ignores a member it does not define; a server that fails on one (a PHP trial's own
    server did) is a no_server_error: the invalid payloads include a documented field in snake_case."""
    import mock_server.pipeline as pipeline

    real = pipeline.tolerate

    def crashing(operation: str, payload: Any) -> Any:
        tolerated = real(operation, payload)
        if any(note.rule == "unknown_field" for note in tolerated.notes):
            raise RuntimeError("unexpected key")
        return tolerated

    monkeypatch.setattr(pipeline, "tolerate", crashing)
    session, _res = session_for(create_app())
    valid = {"merchantCode": SANDBOX.merchant_code, "amount": "5.000", "customerName": "Huda",
             "invoiceType": "0", "expiresAt": "2099-01-01"}
    [unknown] = [m for m in mutations("create_invoice", valid) if m.kind == "unknown"]
    assert unknown.pointer == "/customer_name" and unknown.payload["customer_name"] == "Huda"
    with catching() as rules:
        session.call("create_invoice", unknown.payload, intent="invalid", mutation=unknown)
    assert "no_server_error" in rules



def test_a_refusal_the_lifecycle_expects_but_answered_wrongly_fails_the_test() -> None:
    """The QA trial: a second cancel refused with another message (or with HTTP 500) was in the
    report while every test passed (exit code 0). The lifecycle's own checks come first; then
    whatever the rules found on that call fails the machine."""
    def reworded(scope: dict[str, Any], env: Any) -> Any:
        if _on("/api/v1/invoice/", "PUT")(scope) and isinstance(env, dict) and env.get("status") is False:
            env["message"] = "Invoice already cancelled"
        return env

    session, _res = session_for(Tamper(create_app(), reworded))
    session.served = _CANCELLING  # more of the steps are cancels, so a second one comes soon
    assert "refusal_honoured" in run_machine(session, stateful_step_count=20, max_examples=30)


#: a lifecycle of creates, reads and cancels
_CANCELLING = frozenset({"login", "refresh_token", "create_invoice", "get_invoice", "list_invoices",
                         "cancel_invoice"})


def test_the_lifecycle_on_a_server_serving_part_of_the_api_still_finds_a_second_cancel(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """The PHP trial's server: six operations, and a cancel that accepts a cancelled invoice again.
    Restricted to what it serves (--hesabe-operations), the lifecycle calls nothing else and still
    finds it."""
    from mock_server.state.errors import Refused
    from mock_server.state.invoices import InvoiceService

    cancel = InvoiceService.cancel

    def cancel_again(self: InvoiceService, merchant: Any, token: str) -> Any:
        try:
            return cancel(self, merchant, token)
        except Refused:  # already cancelled: "Invoice status update successful" all the same
            return None

    monkeypatch.setattr(InvoiceService, "cancel", cancel_again)
    session, _res = session_for(create_app())
    session.served = _CANCELLING
    assert "refusal_honoured" in run_machine(session, stateful_step_count=20, max_examples=30)
    assert set(session.recorder.tallies) <= session.served


def test_the_checkout_lifecycle_on_a_server_serving_checkout_and_enquiry_still_finds_a_lost_attempt() -> None:
    """A checkout-only server (the Payment Gateway integration most merchants run): restricted to
    opening checkouts and enquiring (--hesabe-operations), the checkout lifecycle calls nothing
    else and still finds an enquiry that forgets an attempt."""
    def first_one_forgotten(named: Any, attempts: list[Any]) -> Any:
        return named, attempts[1:] if len(attempts) > 1 else attempts

    session, _res = session_for(_patched_enquiry(create_app(), first_one_forgotten))
    session.served = frozenset({"create_checkout", "transaction_enquiry"})
    rules = run_machine(session, checkout_machine(session), stateful_step_count=30)
    assert "enquiry_lists_attempts" in rules
    assert set(session.recorder.tallies) <= session.served


def test_the_checkout_lifecycle_runs_whole_on_the_operations_served() -> None:
    """Restricted to opening and enquiring, the unbroken mock passes every example of the checkout
    lifecycle: none of them is skipped for calling capture, void or refund."""
    session, _res = session_for(create_app())
    session.served = frozenset({"create_checkout", "transaction_enquiry"})
    try:
        run_state_machine_as_test(checkout_machine(session), settings=settings(FAST, stateful_step_count=20))
    except pytest.skip.Exception as exc:  # what the suite does at a call left out: a failure here
        pytest.fail(f"a rule called an operation not served: {exc}")
    assert set(session.recorder.tallies) == session.served


def test_a_status_filter_the_server_ignores_is_caught_by_filtered_by_status(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """The QA trial's server took the status filter, then answered the unfiltered list."""
    import mock_server.handlers.invoices as handlers
    from mock_server.state.models import InvoiceQuery

    monkeypatch.setattr(handlers, "InvoiceQuery", lambda **fields: InvoiceQuery(**{**fields, "status": None}))
    session, _res = session_for(create_app())
    session.served = _CANCELLING
    assert "filtered_by_status" in run_machine(session, stateful_step_count=20, max_examples=30)


def test_upper_case_hex_is_caught_by_response_hex_lowercase() -> None:
    """PHP's bin2hex writes lower case; a server writing upper case was not flagged (QA trial)."""
    session, res = session_for(Tamper(create_app(), upper_hex=True))
    assert run_property(lambda d: check_valid(session, res, "get_profile", d)) == {"response_hex_lowercase"}


def test_a_server_error_is_reported_with_what_its_body_began_with() -> None:
    """An HTML error page said only "HTTP 500"; its Content-Type and first words tell a framework's
    page from the API's own answer."""
    async def html_500(scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http" and scope["path"].startswith("/api/v1/profile"):
            page = b"<!DOCTYPE html>\n<html>\n  <title>Server Error</title>"
            await send({"type": "http.response.start", "status": 500,
                        "headers": [(b"content-type", b"text/html; charset=UTF-8")]})
            await send({"type": "http.response.body", "body": page})
            return
        await app(scope, receive, send)

    app = create_app()
    html_500.state = app.state  # type: ignore[attr-defined]
    session, res = session_for(html_500)
    assert "no_server_error" in run_property(lambda d: check_valid(session, res, "get_profile", d))
    [record] = [v for v in session.recorder.violations.values() if v.finding.rule == "no_server_error"]
    assert record.finding.actual == ("HTTP 500 (text/html; charset=UTF-8): <!DOCTYPE html> <html> "
                                     "<title>Server Error</title>")


def test_a_bearer_refused_before_it_expires_is_caught_by_bearer_honoured(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """The QA trial's server ended tokens after 5 s of the 900 its login promised: 36 findings of
    as many operations, none naming the cause. bearer_honoured names it."""
    from mock_server.auth import TokenService

    monkeypatch.setattr(TokenService, "authenticate", lambda self, bearer: None)
    session, res = session_for(create_app())
    rules = run_property(lambda d: check_valid(session, res, "get_profile", d))
    assert "bearer_honoured" in rules
    [record] = [v for v in session.recorder.violations.values() if v.finding.rule == "bearer_honoured"]
    assert record.finding.expected == "the bearer accepted for expires_in = 900 s"


def test_a_401_for_the_access_code_is_not_blamed_on_the_bearer() -> None:
    """"Invalid Signature." (a wrong accessCode, the way call(access_code=...) tests it) is not the
    token's doing: bearer_honoured stays silent, as it does for an accepted call."""
    session, _res = session_for(create_app())
    ex, findings = session.judged("list_invoices", {}, intent="unauthenticated",
                                  access_code="00000000-0000-0000-0000-000000000000")
    assert ex.status == 401 and "bearer_honoured" not in {f.rule for f in findings}
