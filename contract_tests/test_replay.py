"""``--hesabe-replay DIR``: the response rules over a recording's answers, offline (no server).

Without the option every test here is skipped; with it, the rest of the suite is left out (see
:mod:`contract_tests.plugin`), so the run needs no server at all. A cassette whose wire the
recording does not know runs without the wire rules; its test id ends in ``-body-only``.
"""

from __future__ import annotations

import pytest

from contract_tests.plugin import RECORDER_KEY
from contract_tests.replay import WIRE_RULES, Replayed, load_replay
from hesabe_spec.client.config import ClientConfig


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "replayed" not in metafunc.fixturenames:
        return
    directory = metafunc.config.getoption("hesabe_replay")
    if not directory:
        skip = pytest.mark.skip(reason="judges a recording: pass --hesabe-replay DIR")
        metafunc.parametrize("replayed", [pytest.param(None, marks=skip)], ids=["no-recording"])
        return
    cases = load_replay(directory, ClientConfig.from_env().keys)
    ids = [c.name if all(r in c.rules for r in WIRE_RULES) else f"{c.name}-body-only" for c in cases]
    metafunc.parametrize("replayed", cases, ids=ids)


@pytest.mark.hesabe_replay
def test_recorded_answer_keeps_the_rules(replayed: Replayed, pytestconfig: pytest.Config) -> None:
    findings = replayed.judge()
    recorder = pytestconfig.stash.get(RECORDER_KEY, None)
    if recorder is not None:
        recorder.record(replayed.exchange, findings)
    assert not findings, "\n".join(f.describe() for f in findings)
