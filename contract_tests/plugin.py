"""The contract suite's pytest plugin: options, markers, the Hypothesis profile and the report.

Loaded only when a run asks for the suite (see ``_hesabe_harness_pytest``, the always-loaded
entry point, and ``hesabe-contract``), or with ``-p contract_tests.plugin``. It adds command-line
options and markers, remembers the chosen Hypothesis profile, and prints the contract report when
a contract call was made. Under pytest-xdist every worker keeps its own report and the controller
merges them, so the table and ``--hesabe-report`` cover the whole run. The target, the session and
every other fixture live in ``contract_tests/conftest.py``, which pytest loads only when it
collects the contract suite.

Options: ``--hesabe-url URL``, ``--hesabe-mock {inprocess,process}``, ``--hesabe-allow-sms``,
``--hesabe-sms-mobile NUMBER``, ``--hesabe-report FILE``, ``--hesabe-run-prefix PREFIX``,
``--hesabe-fresh-merchant``, ``--hesabe-replay DIR`` (only the recorded answers of a recording,
judged offline: :mod:`contract_tests.replay`).
"""

from __future__ import annotations

import os
import shlex
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from contract_tests.report import Recorder

__all__ = ["FRESH_MERCHANT_KEY", "MARKERS", "OPERATIONS_KEY", "RECORDER_KEY", "WORKER_REPORT",
           "served_operations"]

MARKERS = {
    "hesabe_readonly": "contract test that only reads (safe anywhere)",
    "hesabe_mutating": "contract test that creates, changes or cancels records on the target",
    "hesabe_sms": "contract test that makes the target send SMS; on a URL needs --hesabe-allow-sms",
    "hesabe_lifecycle": "the stateful invoice-lifecycle model",
    "hesabe_replay": "judges a recording's answers offline (--hesabe-replay DIR)",
    "hesabe_confirmed_live": "hesabe_confirmed_live(date, cassette): confirmed against the live sandbox on "
    "that date, shown by that cassette of a real recording (checked at collection)",
}

RECORDER_KEY: pytest.StashKey[Any] = pytest.StashKey()
LIVE_KEY: pytest.StashKey[bool] = pytest.StashKey()
#: should this run (this xdist worker) ask a URL target for a merchant of its own?
FRESH_MERCHANT_KEY: pytest.StashKey[bool] = pytest.StashKey()
#: the operations the target serves (--hesabe-operations); None: all of them
OPERATIONS_KEY: pytest.StashKey[frozenset[str] | None] = pytest.StashKey()
#: the key of a worker's report in pytest-xdist's ``workeroutput``
WORKER_REPORT = "hesabe_contract_report"


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("hesabe", "Hesabe contract suite (contract_tests)")
    group.addoption(
        "--hesabe-url",
        metavar="URL",
        default=None,
        help="run the contract suite against this server (default: HESABE_MERCHANT_API_URL, "
        "else a mock the suite starts)",
    )
    group.addoption(
        "--hesabe-mock",
        choices=("inprocess", "process"),
        default=None,
        help="start a mock: in-process (default) or a hesabe-mock subprocess; "
        "wins over HESABE_MERCHANT_API_URL",
    )
    group.addoption(
        "--hesabe-allow-sms",
        action="store_true",
        default=False,
        help="on a URL target, also run operations that text customers",
    )
    group.addoption(
        "--hesabe-sms-mobile",
        metavar="NUMBER",
        default=os.environ.get("HESABE_TEST_MOBILE"),
        help="the only mobile number SMS may go to on a URL target (env HESABE_TEST_MOBILE)",
    )
    group.addoption(
        "--hesabe-report", metavar="FILE", default=None, help="write the contract report as JSON to FILE"
    )
    group.addoption(
        "--hesabe-run-prefix",
        metavar="PREFIX",
        default=None,
        help="prefix of every reference number this run creates (default: random)",
    )
    group.addoption(
        "--hesabe-replay",
        metavar="DIR",
        default=None,
        help="judge a recording's answers (hesabe-mock record, fixtures/cassettes) with the response rules, "
        "offline; the rest of the suite is left out",
    )
    group.addoption(
        "--hesabe-operations",
        metavar="NAME,...",
        default=None,
        help="the operations the target serves (e.g. login,create_invoice,get_invoice): the tests of "
        "others are deselected, and a test that calls one is skipped, saying which (a server that "
        "implements part of the API)",
    )
    group.addoption(
        "--hesabe-shrink",
        action="store_true",
        default=False,
        help="shrink a failure to a minimal example on a URL target too (each shrinking step is more "
        "calls: for a server of your own, not the shared sandbox)",
    )
    group.addoption(
        "--hesabe-fresh-merchant",
        action="store_true",
        default=False,
        help="on a URL target, run as a new merchant from its POST /_mock/merchants (automatic "
        "under pytest-xdist, so workers sharing one mock never see each other's records)",
    )


