"""``Inbound`` reads the ASGI scope the way Starlette's ``Request`` would, minus the objects."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from starlette.requests import Request

from mock_server.inbound import Inbound
from mock_server.protocol import BodyTooLarge


def _scope(headers: list[tuple[bytes, bytes]], **extra: Any) -> dict[str, Any]:
    scope = {"type": "http", "method": "POST", "path": "/api/v1/invoice", "query_string": b"a=1&b=%2F",
             "headers": headers, "scheme": "http", "server": ("127.0.0.1", 8000), "client": ("10.0.0.9", 5),
             "root_path": ""}
    scope.update(extra)
    return scope


@pytest.mark.parametrize("scope", [
    _scope([(b"host", b"mock.test:9000")]),
    _scope([]),
    _scope([], server=("example.com", 80)),
    _scope([], scheme="https", server=("example.com", 443)),
    _scope([], scheme="https", server=("example.com", 8443)),
    _scope([(b"host", b"h")], root_path="/prefix"),
    _scope([(b"host", b"h")], root_path="/prefix/", app_root_path="/app"),
], ids=["host-header", "server", "default-http", "default-https", "https-port", "root", "app-root"])
def test_base_url_and_parts_match_starlette(scope: dict[str, Any]) -> None:
    inbound, request = Inbound(scope, None), Request(scope)
    assert inbound.base_url() == str(request.base_url).rstrip("/")
    assert inbound.path == request.url.path
    assert inbound.query_string == request.url.query
    assert dict(inbound.query_params) == dict(request.query_params)
    assert inbound.client_host == (request.client.host if request.client else None)


def _receiver(chunks: list[bytes]) -> Any:
    messages = [{"type": "http.request", "body": c, "more_body": i < len(chunks) - 1}
                for i, c in enumerate(chunks)]

    async def receive() -> dict[str, Any]:
        return messages.pop(0)

    return receive


def test_body_joins_chunks_and_refuses_past_the_limit() -> None:
    assert asyncio.run(Inbound(_scope([]), _receiver([b"ab", b"", b"cd"])).body(4)) == b"abcd"
    with pytest.raises(BodyTooLarge):
        asyncio.run(Inbound(_scope([]), _receiver([b"ab", b"cde"])).body(4))
    declared = _scope([(b"content-length", b"99")])
    with pytest.raises(BodyTooLarge):  # refused on the declared length, before reading anything
        asyncio.run(Inbound(declared, _receiver([])).body(4))


def test_headers_read_like_starlettes() -> None:
    raw = [(b"content-type", b"application/json"), (b"x-dup", b"first"), (b"x-dup", b"second"),
           (b"accesscode", b"c0de")]
    inbound, request = Inbound(_scope(raw), None), Request(_scope(raw))
    for name in ("content-type", "x-dup", "accesscode", "missing"):
        assert inbound.headers.get(name) == request.headers.get(name)


@pytest.mark.parametrize("query", [b"", b"data=abc123", b"data=ab%20c", b"data=a+b", b"data=abc&page=2",
                                   b"page=2&data=abc", b"data=", b"data=abc&data=def", b"x=1", b"data=%41",
                                   b"data", b"&&", b"a=b=c", b"page=2&fromDate=2024-01-01",
                                   "d=\u00e9".encode()])
def test_query_params_read_like_starlettes(query: bytes) -> None:
    inbound = Inbound(_scope([], query_string=query), None)
    parsed = Request(_scope([], query_string=query)).query_params
    assert dict(inbound.query_params) == dict(parsed)
    assert inbound.query_data() == parsed.get("data")
