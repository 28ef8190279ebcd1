"""The reference Hesabe client: one method per operation, driven by the operation table.

Layers, bottom up, each usable on its own:

* :func:`hesabe_spec.client.build_request` - (operation, payload) -> the exact HTTP request; no policy.
* :meth:`HesabeClient.call` - one operation end to end: merchantCode, optional validation, bearer
  token, send, decode, classify, retry/replay rules -> :class:`~hesabe_spec.client.Result`.
* the named methods (``create_invoice`` ...) in :mod:`hesabe_spec.client.methods` - Python-style
  keywords mapped to wire fields; they return the decrypted ``response`` payload.

Safety rules, in one place (see :meth:`HesabeClient._should_retry`):

* Only reads (``Operation.replay_safe``) are retried after a transport failure or a 5xx. A
  create, resend, bulk send, cancel or delete that timed out may have happened; sending it again
  could bill or text a customer twice, so the error goes to the caller instead. A checkout is a
  create: a replay would open a second payment session for the same order.
* Every call is sent once more after a 401 with a renewed token: Hesabe refuses a bearer or a
  signature before it does anything, so a create is as safe to resend as a read. A login or
  refresh the client makes on its own that fails (no answer, a 5xx) is retried for every call
  too: nothing of the call itself has gone out yet. Its error, when retries run out, is the
  login's (``operation`` ``"login"``).
* A 429 *with* ``Retry-After`` is retried for every operation: the server says it refused the
  request unprocessed and names when to come back, so a retry cannot duplicate anything. A 429
  without it is retried for reads only. A Retry-After above ``max_retry_after`` is not waited for.
"""

from __future__ import annotations

import json
import logging
import re
import time
from collections.abc import Callable, Mapping
from typing import Any, Unpack

import requests
from requests.structures import CaseInsensitiveDict

from hesabe_spec.client.classify import decode_body, error_for
from hesabe_spec.client.config import ClientConfig, ClientSettings
from hesabe_spec.client.fields import keyword_of
from hesabe_spec.client.gateway import GatewayMethods
from hesabe_spec.client.methods import OperationMethods
from hesabe_spec.client.request import PreparedRequest, Result, build_request, text_params
from hesabe_spec.client.saved_cards import SavedCardMethods
from hesabe_spec.client.tokens import TokenManager
from hesabe_spec.client.transport import Transport
from hesabe_spec.errors import (
    AuthenticationError,
    HesabeError,
    ProtocolError,
    RateLimitError,
    RequestValidationError,
    ServerError,
    TransportError,
)
from hesabe_spec.errors import HesabeTimeoutError as HesabeTimeout
from hesabe_spec.operations import Operation, get_operation, path_segment_problem
from hesabe_spec.validation import Violation, validate_request

__all__ = ["HesabeClient", "log"]

#: the client's records: each exchange with its timing (DEBUG), retries and re-logins (INFO),
#: transport failures (WARNING). Operation names, paths, statuses and timings only: never a
#: payload, key, password, token or header value. ``logging.getLogger("hesabe")`` sees them all.
log = logging.getLogger("hesabe.client")


