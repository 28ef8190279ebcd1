"""One call as the rules see it: what was meant, what was sent (decrypted), what came back."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import urlsplit

from hesabe_spec.crypto import CipherKeys
from hesabe_spec.operations import Operation
from hesabe_spec.wire import redact

if TYPE_CHECKING:
    from contract_tests.mutations import Mutation

__all__ = ["Exchange", "Intent"]

#: what the caller expects of the call; rules read it to know what "right" means
#:
#: * ``valid``           a schema-valid payload on a resource that exists: must be accepted
#: * ``invalid``         one rule broken (``mutation`` says which): must be refused naming the field
#: * ``refused``         the lifecycle forbids it (cancel a paid invoice, stale refresh token)
#: * ``unauthenticated`` no / bad / expired bearer: must be a 401
#: * ``observe``         no expectation beyond the rules every call must keep
Intent = Literal["valid", "invalid", "refused", "unauthenticated", "observe"]


@dataclass(frozen=True, slots=True)
class Exchange:
    """Everything one call produced, decrypted."""

    operation: Operation
    intent: Intent
    method: str
    url: str
    payload: Any
    params: dict[str, str]
    status: int
    headers: dict[str, str]
    body: bytes
    #: the decrypted (or plain) JSON body; None when it could not be read
    envelope: Any
    #: how the body arrived: "response", "bare", "json-string", "plain", or None (unreadable)
    shape: str | None
    keys: CipherKeys
    decode_error: str | None = None
    mutation: Mutation | None = None
    #: free-form facts a rule may need (e.g. the refresh token that was rotated away)
    context: dict[str, Any] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return self.operation.name

    @property
    def path(self) -> str:
        return urlsplit(self.url).path

    @property
    def accepted(self) -> bool:
        """HTTP < 400 and an envelope whose ``status`` is true."""
        return self.status < 400 and isinstance(self.envelope, dict) and self.envelope.get("status") is True

    @property
    def response(self) -> Any:
        return self.envelope.get("response") if isinstance(self.envelope, dict) else None

    def request_view(self) -> dict[str, Any]:
        """The request as a person reads it: method, path, plain filters, decrypted payload (its
        secrets, a login's password, as ``[redacted]``: reports are shared)."""
        view: dict[str, Any] = {"method": self.method, "path": self.path,
                                "payload": redact(self.payload)}
        if self.params:
            view["query"] = dict(self.params)
        if self.mutation is not None:
            view["broken"] = self.mutation.describe()
        return view

