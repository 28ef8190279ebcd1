"""The one request path every Hesabe operation goes through, derived from the operation table.

authenticate -> read ``data`` -> decrypt -> check merchant -> validate -> handler -> encrypt.
The payment gateway's operations take :mod:`mock_server.gateway`'s steps for the first five
(``accessCode`` alone, refusals with the gateway's codes).
Each step that refuses raises :class:`~mock_server.protocol.Failure` with the exact body the real
API gives; nothing reaches the domain (so nothing changes) until every check has passed.

Every exchange is an :class:`~mock_server.exchange.Exchange` passed through ``mock.hooks``
(:class:`~mock_server.exchange.PipelineHook`): faults answer or alter it, the journal records it.
No operation is special-cased here: each is looked up in :data:`~mock_server.handlers.HANDLERS`,
whose entry says whether it is a plain (login, refresh) or a merchant's encrypted operation.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from hesabe_spec.errors import CryptoError, EnvelopeError
from hesabe_spec.operations import Operation
from hesabe_spec.wire import EnvelopeStyle, wrap_ciphertext
from mock_server import gateway
from mock_server.connection import drop_connection
from mock_server.exchange import Exchange
from mock_server.fast_validation import validate_request
from mock_server.field_errors import field_errors
from mock_server.handlers import HANDLERS, PlainHandler
from mock_server.inbound import Inbound, send_reply
from mock_server.json_out import decode_request_data, server_json
from mock_server.merchants import Merchant
from mock_server.protocol import (
    INTERNAL_ERROR,
    NO_DATA,
    BodyTooLarge,
    Failure,
    envelope,
    read_data_field,
    read_plain_fields,
)
from mock_server.runtime import Call, MockRuntime, PlainCall, runtime_of
from mock_server.state.checkouts import GatewayRefusal
from mock_server.state.errors import NOT_FOUND_MESSAGE, DomainError

__all__ = ["UNAUTHENTICATED", "OperationEndpoint"]

log = logging.getLogger("hesabe_mock")

UNAUTHENTICATED = {"message": "Unauthenticated."}
INVALID_SIGNATURE = "Invalid Signature."
INVALID_DATA = "Invalid Request Data"


def base_url(mock: MockRuntime, inbound: Inbound) -> str:
    return (mock.settings.public_base_url or inbound.base_url()).rstrip("/")


def _merchant_for(mock: MockRuntime, inbound: Inbound) -> Merchant:
    headers = inbound.headers
    scheme, _, token = headers.get("authorization", "").partition(" ")
    merchant = mock.tokens.authenticate(token.strip()) if scheme.lower() == "bearer" and token else None
    if merchant is None:
        raise Failure(401, UNAUTHENTICATED)
    if headers.get("accesscode") != merchant.identity.access_code:
        raise Failure(401, envelope(False, INVALID_SIGNATURE))
    return merchant


def _payload(op: Operation, inbound: Inbound, body: bytes, merchant: Merchant) -> dict[str, Any]:
    keys = merchant.keys
    data = read_data_field(inbound.headers.get("content-type", ""), body)
    if data is NO_DATA:
        data = inbound.query_data()
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
    if op.method == "GET" and op.query_filters and inbound.query_string:
        # Docs put filters beside ``data``; Hesabe's app puts them inside. Inside wins.
        query = inbound.query_params
        plain = {k: query[k] for k in op.query_filters if k in query}
        payload = {**plain, **payload}
    return payload


def _validate(op: Operation, payload: dict[str, Any], merchant: Merchant) -> None:
    violations = validate_request(op.name, payload)
    if violations:
        errors = field_errors(violations)
        first = next(iter(errors.values()))[0]
        raise Failure(400, envelope(False, first, errors), keys=merchant.keys)


def _params(op: Operation, inbound: Inbound, merchant: Merchant) -> dict[str, str]:
    if not op.path_params:
        return {}
    found = inbound.path_params
    params = {name: str(found.get(name, "")) for name in op.path_params}
    # isdigit() alone takes "\u00b2" (int() then raises: a 500) and "\u0661" (int() reads it as 1):
    # a path id is ASCII digits or it names nothing.
    ident = params.get("id")
    if ident is not None and not (ident.isascii() and ident.isdigit() and len(ident) <= 18):
        raise Failure(404, envelope(False, NOT_FOUND_MESSAGE), keys=merchant.keys)
    return params


async def _process(op: Operation, mock: MockRuntime, inbound: Inbound, ex: Exchange) -> None:
    """Run the operation, leaving the plaintext reply (and the keys to encrypt it) on ``ex``."""
    try:
        try:
            body = await inbound.body(mock.settings.max_body_bytes)
        except BodyTooLarge:
            limit = mock.settings.max_body_bytes
            message = f"Request body too large: the limit is {limit} bytes."
            raise Failure(413, envelope(False, message)) from None
        handler = HANDLERS[op.name]
        if isinstance(handler, PlainHandler):
            fields = read_plain_fields(inbound.headers.get("content-type", ""), body)
            ex.request = fields
            reply = handler.run(PlainCall(mock.domain, fields, op))
            ex.status, ex.body = reply.status, envelope(True, reply.message or op.success_message,
                                                        reply.response)
            return
        on_gateway = op.host == "gateway"
        merchant = (gateway.merchant_for if on_gateway else _merchant_for)(mock, inbound)
        ex.merchant_code = merchant.merchant_code
        payload = (gateway.payload_for if on_gateway else _payload)(op, inbound, body, merchant)
        ex.request = payload
        params = _params(op, inbound, merchant)
        (gateway.validate if on_gateway else _validate)(op, payload, merchant)
        call = Call(mock.domain, merchant, payload, params, base_url(mock, inbound), op,
                    mock.settings.per_page)
        try:
            reply = handler.run(call)
        except GatewayRefusal as exc:
            raise gateway.failure(op, exc, merchant) from None
        except DomainError as exc:
            raise Failure(exc.http_status, envelope(False, exc.message, exc.field_errors),
                          keys=merchant.keys) from None
        ex.status, ex.keys = reply.status, merchant.keys if op.encrypted else None
        if reply.body is not None:
            ex.body = reply.body
        else:
            ex.body = envelope(True, reply.message or op.success_message, reply.response)
    except Failure as failure:
        ex.status, ex.body, ex.keys = failure.status, failure.body, failure.keys


def _render(ex: Exchange, style: EnvelopeStyle) -> bytes:
    """The reply body on the wire: the encrypted envelope, or plain JSON when no keys apply."""
    plain = ex.reply_json = server_json(ex.body)
    if ex.keys is None:
        return plain
    data = wrap_ciphertext(ex.keys.encrypt(plain, block_size=ex.block_size), style)
    return data if ex.mangle is None else ex.mangle(data)


async def _answer(op: Operation, mock: MockRuntime, inbound: Inbound, ex: Exchange) -> bytes | None:
    """The hooks and the operation; the reply body, None when the exchange is dropped."""
    try:
        for hook in mock.hooks:
            await hook.before(ex)
            if ex.answered:
                break
        if not ex.answered:
            await _process(op, mock, inbound, ex)
        for hook in mock.hooks:
            hook.after(ex)
        style = mock.settings.gateway_envelope if op.host == "gateway" else mock.settings.envelope
        return None if ex.dropped else _render(ex, style)
    except Exception:  # the real API answers 500 with a bare message, never a traceback
        log.exception("unhandled error in %s", op.name)
        ex.status, ex.body, ex.keys, ex.dropped, ex.reply_headers = 500, INTERNAL_ERROR, None, False, {}
        ex.reply_json = server_json(INTERNAL_ERROR)
        return ex.reply_json


async def _serve(op: Operation, mock: MockRuntime, inbound: Inbound) -> tuple[Exchange, bytes | None]:
    """One exchange, from the request to the finished record every hook's ``done`` sees."""
    ex = Exchange(op.name, inbound.method, inbound.path, inbound.client_host, inbound.headers, time.time(),
                  query=inbound.query_string)
    started = time.perf_counter()
    try:
        return ex, await _answer(op, mock, inbound, ex)
    finally:
        ex.duration_ms = round((time.perf_counter() - started) * 1000, 3)
        for hook in mock.hooks:
            try:
                hook.done(ex)
            except Exception:  # an observer must never turn an answer into an error
                log.exception("pipeline hook %r failed", hook)


class OperationEndpoint:
    """The ASGI app behind every route of one operation (both slash forms share one)."""

    def __init__(self, op: Operation) -> None:
        self.op = op
        self.__name__ = op.name
        #: what the route accepts (a GET also answers HEAD, as Starlette's routes do)
        self.methods = frozenset({*op.methods, "HEAD"} if "GET" in op.methods else op.methods)

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        mock = runtime_of(scope["app"])
        ex, body = await _serve(self.op, mock, Inbound(scope, receive))
        if body is None:
            await drop_connection(scope, receive)
            return
        await send_reply(send, ex.status, body, ex.reply_headers or None)
