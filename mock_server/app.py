"""``create_app``: the Starlette application, its routes derived from the operation table."""

from __future__ import annotations

from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Match

from hesabe_spec.operations import OPERATIONS
from mock_server.clock import Clock
from mock_server.control.routes import control_routes
from mock_server.merchants import MerchantRegistry
from mock_server.pages import install_pages
from mock_server.pipeline import DROPPED_SCOPE_KEY
from mock_server.protocol import envelope, plain_reply
from mock_server.routing import OperationRoutes
from mock_server.runtime import MockRuntime
from mock_server.settings import MockSettings
from mock_server.state.errors import NOT_FOUND_MESSAGE
from mock_server.state.memory import MemoryStore
from mock_server.state.store import Store
from mock_server.webhooks import install_webhooks, shutdown_lifespan

__all__ = ["MockApp", "api_routes", "create_app"]

_DROPPED = "hesabe-mock: connection dropped on purpose"


def api_routes() -> list[BaseRoute]:
    """Every operation's accepted path forms (both slash forms, never a redirect), as one route."""
    return [OperationRoutes(OPERATIONS.values())]


async def _http_error(request: Request, exc: Exception) -> Response:
    status = getattr(exc, "status_code", 500)
    if status == 405:
        return plain_reply({"message": f"The {request.method} method is not supported for this route."}, 405)
    if status == 404:
        return plain_reply(envelope(False, NOT_FOUND_MESSAGE), 404)
    return plain_reply({"message": str(getattr(exc, "detail", "Error"))}, status)


class MockApp(Starlette):
    """Starlette plus two server-level habits.

    * A Hesabe call goes straight to its operation's endpoint. The pipeline answers every
      failure itself (never raises), so Starlette's error middlewares and route scan would only
      add cost to the requests a CI suite makes thousands of. Pages, the control plane, 404s and
      405s still go through Starlette, and so does everything once anybody adds a middleware.
    * A dropped exchange closes the connection unanswered. uvicorn closes the socket without
      writing a byte when the app returns a value other than None (an ASGI protocol breach it
      handles by ``transport.close()``); any other server, e.g. an in-process transport, gets a
      ``ConnectionResetError`` raised instead, which its client sees as a connection failure too.
    """

    #: the Hesabe API's routes (also in ``routes``, where Starlette finds them for 405s)
    operations: OperationRoutes | None = None

    async def __call__(self, scope: Any, receive: Any, send: Any) -> Any:
        operations = self.operations if scope["type"] == "http" and not self.user_middleware else None
        match, child = operations.matches(scope) if operations is not None else (Match.NONE, {})
        if match is Match.FULL:
            scope["app"] = self
            scope.update(child)
            await child["endpoint"](scope, receive, send)
        else:
            await super().__call__(scope, receive, send)
        if scope.get(DROPPED_SCOPE_KEY):
            if type(getattr(send, "__self__", None)).__module__.startswith("uvicorn."):
                return _DROPPED
            raise ConnectionResetError("mock fault: connection dropped without a response")
        return None


def create_app(
    settings: MockSettings | None = None,
    store: Store | None = None,
    merchants: MerchantRegistry | None = None,
    clock: Clock | None = None,
) -> Starlette:
    """A ready mock: the public sandbox identity and an in-memory store unless told otherwise."""
    runtime = MockRuntime(settings or MockSettings(), store or MemoryStore(),
                          merchants or MerchantRegistry.default(), clock)
    install_pages(runtime)  # /s/{access_key}, /sp/{split_access_key}
    install_webhooks(runtime)  # webhook sender, /_mock/webhooks, its shutdown hook
    routes = api_routes()
    extra_routes = runtime.extensions.get("routes", [])
    if runtime.settings.control_plane:
        extra_routes = [*extra_routes, *control_routes()]  # before its /_mock/{rest} catch-all
    app = MockApp(routes=[*routes, *extra_routes], exception_handlers={HTTPException: _http_error},
                  lifespan=shutdown_lifespan)
    app.router.redirect_slashes = False
    app.operations = next(r for r in routes if isinstance(r, OperationRoutes))
    app.state.mock = runtime
    return app
