"""Turning (operation, payload) into the exact HTTP request Hesabe expects, and the call's result.

:func:`build_request` is deliberately free of policy: no validation, no amount checks, no token
handling. The contract suite uses it (through ``HesabeClient.call(validate=False)``) to send
payloads that are wrong on purpose.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from hesabe_spec.client.config import ClientConfig
from hesabe_spec.errors import HesabeError
from hesabe_spec.operations import Operation
from hesabe_spec.wire import client_json, encode_request, redact

__all__ = ["PreparedRequest", "Result", "build_request"]

#: headers whose values are credentials; never shown in a repr or an error
SECRET_HEADERS = frozenset({"authorization", "accesscode"})


@dataclass(frozen=True, slots=True)
class PreparedRequest:
    """One HTTP request, ready for a transport. ``payload`` is the plaintext before encryption."""

    operation: Operation
    method: str
    url: str
    headers: Mapping[str, str] = field(repr=False)
    params: Mapping[str, str] | None
    body: bytes | None = field(repr=False)
    payload: Any = field(repr=False)

    def __repr__(self) -> str:
        shown = {k: ("***" if k.lower() in SECRET_HEADERS else v) for k, v in self.headers.items()}
        params = None if self.params is None else {k: v for k, v in self.params.items() if k != "data"}
        return f"PreparedRequest({self.method} {self.url}, headers={shown}, filters={params})"


@dataclass(frozen=True, slots=True)
class Result:
    """Everything one call produced: HTTP facts, the decrypted envelope and the request sent.

    ``envelope`` is the decrypted JSON (``{"status", "message", "response"}`` for encrypted
    operations), ``shape`` how the body arrived (see :class:`hesabe_spec.wire.DecodedBody`),
    ``attempts`` how many times the request went out. ``error`` is set instead of raising when
    the call was made with ``raise_errors=False``.
    """

    operation: str
    status: int
    headers: Mapping[str, str] = field(repr=False)
    body: bytes = field(repr=False)
    envelope: Any
    shape: str | None
    request: PreparedRequest = field(repr=False)
    attempts: int = 1
    error: HesabeError | None = None

    def __repr__(self) -> str:
        # a login's or refresh's envelope carries the tokens: shown redacted, like the journal's
        return (f"Result(operation={self.operation!r}, status={self.status!r}, "
                f"envelope={redact(self.envelope)!r}, shape={self.shape!r}, attempts={self.attempts!r}, "
                f"error={self.error!r})")

    @property
    def ok(self) -> bool:
        """True when no error was found (HTTP < 400 and the envelope's status is not false)."""
        return self.error is None

    @property
    def response(self) -> Any:
        """The envelope's ``response`` member: the payload the wrapper methods return."""
        return self.envelope.get("response") if isinstance(self.envelope, dict) else None

    @property
    def message(self) -> Any:
        """The envelope's ``message`` member, as sent."""
        return self.envelope.get("message") if isinstance(self.envelope, dict) else None


def text_params(query: Mapping[str, Any] | None) -> dict[str, str]:
    """Plain query parameters as text (enum members by value); ``None`` values dropped."""
    out: dict[str, str] = {}
    for key, value in (query or {}).items():
        if value is None:
            continue
        out[key] = str(getattr(value, "value", value))
    return out


def build_request(
    operation: Operation,
    payload: Any,
    config: ClientConfig,
    *,
    bearer: str | None = None,
    path_params: Mapping[str, Any] | None = None,
    query: Mapping[str, Any] | None = None,
) -> PreparedRequest:
    """The request for ``operation`` carrying ``payload`` exactly as given, to its host.

    * ``plain``: payload as a compact JSON body, no ``accessCode`` (login, refresh).
    * ``body``: ``{"data": "<hex>"}`` JSON body, also for DELETE.
    * ``query``: ``?data=<hex>`` with the plain ``query`` filters beside it; no body.
    * ``none``: nothing but the path and the plain ``query`` filters (``payload`` is not sent).

    ``bearer`` adds ``Authorization: Bearer``; ``query`` adds plain query parameters for any
    operation (``None`` values dropped). Nothing is added to or checked in ``payload``.
    """
    url = config.url_for(operation.host) + operation.format_path(**dict(path_params or {}))
    # Content-Type even on a bodiless GET: Hesabe's own fetch samples always send both.
    headers = {"Accept": "application/json", "Content-Type": "application/json"}
    params = text_params(query)
    body: bytes | None = None
    if operation.payload_in == "plain":
        body = client_json(payload)
    else:
        headers["accessCode"] = config.access_code
    if operation.encrypted:
        data = encode_request(payload, config.keys, block_size=config.request_block_size)
        if operation.payload_in == "query":
            # data first, like Hesabe's own samples; filters after it.
            params = {"data": data, **{k: v for k, v in params.items() if k != "data"}}
        else:
            body = client_json({"data": data})
    if bearer is not None:
        headers["Authorization"] = f"Bearer {bearer}"
    return PreparedRequest(operation, operation.method, url, headers, params or None, body, payload)
