"""The reference Hesabe client, built on the spec; no spec module imports it.

    core.py       HesabeClient: the generic call() with its retry/replay rules
    methods.py    one named method per Merchant API operation (Python keywords -> wire fields)
    gateway.py    the payment gateway: checkout, callback, enquiry, capture, void, webhook
    saved_cards.py  saved cards (direct payment): customers, cards, charges (SavedCardCharge)
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
from hesabe_spec.client.gateway import (
    CallbackResult,
    CheckoutSession,
    Transaction,
    TransactionEnquiry,
    WebhookEvent,
    parse_callback,
    parse_callback_url,
    parse_webhook,
)
from hesabe_spec.client.request import PreparedRequest, Result, build_request
from hesabe_spec.client.saved_cards import SavedCardCharge
from hesabe_spec.client.transport import ASGITransport

__all__ = [
    "ASGITransport",
    "CallbackResult",
    "CheckoutSession",
    "ClientConfig",
    "HesabeClient",
    "PreparedRequest",
    "Result",
    "SavedCardCharge",
    "Transaction",
    "TransactionEnquiry",
    "WebhookEvent",
    "build_request",
    "parse_callback",
    "parse_callback_url",
    "parse_webhook",
]
