"""A parity report shows no secret: the mock's answers carry real tokens, the cassettes never do."""

from __future__ import annotations

import json

from mock_server.journal import REDACTED
from mock_server.recording.compare import Comparison, compare_bodies

TOKEN = "eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.eyJzdWIiOiI4NCJ9.c2lnbmF0dXJl"


def _report(recorded: object, mock: object) -> str:
    out = Comparison()
    compare_bodies(recorded, mock, out)
    assert out.differences, "the bodies differ"
    return json.dumps([d.to_json() for d in out.differences])


def test_a_login_recorded_as_refused_but_answered_shows_no_token() -> None:
    """A wrong-password login (404) replayed with the replaying identity's password gets tokens."""
    recorded = {"status": False, "message": "User details not found", "response": None}
    mock = {"status": True, "message": "ok", "response": {"access_token": TOKEN, "refresh_token": TOKEN,
                                                          "expires_in": 900}}
    report = _report(recorded, mock)
    assert TOKEN[:20] not in report and REDACTED in report and "expires_in" in report


def test_a_difference_at_a_secret_key_shows_it_redacted() -> None:
    for recorded in (None, 12, {"nested": 1}):
        report = _report({"access_token": recorded}, {"access_token": TOKEN})
        assert TOKEN[:20] not in report, report
