"""A contract report is shared (CI logs, JUnit, JSON): it never shows a password or a token."""

from __future__ import annotations

import json

from contract_tests.exchange import Exchange
from contract_tests.findings import Finding
from contract_tests.report import Recorder
from hesabe_spec.operations import OPERATIONS
from hesabe_spec.sandbox import SANDBOX

PASSWORD = "S3cretOwnPass!"
TOKEN = "eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.eyJzdWIiOiI4NCJ9.c2ln"


def test_a_login_violation_shows_neither_the_password_nor_the_tokens() -> None:
    envelope = {"status": True, "message": "Logged in",
                "response": {"token": {"access_token": TOKEN, "refresh_token": TOKEN, "expires_in": 900}}}
    exchange = Exchange(OPERATIONS["login"], "valid", "POST", "http://mock/api/v1/login",
                        {"username": "merchant-1", "password": PASSWORD}, {}, 200, {}, b"", envelope,
                        "plain", SANDBOX.keys)
    recorder = Recorder(target="http://mock")
    recorder.record(exchange, [Finding("login", "success_message", "/message", '"Login"', '"Logged in"')],
                    test="test_auth.py::test_login")
    shown = "\n".join(recorder.lines()) + json.dumps(recorder.as_dict())
    assert PASSWORD not in shown and TOKEN[:20] not in shown
    assert "merchant-1" in shown and "[redacted]" in shown  # the rest stays readable
