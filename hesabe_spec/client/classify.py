"""Reading an HTTP answer: decode the body, decide success or which error, never guess silently.

Rules (first match wins), so one answer always maps to one class:

1. 3xx -> :class:`RedirectError` (Hesabe never redirects; following one could replay a POST).
2. Undecodable body: on HTTP >= 400 the status decides the class below (a proxy's HTML 502 is
   still a server error); on success it is the :class:`ProtocolError` itself.
3. A payment-gateway ``code`` (0, 422, 500, 501, 503-507) -> its own class (``GATEWAY_ERRORS``);
   elsewhere ``code`` 506 -> :class:`ValidationError`, ``code`` 501 -> :class:`AuthenticationError`.
4. HTTP 401/403 or "Invalid Signature." -> :class:`AuthenticationError`.
5. HTTP 429 -> :class:`RateLimitError` with ``retry_after`` from the header.
6. HTTP 404 or "Request not found..." -> :class:`NotFoundError`.
7. HTTP >= 500 or "Internal server error..." -> :class:`ServerError`.
8. Field errors, HTTP 400 or 422 -> :class:`ValidationError`; anything else refused -> :class:`APIError`.
"""

from __future__ import annotations

import email.utils
import time
from collections.abc import Mapping
from typing import Any

from hesabe_spec.crypto import CipherKeys
from hesabe_spec.enums import GatewayErrorCode
from hesabe_spec.errors import (
    GATEWAY_ERRORS,
    APIError,
    AuthenticationError,
    HesabeError,
    InvalidCredentialsError,
    NotFoundError,
    ProtocolError,
    RateLimitError,
    RedirectError,
    ServerError,
    ValidationError,
)
from hesabe_spec.operations import OPERATIONS
from hesabe_spec.wire import DecodedBody, decode_response

__all__ = ["decode_body", "error_for", "field_errors_of", "message_of", "retry_after_of"]


def decode_body(body: bytes, status: int, keys: CipherKeys, operation: str) -> DecodedBody:
    """:func:`hesabe_spec.wire.decode_response` with the HTTP facts attached to its errors."""
    try:
        return decode_response(body, keys)
    except ProtocolError as exc:
        raise type(exc)(exc.message, body=body, status=status, operation=operation) from None


def message_of(envelope: Any) -> str | None:
    """The envelope's message; an ``{"en": .., "ar": ..}`` object gives its English text."""
    if not isinstance(envelope, dict):
        return None
    message = envelope.get("message")
    if isinstance(message, dict):
        message = message.get("en") or next((v for v in message.values() if isinstance(v, str)), None)
    return message if isinstance(message, str) else None


def field_errors_of(envelope: Any) -> dict[str, list[str]]:
    """Laravel-style ``{"field": ["msg", ...]}`` from ``response`` (what Hesabe sends), else
    ``data`` or ``errors`` (what other clients have seen)."""
    if not isinstance(envelope, dict):
        return {}
    for key in ("response", "data", "errors"):
        candidate = envelope.get(key)
        if isinstance(candidate, dict) and candidate and all(
            isinstance(v, (str, list)) for v in candidate.values()
        ):
            return {
                str(name): [str(m) for m in (msgs if isinstance(msgs, list) else [msgs])]
                for name, msgs in candidate.items()
            }
    return {}


def retry_after_of(headers: Mapping[str, str], now: float | None = None) -> float | None:
    """Retry-After in seconds (delta-seconds or an HTTP date), or ``None``."""
    raw = next((v for k, v in headers.items() if k.lower() == "retry-after"), None)
    if raw is None:
        return None
    raw = raw.strip()
    try:
        return max(0.0, float(raw))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(raw)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - (time.time() if now is None else now))


def _code_of(envelope: Any) -> int | None:
    code = envelope.get("code") if isinstance(envelope, dict) else None
    try:
        return int(code) if code is not None and not isinstance(code, bool) else None
    except (TypeError, ValueError):
        return None


def _pick_class(status: int, code: int | None, message: str, fields: dict[str, list[str]]) -> type[APIError]:
    lowered = message.lower()
    if code == GatewayErrorCode.INVALID_REQUEST_DATA:
        return ValidationError
    if (code == GatewayErrorCode.INVALID_MERCHANT or status in (401, 403)
            or lowered.startswith("invalid signature")):
        return AuthenticationError
    if status == 429:
        return RateLimitError
    if status == 404 or lowered.startswith("request not found"):
        return NotFoundError
    if status >= 500 or lowered.startswith("internal server error"):
        return ServerError
    if fields or status in (400, 422):
        return ValidationError
    return APIError


def _hint(cls: type[APIError], message: str, gateway: bool) -> str | None:
    """What a terse refusal usually means, in the client's words (the server says no more)."""
    if cls is InvalidCredentialsError:
        return "check the username and password (HESABE_MERCHANT_USERNAME, HESABE_MERCHANT_PASSWORD)"
    if not gateway and message.lower().startswith("invalid signature"):
        return ("the accessCode header or the payload's merchantCode is not this merchant's: check "
                "HESABE_ACCESS_CODE and HESABE_MERCHANT_CODE")
    return None


def error_for(
    operation: str,
    status: int,
    headers: Mapping[str, str],
    body: bytes,
    envelope: Any,
    *,
    undecodable: ProtocolError | None = None,
) -> HesabeError | None:
    """The error this answer means, or ``None`` for a success."""
    if 300 <= status < 400:
        location = next((v for k, v in headers.items() if k.lower() == "location"), None)
        return RedirectError(
            f"{operation}: HTTP {status} redirect to {location!r} not followed (Hesabe does not redirect)",
            location=location, body=body, status=status, operation=operation,
        )
    if undecodable is not None and status < 400:
        return undecodable
    refused = isinstance(envelope, dict) and (
        envelope.get("status") is False
        # a bare {"message": ...} is how Hesabe words some failures even on HTTP 200
        or (set(envelope) == {"message"} and "status" not in envelope)
    )
    if status < 400 and not refused:
        return None
    code = _code_of(envelope)
    fields = field_errors_of(envelope)
    message = message_of(envelope) or (str(undecodable) if undecodable else f"HTTP {status}")
    op = OPERATIONS.get(operation)
    gateway = op is not None and op.host == "gateway"
    cls = GATEWAY_ERRORS.get(code) if gateway and code is not None else None
    cls = cls or _pick_class(status, code, message, fields)
    if cls is NotFoundError and operation == "login":
        cls = InvalidCredentialsError
    kwargs: dict[str, Any] = dict(
        status=status, code=code, envelope=envelope, body=body, field_errors=fields, operation=operation,
        hint=_hint(cls, message, gateway),
    )
    if cls is RateLimitError:
        return RateLimitError(message, retry_after=retry_after_of(headers), **kwargs)
    return cls(message, **kwargs)