def targets_live(config: pytest.Config) -> bool:
    """Will the suite run against a URL (rather than a mock it starts)? Decided without starting it."""
    if config.getoption("hesabe_url"):
        return True
    return not config.getoption("hesabe_mock") and bool(os.environ.get("HESABE_MERCHANT_API_URL"))


def pytest_configure(config: pytest.Config) -> None:
    for name, text in MARKERS.items():
        config.addinivalue_line("markers", f"{name}: {text}")
    from contract_tests.profiles import choose_profile, set_active
    from contract_tests.report import Recorder

    live = targets_live(config)
    config.stash[LIVE_KEY] = live
    profile = choose_profile(live)
    set_active(profile, remote=live, shrink=bool(config.getoption("hesabe_shrink")))
    asked = os.environ.get("HYPOTHESIS_PROFILE", "")
    # an unknown name may be another suite's: not an error, but the report says it was not used
    shown = f"{profile} (HYPOTHESIS_PROFILE={asked!r} is not dev, ci or live)" if asked and asked != profile \
        else profile
    config.stash[RECORDER_KEY] = Recorder(profile=shown, rerun=_rerun_command(config, profile))
    config.stash[FRESH_MERCHANT_KEY] = bool(config.getoption("hesabe_fresh_merchant")) or _is_worker(config)
    config.stash[OPERATIONS_KEY] = served_operations(config.getoption("hesabe_operations"))


def _rerun_command(config: pytest.Config, profile: str) -> str:
    """``hesabe-contract`` with the options that pick this run's target and profile: a failing
    test's re-run line adds the test (Hypothesis replays its failing example first)."""
    words = ["hesabe-contract"]
    if config.getoption("hesabe_url"):
        words += ["--url", str(config.getoption("hesabe_url"))]
    elif config.getoption("hesabe_mock"):
        words += ["--mock", str(config.getoption("hesabe_mock"))]
    words += ["--profile", profile]
    if config.getoption("hesabe_fresh_merchant"):
        words.append("--fresh-merchant")
    if config.getoption("hesabe_operations"):
        words += ["--operations", str(config.getoption("hesabe_operations"))]
    return " ".join(shlex.quote(word) for word in words)


def _is_worker(config: pytest.Config) -> bool:
    """Is this process a pytest-xdist worker?"""
    return hasattr(config, "workerinput")


