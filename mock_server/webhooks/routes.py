"""``/_mock/webhooks``: the delivery log and the sender's settings and adversarial modes.

Plain JSON in and out, beside the rest of the control plane and under the same rule: served only
when the control plane is on, and only to loopback clients unless it was opened by flag.

    GET    /_mock/webhooks            log (?state=delivered|failed|pending|held|abandoned, ?limit=N)
    DELETE /_mock/webhooks            forget every delivery (queued ones too)
    GET    /_mock/webhooks/modes      adversarial modes
    POST   /_mock/webhooks/modes      {"duplicate": true, "delay_ms": 2000, "out_of_order": true,
                                       "forged_status": true, "batch_size": 2, "batch_window_ms": 2000}
    GET    /_mock/webhooks/settings   retries and fallback URL
    POST   /_mock/webhooks/settings   {"attempts": 5, "base_delay": 0.5, "max_delay": 30, "timeout": 5,
                                       "fallback_url": "http://127.0.0.1:9000/hook"}
    POST   /_mock/webhooks/flush      release held out-of-order deliveries now
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from mock_server.control.access import control_allowed
from mock_server.control.http import error_response
from mock_server.webhooks.config import as_json, merge_json
from mock_server.webhooks.log import STATES
from mock_server.webhooks.service import WebhookService

__all__ = ["webhook_routes"]

_MAX_BODY = 64 * 1024


def _service(request: Request) -> WebhookService:
    return request.app.state.mock.extensions["webhooks"]  # type: ignore[no-any-return]


def _refusal(request: Request) -> Response | None:
    """The control plane's rule: on at all, and loopback-only unless opened by flag."""
    settings = request.app.state.mock.settings
    if not settings.control_plane:
        return error_response(404, "Not Found")
    if not control_allowed(settings, request.client.host if request.client else None):
        return error_response(403, "The control plane answers loopback clients only")
    return None


def _bad(message: str) -> Response:
    return error_response(400, message)


async def _json_body(request: Request) -> Any:
    body = await request.body()
    if len(body) > _MAX_BODY:
        raise ValueError("body too large")
    try:
        return json.loads(body or b"{}")
    except (ValueError, RecursionError):
        raise ValueError("body must be a JSON object") from None


def _state_view(service: WebhookService) -> dict[str, Any]:
    dispatcher = service.dispatcher
    return {"modes": as_json(dispatcher.modes), "settings": as_json(dispatcher.settings),
            "count": len(dispatcher.log), "cap": dispatcher.log.cap, "dropped": dispatcher.log.dropped}


async def log_view(request: Request) -> Response:
    if (refused := _refusal(request)) is not None:
        return refused
    service = _service(request)
    if request.method == "DELETE":
        service.dispatcher.clear()
        return JSONResponse({"message": "Webhook log cleared", **_state_view(service)})
    state = request.query_params.get("state")
    if state is not None and state not in STATES:
        return _bad(f"state must be one of {', '.join(STATES)}")
    limit_text = request.query_params.get("limit")
    if limit_text is not None and not limit_text.isdigit():
        return _bad("limit must be a non-negative integer")
    deliveries = service.deliveries(state=state, limit=int(limit_text) if limit_text else None)
    return JSONResponse({**_state_view(service), "deliveries": deliveries})


def _config_view(name: str) -> Callable[[Request], Awaitable[Response]]:
    """GET shows the dispatcher's ``modes`` / ``settings``; POST merges a JSON object into them."""

    async def view(request: Request) -> Response:
        if (refused := _refusal(request)) is not None:
            return refused
        dispatcher = _service(request).dispatcher
        if request.method == "POST":
            try:
                updated = merge_json(getattr(dispatcher, name), await _json_body(request))
            except ValueError as exc:
                return _bad(str(exc))
            getattr(dispatcher, f"set_{name}")(updated)
        return JSONResponse(as_json(getattr(dispatcher, name)))

    view.__name__ = f"{name}_view"
    return view


async def flush_view(request: Request) -> Response:
    if (refused := _refusal(request)) is not None:
        return refused
    released = _service(request).dispatcher.flush()
    return JSONResponse({"released": released})


def webhook_routes() -> list[BaseRoute]:
    return [
        Route("/_mock/webhooks", log_view, methods=["GET", "DELETE"], name="mock_webhooks"),
        Route("/_mock/webhooks/modes", _config_view("modes"), methods=["GET", "POST"],
              name="mock_webhook_modes"),
        Route("/_mock/webhooks/settings", _config_view("settings"), methods=["GET", "POST"],
              name="mock_webhook_settings"),
        Route("/_mock/webhooks/flush", flush_view, methods=["POST"], name="mock_webhook_flush"),
    ]
