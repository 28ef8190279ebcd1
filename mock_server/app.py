"""``create_app``: the Starlette application, its routes derived from the operation table."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator

from hesabe_spec.extras import require_extra

require_extra("mock", "the Hesabe mock (mock_server)")

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute
from starlette.types import ASGIApp, Receive, Scope, Send

from hesabe_spec.operations import OPERATIONS
from mock_server.clock import Clock
from mock_server.control.http import error_response
from mock_server.control.routes import PREFIX as CONTROL_PREFIX
from mock_server.control.routes import control_routes
from mock_server.inspector import inspector_routes
from mock_server.merchants import MerchantRegistry
from mock_server.pages.checkout_views import checkout_routes
from mock_server.pages.views import page_routes
from mock_server.protocol import INTERNAL_ERROR, envelope, method_not_allowed, plain_reply
from mock_server.routing import OperationRoutes
from mock_server.runtime import MockRuntime, runtime_of
from mock_server.settings import MockSettings
from mock_server.state.errors import NOT_FOUND_MESSAGE
from mock_server.state.memory import MemoryStore
from mock_server.state.store import Store
from mock_server.webhooks.config import DeliverySettings
from mock_server.webhooks.routes import webhook_routes

__all__ = ["api_routes", "create_app"]

log = logging.getLogger("hesabe_mock")


def api_routes() -> list[BaseRoute]:
    """Every operation's accepted path forms (both slash forms, never a redirect), as one route."""
    return [OperationRoutes(OPERATIONS.values())]


async def _http_error(request: Request, exc: Exception) -> Response:
    status = getattr(exc, "status_code", 500)
    headers = getattr(exc, "headers", None)
    if status == 405:
        return plain_reply(method_not_allowed(request.method), 405, headers)
    if status == 404:
        return plain_reply(envelope(False, NOT_FOUND_MESSAGE), 404)
    return plain_reply({"message": str(getattr(exc, "detail", "Error"))}, status)


class _SyncShared:
    """ASGI middleware of a mock several processes serve: :meth:`MockRuntime.sync` before each request.

    When the shared store cannot be read (its server restarted, or dropped the connection), the
    request is answered as the real API answers a failure, its plain 500 (on ``/_mock/``, the
    control plane's JSON error), with one line in the log; the store reconnects on the next one.
    """

    def __init__(self, app: ASGIApp, runtime: MockRuntime) -> None:
        self.app = app
        self.runtime = runtime

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            try:
                self.runtime.sync()
            except Exception as exc:  # never Starlette's text 500: the API's own, whatever failed
                path = str(scope.get("path", ""))
                first_line = (str(exc).strip().splitlines() or [""])[0]
                log.error("the shared store could not be read before %s %s: %s: %s", scope.get("method"),
                          path, type(exc).__name__, first_line,
                          exc_info=None if _from_the_database(exc) else exc)  # a bug's traceback stays
                await _store_failure(path)(scope, receive, send)
                return
        await self.app(scope, receive, send)


def _from_the_database(exc: Exception) -> bool:
    """An error of the store's driver (its server went away): one line says it all."""
    return isinstance(exc, OSError) or type(exc).__module__.split(".")[0] in ("sqlite3", "psycopg")


def _store_failure(path: str) -> Response:
    if path == CONTROL_PREFIX or path.startswith(CONTROL_PREFIX + "/"):
        return error_response(500, "the shared store could not be read (its server restarted or dropped the "
                                   "connection); the next request reconnects")
    return plain_reply(INTERNAL_ERROR, 500)


@contextlib.asynccontextmanager
async def _lifespan(app: Starlette) -> AsyncIterator[None]:
    """The timer runs while the app serves; at shutdown it and the webhook sender stop."""
    runtime = runtime_of(app)
    runtime.timer.start()
    try:
        yield
    finally:
        await runtime.timer.stop()
        runtime.close()


def create_app(
    settings: MockSettings | None = None,
    store: Store | None = None,
    merchants: MerchantRegistry | None = None,
    clock: Clock | None = None,
    *,
    webhook_settings: DeliverySettings | None = None,
) -> Starlette:
    """A ready mock: the public sandbox identity and an in-memory store unless told otherwise."""
    runtime = MockRuntime(settings or MockSettings(), store or MemoryStore(),
                          merchants or MerchantRegistry.default(), clock, webhook_settings=webhook_settings)
    # the API, then the invoice pages (/s/, /sp/) and the gateway's (/payment, /pay/webview, /applepay)
    routes = [*api_routes(), *page_routes(), *checkout_routes()]
    if runtime.settings.control_plane:
        # control_routes ends in a /_mock/ catch-all
        routes += [*webhook_routes(), *inspector_routes(), *control_routes()]
    # a shared mock first takes what other processes changed (clock, faults, ...): one query
    middleware = [Middleware(_SyncShared, runtime=runtime)] if runtime.shared is not None else []
    app = Starlette(routes=routes, exception_handlers={HTTPException: _http_error}, lifespan=_lifespan,
                    middleware=middleware)
    app.router.redirect_slashes = False  # Hesabe answers both slash forms itself, never a redirect
    app.state.mock = runtime
    return app
