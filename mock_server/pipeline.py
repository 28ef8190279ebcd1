"""The one request path every Hesabe operation goes through, derived from the operation table.

authenticate -> read ``data`` -> decrypt -> check merchant -> resolve the operation -> tolerate
-> validate -> handler -> encrypt -> deliver. The payment gateway's operations take
:mod:`mock_server.gateway`'s steps for the first five (``accessCode`` alone, refusals with the
gateway's codes). Each step that refuses raises :class:`~mock_server.protocol.Failure` with the
exact body the real API gives; nothing reaches the domain (so nothing changes) until every check
has passed.

Tolerance is a layer in front of the Merchant API's validation: the request schemas say what the
docs define, and :func:`hesabe_spec.tolerance.tolerate` applies what the real (Laravel) server
accepts beyond that, each leniency an integration finding on the exchange (``strict`` settings
refuse them instead). A payload the schemas accept skips it: every leniency concerns a value the
schemas refuse.

Every exchange is an :class:`~mock_server.exchange.Exchange` passed through ``mock.hooks``
(:class:`~mock_server.exchange.PipelineHook`): faults answer or alter it, the journal records it.
No operation is special-cased here: each is looked up in :data:`~mock_server.handlers.HANDLERS`,
whose entry says whether it is a plain (login, refresh) or a merchant's encrypted operation.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Sequence
from functools import cache
from typing import Any

from starlette.requests import ClientDisconnect

from hesabe_spec.crypto import MAX_PAD
from hesabe_spec.enums import GatewayErrorCode
from hesabe_spec.errors import CryptoError, EnvelopeError
from hesabe_spec.operations import OPERATIONS, Operation, resolve_operation, route_siblings
from hesabe_spec.tolerance import Note, tolerate, tolerate_query
from hesabe_spec.wire import wrap_ciphertext
from hesabe_spec.wire_facts import pad_scheme, pad_unit
from mock_server import fast_crypto, gateway
from mock_server.arrival import (
    access_code_refused,
    plain_field_findings,
    shown_plain_fields,
    shown_plain_query,
    unread_data,
)
from mock_server.connection import drop_connection
from mock_server.exchange import Exchange
from mock_server.fast_validation import validate_request
from mock_server.field_errors import field_errors, strict_field_errors
from mock_server.findings import Finding, finding, from_note
from mock_server.group_commit import GroupCommit
from mock_server.handlers import HANDLERS, MerchantHandler, PlainHandler
from mock_server.inbound import JSON_REPLY, TEXT_REPLY, Inbound, send_reply
from mock_server.json_out import decrypt_request, server_json
from mock_server.merchants import Merchant
from mock_server.protocol import (
    INTERNAL_ERROR,
    BodyTooLarge,
    Failure,
    ascii_number,
    envelope,
    method_not_allowed,
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
#: the ``code`` of that answer: the same 506 the payment gateway gives
_INVALID_DATA_CODE = GatewayErrorCode.INVALID_REQUEST_DATA.value


def base_url(mock: MockRuntime, inbound: Inbound) -> str:
    return (mock.settings.public_base_url or inbound.base_url()).rstrip("/")


def _merchant_for(mock: MockRuntime, inbound: Inbound, body: bytes, ex: Exchange) -> Merchant:
    headers = inbound.headers
    scheme, _, token = headers.get("authorization", "").partition(" ")
    bearer = token.strip() if scheme.lower() == "bearer" else ""
    merchant = mock.tokens.authenticate(bearer) if bearer else None
    if merchant is None:
        if bearer and mock.tokens.expired(bearer):
            ex.findings.append(finding("expired_token", "the bearer token had expired: refresh it "
                                       "(token-refresh) before expires_in runs out"))
        raise Failure(401, UNAUTHENTICATED)
    if headers.get("accesscode") != merchant.identity.access_code:
        ex.findings.append(access_code_refused(mock.merchants.merchants, inbound, body, merchant))
        # Plain: without its access code the server has no keys to encrypt with (fidelity.md).
        raise Failure(401, envelope(False, INVALID_SIGNATURE))
    return merchant


def _payload(op: Operation, inbound: Inbound, body: bytes, merchant: Merchant, ex: Exchange,
             notes: list[Note]) -> dict[str, Any]:
    keys = merchant.keys
    data = inbound.data(body)
    if not isinstance(data, str) or not data:
        ex.findings.append(unread_data(inbound, body, data))
        if data is None or data == "":
            raise Failure(400, envelope(False, NOT_FOUND_MESSAGE), keys=keys)
        raise Failure(400, envelope(False, INVALID_DATA, code=_INVALID_DATA_CODE), keys=keys)
    ex.request_hex = data
    try:
        payload, plaintext = decrypt_request(data, keys)
    except (CryptoError, EnvelopeError):
        raise Failure(400, envelope(False, INVALID_DATA, code=_INVALID_DATA_CODE), keys=keys) from None
    if not isinstance(payload, dict):
        raise Failure(400, envelope(False, INVALID_DATA, code=_INVALID_DATA_CODE), keys=keys)
    ex.request = payload  # as it arrived: plain query filters stay in the exchange's query
    _wire_findings(ex, data, plaintext)
    code = payload.get("merchantCode")
    if code is not None and str(code) != merchant.merchant_code:
        raise Failure(401, envelope(False, INVALID_SIGNATURE), keys=keys)
    if op.method == "GET" and op.query_filters and inbound.query_string:
        # Docs put filters beside ``data``; Hesabe's app puts them inside. Inside wins. An empty
        # plain parameter is null (Laravel's ConvertEmptyStringsToNull), so it is absent.
        plain, dropped = tolerate_query(op.name, inbound.query_params)
        notes.extend(dropped)
        payload = {**plain, **payload}
    return payload


#: the operations whose route another one shares (single and subscription invoice)
_ROUTE_SHARED = frozenset(name for name, op in OPERATIONS.items() if route_siblings(op))


def _wire_findings(ex: Exchange, data: str, plaintext: bytes) -> None:
    """How the ciphertext was made, where that is unusual. The two usual pads (the server's 32-byte
    scheme, PKCS#7) are told by arithmetic, the rest by :func:`~hesabe_spec.wire_facts.pad_scheme`."""
    text = data.strip()
    size = len(plaintext)
    pad = len(text) // 2 - size
    if pad == MAX_PAD - size % MAX_PAD:
        pass  # the server's own padding
    elif pad == 16 - size % 16:
        ex.findings.append(_padding_16(pad))
    else:
        scheme = pad_scheme(plaintext, pad)
        if scheme.startswith(("utf16", "characters")):
            unit = pad_unit(scheme, plaintext)
            ex.findings.append(finding("padding_by_characters",
                                       f"the pad ({pad}) was counted in {unit}, not bytes: it made whole "
                                       "blocks this time; the same kit fails on other non-ASCII text"))
    if text.lower() != text:  # a copy and a compare: ten times cheaper than a scan in Python's str methods
        ex.findings.append(_HEX_UPPERCASE)


@cache
def _padding_16(pad: int) -> Finding:
    """The finding of a 16-byte PKCS#7 pad (one per pad length: every request of such a kit has one)."""
    return finding("padding_16", f"the request is padded with 16-byte PKCS#7 (pad {pad}): accepted; the "
                                 "server pads its own replies to 32 bytes")


_HEX_UPPERCASE = finding("hex_uppercase", "the data hex is upper case: accepted; Hesabe writes lower case")


def _resolve(op: Operation, payload: dict[str, Any], mock: MockRuntime, ex: Exchange) -> Operation:
    """Single or subscription invoice by the payload, not by the trailing slash (one Laravel
    route); ``strict`` keeps the operation the path names, as the docs do."""
    if op.name not in _ROUTE_SHARED or mock.settings.strict:
        return op
    resolved = resolve_operation(op, payload)
    if resolved is op:
        return op
    ex.operation = resolved.name
    if resolved.path == op.path:
        return resolved  # the docs give both one path (POS create and resend): nothing to point out
    ex.routed_as = op.name
    marks = [name for name in resolved.selected_by if name in payload]
    why = f"it carries {', '.join(marks)}" if marks else "it carries no subscription field"
    ex.findings.append(finding("routed_by_payload", f"posted to {op.path} ({op.name}), but {why}: "
                               f"handled as {resolved.name}"))
    return resolved


def _validate(op: Operation, payload: dict[str, Any], merchant: Merchant, ex: Exchange,
              notes: Sequence[Note], strict: bool) -> dict[str, Any]:
    """The payload the handler gets, after the server's leniencies; or a Failure with the body
    the server gives (506 for an amount with float drift, else Laravel-style field errors)."""
    violations = validate_request(op.name, payload)
    if not violations and not notes:
        return payload  # the usual case: nothing to tolerate
    found = list(notes)
    invalid_data = False
    if violations:
        tolerated = tolerate(op.name, payload)
        found += tolerated.notes
        invalid_data = tolerated.invalid_data
        if tolerated.notes and not invalid_data:
            payload = tolerated.payload
            violations = validate_request(op.name, payload)
    ex.findings.extend(from_note(n) for n in found)
    if invalid_data:
        raise Failure(400, envelope(False, INVALID_DATA, code=_INVALID_DATA_CODE), keys=merchant.keys)
    if strict and found:
        errors = strict_field_errors(found)
        raise Failure(400, envelope(False, next(iter(errors.values()))[0], errors), keys=merchant.keys)
    if violations:
        errors = field_errors(violations)
        raise Failure(400, envelope(False, next(iter(errors.values()))[0], errors), keys=merchant.keys)
    return payload


#: each operation's path parameters (``Operation.path_params`` reads them off its path each time)
_PATH_PARAMS = {name: op.path_params for name, op in OPERATIONS.items()}


def _params(op: Operation, inbound: Inbound, merchant: Merchant) -> dict[str, str]:
    names = _PATH_PARAMS[op.name]
    if not names:
        return {}
    found = inbound.path_params
    params = {name: str(found.get(name, "")) for name in names}
    ident = params.get("id")
    if ident is not None and ascii_number(ident) is None:  # a path id is ASCII digits or names nothing
        raise Failure(404, envelope(False, NOT_FOUND_MESSAGE), keys=merchant.keys)
    return params


async def _process(op: Operation, mock: MockRuntime, inbound: Inbound, ex: Exchange) -> None:
    """Run the operation, leaving the plaintext reply (and the keys to encrypt it) on ``ex``."""
    body = b""
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
            ex.request = shown_plain_fields(op, fields)
            ex.findings.extend(plain_field_findings(op, fields))
            with mock.store.deferred_commit():  # committed before the reply goes (_committed)
                reply = handler.run(PlainCall(mock.domain, fields, op))
            ex.merchant_code = reply.merchant_code
            ex.status, ex.body = reply.status, envelope(True, reply.message or op.success_message,
                                                        reply.response)
            return
        on_gateway = op.host == "gateway"
        notes: list[Note] = []
        if on_gateway:
            merchant = gateway.merchant_for(mock, inbound, body, ex)
            ex.merchant_code = merchant.merchant_code
            payload = ex.request = gateway.payload_for(op, inbound, body, merchant, ex)
        else:
            merchant = _merchant_for(mock, inbound, body, ex)
            ex.merchant_code = merchant.merchant_code
            payload = _payload(op, inbound, body, merchant, ex, notes)
            op = _resolve(op, payload, mock, ex)
        params = _params(op, inbound, merchant)
        if on_gateway:
            gateway.validate(op, payload, merchant, ex, mock.settings.strict)
        else:
            payload = _validate(op, payload, merchant, ex, notes, mock.settings.strict)
        call = Call(mock.domain, merchant, payload, params, base_url(mock, inbound), op,
                    mock.settings.per_page)
        handler = HANDLERS[op.name]
        assert isinstance(handler, MerchantHandler)  # a resolved sibling is encrypted as well
        try:
            with mock.store.deferred_commit():  # committed before the reply goes (_committed)
                reply = handler.run(call)
        except GatewayRefusal as exc:
            raise gateway.failure(op, exc, merchant, handler.field_errors(exc)) from None
        except DomainError as exc:
            raise Failure(exc.http_status, envelope(False, exc.message, handler.field_errors(exc)),
                          keys=merchant.keys) from None
        ex.status, ex.keys = reply.status, merchant.keys if op.encrypted else None
        if reply.findings:
            ex.findings.extend(reply.findings)
        if reply.body is not None:
            ex.body = reply.body
        else:
            ex.body = envelope(True, reply.message or op.success_message, reply.response)
    except Failure as failure:
        ex.status, ex.body, ex.keys = failure.status, failure.body, failure.keys
        if ex.request_hex is None and failure.status == 401:  # refused before its keys were known
            sent = inbound.data(body)
            ex.request_hex = sent if isinstance(sent, str) and sent else None  # kept as sent


def _render(ex: Exchange) -> bytes:
    """The reply body on the wire: the encrypted envelope, or plain JSON when no keys apply."""
    plain = ex.reply_json = server_json(ex.body)
    if ex.keys is None:
        return plain
    data = wrap_ciphertext(fast_crypto.encrypt(ex.keys, plain, block_size=ex.block_size), ex.envelope)
    return data if ex.mangle is None else ex.mangle(data)


def _wrong_method(op: Operation, ex: Exchange, allowed: frozenset[str]) -> bytes:
    """The router's 405 for a path this operation answers with other methods: no hook, no fault
    and no handler sees it (Laravel's router refuses it before any of them), but the journal does."""
    shown = ", ".join(sorted(allowed))
    ex.status, ex.body, ex.keys, ex.reply_headers = 405, method_not_allowed(ex.method), None, {"Allow": shown}
    ex.findings.append(finding("wrong_method", f"{ex.method} {ex.path}: this path answers {shown}"))
    return _render(ex)


async def _answer(op: Operation, mock: MockRuntime, inbound: Inbound, ex: Exchange) -> bytes | None:
    """The hooks and the operation; the reply body, None when nothing is to be sent."""
    try:
        for hook in mock.hooks:
            await hook.before(ex)
            if ex.answered:
                break
        if not ex.answered:
            await _process(op, mock, inbound, ex)
        for hook in mock.hooks:
            hook.after(ex)
        if ex.dropped and not ex.status:
            return None  # dropped before anything ran: there is no reply at all
        ex.envelope = mock.settings.gateway_envelope if op.host == "gateway" else mock.settings.envelope
        rendered = _render(ex)  # kept by the journal even when never sent
        return None if ex.dropped or ex.drop_after_processing else rendered
    except ClientDisconnect:  # gone before its request was read: nobody to answer, nothing done
        ex.delivery = "client_disconnected"
        return None
    except Exception:  # the real API answers 500 with a bare message, never a traceback
        log.exception("unhandled error in %s", op.name)
        return _internal_error(ex)


def _internal_error(ex: Exchange) -> bytes:
    """Make the exchange the real API's plain 500 (its body), whatever it was going to answer."""
    ex.status, ex.body, ex.keys, ex.dropped, ex.reply_headers = 500, INTERNAL_ERROR, None, False, {}
    ex.drop_after_processing, ex.delay_reply_ms = False, 0
    ex.reply_json = server_json(INTERNAL_ERROR)
    return ex.reply_json


async def _committed(op: Operation, commits: GroupCommit, ex: Exchange, body: bytes | None) -> bytes | None:
    """``body`` once the exchange's writes are durable (group commit: mock_server/group_commit.py);
    the plain 500 if the commit failed. (A store that does not group commits is durable at once.)"""
    try:
        await commits.settle()
    except Exception:
        log.exception("commit failed after %s", op.name)
        return _internal_error(ex)
    return body


async def _client_left(inbound: Inbound, seconds: float) -> bool:
    """Wait ``seconds``, or less: True as soon as the client disconnects. Its request has been
    read by now, so the next ASGI message can only be the disconnect."""
    listening = asyncio.ensure_future(inbound.receive())
    try:
        await asyncio.wait({listening}, timeout=seconds)
    finally:
        if not listening.done():
            listening.cancel()
    if listening.cancelled() or not listening.done():
        return False
    message = listening.result()
    return isinstance(message, dict) and message.get("type") == "http.disconnect"


async def _deliver(ex: Exchange, body: bytes | None, inbound: Inbound, send: Any) -> None:
    """Send the reply; or drop the connection; or wait, and find the client gone."""
    if body is None:
        if ex.delivery != "client_disconnected":
            ex.delivery = "dropped"
            await drop_connection(inbound.scope, inbound.receive)
        return
    if ex.delay_reply_ms and await _client_left(inbound, ex.delay_reply_ms / 1000):
        ex.delivery = "client_disconnected"
        return
    bare = ex.keys is not None and ex.envelope == "bare"  # the gateway's hex: no JSON at all
    await send_reply(send, ex.status, body, ex.reply_headers or None, TEXT_REPLY if bare else JSON_REPLY)


def _record(mock: MockRuntime, ex: Exchange, started: float) -> None:
    """Hand the finished exchange to every hook's ``done`` (the journal, the findings)."""
    ex.duration_ms = round((time.perf_counter() - started) * 1000, 3)
    for hook in mock.hooks:
        try:
            hook.done(ex)
        except Exception:  # an observer must never turn an answer into an error
            log.exception("pipeline hook %r failed", hook)


async def _serve(op: Operation, mock: MockRuntime, inbound: Inbound, send: Any,
                 allowed: frozenset[str] | None = None) -> None:
    """One exchange, from the request to the finished record every hook's ``done`` sees.

    A reply sent at once is recorded before it goes: whoever reads the journal or the findings
    after the reply (the test that sent it, through another worker or host of a shared mock)
    finds the exchange there. A reply held back or dropped by a fault is recorded after, with
    what became of it."""
    query = inbound.query_string
    if query and op.payload_in == "plain":  # a login's password may be in its query: never kept
        query = shown_plain_query(op, query)
    ex = Exchange(op.name, inbound.method, inbound.path, inbound.client_host, inbound.headers, time.time(),
                  query=query)
    started = time.perf_counter()
    commits = mock.commits
    if commits is not None:
        commits.enter()
    settling = recorded = False
    try:
        body = await _answer(op, mock, inbound, ex) if allowed is None else _wrong_method(op, ex, allowed)
        settling = True
        if commits is not None:
            body = await _committed(op, commits, ex, body)
        if body is not None and not ex.delay_reply_ms:
            recorded = True
            _record(mock, ex, started)
        await _deliver(ex, body, inbound, send)
    except asyncio.CancelledError:  # an in-process caller stopped waiting (its timeout)
        ex.delivery = "client_disconnected"
        raise
    finally:
        if not settling and commits is not None:
            commits.leave()
        if not recorded:
            _record(mock, ex, started)


class OperationEndpoint:
    """The ASGI app behind every route of one operation (both slash forms share one)."""

    def __init__(self, op: Operation) -> None:
        self.op = op
        self.__name__ = op.name
        #: what the route accepts (a GET also answers HEAD, as Starlette's routes do)
        self.methods = frozenset({*op.methods, "HEAD"} if "GET" in op.methods else op.methods)

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        await _serve(self.op, runtime_of(scope["app"]), Inbound(scope, receive), send)

    async def refuse_method(self, scope: Any, receive: Any, send: Any, allowed: frozenset[str]) -> None:
        """Answer a request for this operation's path with a method it does not take: the 405
        ``allowed`` names (every method the path answers), journaled like any exchange."""
        await _serve(self.op, runtime_of(scope["app"]), Inbound(scope, receive), send, allowed)
