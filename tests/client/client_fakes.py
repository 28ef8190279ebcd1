"""A scripted network for the client tests: a fake ``requests.Session`` that records requests.

The fake is a test double of the network only; everything above it (request building,
encryption, decoding, error mapping, retries, tokens) is the real client code.
"""

from __future__ import annotations

import json
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from hesabe_spec import SANDBOX
from hesabe_spec.wire import decode_request_data, encode_response

KEYS = SANDBOX.keys
BASE = "http://hesabe.test"


@dataclass
class FakeResponse:
    status_code: int
    content: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class Sent:
    """One request as the transport received it."""

    method: str
    url: str
    headers: dict[str, str]
    data: bytes | None
    params: dict[str, str] | None
    timeout: Any
    allow_redirects: Any

    @property
    def path(self) -> str:
        return self.url.removeprefix(BASE)

    def payload(self) -> Any:
        """The decrypted (or plain) payload, wherever it travelled."""
        if self.params and "data" in self.params:
            return decode_request_data(self.params["data"], KEYS)
        body = json.loads(self.data or b"null")
        if isinstance(body, dict) and set(body) == {"data"}:
            return decode_request_data(body["data"], KEYS)
        return body


Reply = FakeResponse | Exception | Callable[[Sent], FakeResponse]


class FakeSession:
    """Answers from a script (FIFO); records every request it gets."""

    def __init__(self) -> None:
        self.sent: list[Sent] = []
        self.script: deque[Reply] = deque()
        self.closed = False

    def reply(self, *replies: Reply) -> FakeSession:
        self.script.extend(replies)
        return self

    def request(self, method: str, url: str, **kwargs: Any) -> FakeResponse:
        sent = Sent(
            method,
            url,
            dict(kwargs.get("headers") or {}),
            kwargs.get("data"),
            kwargs.get("params"),
            kwargs.get("timeout"),
            kwargs.get("allow_redirects"),
        )
        self.sent.append(sent)
        if not self.script:
            raise AssertionError(f"unscripted request: {method} {url}")
        reply = self.script.popleft()
        if isinstance(reply, Exception):
            raise reply
        return reply(sent) if callable(reply) else reply

    def close(self) -> None:
        self.closed = True

    @property
    def api_calls(self) -> list[Sent]:
        """Requests other than login/refresh."""
        return [s for s in self.sent if not s.path.endswith(("/login", "/token-refresh"))]


def encrypted(
    response: Any = None,
    *,
    message: str = "OK",
    status: bool = True,
    http: int = 200,
    style: str = "response",
    headers: dict[str, str] | None = None,
    **more: Any,
) -> FakeResponse:
    """An encrypted Hesabe answer."""
    envelope = {"status": status, "message": message, "response": response, **more}
    return FakeResponse(http, encode_response(envelope, KEYS, style=style), headers or {})  # type: ignore[arg-type]


def plain(obj: Any, http: int = 200, headers: dict[str, str] | None = None) -> FakeResponse:
    """A plain-JSON answer (login, refresh, some errors)."""
    return FakeResponse(http, json.dumps(obj).encode(), headers or {})


def token_reply(access: str = "access-1", refresh: str = "refresh-1", expires_in: Any = 900) -> FakeResponse:
    token = {"token_type": "Bearer", "expires_in": expires_in}
    token |= {"access_token": access, "refresh_token": refresh}
    return plain({"status": True, "message": "Success", "response": {"token": token}})


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now
