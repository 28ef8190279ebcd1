"""The hostile-input campaign over the whole HTTP surface (httpfuzz.py), against a real uvicorn on
loopback over a memory store and a SQLite file.

The property, for every request: never a 500 (unless it asked for one with ``X-Mock-Fault``), no
traceback in the body, nothing logged at ERROR, an answer within the timeout (the server keeps
answering), and a refused request (4xx) leaves the store and the control plane's state exactly as
they were. What an accepted control request changes outside the store (the clock, fault rules,
webhook settings and modes, auto-approval, queued charge decisions) is undone after its example.

``make test`` runs 400 derandomized examples per store; ``make fuzz`` sets ``HESABE_FUZZ_EXAMPLES`` for a
long campaign with fresh randomness, PostgreSQL included.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from typing import Any

import pytest
from httpfuzz import Attack, Context, Snapshot, attacks, send_raw, snapshot
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from relkit import STORES, AsgiClient, ErrorLog, ServerThread, make_app, open_store, seed_state

from mock_server.runtime import MockRuntime

EXAMPLES = int(os.environ.get("HESABE_FUZZ_EXAMPLES", "0")) or 400
CAMPAIGN = settings(max_examples=EXAMPLES, deadline=None, derandomize=EXAMPLES <= 400, database=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                           HealthCheck.function_scoped_fixture, HealthCheck.filter_too_much])


class Target:
    """A seeded mock served by uvicorn on loopback."""

    def __init__(self, mock: MockRuntime, port: int, ctx: Context, errors: ErrorLog) -> None:
        self.mock, self.port, self.ctx, self.errors = mock, port, ctx, errors
        self.baseline = self._control_baseline()

    def _control_baseline(self) -> dict[str, Any]:
        hooks = self.mock.webhooks
        return {"settings": hooks.dispatcher.settings, "modes": hooks.dispatcher.modes,
                "auto_approve": self.mock.refunds.auto_approve_after}

    def undo_control(self) -> None:
        """Put what an accepted control request changed outside the store back."""
        mock = self.mock
        mock.faults.clear()
        mock.clock.reset()
        mock.webhooks.set_settings(self.baseline["settings"])
        mock.webhooks.set_modes(self.baseline["modes"])
        mock.set_auto_approve(self.baseline["auto_approve"])
        for merchant in mock.merchants.merchants:
            mock.charge_decisions.forget(merchant.merchant_id)


@pytest.fixture(scope="module", params=STORES if EXAMPLES > 400 else ("memory", "sqlite"))
def target(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Target]:
    if request.param == "postgres":
        request.getfixturevalue("postgres_url")
    store = open_store(str(request.param), tmp_path_factory.mktemp(f"httpfuzz-{request.param}"))
    app = make_app(store)
    seeding = AsgiClient(app)
    try:
        token, seeded = seed_state(seeding)
    finally:
        seeding.close()
    mock: MockRuntime = app.state.mock
    errors = ErrorLog()
    watched = [logging.getLogger(), logging.getLogger("uvicorn"), logging.getLogger("uvicorn.error")]
    with ServerThread(app) as url:
        for logger in watched:
            logger.addHandler(errors)
        try:
            yield Target(mock, int(url.rsplit(":", 1)[1]), Context.of(mock, token, seeded), errors)
        finally:
            for logger in watched:
                logger.removeHandler(errors)
    store.close()


def _check(target: Target, attack: Attack, before: Snapshot) -> None:
    reply = send_raw(target.port, attack)
    event(f"{attack.family}: HTTP {reply.status}")
    where = attack.describe()
    if not attack.fault:
        assert reply.status < 500, (reply.status, reply.body[:300], where)
    assert b"Traceback" not in reply.body and b'File "' not in reply.body, (reply.body[:300], where)
    crashes = [r.getMessage() for r in target.errors.records]
    target.errors.records.clear()
    assert not crashes, (crashes, where)
    if reply.status >= 400:
        # (the one 4xx that records something, a saved card's decline, needs a charge decision
        # queued through the control plane, and undo_control leaves none behind)
        after = snapshot(target.mock)
        refused = f"refused ({reply.status}) yet the"
        assert after.fingerprint == before.fingerprint, f"{refused} store changed: {where}"
        assert after.control == before.control, f"{refused} control state changed: {where}"
    elif attack.family == "control":
        target.undo_control()


@CAMPAIGN
@given(data=st.data())
def test_hostile_requests_over_http(target: Target, data: st.DataObject) -> None:
    attack = data.draw(attacks(target.ctx), label="attack")
    _check(target, attack, snapshot(target.mock))


def test_the_server_still_answers_after_the_campaign(target: Target) -> None:
    from mock_server.control.routes import PREFIX

    reply = send_raw(target.port, Attack("control", "GET", PREFIX))
    assert reply.status == 200, reply.body[:300]

