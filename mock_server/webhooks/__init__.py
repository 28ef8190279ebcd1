"""Webhooks: what the mock POSTs to a merchant after a payment, retried, logged, optionally hostile.

:func:`install_webhooks` wires a :class:`WebhookService` into a runtime: payment hooks, the
``/_mock/webhooks`` routes and a shutdown hook. :func:`shutdown_lifespan` is a Starlette lifespan
that runs the runtime's shutdown hooks, so the sender's worker thread and its HTTP session end
with the app.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator
from typing import Any

from mock_server.webhooks.config import DeliverySettings, WebhookModes
from mock_server.webhooks.dispatcher import WebhookDispatcher
from mock_server.webhooks.log import Delivery, DeliveryLog
from mock_server.webhooks.payload import webhook_body
from mock_server.webhooks.routes import webhook_routes
from mock_server.webhooks.service import WebhookService

__all__ = [
    "Delivery",
    "DeliveryLog",
    "DeliverySettings",
    "WebhookDispatcher",
    "WebhookModes",
    "WebhookService",
    "install_webhooks",
    "run_shutdown_hooks",
    "shutdown_lifespan",
    "webhook_body",
]

log = logging.getLogger("hesabe_mock.webhooks")


def install_webhooks(runtime: Any, settings: DeliverySettings | None = None) -> WebhookService:
    """Give ``runtime`` a webhook sender: ``runtime.extensions["webhooks"]``, its payment hooks,
    its routes (in ``extensions["routes"]``) and a close hook (in ``extensions["shutdown"]``)."""
    service = WebhookService(runtime.clock, settings)
    runtime.extensions["webhooks"] = service
    runtime.on_paid.append(service.on_paid)
    runtime.on_payment_failed.append(service.on_failed)
    runtime.extensions.setdefault("routes", []).extend(webhook_routes())
    runtime.extensions.setdefault("shutdown", []).append(service.close)
    # the control plane's reset (when present) forgets deliveries too
    on_reset = getattr(runtime, "on_reset", None)
    if on_reset is not None:
        on_reset.append(service.reset)
    return service


def run_shutdown_hooks(runtime: Any) -> None:
    """Call every ``extensions["shutdown"]`` hook, newest first; one failing never skips the rest.

    Hooks stay registered: an app may be started and stopped more than once (they must be
    idempotent and leave their service usable, as the webhook sender does)."""
    for hook in reversed(runtime.extensions.get("shutdown", [])):
        try:
            hook()
        except Exception:
            log.exception("shutdown hook %r failed", hook)


@contextlib.asynccontextmanager
async def shutdown_lifespan(app: Any) -> AsyncIterator[None]:
    """Starlette lifespan: nothing at startup, the runtime's shutdown hooks at shutdown."""
    yield
    run_shutdown_hooks(app.state.mock)