def _check_confirmations(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Every ``hesabe_confirmed_live(date, cassette)`` names a real recording's cassette of that day."""
    from hesabe_spec.cassettes import confirmation_problem

    for item in items:
        for mark in item.iter_markers("hesabe_confirmed_live"):
            if len(mark.args) != 2:
                raise pytest.UsageError(f"{item.nodeid}: hesabe_confirmed_live takes (date, cassette)")
            problem = confirmation_problem(mark.args[0], mark.args[1], config.rootpath)
            if problem is not None:
                raise pytest.UsageError(f"{item.nodeid}: hesabe_confirmed_live: {problem}")


def served_operations(text: str | None) -> frozenset[str] | None:
    """``--hesabe-operations``'s names (None: every operation); an unknown one is a usage error."""
    if not text:
        return None
    from hesabe_spec.operations import OPERATIONS, closest_operation

    names = [n.strip() for n in text.split(",") if n.strip()]
    unknown = [n for n in names if n not in OPERATIONS]
    if unknown:
        hints = []
        for name in unknown:
            close = closest_operation(name)
            hints.append(f"{name} (did you mean {close}?)" if close else name)
        raise pytest.UsageError(f"--hesabe-operations: unknown operation(s): {', '.join(hints)}")
    return frozenset(names)


def _keep_served(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Deselect the tests of an operation the target does not serve (--hesabe-operations)."""
    served = config.stash.get(OPERATIONS_KEY, None)
    if served is None:
        return
    def named(item: pytest.Item) -> str | None:
        callspec = getattr(item, "callspec", None)
        return callspec.params.get("operation") if callspec is not None else None

    left_out = [item for item in items if (name := named(item)) is not None and name not in served]
    if left_out:
        config.hook.pytest_deselected(items=left_out)
        items[:] = [item for item in items if item not in left_out]


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    _check_confirmations(config, items)
    _keep_served(config, items)
    if config.getoption("hesabe_replay"):
        # offline: only the replay runs, nothing needs a server
        recorder = config.stash.get(RECORDER_KEY, None)
        if recorder is not None:
            recorder.target = f"recorded answers in {config.getoption('hesabe_replay')} (no server)"
        kept = [item for item in items if item.get_closest_marker("hesabe_replay")]
        config.hook.pytest_deselected(items=[item for item in items if item not in kept])
        items[:] = kept
        return
    if not config.stash.get(LIVE_KEY, False) or config.getoption("hesabe_allow_sms"):
        return
    skip = pytest.mark.skip(reason="texts a customer on a URL target (it may be a real server): pass "
                                   "--hesabe-allow-sms --hesabe-sms-mobile NUMBER to run it")
    for item in items:
        if item.get_closest_marker("hesabe_sms"):
            item.add_marker(skip)


def pytest_runtest_setup(item: pytest.Item) -> None:
    recorder = item.config.stash.get(RECORDER_KEY, None)
    if recorder is not None:
        recorder.current_test = item.nodeid


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    """Each test's outcome (its call, or a setup that did not pass) for the report's test tally."""
    report = yield
    recorder = item.config.stash.get(RECORDER_KEY, None)
    if recorder is not None and (report.when == "call" or (report.when == "setup" and not report.passed)):
        recorder.note_outcome(item.nodeid, report.outcome)
    return report


def pytest_sessionfinish(session: pytest.Session) -> None:
    """On an xdist worker: hand this worker's report to the controller. On the controller (or a
    run without xdist): a report that holds violations fails the run even when no test failed on
    them (those found while the run cancelled what it created)."""
    config = session.config
    recorder = config.stash.get(RECORDER_KEY, None)
    if recorder is not None and _is_worker(config):
        config.workeroutput[WORKER_REPORT] = recorder.as_dict()  # type: ignore[attr-defined]
    elif recorder is not None and _unfailed_violations(recorder, session.exitstatus):
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def _unfailed_violations(recorder: Recorder, exitstatus: int | pytest.ExitCode) -> int:
    """How many violations the report holds that no failed test accounts for: all of them when
    every test passed (0 when the run already fails)."""
    return len(recorder.violations) if exitstatus == pytest.ExitCode.OK else 0


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: Any, error: Any) -> None:
    """On the xdist controller: merge a finished worker's report into the run's."""
    recorder = node.config.stash.get(RECORDER_KEY, None)
    report = getattr(node, "workeroutput", {}).get(WORKER_REPORT)
    if recorder is not None and isinstance(report, dict):
        recorder.merge(report)


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    if _is_worker(config):
        return  # the controller prints and writes the merged report
    recorder = config.stash.get(RECORDER_KEY, None)
    path = config.getoption("hesabe_report")
    if recorder is None or (recorder.empty and not path):
        return
    terminalreporter.section("Hesabe contract report")
    for line in recorder.lines():
        terminalreporter.write_line(line)
    unfailed = _unfailed_violations(recorder, exitstatus)
    if unfailed:
        terminalreporter.write_line(f"{unfailed} violation(s) above failed no test (found while the run "
                                    "cleaned up after itself): the run fails (exit code 1)", red=True)
    if path:
        recorder.write_json(path)
        terminalreporter.write_line(f"JSON report written to {path}")