class HesabeClient(OperationMethods, GatewayMethods, SavedCardMethods):
    """Talks to Hesabe (the sandbox, production or the mock) for one merchant, on both of its hosts
    (the Merchant API at ``config.base_url``, the payment gateway at ``config.gateway``).

    ``config`` defaults to :meth:`ClientConfig.from_env`; keyword ``settings`` (``base_url``,
    ``merchant_code``, ``secret_key``, ...) override it. ``transport`` is any
    ``requests.Session``-compatible object (default: a new ``requests.Session`` the client owns),
    e.g. :class:`hesabe_spec.client.ASGITransport` to run against an app in-process. ``sleep`` and
    ``clock`` are injectable for tests.
    """

    def __init__(
        self,
        config: ClientConfig | None = None,
        *,
        transport: Transport | None = None,
        validate: bool = True,
        max_retries: int = 2,
        backoff: float = 0.5,
        max_backoff: float = 8.0,
        max_retry_after: float = 60.0,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        **settings: Unpack[ClientSettings],
    ) -> None:
        if config is None:
            config = ClientConfig.from_env(**settings)
        elif settings:
            config = config.with_changes(**settings)
        self.config = config
        self._owns_transport = transport is None
        self.transport: Transport = requests.Session() if transport is None else transport
        self.validate = validate
        self.max_retries = max_retries
        self.backoff = backoff
        self.max_backoff = max_backoff
        self.max_retry_after = max_retry_after
        self._sleep = sleep
        self.tokens = TokenManager(self._login_envelope, self._refresh_envelope, clock=clock)

    def __repr__(self) -> str:
        return f"HesabeClient({self.config!r}, validate={self.validate})"

    def __enter__(self) -> HesabeClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the transport if the client created it."""
        if self._owns_transport:
            close = getattr(self.transport, "close", None)
            if callable(close):
                close()

    # -- the generic layer -------------------------------------------------------------------

    def prepare(
        self,
        operation: str | Operation,
        payload: Any = None,
        *,
        path_params: Mapping[str, Any] | None = None,
        query: Mapping[str, Any] | None = None,
        bearer: str | None = None,
        add_merchant_code: bool = True,
    ) -> PreparedRequest:
        """The request :meth:`call` would send, without sending it (no login, no validation)."""
        op = _operation(operation)
        return build_request(
            op, self._with_merchant_code(op, payload, add_merchant_code), self.config,
            bearer=bearer, path_params=path_params, query=query,
        )

    def call(
        self,
        operation: str | Operation,
        payload: Any = None,
        *,
        path_params: Mapping[str, Any] | None = None,
        query: Mapping[str, Any] | None = None,
        validate: bool | None = None,
        raise_errors: bool = True,
        add_merchant_code: bool = True,
    ) -> Result:
        """Run one operation and return its :class:`Result`.

        ``payload`` is sent as given (wire names), plus ``merchantCode`` on encrypted operations
        when it is a dict without one. ``validate`` (default: the client's setting) checks it
        with ``validate_request`` first. With ``raise_errors=False`` an answered call that failed
        (API refusal, undecryptable body, redirect) comes back as ``Result.error`` instead of
        being raised; transport failures are always raised.
        """
        op = _operation(operation)
        payload = self._with_merchant_code(op, payload, add_merchant_code)
        if self.validate if validate is None else validate:
            _check(op, _as_validated(op, payload, query), path_params)
        return self._execute(op, payload, path_params, query, raise_errors)

    # -- internals ---------------------------------------------------------------------------

    def _with_merchant_code(self, op: Operation, payload: Any, add: bool) -> Any:
        if payload is None:
            payload = {}
        if add and op.encrypted and isinstance(payload, Mapping) and "merchantCode" not in payload:
            return {"merchantCode": self.config.merchant_code, **payload}
        return dict(payload) if isinstance(payload, Mapping) else payload

    def _execute(
        self, op: Operation, payload: Any, path_params: Mapping[str, Any] | None,
        query: Mapping[str, Any] | None, raise_errors: bool,
    ) -> Result:
        attempts = retries = 0
        replayed_401 = False
        while True:
            try:
                bearer = self.tokens.bearer() if op.auth == "bearer" else None
            except (TransportError, ServerError) as exc:
                # The automatic login or refresh failed on the way, before this call went out:
                # whatever the call, logging in again is safe, so it is retried like a read.
                if retries >= self.max_retries:
                    raise
                why = f"the login failed ({type(exc).__name__})"
                retries = self._wait(op, retries, self._delay(retries), why)
                continue
            prepared = build_request(
                op, payload, self.config, bearer=bearer, path_params=path_params, query=query
            )
            attempts += 1
            try:
                result = self._exchange(prepared, attempts)
            except TransportError as exc:
                if op.replay_safe and retries < self.max_retries:
                    retries = self._wait(op, retries, self._delay(retries), type(exc).__name__)
                    continue
                raise
            error = result.error
            if isinstance(error, AuthenticationError) and error.status == 401 and bearer is not None:
                # A 401 comes before the server does anything: a create is as safe to send again.
                if not replayed_401:
                    replayed_401 = True
                    log.info("%s: HTTP 401, renewing the token and sending it once more", op.name)
                    self.tokens.reauthenticate(bearer)
                    continue
                # Not replayed, but the next call must not reuse the rejected token.
                self.tokens.expire(bearer)
            delay = self._should_retry(op, error, retries)
            if delay is not None:
                retries = self._wait(op, retries, delay, f"HTTP {result.status} ({type(error).__name__})")
                continue
            if error is not None and raise_errors:
                raise error
            return result

    def _wait(self, op: Operation, retries: int, seconds: float, after: str) -> int:
        """Sleep before retry ``retries + 1`` (logged, with why); the retries made then."""
        log.info("%s: retry %d of %d in %.2f s after %s", op.name, retries + 1, self.max_retries, seconds,
                 after)
        self._sleep(seconds)
        return retries + 1

    def _should_retry(self, op: Operation, error: HesabeError | None, retries: int) -> float | None:
        """Seconds to wait before retrying, or ``None`` to stop (see the module docstring)."""
        if error is None or retries >= self.max_retries:
            return None
        if isinstance(error, RateLimitError):
            if error.retry_after is not None:
                return error.retry_after if error.retry_after <= self.max_retry_after else None
            return self._delay(retries) if op.replay_safe else None
        if isinstance(error, ServerError) and op.replay_safe:
            return self._delay(retries)
        return None

    def _delay(self, retries: int) -> float:
        return float(min(self.max_backoff, self.backoff * (2**retries)))

    def _exchange(self, prepared: PreparedRequest, attempts: int) -> Result:
        name = prepared.operation.name
        path = prepared.url.split("?", 1)[0]
        started = time.perf_counter()
        try:
            response = self.transport.request(
                prepared.method, prepared.url, headers=dict(prepared.headers), data=prepared.body,
                params=dict(prepared.params) if prepared.params else None,
                timeout=self.config.timeout, allow_redirects=False,
            )
        except (requests.exceptions.Timeout, TimeoutError) as exc:
            log.warning("%s %s %s: no answer within %.1f s (attempt %d)", name, prepared.method, path,
                        self.config.timeout, attempts)
            message = f"{name}: no answer within {self.config.timeout}s ({_without_queries(exc)})"
            raise HesabeTimeout(message, operation=name) from None
        except (requests.exceptions.RequestException, OSError) as exc:
            log.warning("%s %s %s: %s after %.1f ms (attempt %d)", name, prepared.method, path,
                        type(exc).__name__, (time.perf_counter() - started) * 1000, attempts)
            message = f"{name}: {type(exc).__name__}: {_without_queries(exc)}"
            raise TransportError(message, operation=name) from None
        status = int(response.status_code)
        log.debug("%s %s %s -> HTTP %d in %.1f ms (attempt %d)", name, prepared.method, path, status,
                  (time.perf_counter() - started) * 1000, attempts)
        headers: CaseInsensitiveDict[str] = CaseInsensitiveDict(dict(response.headers or {}))
        body = _content(response)
        envelope: Any = None
        shape: str | None = None
        undecodable: ProtocolError | None = None
        if not 300 <= status < 400:
            try:
                decoded = decode_body(body, status, self.config.keys, name)
                envelope, shape = decoded.envelope, decoded.shape
            except ProtocolError as exc:
                undecodable = exc
        error = error_for(name, status, headers, body, envelope, undecodable=undecodable)
        return Result(name, status, headers, body, envelope, shape, prepared, attempts, error)

    def _login_envelope(self) -> Any:
        payload = {"username": self.config.username, "password": self.config.password}
        return self.call("login", payload, validate=False).envelope

    def _refresh_envelope(self, refresh_token: str) -> Any:
        return self.call("refresh_token", {"refreshToken": refresh_token}, validate=False).envelope


def _operation(operation: str | Operation) -> Operation:
    return operation if isinstance(operation, Operation) else get_operation(operation)


def _content(response: Any) -> bytes:
    content = getattr(response, "content", None)
    if isinstance(content, (bytes, bytearray)):
        return bytes(content)
    text = getattr(response, "text", "")
    return text.encode("utf-8") if isinstance(text, str) else b""


def _as_validated(op: Operation, payload: Any, query: Mapping[str, Any] | None) -> Any:
    """What ``validate_request`` checks: for GETs, ``data`` merged with the plain filters; for an
    operation without a payload, its plain parameters."""
    if op.payload_in not in ("query", "none") or not query or not isinstance(payload, Mapping):
        return payload
    return {**payload, **text_params(query)}


#: a URL's query in an error text: everything from ``?`` to the next space, quote or parenthesis
_QUERY = re.compile(r"\?[^\s'\")]*")


def _without_queries(exc: BaseException) -> str:
    """``exc``'s text without URL queries: a GET's ``data`` hex and plain filters (a ``search`` for
    a customer's name or phone) stay out of messages, as they stay out of the log. The error is
    raised ``from None`` for the same reason: the library's own carries the whole URL."""
    return _QUERY.sub("?…", str(exc))


def _path_violations(op: Operation, path_params: Mapping[str, Any]) -> list[Violation]:
    """Path parameters that cannot name a record: empty (the path then names another route), a
    dot segment (normalised away on the way), or holding a ``/`` (Laravel decodes ``%2F`` before
    matching, so the segment splits in two: an order reference with a ``/`` is never found)."""
    found: list[Violation] = []
    for name in op.path_params:
        if name not in path_params:
            continue  # format_path names what is missing
        value = str(path_params[name])
        why = path_segment_problem(value)
        if why is None:
            continue
        found.append(Violation(
            operation=op.name, direction="request", rule="path", pointer=f"/{name}", field=name,
            expected="one path segment: not empty, no '/', not '.' or '..'", actual=json.dumps(value),
            message=f"path parameter {name} {why}: the server could not match it to a record",
            keyword="path", schema_path="",
        ))
    return found


def _check(op: Operation, payload: Any, path_params: Mapping[str, Any] | None = None) -> None:
    """Run ``validate_request`` and check the path parameters; violations raise before anything
    is sent."""
    violations = [*_path_violations(op, path_params or {}), *validate_request(op.name, payload)]
    if violations:
        message = f"{len(violations)} request violation(s)"
        fields = dict.fromkeys(v.field for v in violations if v.field)
        spelled = [f"{field} is {keyword}=" for field in fields if (keyword := keyword_of(field))]
        if spelled:
            message += f" (as the methods' keywords: {', '.join(spelled)})"
        raise RequestValidationError(message, violations=violations, operation=op.name)
