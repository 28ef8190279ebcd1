"""The HTTP request as the Hesabe pipeline reads it, straight off the ASGI scope.

Every Hesabe call goes through here, so it builds nothing it does not need: no framework
``Request``, no parsed ``URL`` (twice), no query parser unless a query is read. What it gives is
exactly what the pipeline and its hooks use: method, path, raw query, headers, client, path
parameters, the body (bounded) and the base URL links are built on.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from starlette.datastructures import QueryParams
from starlette.requests import ClientDisconnect

from mock_server.protocol import NO_DATA, BodyTooLarge, read_data_field

__all__ = ["JSON_REPLY", "TEXT_REPLY", "Inbound", "send_reply"]

_DEFAULT_PORTS = {"http": 80, "https": 443}


class Inbound:
    """A read-only view of one ASGI HTTP request (scope + receive)."""

    __slots__ = ("_query", "headers", "receive", "scope")

    def __init__(self, scope: Mapping[str, Any], receive: Any) -> None:
        self.scope = scope
        self.receive = receive
        #: lower-case names (ASGI servers send them so); of a repeated header the first wins, as
        #: with Starlette's ``Headers`` (read last to first, so the first is written last). One
        #: dict, so each look-up is one probe, not a list scan.
        self.headers: dict[str, str] = {name.decode("latin-1"): value.decode("latin-1")
                                        for name, value in reversed(scope["headers"])}
        self._query: Mapping[str, str] | None = None

    @property
    def method(self) -> str:
        return str(self.scope["method"])

    @property
    def path(self) -> str:
        return str(self.scope["path"])

    @property
    def query_string(self) -> str:
        return bytes(self.scope.get("query_string", b"")).decode("latin-1")

    @property
    def query_params(self) -> Mapping[str, str]:
        """The query's fields (of a repeated one the last, as Starlette's ``QueryParams``)."""
        if self._query is None:
            raw = self.scope.get("query_string", b"")
            self._query = _simple_query(raw) if raw else {}
            if self._query is None:
                self._query = QueryParams(raw)
        return self._query

    def query_data(self) -> str | None:
        """The query's ``data`` field."""
        return self.query_params.get("data")

    def data(self, body: bytes) -> Any:
        """The request's ``data``: from the body (JSON, form or multipart field), else from the
        query; None when neither has one."""
        found = read_data_field(self.headers.get("content-type", ""), body)
        return self.query_data() if found is NO_DATA else found

    @property
    def client_host(self) -> str | None:
        client = self.scope.get("client")
        return str(client[0]) if client else None

    @property
    def path_params(self) -> dict[str, Any]:
        return dict(self.scope.get("path_params") or {})

    def base_url(self) -> str:
        """``scheme://host[:port]`` plus the app's root path, without a trailing slash.

        The Host header wins (what the client called); without one, the server address.
        """
        scope = self.scope
        scheme = scope.get("scheme", "http")
        root = str(scope.get("app_root_path", scope.get("root_path", ""))).rstrip("/")
        host = self.headers.get("host")
        if host is None:
            server = scope.get("server")
            if server is None:
                return root
            name, port = server
            host = name if port == _DEFAULT_PORTS.get(scheme) else f"{name}:{port}"
        return f"{scheme}://{host}{root}"

    async def body(self, limit: int) -> bytes:
        """The whole body; :class:`BodyTooLarge` as soon as it exceeds ``limit`` bytes."""
        declared = self.headers.get("content-length")
        if declared and declared.isdigit() and int(declared) > limit:
            raise BodyTooLarge()
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await self.receive()
            if message["type"] == "http.disconnect":
                raise ClientDisconnect()
            chunk = message.get("body", b"")
            if chunk:
                size += len(chunk)
                if size > limit:
                    raise BodyTooLarge()
                chunks.append(chunk)
            if not message.get("more_body", False):
                break
        return chunks[0] if len(chunks) == 1 else b"".join(chunks)


def _simple_query(raw: bytes) -> dict[str, str] | None:
    """``name=value&...`` with only letters and digits (every Hesabe client's GET: ``data`` and
    page filters) read without a URL parse; None when anything needs decoding."""
    fields: dict[str, str] = {}
    for part in raw.split(b"&"):
        name, eq, value = part.partition(b"=")
        if not eq or not name.isalnum() or not (value.isalnum() or not value):
            return None
        fields[name.decode("ascii")] = value.decode("ascii")
    return fields


#: what a reply is labelled: JSON, or (the payment gateway's bare hex) Laravel's label for a
#: controller that returns a string
JSON_REPLY, TEXT_REPLY = b"application/json", b"text/html; charset=UTF-8"


async def send_reply(send: Any, status: int, body: bytes, headers: dict[str, str] | None = None,
                     content_type: bytes = JSON_REPLY) -> None:
    """Send a complete reply: the extra headers first, then content-length and -type."""
    raw = [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in (headers or {}).items()]
    raw.append((b"content-length", str(len(body)).encode("latin-1")))
    raw.append((b"content-type", content_type))
    await send({"type": "http.response.start", "status": status, "headers": raw})
    await send({"type": "http.response.body", "body": body})
