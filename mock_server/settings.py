"""Settings of one mock server. Every field has the default a newcomer expects."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Literal

__all__ = ["DEFAULT_MAX_BODY", "MockSettings"]

#: Largest request body accepted (bytes). Bulk uploads carry a base64 CSV, hence not tiny.
DEFAULT_MAX_BODY = 2 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class MockSettings:
    """How one mock server behaves; frozen so a running server's settings cannot drift."""

    #: outer response body: ``{"response": hex}`` as the docs show, or the bare hex text
    envelope: Literal["response", "bare"] = "response"
    #: access token lifetime in seconds (Hesabe: 900)
    token_ttl: int = 900
    #: refresh token lifetime in seconds
    refresh_ttl: int = 30 * 24 * 3600
    #: base of invoice links and pagination URLs; None = the URL the request came in on
    public_base_url: str | None = None
    max_body_bytes: int = DEFAULT_MAX_BODY
    per_page: int = 15
    #: serve the /_mock/ control plane (loopback-only unless ``control_open``)
    control_plane: bool = True
    control_open: bool = False
    #: more ``Host`` names the control plane answers (``"*"``: any); loopback, IP literals,
    #: single-label and reserved-suffix names always pass (:func:`mock_server.access.host_trusted`)
    allowed_hosts: tuple[str, ...] = ()
    #: how many exchanges ``/_mock/journal`` keeps (oldest dropped first)
    journal_capacity: int = 1000
    #: the payment gateway's outer response body: bare hex (what Hesabe's kits read) or
    #: ``{"response": hex}``
    gateway_envelope: Literal["response", "bare"] = "bare"
    #: how long a checkout session can be paid, in seconds on the mock's clock (undocumented)
    checkout_ttl: int = 30 * 60
    #: where the callback puts its fields: flat under ``response`` (Hesabe's plugins) or under
    #: ``response.data`` (the docs' sample)
    callback_nesting: Literal["flat", "nested"] = "flat"
    #: approve a pending refund this many seconds of mock clock after it was asked for; None: only
    #: the control plane decides (``POST /_mock/refunds/{id}/approve|reject``)
    refund_auto_approve_after: float | None = None
    #: refuse, with a field error, what the real server would accept but the mock reports as an
    #: integration finding (an unknown field, an empty value, a 2-decimal amount ...)
    strict: bool = False
    #: several processes serve this mock (``--workers``, hosts on one PostgreSQL): keep what the
    #: control plane changes (clock, faults, journal, findings, refund auto-approval, webhook modes)
    #: in the store, which must be SQLite or PostgreSQL, and read it at the start of every request
    shared: bool = False


#: settings that belong to one host of a shared mock (how it is reached and guarded), not to what
#: it answers
_PER_HOST = frozenset({"public_base_url", "control_plane", "control_open", "allowed_hosts", "shared"})


def answer_settings(settings: MockSettings) -> dict[str, object]:
    """The settings that shape a shared mock's answers, by name: hosts on one database should
    agree on every one of them, or the answer depends on which host a request reaches."""
    return {name: value for name, value in asdict(settings).items() if name not in _PER_HOST}

