"""The Hesabe API (Merchant API and payment gateway) as executable data: encryption, wire format,
operations, schemas.

The reference client lives in :mod:`hesabe_spec.client`; its names are importable from here too
(``from hesabe_spec import HesabeClient``), loaded on first use so that the spec alone never
imports the client or ``requests``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from hesabe_spec.crypto import CipherKeys, decrypt, encrypt
from hesabe_spec.errors import HesabeError
from hesabe_spec.operations import OPERATIONS, Operation, get_operation
from hesabe_spec.sandbox import SANDBOX
from hesabe_spec.validation import Violation, validate_request, validate_response
from hesabe_spec.wire import client_json, server_json

if TYPE_CHECKING:
    from hesabe_spec.client import (
        ASGITransport,
        CallbackResult,
        CheckoutSession,
        ClientConfig,
        HesabeClient,
        PreparedRequest,
        Result,
        SavedCardCharge,
        Transaction,
        TransactionEnquiry,
        WebhookEvent,
        build_request,
        parse_callback,
        parse_callback_url,
        parse_webhook,
    )

__all__ = [
    "OPERATIONS",
    "SANDBOX",
    "ASGITransport",
    "CallbackResult",
    "CheckoutSession",
    "CipherKeys",
    "ClientConfig",
    "HesabeClient",
    "HesabeError",
    "Operation",
    "PreparedRequest",
    "Result",
    "SavedCardCharge",
    "Transaction",
    "TransactionEnquiry",
    "Violation",
    "WebhookEvent",
    "build_request",
    "client_json",
    "decrypt",
    "encrypt",
    "get_operation",
    "parse_callback",
    "parse_callback_url",
    "parse_webhook",
    "server_json",
    "validate_request",
    "validate_response",
]

#: names of :mod:`hesabe_spec.client` served from here
_CLIENT_NAMES = frozenset(
    {"ASGITransport", "CallbackResult", "CheckoutSession", "ClientConfig", "HesabeClient", "PreparedRequest",
     "Result", "SavedCardCharge", "Transaction", "TransactionEnquiry", "WebhookEvent", "build_request",
     "parse_callback", "parse_callback_url", "parse_webhook"}
)


def __getattr__(name: str) -> Any:
    if name in _CLIENT_NAMES:
        from hesabe_spec import client

        return getattr(client, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*globals(), *_CLIENT_NAMES})
