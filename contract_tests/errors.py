"""Two error families, kept apart on purpose.

::

    ContractViolation (AssertionError)   the target broke the contract: a finding to report
    ContractSuiteError (Exception)       the suite itself could not do its job
    ├── UnsupportedSchema                a schema uses a keyword the generators do not know
    ├── TargetUnavailable                the mock could not be started / the URL does not answer
    └── CapabilityMissing                a test needs something this target lacks (e.g. a clock)

A ``ContractViolation`` is an ``AssertionError`` so pytest and Hypothesis treat it as a test
failure (and Hypothesis shrinks it); a ``ContractSuiteError`` is an error of the tool and must
never be reported as the server's fault.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from contract_tests.findings import Finding

__all__ = [
    "CapabilityMissing",
    "ContractSuiteError",
    "ContractViolation",
    "TargetUnavailable",
    "UnsupportedSchema",
    "hides_violations",
]


class ContractViolation(AssertionError):
    """One call broke one or more contract rules.

    ``findings`` holds every broken rule (operation, rule, JSON pointer, expected, actual);
    ``request`` is what was sent, decrypted (method, path, payload), so the report can show it.
    """

    def __init__(self, findings: list[Finding], request: dict[str, Any]) -> None:
        self.findings = list(findings)
        self.request = request
        first = self.findings[0]
        super().__init__(self._describe())
        self.operation = first.operation
        self.rule = first.rule
        self.pointer = first.pointer
        self.expected = first.expected
        self.actual = first.actual

    def _describe(self) -> str:
        lines = [f"{len(self.findings)} contract finding(s):"]
        lines += [f"  - {f.describe()}" for f in self.findings]
        lines.append(f"  request: {self.request.get('method')} {self.request.get('path')}")
        lines.append(f"  payload (decrypted): {self.request.get('payload')!r}")
        return "\n".join(lines)

    @property
    def rules(self) -> set[str]:
        """Names of every rule this call broke."""
        return {f.rule for f in self.findings}


class ContractSuiteError(Exception):
    """The contract suite could not do its job (never the target's fault)."""


class UnsupportedSchema(ContractSuiteError):
    """A request schema uses a keyword or shape the generators cannot handle: fail loudly."""


class TargetUnavailable(ContractSuiteError):
    """The mock did not start, or the target URL did not answer."""


class CapabilityMissing(ContractSuiteError):
    """The target lacks something a check needs (control plane, clock); the test is skipped."""


def hides_violations(excinfo: Any) -> bool:
    """pytest's ``__tracebackhide__`` of the suite's own modules: their frames are left out of the
    traceback of a :class:`ContractViolation`, whose message already says everything (the report's
    finding, the decrypted and redacted request). Shown, they would print each frame's arguments:
    the live bearer token, a login's password, into the terminal and JUnit XML. Any other error
    (a bug of the suite) keeps its whole traceback."""
    return bool(excinfo.errisinstance(ContractViolation))
