"""Playback: answer requests that match a cassette with its recorded reply; the rest go to the mock.

``hesabe-mock --replay DIR`` wraps the mock's ASGI app in :class:`Playback`. A request matches a
cassette when it is the same operation, method and path, with the same plain query parameters
and the same decrypted payload (``merchantCode`` aside: the caller's merchant answers). The
recorded reply is then encrypted again with the caller's keys, with the recorded envelope and
padding (:func:`hesabe_spec.cassettes.reencode_response`), under the recorded HTTP status, and
carries ``X-Mock-Replayed: <cassette file>``. The same request recorded several times gets its
answers in the recorded order, then the last one again.

Everything else falls through to the stateful mock unchanged: requests that match no cassette,
the control plane and the pages, login and token refresh (a recorded token would be no use to
the mock), and any request whose credentials the mock would refuse (an unknown ``accessCode``,
a bearer token the mock did not issue): those get the mock's real refusal. A replayed request
is not journalled and changes no state.
"""

from __future__ import annotations

import json
from collections import defaultdict
from typing import Any
from urllib.parse import parse_qsl

from hesabe_spec.cassettes import Cassette, Recording, match_operation, reencode_response
from hesabe_spec.operations import Operation
from mock_server.inbound import JSON_REPLY, TEXT_REPLY
from mock_server.recording.capture import request_payload
from mock_server.runtime import MockRuntime

__all__ = ["REPLAYED_HEADER", "Playback"]

REPLAYED_HEADER = "X-Mock-Replayed"


def _key(op: str, method: str, path: str, query: dict[str, str], payload: Any) -> str:
    if isinstance(payload, dict):
        payload = {k: v for k, v in payload.items() if k != "merchantCode"}
    return json.dumps([op, method, path, sorted(query.items()), payload], sort_keys=True)


class Playback:
    """ASGI middleware: recorded answers first, the mock (``app``) for everything else."""

    def __init__(self, app: Any, runtime: MockRuntime, recording: Recording) -> None:
        self.app = app
        self.runtime = runtime
        self.recording = recording
        self._answers: dict[str, list[tuple[str, Cassette]]] = defaultdict(list)
        for path, cassette in recording.cassettes:
            request = cassette["request"]
            key = _key(
                cassette["operation"],
                request["method"],
                request["path"],
                request["query"],
                request["payload"],
            )
            self._answers[key].append((path.name, cassette))
        self._served: dict[str, int] = defaultdict(int)

    @property
    def cassettes(self) -> int:
        return len(self.recording.cassettes)

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http" or scope["path"].startswith("/_mock/"):
            await self.app(scope, receive, send)
            return
        found = match_operation(scope["method"], scope["path"])
        if found is None or found[0].kind == "auth":
            await self.app(scope, receive, send)
            return
        body, more = b"", True
        while more:
            message = await receive()
            body += message.get("body", b"")
            more = bool(message.get("more_body"))
        answer = self._match(found[0], scope, body)
        if answer is None:
            await self.app(scope, _replaying(body, receive), send)
            return
        name, cassette, reply = answer
        bare = reply[:1] not in (b"{", b"[", b'"')  # the gateway's bare hex, labelled as the mock labels it
        headers = [
            (b"content-type", TEXT_REPLY if bare else JSON_REPLY),
            (b"content-length", str(len(reply)).encode()),
            (REPLAYED_HEADER.lower().encode(), name.encode()),
        ]
        await send(
            {"type": "http.response.start", "status": cassette["response"]["status"], "headers": headers}
        )
        await send({"type": "http.response.body", "body": reply})

    def _match(self, op: Operation, scope: dict[str, Any], body: bytes) -> tuple[str, Cassette, bytes] | None:
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        merchant = self.runtime.merchants.by_access_code(headers.get("accesscode"))
        if merchant is None:
            return None
        if op.auth == "bearer":
            scheme, _, token = headers.get("authorization", "").partition(" ")
            if scheme.lower() != "bearer" or self.runtime.tokens.authenticate(token.strip()) is not merchant:
                return None
        query_string = scope.get("query_string", b"").decode("latin-1")
        query = {k: v for k, v in parse_qsl(query_string, keep_blank_values=True) if k != "data"}
        payload = request_payload(op, headers.get("content-type", ""), body, query_string, merchant.keys)
        if op.encrypted and payload is None:
            return None  # the mock gives the real refusal
        found = match_operation(scope["method"], scope["path"], payload)
        op = found[0] if found else op
        key = _key(op.name, scope["method"], scope["path"], query, payload)
        answers = self._answers.get(key)
        if not answers:
            return None
        served = self._served[key]
        self._served[key] = served + 1
        name, cassette = answers[min(served, len(answers) - 1)]
        return name, cassette, reencode_response(cassette["response"], merchant.keys)


def _replaying(body: bytes, receive: Any) -> Any:
    """A ``receive`` that hands the app the body already read, then the client's own messages."""
    sent = False

    async def replay() -> Any:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay
