"""login and refresh_token: plain JSON in and out, no accessCode, no encryption."""

from __future__ import annotations

from typing import Any

from mock_server.field_errors import human
from mock_server.protocol import Failure, envelope
from mock_server.runtime import PlainCall, Reply
from mock_server.state.errors import NOT_FOUND_MESSAGE

__all__ = ["login", "refresh_token"]

LOGIN_FAILED = "User details not found, Please verify the login credentials"
REFRESH_FAILED = "Not found, Please verify the token credentials"


def _required(fields: Any, names: tuple[str, ...]) -> dict[str, str]:
    if not isinstance(fields, dict):
        raise Failure(400, envelope(False, NOT_FOUND_MESSAGE))
    errors = {n: [f"The {human(n)} field is required."] for n in names
              if not isinstance(fields.get(n), str) or not fields.get(n)}
    if errors:
        first = next(iter(errors.values()))[0]
        raise Failure(400, envelope(False, first, errors))
    return {n: fields[n] for n in names}


def login(call: PlainCall) -> Reply:
    creds = _required(call.fields, ("username", "password"))
    merchant = call.domain.tokens.check_password(creds["username"], creds["password"])
    if merchant is None:
        raise Failure(404, envelope(False, LOGIN_FAILED))
    return Reply({"token": call.domain.tokens.issue(merchant)}, merchant_code=merchant.merchant_code)


def refresh_token(call: PlainCall) -> Reply:
    given = _required(call.fields, ("refreshToken",))
    token = call.domain.tokens.refresh(given["refreshToken"])
    if token is None:
        raise Failure(404, envelope(False, REFRESH_FAILED))
    merchant = call.domain.tokens.authenticate(token["access_token"])
    return Reply({"token": token}, merchant_code=merchant.merchant_code if merchant else None)
