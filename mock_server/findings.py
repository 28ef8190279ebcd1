"""Integration findings: what the real server would accept but is probably a mistake in the integration.

Every Hesabe exchange carries the findings it produced (the journal shows them under
``"findings"``); :class:`FindingsLog` counts them per rule for ``GET /_mock/findings`` and keeps
the recent ones for the pytest fixtures, which fail a test at teardown on an error-severity one.

A finding is ``{"rule", "severity", "message", "pointer"}``. Each rule has a default severity
(:data:`CATALOG`, documented in docs/findings.md):

* **error**: the real server silently drops or mangles something the integration sent (an
  unknown or misspelt field, an empty value it nulls, an amount it refuses as a whole), or the
  integration repeats a create it never heard back from (a reused reference right after a
  failed or unanswered create may charge a customer twice);
* **warning**: style the server accepts (0-2 decimal amounts, 16-byte padding, upper-case hex),
  or something worth a look (a token used after it expired, a page number it ignores).
"""

from __future__ import annotations

import json
import threading
from collections import Counter, deque
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Literal, NamedTuple

from hesabe_spec.tolerance import Note
from mock_server.state.shared import SharedState

__all__ = [
    "CATALOG",
    "ERROR",
    "WARNING",
    "Finding",
    "FindingRule",
    "FindingsLog",
    "Severity",
    "SharedFindingsLog",
    "finding",
    "from_note",
    "summarize",
]

Severity = Literal["error", "warning"]
ERROR: Severity = "error"
WARNING: Severity = "warning"


@dataclass(frozen=True, slots=True)
class FindingRule:
    """One kind of finding, its default severity and what it means."""

    name: str
    severity: Severity
    summary: str


def _rules(*rules: FindingRule) -> dict[str, FindingRule]:
    return {rule.name: rule for rule in rules}


#: every finding rule, by name, in the order docs/findings.md lists them
CATALOG: dict[str, FindingRule] = _rules(
    FindingRule("unknown_field", ERROR, "a field the docs do not define (a typo, snake_case): the server "
                                        "ignores it"),
    FindingRule("empty_value", ERROR, "an empty string the field cannot hold: the server treats it as "
                                      "absent"),
    FindingRule("amount_precision", ERROR, "an amount with more than 3 decimals (float drift): the server "
                                           "refuses the whole request with 506 Invalid Request Data"),
    FindingRule("reference_retried", ERROR, "a create reusing the reference number of a create that failed "
                                            "or was never answered moments before: it may charge twice"),
    FindingRule("padding_by_characters", ERROR, "the pad was counted in characters, not bytes: a kit bug "
                                                "that breaks on other non-ASCII text"),
    FindingRule("empty_list", WARNING, "an empty list the field cannot hold: the server treats it as absent"),
    FindingRule("amount_format", WARNING, "an amount with 0-2 decimals or as a JSON number: the server "
                                          "reads it, the docs ask for a 3-decimal string"),
    FindingRule("number_as_text", WARNING, "a number where the docs send one of a list of digit strings "
                                           "(refundMethod 2 for \"2\"): the server reads it as text"),
    FindingRule("page_unusable", WARNING, "a page that is not a positive integer: the server shows page 1"),
    FindingRule("empty_filter", WARNING, "an empty plain query parameter: the server treats it as absent"),
    FindingRule("routed_by_payload", WARNING, "single vs subscription invoice was decided by the payload, "
                                              "not by the path it was posted to"),
    FindingRule("reference_reused", WARNING, "a create reusing the reference number of an invoice created "
                                             "minutes before"),
    FindingRule("expired_token", WARNING, "a bearer token used after it expired: refresh it before "
                                          "expires_in runs out"),
    FindingRule("expired_on_create", WARNING, "an invoice created with an expiry date before today (Kuwait "
                                              "time): it can never be paid"),
    FindingRule("reference_not_enquirable", WARNING, "an order reference the transaction enquiry's path "
                                                     "cannot carry ('/', '.', '..'): confirm the order "
                                                     "by its payment token"),
    FindingRule("callback_url_data", WARNING, "a checkout's responseUrl or failureUrl whose query already "
                                              "has a data parameter: the callback adds a second one"),
    FindingRule("wrong_method", WARNING, "a request to an operation's path with a method the path does "
                                         "not answer (GET /checkout): the router refuses it with 405"),
    FindingRule("access_code", WARNING, "the accessCode header was refused (401): none sent, another "
                                        "merchant's than the bearer token's, or nobody's"),
    FindingRule("enquiry_flag", WARNING, "a transaction enquiry that found nothing, though the key names "
                                         "a payment read the other way: an order reference sent without "
                                         "isOrderReference=1, or a payment token sent with it"),
    FindingRule("data_unreadable", WARNING, "no ciphertext could be read from the request (no data field, "
                                            "the wrong Content-Type, data not text): the server "
                                            "refuses it (400 on the Merchant API, 506 on the gateway)"),
    FindingRule("padding_16", WARNING, "16-byte PKCS#7 padding: accepted, the server pads its own "
                                       "replies to 32"),
    FindingRule("hex_uppercase", WARNING, "upper-case hex: accepted, the server writes lower case"),
)


class Finding(NamedTuple):
    """One finding of one exchange. ``pointer`` is a JSON pointer into the request payload.
    (A named tuple: one is made on the hot path for many requests, and a tuple is cheap to make.)"""

    rule: str
    severity: Severity
    message: str
    pointer: str = ""

    def to_json(self) -> dict[str, str]:
        return {"rule": self.rule, "severity": self.severity, "message": self.message,
                "pointer": self.pointer}


