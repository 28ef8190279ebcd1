"""The one request path every Hesabe operation goes through, derived from the operation table.

authenticate -> read ``data`` -> decrypt -> check merchant -> validate -> handler -> encrypt.
Each step that refuses raises :class:`~mock_server.protocol.Failure` with the exact body the real
API gives; nothing reaches the domain (so nothing changes) until every check has passed.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from hesabe_spec.errors import CryptoError, EnvelopeError
from hesabe_spec.operations import Operation
from hesabe_spec.validation import validate_request
from hesabe_spec.wire import decode_request_data
from mock_server.field_errors import field_errors
from mock_server.handlers import HANDLERS
from mock_server.handlers import auth as auth_handlers
from mock_server.merchants import Merchant
from mock_server.protocol import (
    INTERNAL_ERROR,
    BodyTooLarge,
    Failure,
    encrypted_reply,
    envelope,
    plain_reply,
    read_body,
    read_data_field,
    read_plain_fields,
)
from mock_server.runtime import Call, MockRuntime
from mock_server.state.errors import NOT_FOUND_MESSAGE, DomainError

__all__ = ["UNAUTHENTICATED", "endpoint_for"]

log = logging.getLogger("hesabe_mock")

UNAUTHENTICATED = {"message": "Unauthenticated."}
INVALID_SIGNATURE = "Invalid Signature."
INVALID_DATA = "Invalid Request Data"


def base_url(mock: MockRuntime, request: Request) -> str:
    return (mock.settings.public_base_url or str(request.base_url)).rstrip("/")


def _merchant_for(mock: MockRuntime, request: Request) -> Merchant:
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    merchant = mock.tokens.authenticate(token.strip()) if scheme.lower() == "bearer" and token else None
    if merchant is None:
        raise Failure(401, UNAUTHENTICATED)
    if request.headers.get("accesscode") != merchant.identity.access_code:
        raise Failure(401, envelope(False, INVALID_SIGNATURE))
    return merchant


def _payload(op: Operation, request: Request, body: bytes, merchant: Merchant) -> dict[str, Any]:
    keys = merchant.keys
    data = read_data_field(request, body)
    if data is None or data == "":
        raise Failure(400, envelope(False, NOT_FOUND_MESSAGE), keys=keys)
    if not isinstance(data, str):
        raise Failure(400, envelope(False, INVALID_DATA, code=506), keys=keys)
    try:
        payload = decode_request_data(data, keys)
    except (CryptoError, EnvelopeError):
        raise Failure(400, envelope(False, INVALID_DATA, code=506), keys=keys) from None
    if not isinstance(payload, dict):
        raise Failure(400, envelope(False, INVALID_DATA, code=506), keys=keys)
    code = payload.get("merchantCode")
    if code is not None and str(code) != merchant.merchant_code:
        raise Failure(401, envelope(False, INVALID_SIGNATURE), keys=keys)
    if op.method == "GET":
        # Docs put filters beside ``data``; Hesabe's app puts them inside. Inside wins.
        plain = {k: request.query_params[k] for k in op.query_filters if k in request.query_params}
        payload = {**plain, **payload}
    return payload


def _validate(op: Operation, payload: dict[str, Any], merchant: Merchant) -> None:
    violations = validate_request(op.name, payload)
    if violations:
        errors = field_errors(violations)
        first = next(iter(errors.values()))[0]
        raise Failure(400, envelope(False, first, errors), keys=merchant.keys)


def _params(op: Operation, request: Request, merchant: Merchant) -> dict[str, str]:
    params = {name: str(request.path_params.get(name, "")) for name in op.path_params}
    # isdigit() alone takes "\u00b2" (int() then raises: a 500) and "\u0661" (int() reads it as 1):
    # a path id is ASCII digits or it names nothing.
    ident = params.get("id")
    if ident is not None and not (ident.isascii() and ident.isdigit() and len(ident) <= 18):
        raise Failure(404, envelope(False, NOT_FOUND_MESSAGE), keys=merchant.keys)
    return params


async def _serve(op: Operation, mock: MockRuntime, request: Request) -> Response:
    style = mock.settings.envelope
    try:
        try:
            body = await read_body(request, mock.settings.max_body_bytes)
        except BodyTooLarge:
            limit = mock.settings.max_body_bytes
            return plain_reply(envelope(False, f"Request body too large: the limit is {limit} bytes."), 413)
        if op.kind == "auth":
            fields = read_plain_fields(request.headers.get("content-type", ""), body)
            handler = getattr(auth_handlers, op.name)
            return plain_reply(handler(mock, fields))
        merchant = _merchant_for(mock, request)
        payload = _payload(op, request, body, merchant)
        params = _params(op, request, merchant)
        _validate(op, payload, merchant)
        call = Call(mock, merchant, payload, params, base_url(mock, request))
        try:
            reply = HANDLERS[op.name](call)
        except DomainError as exc:
            raise Failure(exc.http_status, envelope(False, exc.message, exc.field_errors),
                          keys=merchant.keys) from None
        message = reply.message or op.success_message
        return encrypted_reply(envelope(True, message, reply.response), merchant.keys, style, reply.status)
    except Failure as failure:
        return failure.response(style)
    except Exception:  # the real API answers 500 with a bare message, never a traceback
        log.exception("unhandled error in %s", op.name)
        return plain_reply(INTERNAL_ERROR, 500)


def endpoint_for(op: Operation) -> Callable[[Request], Awaitable[Response]]:
    async def endpoint(request: Request) -> Response:
        return await _serve(op, request.app.state.mock, request)

    endpoint.__name__ = op.name
    return endpoint
