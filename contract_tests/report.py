"""The run's report: per operation, examples run / passed / violations, and each violation in full.

A :class:`Recorder` lives in the pytest config's stash (one per run, so a pytester run inside a
run never mixes with it). For each (operation, rule, place: the pointer with its array indexes
folded) only the *last* violating call is kept: Hypothesis replays the shrunk example last, so that
is the minimal request a person should read; the tests and pointers that broke it are listed.
"""

from __future__ import annotations

import json
import re
import shlex
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from contract_tests.exchange import Exchange
from contract_tests.findings import Finding
from hesabe_spec.wire import redact_reply

__all__ = ["CLEANUP_TEST", "OperationTally", "Recorder", "ViolationRecord", "place", "suite_node_id"]

#: what violations found while the run cleans up after itself are filed under (no test ran them)
CLEANUP_TEST = "(end of the run: cancelling what it created)"


def suite_node_id(node_id: str) -> str | None:
    """A test's id as ``hesabe-contract`` selects it (relative to the suite: ``test_auth.py::...``),
    or None for a test outside the suite (another project's tests using the plugin)."""
    path, sep, rest = node_id.partition("::")
    if not sep:
        return None
    parts = path.split("/")
    if "contract_tests" in parts[:-1]:
        parts = parts[len(parts) - 1 - parts[::-1].index("contract_tests"):]
        return "/".join(parts[1:]) + sep + rest
    return node_id if len(parts) == 1 and parts[0].startswith("test_") else None


@dataclass
class OperationTally:
    run: int = 0
    passed: int = 0
    violations: int = 0


@dataclass(frozen=True, slots=True)
class ViolationRecord:
    """The last call that broke one rule at one place of one operation's answers or requests
    (``test``, ``finding``, ``request``: its own), and every test and pointer that broke it."""

    test: str
    finding: Finding
    request: dict[str, Any]
    status: int
    envelope: Any
    tests: tuple[str, ...] = ()
    pointers: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        return {
            "test": self.test,
            **self.finding.as_dict(),
            "http_status": self.status,
            "request": self.request,
            "response": self.envelope,
            "tests": list(self.tests or (self.test,)),
            "pointers": list(self.pointers or (self.finding.pointer,)),
        }


def _names(test: str, operation: str) -> bool:
    """Whether a test id is a test of ``operation`` (its parameters name it: ``[get_invoice]``,
    ``[get_invoice-no bearer]``)."""
    params = test.partition("[")[2].rstrip("]")
    return operation in params.split("-")


#: a JSON pointer's array indexes: ``/data/3/discount`` and ``/data/7/discount`` are one place
_INDEX = re.compile(r"/\d+(?=/|$)")


def place(pointer: str) -> str:
    """Where a violation is, its array indexes folded (``/response/invoices/data/*/discount``)."""
    return _INDEX.sub("/*", pointer)


def _union(seen: tuple[str, ...], more: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys([*seen, *(m for m in more if m)]))


