"""Closing a client's connection on purpose, with no reply at all (the ``drop_connection`` fault).

ASGI has no message for "close without answering": an app that returns without a response gets a
500 from the server. So the server that runs the mock hands the app each connection's transport
through the ASGI scope's ``state`` (the per-request copy of the lifespan state that ASGI defines):
:class:`mock_server.serving.MockHttpProtocol` does, and ``hesabe-mock``, the pytest fixtures and
the reliability tests serve through it. :func:`drop_connection` closes that transport and waits for
the ``http.disconnect`` ASGI then delivers, so the server sees a client that went away.

Served some other way (an in-process ASGI transport, plain ``uvicorn``), there is no transport to
close: :func:`drop_connection` raises :class:`ConnectionDropped`, a ``ConnectionResetError``, which an
in-process transport surfaces to its caller as a failed connection.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping, MutableMapping
from typing import Any

__all__ = ["TRANSPORT_STATE_KEY", "ConnectionDropped", "drop_connection"]

#: key of the connection's ``asyncio.Transport`` in ``scope["state"]``
TRANSPORT_STATE_KEY = "hesabe_mock.transport"


class ConnectionDropped(ConnectionResetError):
    """The mock dropped the connection on purpose and no server transport was there to close."""


async def drop_connection(scope: Mapping[str, Any],
                          receive: Callable[[], Awaitable[MutableMapping[str, Any]]]) -> None:
    """Close the client's connection unanswered (see the module doc)."""
    transport = scope.get("state", {}).get(TRANSPORT_STATE_KEY)
    if not isinstance(transport, asyncio.BaseTransport):
        raise ConnectionDropped("mock fault: connection dropped without a response")
    transport.close()
    while (await receive())["type"] != "http.disconnect":
        pass
