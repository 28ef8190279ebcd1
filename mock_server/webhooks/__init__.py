"""Webhooks: what the mock POSTs to a merchant after a payment, retried, logged, optionally hostile.

:class:`WebhookService` is the sender (``MockRuntime.webhooks``): payments call its hooks, a
:class:`WebhookDispatcher` delivers in a worker thread, a bounded :class:`DeliveryLog` keeps every
attempt. ``/_mock/webhooks`` (:mod:`mock_server.webhooks.routes`) shows and steers it.
"""

from __future__ import annotations

from mock_server.webhooks.config import DeliverySettings, WebhookModes
from mock_server.webhooks.dispatcher import WebhookDispatcher
from mock_server.webhooks.log import Delivery, DeliveryLog
from mock_server.webhooks.payload import webhook_body
from mock_server.webhooks.service import WebhookService

__all__ = [
    "Delivery",
    "DeliveryLog",
    "DeliverySettings",
    "WebhookDispatcher",
    "WebhookModes",
    "WebhookService",
    "webhook_body",
]
