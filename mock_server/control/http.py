"""Plumbing shared by every ``/_mock/`` endpoint: the access guards, JSON in, JSON out, errors.

A control endpoint is a plain function ``(mock, request, body) -> data | (status, data)``;
:func:`control_endpoint` wraps it in the one guard every control route has (the control plane's
own, the webhook sender's and the inspector's alike): the loopback rule, the browser checks of
:func:`mock_server.access.browser_refusal` (Host, Origin, control token), one body limit, and
every refusal a JSON ``{"error": ...}`` with a 4xx status, so a malformed control request can
never surface as a 500.
:func:`table_routes` turns a ``(path, method, handler)`` table into Starlette routes.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from hesabe_spec.wire import has_lone_surrogate
from mock_server.access import browser_refusal, control_allowed
from mock_server.control.seed import SeedError
from mock_server.faults import FaultError
from mock_server.inbound import Inbound
from mock_server.protocol import BodyTooLarge, ascii_number
from mock_server.runtime import MockRuntime, runtime_of
from mock_server.state.checkouts import CheckoutRefused
from mock_server.state.errors import NotFound
from mock_server.state.payments import PaymentRefused

__all__ = ["MAX_BODY", "ControlError", "ControlJSON", "Handler", "control_endpoint", "digits", "int_param",
           "table_routes"]

log = logging.getLogger("hesabe_mock.control")

Handler = Callable[[MockRuntime, Request, Any], Any]
#: largest control request body (a seed document may hold thousands of invoices)
MAX_BODY = 8 * 1024 * 1024


class ControlError(Exception):
    """A refused control request: HTTP status and a message for the caller."""

    def __init__(self, status: int, message: str, **extra: Any) -> None:
        super().__init__(message)
        self.status, self.message, self.extra = status, message, extra


class ControlJSON(JSONResponse):
    """The control plane's JSON, valid whatever a request sent: a number JSON cannot carry (the
    journal keeps a payload's NaN as it was decrypted) is written as the string ``"NaN"``,
    ``"Infinity"`` or ``"-Infinity"``, and text UTF-8 cannot carry (a lone surrogate, from a
    ``"\\ud800"`` escape) as ``\\u`` escapes."""

    def render(self, content: Any) -> bytes:
        try:
            text = json.dumps(content, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
        except ValueError:  # NaN or an infinity somewhere: the same value with those as strings
            content = json.loads(json.dumps(content, allow_nan=True), parse_constant=str)
            text = json.dumps(content, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
        try:
            return text.encode("utf-8")
        except UnicodeEncodeError:
            return json.dumps(content, allow_nan=False, separators=(",", ":")).encode("ascii")


def error_response(status: int, message: str, **extra: Any) -> Response:
    return ControlJSON({"error": message, **extra}, status_code=status)


async def _json_body(request: Request) -> Any:
    try:  # read no further than the limit: a body over it is refused before it is all in memory
        raw = await Inbound(request.scope, request.receive).body(MAX_BODY)
    except BodyTooLarge:
        raise ControlError(413, f"control request body over {MAX_BODY} bytes") from None
    if not raw.strip():
        return {}
    try:
        body = json.loads(raw)
    except (UnicodeDecodeError, ValueError) as exc:
        raise ControlError(400, f"request body is not valid JSON: {exc}") from None
    except RecursionError:
        raise ControlError(400, "request body is not valid JSON: nested too deeply") from None
    if has_lone_surrogate(body):  # no store can keep such text, and no API request carries it
        raise ControlError(400, "request body is not valid JSON: a lone UTF-16 surrogate (\\ud800-\\udfff)")
    return body


def digits(raw: str, name: str, what: str = "a positive integer") -> int:
    """``raw`` as a number (:func:`~mock_server.protocol.ascii_number`); a 400 naming ``name`` otherwise."""
    number = ascii_number(raw)
    if number is None:
        raise ControlError(400, f"{name} must be {what}, got {raw!r}")
    return number


def int_param(request: Request, name: str) -> int:
    return digits(str(request.path_params.get(name, "")), name)


def control_endpoint(handler: Handler) -> Callable[[Request], Awaitable[Response]]:
    """Guard, parse and translate errors around one control handler."""

    async def endpoint(request: Request) -> Response:
        mock = runtime_of(request.app)
        host = request.client.host if request.client else None
        if not control_allowed(mock.settings, host):
            return error_response(403, f"the /_mock/ control plane only answers loopback clients (you are "
                                       f"{host}); start the mock with --open-control-plane to allow others")
        refusal = browser_refusal(mock.settings, request.method, request.headers, mock.control_token)
        if refusal is not None:
            return error_response(403, refusal)
        try:
            body = await _json_body(request) if request.method in ("POST", "PUT", "PATCH") else {}
            result = handler(mock, request, body)
        except ControlError as exc:
            return error_response(exc.status, exc.message, **exc.extra)
        except (SeedError, FaultError) as exc:
            return error_response(400, str(exc))
        except CheckoutRefused as exc:
            # the checkout's state refuses (409); a field of the request does (400)
            status = 409 if exc.reason in ("completed", "expired") else 400
            return error_response(status, exc.message, reason=exc.reason)
        except PaymentRefused as exc:
            return error_response(409, exc.message, reason=exc.reason)
        except NotFound as exc:
            return error_response(404, exc.message)
        if isinstance(result, Response):
            return result
        status, data = result if isinstance(result, tuple) else (200, result)
        return ControlJSON(data, status_code=status)

    endpoint.__name__ = getattr(handler, "__name__", "control")
    endpoint.__doc__ = handler.__doc__
    return endpoint


def table_routes(prefix: str, table: Iterable[tuple[str, str, Handler]],
                 fallback: Handler | None = None) -> list[BaseRoute]:
    """One guarded Starlette route per path of ``table`` (``(path, method, handler)`` rows), each
    answering the methods its rows name (HEAD as GET); ``fallback`` answers any other method."""
    by_path: dict[str, dict[str, Handler]] = {}
    for path, method, handler in table:
        by_path.setdefault(path, {})[method] = handler
    routes: list[BaseRoute] = []
    for path, handlers in by_path.items():
        routes.append(Route(prefix + path, _dispatch(handlers, fallback), methods=list(handlers)))
    return routes


def _dispatch(handlers: dict[str, Handler],
              fallback: Handler | None) -> Callable[[Request], Awaitable[Response]]:
    wrapped = {method: control_endpoint(h) for method, h in handlers.items()}
    other = control_endpoint(fallback or _not_allowed(sorted(handlers)))

    async def endpoint(request: Request) -> Response:
        # Starlette routes only the methods listed here, and HEAD with GET
        return await (wrapped.get(request.method) or wrapped.get("GET") or other)(request)

    return endpoint


def _not_allowed(allowed: list[str]) -> Handler:
    def not_allowed(_mock: MockRuntime, request: Request, _body: Any) -> Any:
        raise ControlError(405, f"{request.url.path} answers {', '.join(allowed)}, not {request.method}",
                           allowed=allowed)

    return not_allowed