@dataclass
class Recorder:
    """Collects every exchange's outcome; prints and writes the report."""

    target: str = ""
    profile: str = ""
    #: node id of the running test (set by the plugin), used when a call names no test
    current_test: str = ""
    run_prefix: str = ""
    tallies: dict[str, OperationTally] = field(default_factory=dict)
    #: (operation, rule, place) -> the violation: one entry however many tests and rows broke it
    violations: dict[tuple[str, str, str], ViolationRecord] = field(default_factory=dict)
    #: how many pytest-xdist workers' reports were merged into this one (0: not a parallel run)
    workers: int = 0
    #: calls answered HTTP 429 and sent again, and the seconds waited before sending them
    throttled: int = 0
    throttled_wait_s: float = 0.0
    #: ``hesabe-contract`` and the options that pick this run's target and profile (re-run lines)
    rerun: str = ""
    #: tests by outcome (passed, failed, skipped), and the ids of those that failed
    outcomes: dict[str, int] = field(default_factory=dict)
    failed_tests: list[str] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def record(self, exchange: Exchange, findings: list[Finding], test: str = "") -> None:
        test = test or self.current_test
        with self._lock:
            tally = self.tallies.setdefault(exchange.name, OperationTally())
            tally.run += 1
            if not findings:
                tally.passed += 1
                return
            tally.violations += 1
            for f in findings:
                self._keep(ViolationRecord(test, f, exchange.request_view(), exchange.status,
                                           redact_reply(exchange.envelope)))

    def _keep(self, record: ViolationRecord) -> None:
        """File ``record`` under its operation, rule and place, every test and pointer remembered.
        The call shown is that of a test of the operation itself where one met it (its id names
        the operation, ``test_valid_payload_accepted[get_invoice]``), not of a test that only
        passed through it (a lifecycle, another operation's auth test); else the first test's;
        within the test shown, its latest call (Hypothesis replays the shrunk example last)."""
        f = record.finding
        key = (f.operation, f.rule, place(f.pointer))
        before = self.violations.get(key)
        tests = _union(before.tests if before else (), record.tests or (record.test,))
        pointers = _union(before.pointers if before else (), record.pointers or (f.pointer,))
        if before is None or before.test == record.test:
            shown = record
        else:  # another test: the operation's own wins over one that passed through it
            own_now, own_before = _names(record.test, f.operation), _names(before.test, f.operation)
            shown = record if own_now and not own_before else before
        self.violations[key] = replace(shown, tests=tests, pointers=pointers)

    def record_unanswered(self, operation: str, findings: list[Finding], request: dict[str, Any],
                          test: str = "") -> None:
        """A call that got no answer (dropped, timed out): run, and violating."""
        test = test or self.current_test
        with self._lock:
            tally = self.tallies.setdefault(operation, OperationTally())
            tally.run += 1
            tally.violations += 1
            for f in findings:
                self._keep(ViolationRecord(test, f, request, 0, None))

    def note_outcome(self, test: str, outcome: str) -> None:
        """A test ended ``passed``, ``failed`` or ``skipped``."""
        with self._lock:
            self.outcomes[outcome] = self.outcomes.get(outcome, 0) + 1
            if outcome == "failed":
                self.failed_tests.append(test)

    def note_throttled(self, waited: float) -> None:
        """A call was throttled (HTTP 429) and is sent again after ``waited`` seconds."""
        with self._lock:
            self.throttled += 1
            self.throttled_wait_s += waited

    def record_findings(self, findings: list[Finding], request: dict[str, Any], test: str = "") -> None:
        """Findings of a lifecycle check (not tied to one exchange)."""
        test = test or self.current_test
        with self._lock:
            for f in findings:
                self._keep(ViolationRecord(test, f, request, 0, None))

    def merge(self, report: dict[str, Any]) -> None:
        """Add another recorder's :meth:`as_dict` (a pytest-xdist worker's) to this one."""
        with self._lock:
            self.workers += 1
            self.rerun = self.rerun or str(report.get("rerun") or "")
            for name in ("target", "profile", "run_prefix"):
                seen = [part for part in getattr(self, name).split("; ") if part]
                theirs = str(report.get(name) or "")
                if theirs and theirs not in seen:
                    setattr(self, name, "; ".join([*seen, theirs]))
            for outcome, n in (report.get("test_outcomes") or {}).items():
                self.outcomes[outcome] = self.outcomes.get(outcome, 0) + int(n)
            self.failed_tests += [str(t) for t in report.get("failed_tests") or []]
            self.throttled += int(report.get("throttled") or 0)
            self.throttled_wait_s += float(report.get("throttled_wait_s") or 0)
            for name, counts in (report.get("operations") or {}).items():
                tally = self.tallies.setdefault(name, OperationTally())
                tally.run += int(counts.get("run", 0))
                tally.passed += int(counts.get("passed", 0))
                tally.violations += int(counts.get("violations", 0))
            for item in report.get("violations") or []:
                finding = Finding(**{k: item[k] for k in Finding.__dataclass_fields__ if k in item})
                self._keep(ViolationRecord(str(item.get("test", "")), finding, item.get("request") or {},
                                           int(item.get("http_status") or 0), item.get("response"),
                                           tuple(item.get("tests") or ()), tuple(item.get("pointers") or ())))

    @property
    def empty(self) -> bool:
        return not self.tallies and not self.violations

    def lines(self) -> list[str]:
        """The terminal table and the violation details, as lines."""
        out = [f"target: {self.target}   hypothesis profile: {self.profile}   run prefix: {self.run_prefix}"]
        if self.workers:
            out.append(f"merged from {self.workers} pytest-xdist workers")
        if self.outcomes:
            counted = sorted(self.outcomes.items())
            out.append("tests: " + ", ".join(f"{n} {outcome}" for outcome, n in counted))
        if self.throttled:
            out.append(f"throttled: {self.throttled} call(s) answered HTTP 429 and were sent again "
                       f"({self.throttled_wait_s:.1f} s waited, as Retry-After said)")
        out.append("")
        width = max([len(n) for n in self.tallies] + [len("operation")])
        out.append(f"{'operation':<{width}}  {'run':>6}  {'passed':>6}  {'violations':>10}")
        out.append("-" * (width + 28))
        for name in sorted(self.tallies):
            t = self.tallies[name]
            out.append(f"{name:<{width}}  {t.run:>6}  {t.passed:>6}  {t.violations:>10}")
        if self.violations:
            out += ["", f"{len(self.violations)} violation(s), one per operation, rule and place (array "
                        "indexes folded; the table counts every violating call):"]
            for v in self.violations.values():
                f = v.finding
                where = place(f.pointer) if len(v.pointers) > 1 else f.pointer
                many = f" ({len(v.pointers)} places, e.g. {f.pointer})" if len(v.pointers) > 1 else ""
                out.append(f"* {f.operation} [{f.rule}] {f.where} {where or '(body)'}{many}")
                out.append(f"    expected: {f.expected}")
                out.append(f"    found:    {f.actual}")
                shown = json.dumps(v.request, ensure_ascii=False, default=repr)
                out.append(f"    request (decrypted): {shown[:600]}")
                if v.test:
                    out.append(f"    test: {v.test}")
                others = [t for t in v.tests if t and t != v.test]
                if others:
                    more = f" and {len(others) - 3} more" if len(others) > 3 else ""
                    listed = ", ".join(others[:3]) + more
                    out.append(f"    also in {len(others)} other test(s): {listed}")
                selector = suite_node_id(v.test) if self.rerun else None
                if selector is not None:
                    out.append(f"    re-run: {self.rerun} {shlex.quote(selector)}")
        return out

    def as_dict(self) -> dict[str, Any]:
        return {
            "target": self.target,
            "profile": self.profile,
            "run_prefix": self.run_prefix,
            "workers": self.workers,
            "rerun": self.rerun,
            "test_outcomes": dict(sorted(self.outcomes.items())),
            "failed_tests": list(self.failed_tests),
            "throttled": self.throttled,
            "throttled_wait_s": round(self.throttled_wait_s, 3),
            "operations": {n: vars(t) for n, t in sorted(self.tallies.items())},
            "violations": [v.as_dict() for v in self.violations.values()],
        }

    def write_json(self, path: str | Path) -> None:
        Path(path).write_text(
            json.dumps(self.as_dict(), ensure_ascii=False, indent=2, default=repr) + "\n", encoding="utf-8"
        )
