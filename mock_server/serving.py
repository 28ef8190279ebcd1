"""Serving the mock with uvicorn: one configuration for ``hesabe-mock``, the fixtures and the tests.

:class:`MockHttpProtocol` is uvicorn's own h11 protocol (uvicorn's ``http`` setting takes a protocol
class) that also puts each connection's transport in the ASGI scope's ``state``, the one thing the
mock needs from its server: a way to close a connection unanswered
(:mod:`mock_server.connection`).
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import uvicorn
from uvicorn.protocols.http.h11_impl import H11Protocol

from mock_server.arrival import shown_path
from mock_server.connection import TRANSPORT_STATE_KEY

__all__ = ["MockHttpProtocol", "QuietUpgrades", "SecretlessAccessLog", "uvicorn_config"]


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


class SecretlessAccessLog(logging.Filter):
    """uvicorn's access log (``--log-level info``) prints each request's path with its query, where
    a login may carry its password: the path is printed as :func:`~mock_server.arrival.shown_path`
    shows it. ``hesabe-mock`` adds it to the ``uvicorn.access`` logger when it serves."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        # uvicorn's access record: (client, method, path with query, HTTP version, status)
        if isinstance(args, tuple) and len(args) == 5 and isinstance(args[2], str) and "?" in args[2]:
            record.args = (args[0], args[1], shown_path(args[2]), args[3], args[4])
        return True


class QuietUpgrades(logging.Filter):
    """uvicorn warns at every request that asks to upgrade the connection, and then answers it over
    HTTP/1.1 as asked for anyway. Java's ``HttpClient`` asks for HTTP/2 (``Upgrade: h2c``) on every
    ``http://`` request by default, so a Java integration filled the log with "Unsupported upgrade
    request." and advice to install a WebSocket library the mock has no use for. ``hesabe-mock``
    adds this filter to the ``uvicorn.error`` logger when it serves; it drops those two lines."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.msg if isinstance(record.msg, str) else ""
        return not (message == "Unsupported upgrade request."
                    or message.startswith("No supported WebSocket library detected."))
