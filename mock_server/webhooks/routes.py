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
    POST   /_mock/webhooks/{id}/redeliver   send a logged delivery's body again (a new delivery)
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.routing import BaseRoute

from hesabe_spec.wire import without_url_password
from mock_server.control.http import ControlError, Handler, digits, int_param, table_routes
from mock_server.runtime import MockRuntime
from mock_server.webhooks.config import as_json, merge_json
from mock_server.webhooks.log import STATES, without_secrets
from mock_server.webhooks.service import WebhookService

__all__ = ["webhook_routes"]


def _settings_shown(settings: dict[str, Any]) -> dict[str, Any]:
    """The sender's settings as shown: a fallback URL without its password."""
    fallback = settings.get("fallback_url")
    if not isinstance(fallback, str):
        return settings
    return {**settings, "fallback_url": without_url_password(fallback)}


def _state_view(service: WebhookService) -> dict[str, Any]:
    state = service.state()
    return {**state, "settings": _settings_shown(state["settings"])}


def deliveries(mock: MockRuntime, request: Request, _body: Any) -> Any:
    """The delivery log, newest last (``?state=...``, ``?limit=N``)."""
    state = request.query_params.get("state")
    if state is not None and state not in STATES:
        raise ControlError(400, f"state must be one of {', '.join(STATES)}")
    limit_text = request.query_params.get("limit")
    limit = digits(limit_text, "limit", "a non-negative integer") if limit_text else None
    found = mock.webhooks.deliveries(state=state, limit=limit)
    # shown without a URL's password (deliveries and redeliveries still go to the URL as given)
    return {**_state_view(mock.webhooks), "deliveries": [without_secrets(d) for d in found]}


def clear_deliveries(mock: MockRuntime, _request: Request, _body: Any) -> Any:
    mock.webhooks.clear()
    return {"message": "Webhook log cleared", **_state_view(mock.webhooks)}


def get_modes(mock: MockRuntime, _request: Request, _body: Any) -> Any:
    return as_json(mock.webhooks.dispatcher.modes)


def set_modes(mock: MockRuntime, _request: Request, body: Any) -> Any:
    dispatcher = mock.webhooks.dispatcher
    try:
        mock.webhooks.set_modes(merge_json(dispatcher.modes, body))
    except ValueError as exc:
        raise ControlError(400, str(exc)) from None
    return as_json(dispatcher.modes)


def get_settings(mock: MockRuntime, _request: Request, _body: Any) -> Any:
    return _settings_shown(as_json(mock.webhooks.dispatcher.settings))


def set_settings(mock: MockRuntime, _request: Request, body: Any) -> Any:
    dispatcher = mock.webhooks.dispatcher
    try:
        mock.webhooks.set_settings(merge_json(dispatcher.settings, body))
    except ValueError as exc:
        raise ControlError(400, str(exc)) from None
    return _settings_shown(as_json(dispatcher.settings))


def flush(mock: MockRuntime, _request: Request, _body: Any) -> Any:
    """Release held out-of-order deliveries now."""
    return {"released": mock.webhooks.flush()}


def redeliver(mock: MockRuntime, request: Request, _body: Any) -> Any:
    """Send a logged delivery again: a new delivery to the same URL with the same body."""
    delivery_id = int_param(request, "id")
    again = mock.webhooks.redeliver(delivery_id)
    if again is None:
        raise ControlError(404, f"no webhook delivery with id {delivery_id} in the log")
    return 201, {"delivery": without_secrets(mock.webhooks.shown(again))}


_TABLE: list[tuple[str, str, Handler]] = [
    ("", "GET", deliveries),
    ("", "DELETE", clear_deliveries),
    ("/modes", "GET", get_modes),
    ("/modes", "POST", set_modes),
    ("/settings", "GET", get_settings),
    ("/settings", "POST", set_settings),
    ("/flush", "POST", flush),
    ("/{id}/redeliver", "POST", redeliver),
]


def webhook_routes() -> list[BaseRoute]:
    """``/_mock/webhooks`` and its sub-paths, behind the control plane's guard."""
    return table_routes("/_mock/webhooks", _TABLE)
