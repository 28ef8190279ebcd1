"""What the Hesabe pipeline hands its hooks: one :class:`Exchange` per request, and the hook base.

Faults and the journal are hooks; any other cross-cutting concern (metrics, tracing) would be one
too, instead of a special case inside the pipeline or an operation's handler.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from hesabe_spec.crypto import MAX_PAD, CipherKeys
from hesabe_spec.wire import EnvelopeStyle
from mock_server.findings import Finding

__all__ = ["Delivery", "Exchange", "PipelineHook"]

#: what became of the reply: sent; dropped on purpose (a fault); or the client went away first
Delivery = Literal["sent", "dropped", "client_disconnected"]


@dataclass(slots=True)
class Exchange:
    """One request through the Hesabe pipeline, filled in as it goes; hooks read and change it.

    ``request`` is the decrypted payload (or the plain login fields); ``body`` the plaintext reply
    (an envelope, or a bare ``{"message": ...}``) before encryption. A ``before`` hook that sets
    ``status`` answers the request itself (the handler never runs, so no state changes).
    ``operation`` is the operation the request turned out to be (the payload decides single vs
    subscription invoice); ``routed_as`` the one its route named, when that differs.
    """

    operation: str
    method: str
    path: str
    client_host: str | None
    headers: Mapping[str, str]
    started: float
    query: str = ""
    request: Any = None
    merchant_code: str | None = None
    status: int = 0
    body: Any = None
    #: set when the reply is encrypted with these keys
    keys: CipherKeys | None = None
    reply_headers: dict[str, str] = field(default_factory=dict)
    #: PKCS#7 block size of the encrypted reply (Hesabe: 32; a fault may pick 16)
    block_size: int = MAX_PAD
    #: the outer body of an encrypted reply: ``{"response": hex}`` or bare hex (each host's setting)
    envelope: EnvelopeStyle = "response"
    #: byte-level change applied after encryption (a fault corrupting the ciphertext)
    mangle: Callable[[bytes], bytes] | None = None
    #: change to the plaintext reply once the handler ran: callable(Exchange) (``mutate_reply``)
    rewrite: Callable[[Exchange], None] | None = None
    #: close the connection without any reply
    dropped: bool = False
    fault: str | None = None
    duration_ms: float = 0.0
    #: ``body`` as sent, in JSON before encryption (set when the reply is rendered)
    reply_json: bytes | None = None
    #: integration findings (mock_server.findings): what the real server accepts but is
    #: probably a mistake
    findings: list[Finding] = field(default_factory=list)
    routed_as: str | None = None
    #: the request's ``data`` as it arrived (the wire facts are worked out from it when shown)
    request_hex: str | None = None
    delivery: Delivery = "sent"
    #: hold the finished reply this long before sending it (the ``delay_reply`` fault)
    delay_reply_ms: int = 0
    #: process the request, then close the connection unanswered (``drop_after_processing``)
    drop_after_processing: bool = False

    @property
    def answered(self) -> bool:
        return self.status != 0 or self.dropped


class PipelineHook:
    """A pluggable observer of every Hesabe exchange (faults, journal). Phases default to no-ops.

    ``before`` runs first and may answer (set ``status``/``body``) or drop; ``after`` may adjust
    the reply before it is encoded; ``done`` sees the finished exchange, even when it failed.
    """

    async def before(self, ex: Exchange) -> None:
        return None

    def after(self, ex: Exchange) -> None:
        return None

    def done(self, ex: Exchange) -> None:
        return None