def finding(rule: str, message: str, pointer: str = "") -> Finding:
    """A finding of ``rule`` with its default severity (a rule missing from :data:`CATALOG` is a bug)."""
    return Finding(rule, CATALOG[rule].severity, message, pointer)


def from_note(note: Note) -> Finding:
    """The finding for a leniency the spec's :func:`~hesabe_spec.tolerance.tolerate` applied."""
    return finding(note.rule, note.message, note.pointer)


#: how many findings :class:`FindingsLog` keeps to show (the counts cover all of them)
RECENT = 500


class LoggedFinding(NamedTuple):
    """A finding with the exchange it came from."""

    finding: Finding
    operation: str
    method: str
    path: str
    merchant_code: str | None

    def to_json(self) -> dict[str, Any]:
        return {**self.finding.to_json(), "operation": self.operation, "method": self.method,
                "path": self.path, "merchant_code": self.merchant_code}

    def describe(self) -> str:
        at = f" {self.finding.pointer}" if self.finding.pointer else ""
        return f"[{self.finding.rule}] {self.operation}{at}: {self.finding.message}"


def summarize(counts: dict[str, int], items: list[LoggedFinding]) -> dict[str, Any]:
    """The ``/_mock/findings`` summary of ``counts`` per rule and the ``items`` kept."""
    rules: dict[str, Any] = {}
    for name, rule in CATALOG.items():
        if not counts.get(name):  # also those a merchant's reset brought back to 0
            continue
        latest = [f.to_json() for f in items if f.finding.rule == name][-5:]
        rules[name] = {"severity": rule.severity, "count": counts[name], "summary": rule.summary,
                       "latest": latest}
    by_severity: Counter[str] = Counter()
    for name, n in counts.items():
        by_severity[CATALOG[name].severity] += n
    return {"total": sum(counts.values()), "errors": by_severity[ERROR],
            "warnings": by_severity[WARNING], "rules": rules}


class FindingsLog:
    """Findings since the last reset: counted per rule, the recent ones kept (thread-safe)."""

    def __init__(self, capacity: int = RECENT) -> None:
        self._lock = threading.Lock()
        self._counts: dict[str, int] = {}
        self._recent: deque[LoggedFinding] = deque(maxlen=capacity)

    def record(self, findings: Iterable[Finding], operation: str, method: str, path: str,
               merchant_code: str | None) -> None:
        counts, recent = self._counts, self._recent
        with self._lock:
            for f in findings:
                counts[f.rule] = counts.get(f.rule, 0) + 1
                recent.append(LoggedFinding(f, operation, method, path, merchant_code))

    def recent(self, severity: Severity | None = None,
               merchant_code: str | None = None) -> list[LoggedFinding]:
        """The kept findings, oldest first, optionally of one severity or merchant."""
        with self._lock:
            items = list(self._recent)
        return [f for f in items if (severity is None or f.finding.severity == severity)
                and (merchant_code is None or f.merchant_code == merchant_code)]

    def summary(self) -> dict[str, Any]:
        """Per rule: severity, what it means, how often it fired and its latest examples."""
        with self._lock:
            counts = dict(self._counts)
            items = list(self._recent)
        return summarize(counts, items)

    def clear(self, merchant_code: str | None = None) -> None:
        with self._lock:
            if merchant_code is None:
                self._counts.clear()
                self._recent.clear()
                return
            kept = [f for f in self._recent if f.merchant_code != merchant_code]
            for f in self._recent:
                if f.merchant_code == merchant_code:
                    self._counts[f.finding.rule] -= 1
            self._recent.clear()
            self._recent.extend(kept)


class SharedFindingsLog(FindingsLog):
    """The findings of a mock several processes serve, in the store's ``findings`` stream (the
    newest :data:`SHARED_KEPT`; counts are over those)."""

    def __init__(self, shared: SharedState) -> None:
        super().__init__()
        self._shared = shared

    def record(self, findings: Iterable[Finding], operation: str, method: str, path: str,
               merchant_code: str | None) -> None:
        for f in findings:
            body = json.dumps([f.rule, f.severity, f.message, f.pointer, operation, method, path,
                               merchant_code])
            self._shared.append_event(_STREAM, merchant_code, f.rule, body, SHARED_KEPT)

    def _kept(self, merchant_code: str | None = None) -> list[LoggedFinding]:
        found = []
        for _seq, body in self._shared.events(_STREAM, SHARED_KEPT, merchant_code):
            rule, severity, message, pointer, operation, method, path, code = json.loads(body)
            found.append(LoggedFinding(Finding(rule, severity, message, pointer), operation, method, path,
                                       code))
        return found

    def recent(self, severity: Severity | None = None,
               merchant_code: str | None = None) -> list[LoggedFinding]:
        return [f for f in self._kept(merchant_code)[-RECENT:]
                if severity is None or f.finding.severity == severity]

    def summary(self) -> dict[str, Any]:
        items = self._kept()
        return summarize(dict(Counter(f.finding.rule for f in items)), items[-RECENT:])

    def clear(self, merchant_code: str | None = None) -> None:
        self._shared.clear_events(_STREAM, merchant_code)


#: how many findings a shared mock keeps
SHARED_KEPT = 5000
_STREAM = "findings"
