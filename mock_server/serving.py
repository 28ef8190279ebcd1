"""Serving the mock with uvicorn: one configuration for ``hesabe-mock``, the fixtures and the tests.

:class:`MockHttpProtocol` is uvicorn's own h11 protocol (uvicorn's ``http`` setting takes a protocol
class) that also puts each connection's transport in the ASGI scope's ``state``, the one thing the
mock needs from its server: a way to close a connection unanswered
(:mod:`mock_server.connection`).
"""

from __future__ import annotations

import asyncio
from typing import Any

import uvicorn
from uvicorn.protocols.http.h11_impl import H11Protocol

from mock_server.connection import TRANSPORT_STATE_KEY

__all__ = ["MockHttpProtocol", "uvicorn_config"]


class MockHttpProtocol(H11Protocol):
    """uvicorn's h11 protocol, with the connection's transport in every request's ``scope["state"]``."""

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        # per connection: uvicorn copies this mapping into each request's scope["state"]
        self.app_state = {**self.app_state, TRANSPORT_STATE_KEY: transport}


def uvicorn_config(app: Any, **options: Any) -> uvicorn.Config:
    """``uvicorn.Config`` for the mock: ``options`` as uvicorn takes them, HTTP by
    :class:`MockHttpProtocol`."""
    return uvicorn.Config(app, http=MockHttpProtocol, **options)
