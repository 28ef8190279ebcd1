"""Fixtures of the contract suite: the target, the judged session, real records. Loaded only when
pytest collects ``contract_tests`` (the always-on plugin stays inert)."""

from __future__ import annotations

import secrets
import string
import warnings
from collections.abc import Iterator

import pytest

from contract_tests.errors import TargetUnavailable
from contract_tests.plugin import FRESH_MERCHANT_KEY, LIVE_KEY, OPERATIONS_KEY, RECORDER_KEY
from contract_tests.profiles import THROTTLE, active_profile
from contract_tests.report import CLEANUP_TEST
from contract_tests.resources import Resources
from contract_tests.session import ContractSession
from contract_tests.strategies import context_for
from contract_tests.target import Target, resolve_target
from hesabe_spec.errors import ConfigurationError


def _run_prefix(config: pytest.Config) -> str:
    given = config.getoption("hesabe_run_prefix")
    if given:
        return str(given)
    # Letters and digits only: Hesabe's search semantics are undocumented, a plain word is safest.
    return "ct" + "".join(secrets.choice(string.ascii_lowercase + string.digits) for _ in range(6))


@pytest.fixture(scope="session")
def hesabe_target(pytestconfig: pytest.Config) -> Iterator[Target]:
    """The server under test (started here when it is a mock); under pytest-xdist, on a URL, each
    worker runs as its own merchant when the server can make one (the mock's ``/_mock/merchants``)."""
    if LIVE_KEY not in pytestconfig.stash:
        raise pytest.UsageError(
            "the contract suite's plugin is not loaded: run it with `hesabe-contract` or "
            "`pytest -p contract_tests.plugin ...`"
        )
    try:
        target = resolve_target(pytestconfig.getoption("hesabe_url"), pytestconfig.getoption("hesabe_mock"))
    except (TargetUnavailable, ConfigurationError) as exc:  # one line, not one traceback per test
        pytest.exit(f"hesabe contract suite: {exc}", returncode=2)
    problem = target.probe() if target.live else None
    if problem is not None:
        target.close()
        pytest.exit(f"hesabe contract suite: {problem}", returncode=2)
    if target.live != pytestconfig.stash[LIVE_KEY]:  # pragma: no cover - both read the same inputs
        raise pytest.UsageError("target resolution disagrees with the plugin's live/mock decision")
    if target.live and pytestconfig.stash[FRESH_MERCHANT_KEY]:
        target.adopt_fresh_merchant()
    try:
        yield target
    finally:
        target.close()


@pytest.fixture(scope="session")
def contract(pytestconfig: pytest.Config, hesabe_target: Target) -> Iterator[ContractSession]:
    """The judged session; at the end it cancels what the run created and left open."""
    allow_sms = not hesabe_target.live or bool(pytestconfig.getoption("hesabe_allow_sms"))
    mobile = pytestconfig.getoption("hesabe_sms_mobile")
    if hesabe_target.live and allow_sms and not mobile:
        raise pytest.UsageError(
            "--hesabe-allow-sms on a URL target needs --hesabe-sms-mobile NUMBER "
            "(the only number the suite may text)"
        )
    recorder = pytestconfig.stash[RECORDER_KEY]
    recorder.target = hesabe_target.describe()
    prefix = _run_prefix(pytestconfig)
    recorder.run_prefix = prefix
    gen = context_for(
        hesabe_target.config.merchant_code,
        prefix,
        sms_allowed=allow_sms,
        sms_mobile=mobile if hesabe_target.live else None,
    )
    session = ContractSession(
        hesabe_target, recorder, gen=gen, throttle=THROTTLE[active_profile()], sms_allowed=allow_sms,
        served=pytestconfig.stash.get(OPERATIONS_KEY, None),
    )
    try:
        yield session
    finally:
        session.test_name = CLEANUP_TEST  # not the last test's: it ran and finished
        left = session.cleanup()
        if left:
            warnings.warn(f"contract run {prefix}: could not cancel {', '.join(left)}", stacklevel=1)
        session.client.close()


@pytest.fixture(scope="session")
def resources(contract: ContractSession) -> Resources:
    return Resources(contract)
