"""The reference Hesabe client, built on the spec; no spec module imports it.

    core.py       HesabeClient: the generic call() with its retry/replay rules
    methods.py    one named method per operation (Python keywords -> wire fields)
    request.py    build_request: (operation, payload) -> the exact HTTP request; Result
    fields.py     Python names -> wire names and wire text
    classify.py   an HTTP answer -> success or which HesabeError
    tokens.py     the bearer-token lifecycle (login on first use, refresh ahead of expiry)
    transport.py  the transport seam and ASGITransport (an ASGI app in-process, no socket)
    config.py     ClientConfig from arguments or HESABE_* variables
"""

from __future__ import annotations

from hesabe_spec.client.config import ClientConfig
from hesabe_spec.client.core import HesabeClient
from hesabe_spec.client.request import PreparedRequest, Result, build_request
from hesabe_spec.client.transport import ASGITransport

__all__ = ["ASGITransport", "ClientConfig", "HesabeClient", "PreparedRequest", "Result", "build_request"]
