"""Sending one call and judging it: build, send, decrypt, run every rule, record, raise.

:class:`ContractSession` is the only way the suite talks to the target's Hesabe API. It uses
the reference client's request builder, transport and token manager (``hesabe_spec``), never
its validation or retries: the suite must see exactly what the server answers to exactly what
was sent, wrong payloads included. The one answer it does not judge is HTTP 429 (throttled, which
says nothing of the operation): it waits as ``Retry-After`` says and sends the same request again,
:data:`THROTTLE_RETRIES` times at most; still throttled, the call is a ``throttled`` violation.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import urlsplit

import pytest
import requests

from contract_tests.errors import ContractViolation, hides_violations
from contract_tests.exchange import Exchange, Intent
from contract_tests.findings import Finding
from contract_tests.mutations import Mutation
from contract_tests.report import Recorder
from contract_tests.rules import run_rules
from contract_tests.target import Target
from contract_tests.values import GenContext
from hesabe_spec import get_operation
from hesabe_spec.client import HesabeClient, build_request
from hesabe_spec.enums import InvoiceStatus
from hesabe_spec.errors import ProtocolError
from hesabe_spec.operations import resolve_operation
from hesabe_spec.wire import decode_response, redact

__all__ = ["MAX_RETRY_AFTER_S", "SESSION_BEARER", "THROTTLE_RETRIES", "ContractSession", "retry_after"]

#: their frames stay out of a ContractViolation's traceback (contract_tests.errors.hides_violations)
__tracebackhide__ = hides_violations

#: a throttled call (HTTP 429) is sent again this many times at most
THROTTLE_RETRIES = 2
#: the longest the suite waits before sending a throttled call again, whatever ``Retry-After`` says
MAX_RETRY_AFTER_S = 10.0

#: sentinel: use the session's own (auto-renewed) access token
SESSION_BEARER = object()


class ContractSession:
    """Calls for one target; tracks what the run created so it can be cancelled at the end."""

    def __init__(
        self,
        target: Target,
        recorder: Recorder | None = None,
        *,
        gen: GenContext,
        throttle: float = 0.0,
        sms_allowed: bool = True,
        served: frozenset[str] | None = None,
    ) -> None:
        self.target = target
        #: the operations the target serves (--hesabe-operations); None: every one
        self.served = served
        self.recorder = recorder or Recorder(target=target.describe())
        self.gen = gen
        self.throttle = throttle
        self.sms_allowed = sms_allowed
        self.client = HesabeClient(target.config, transport=target.transport, validate=False, max_retries=0)
        #: the pytest node id of the running test (set by the fixture), for the report
        self.test_name = ""
        #: tokens of invoices this run created and has not cancelled (cleanup cancels them)
        self.created_invoices: dict[str, int] = {}
        self.created_open_invoices: set[int] = set()
        self.created_bulk_rows: set[int] = set()
        self._last_call = 0.0
        #: called after the target's state was reset (anchors must be recreated)
        self.reset_hooks: list[Callable[[], None]] = []

    @property
    def keys(self) -> Any:
        return self.target.config.keys

    def bearer(self) -> str:
        return self.client.tokens.bearer()

    def call(
        self,
        operation: str,
        payload: Any = None,
        *,
        intent: Intent = "valid",
        path_params: Mapping[str, Any] | None = None,
        query: Mapping[str, Any] | None = None,
        mutation: Mutation | None = None,
        bearer: Any = SESSION_BEARER,
        context: dict[str, Any] | None = None,
        check: bool = True,
        access_code: str | None = None,
    ) -> Exchange:
        """Send ``payload`` (exactly as given) and judge the answer with every rule.

        ``access_code`` replaces the merchant's (to check how an unknown one is refused). Raises
        :class:`ContractViolation` when a rule finds something (unless ``check=False``: the
        findings are in the report, and :meth:`judged` returns them to raise after a test's own
        checks).
        """
        exchange, findings = self.judged(operation, payload, intent=intent, path_params=path_params,
                                         query=query, mutation=mutation, bearer=bearer, context=context,
                                         access_code=access_code)
        if findings and check:
            raise ContractViolation(findings, exchange.request_view())
        return exchange

    def judged(
        self,
        operation: str,
        payload: Any = None,
        *,
        intent: Intent = "valid",
        path_params: Mapping[str, Any] | None = None,
        query: Mapping[str, Any] | None = None,
        mutation: Mutation | None = None,
        bearer: Any = SESSION_BEARER,
        context: dict[str, Any] | None = None,
        access_code: str | None = None,
    ) -> tuple[Exchange, list[Finding]]:
        """:meth:`call` without raising its rules' findings: the exchange and what they found
        (recorded in the report either way). A call that got no answer to judge still raises."""
        op = get_operation(operation)
        if not self.serves(op.name):
            pytest.skip(f"calls {op.name}, which --hesabe-operations leaves out")
        own_bearer = op.auth == "bearer" and bearer is SESSION_BEARER
        if own_bearer:
            bearer = self.bearer()
        elif bearer is SESSION_BEARER:
            bearer = None
        payload = {} if payload is None else payload
        if op.encrypted and isinstance(payload, dict) and "merchantCode" not in payload:
            # Like the reference client: the merchant code rides along unless the payload has one.
            # Generated payloads always carry it (the schemas require it), so they go out as drawn.
            payload = {"merchantCode": self.target.config.merchant_code, **payload}
        if op.payload_in == "none" and isinstance(payload, dict):
            # no payload on the wire: its members are the plain parameters (a boolean as 1/0)
            params = {k: ("1" if v else "0") if isinstance(v, bool) else v for k, v in payload.items()}
            query = {**params, **(query or {})}
        self._pace()
        config = self.target.config
        if access_code is not None:
            config = config.with_changes(access_code=access_code)
        prepared = build_request(op, payload, config, bearer=bearer, path_params=path_params, query=query)
        request = {"method": prepared.method, "path": urlsplit(prepared.url).path, "payload": redact(payload)}
        for attempt in range(THROTTLE_RETRIES + 1):
            try:
                resp = self.target.transport.request(
                    prepared.method,
                    prepared.url,
                    headers=dict(prepared.headers),
                    data=prepared.body,
                    params=dict(prepared.params) if prepared.params else None,
                    timeout=self.target.config.timeout,
                    allow_redirects=False,
                )
            except (requests.RequestException, ConnectionError) as exc:  # dropped, reset, timed out
                within = f"an HTTP answer within {self.target.config.timeout:g} s"
                findings = [Finding(op.name, "answered", "", within, f"none: {_no_answer(exc)}", "response")]
                self.recorder.record_unanswered(op.name, findings, request, self.test_name)
                raise ContractViolation(findings, request) from None
            if resp.status_code != 429 or attempt == THROTTLE_RETRIES:
                break
            wait = retry_after(resp.headers.get("Retry-After"), attempt)
            self.recorder.note_throttled(wait)
            time.sleep(wait)
        if resp.status_code == 429:
            shown = resp.headers.get("Retry-After")
            actual = f"HTTP 429 {THROTTLE_RETRIES + 1} times in a row"
            actual += f" (Retry-After: {shown})" if shown else ""
            expected = "an answer to judge: the target is throttling this run (the live profile paces it)"
            findings = [Finding(op.name, "throttled", "", expected, actual, "response")]
            self.recorder.record_unanswered(op.name, findings, request, self.test_name)
            raise ContractViolation(findings, request)
        body = bytes(resp.content or b"")
        envelope, shape, error = None, None, None
        try:
            decoded = decode_response(body, self.keys)
            envelope, shape = decoded.envelope, decoded.shape
        except ProtocolError as exc:
            error = f"{type(exc).__name__}: {exc}"
        params = {k: v for k, v in (prepared.params or {}).items() if k != "data"}
        context = dict(context or {})
        token, age = self.client.tokens.token, self.client.tokens.age()
        if own_bearer and access_code is None and resp.status_code == 401 and token is not None \
                and age is not None and token.access_token == bearer:
            context["bearer_lived"] = (age, token.expires_in)  # the bearer_honoured rule's facts
        if intent == "invalid" and self.target.own:
            context["mock_findings"] = self._last_findings()
        exchange = Exchange(
            # judged as what the payload makes it (single vs subscription invoice), wherever it went;
            # a call refused before its payload is read (no bearer) is the operation it named
            op if intent == "unauthenticated" else resolve_operation(op, payload),
            intent,
            prepared.method,
            prepared.url,
            payload,
            params,
            int(resp.status_code),
            dict(resp.headers or {}),
            body,
            envelope,
            shape,
            self.keys,
            error,
            mutation,
            context,
        )
        self._track(exchange, path_params or {})
        findings = run_rules(exchange)
        self.recorder.record(exchange, findings, self.test_name)
        return exchange, findings

    def serves(self, operation: str) -> bool:
        """Whether the target serves ``operation`` (``--hesabe-operations``; every one by default)."""
        return self.served is None or operation in self.served

    def _last_findings(self) -> list[dict[str, Any]] | None:
        """The integration findings the mock reported for the call just made (None: not known)."""
        status, body = self.target.control("GET", "journal?limit=1")
        entries = body.get("entries") if status == 200 and isinstance(body, dict) else None
        if not entries or not isinstance(entries[-1].get("findings"), list):
            return None
        findings: list[dict[str, Any]] = entries[-1]["findings"]
        return findings

    def forget_state(self) -> None:
        """The target was reset: nothing this run created exists any more, tokens included."""
        self.client.tokens.clear()
        self.created_invoices.clear()
        self.created_open_invoices.clear()
        self.created_bulk_rows.clear()
        for hook in self.reset_hooks:
            hook()

    def violation(self, findings: list[Finding], request: dict[str, Any]) -> ContractViolation:
        """Record lifecycle findings and return the exception to raise."""
        self.recorder.record_findings(findings, request, self.test_name)
        return ContractViolation(findings, request)

    def _pace(self) -> None:
        # Live targets are shared infrastructure: keep at least ``throttle`` seconds between calls.
        if self.throttle:
            wait = self._last_call + self.throttle - time.monotonic()
            if wait > 0:
                time.sleep(wait)
            self._last_call = time.monotonic()

    def _track(self, ex: Exchange, path_params: Mapping[str, Any]) -> None:
        """Remember what was created (even by a payload that should have been refused)."""
        if not ex.accepted:
            return
        name, response = ex.name, ex.response
        if name in (
            "create_invoice",
            "create_subscription_invoice",
            "create_split_invoice",
            "create_installment_invoice",
        ):
            for inv in response if isinstance(response, list) else [response]:
                if isinstance(inv, dict) and inv.get("token") and isinstance(inv.get("id"), int):
                    self.created_invoices[str(inv["token"])] = inv["id"]
        elif name == "cancel_invoice":
            self.created_invoices.pop(str(path_params.get("token")), None)
        elif (
            name == "create_open_invoice"
            and isinstance(response, dict)
            and isinstance(response.get("id"), int)
        ):
            self.created_open_invoices.add(response["id"])
        elif name == "cancel_open_invoice":
            self.created_open_invoices.discard(int(path_params.get("id", 0)))
        elif name == "upload_bulk_invoices" and isinstance(response, list):
            self.created_bulk_rows.update(
                r["id"] for r in response if isinstance(r, dict) and isinstance(r.get("id"), int)
            )
        elif name == "delete_bulk_invoice":
            self.created_bulk_rows.discard(int(path_params.get("id", 0)))

    def cleanup(self) -> list[str]:
        """Cancel/delete everything this run created and left open; returns what could not be undone.

        Paid invoices cannot be cancelled (and need not be): a refusal there is expected.
        """
        left: list[str] = []
        for kind, operation, made in (("invoice", "cancel_invoice", self.created_invoices),
                                      ("open invoice", "cancel_open_invoice", self.created_open_invoices),
                                      ("bulk row", "delete_bulk_invoice", self.created_bulk_rows)):
            if made and not self.serves(operation):  # the target does not serve the undoing call
                left += [f"{kind} {item} ({operation} not served)" for item in list(made)]
                made.clear()
        for token in list(self.created_invoices):
            ex = self.call(
                "cancel_invoice",
                {"statusId": str(InvoiceStatus.CANCELLED.value)},
                intent="observe",
                path_params={"token": token},
                check=False,
            )
            refused = isinstance(ex.envelope, dict) and ex.envelope.get("status") is False
            # A lifecycle refusal (already paid or cancelled) is fine; a field error is not.
            if ex.accepted or (refused and not isinstance(ex.envelope.get("response"), dict)):
                self.created_invoices.pop(token, None)
            else:
                left.append(f"invoice token {token}")
        for item in list(self.created_open_invoices):
            ex = self.call("cancel_open_invoice", {}, intent="observe", path_params={"id": item}, check=False)
            if not ex.accepted:
                left.append(f"open invoice {item}")
        for row in list(self.created_bulk_rows):
            ex = self.call("delete_bulk_invoice", {}, intent="observe", path_params={"id": row}, check=False)
            if not ex.accepted:
                left.append(f"bulk row {row}")
        return left


def retry_after(header: str | None, attempt: int) -> float:
    """Seconds to wait before sending a throttled call again: ``Retry-After`` in seconds (its
    HTTP-date form and junk count as absent), else 1, 2, 4 ... by attempt; never over
    :data:`MAX_RETRY_AFTER_S`."""
    try:
        seconds = float(header) if header is not None else float(2**attempt)
    except ValueError:
        seconds = float(2**attempt)
    if not seconds >= 0:  # NaN
        seconds = float(2**attempt)
    return min(seconds, MAX_RETRY_AFTER_S)


def _no_answer(exc: Exception) -> str:
    """What came instead of an answer, in a few words (an in-process transport raises the
    built-in ConnectionError where a socket's would be requests')."""
    if isinstance(exc, requests.Timeout):
        return "the server took longer than the client waits (timed out)"
    if isinstance(exc, (requests.ConnectionError, ConnectionError)):
        return "the connection was closed or refused before an answer came"
    return type(exc).__name__
