"""The journal: the last N Hesabe exchanges, decrypted both ways, kept in a bounded ring buffer.

It is a :class:`~mock_server.runtime.PipelineHook` that only watches (``done``). Entries show the
decrypted request payload and the plaintext reply envelope, never the wire ciphertext, the
secret key, the IV, the bearer token or a password: login passwords and issued/refreshed tokens
are replaced by ``"[redacted]"`` in every entry handed out, so a journal can be pasted into a
bug report as is. The hot path only appends a compact record; redaction, formatting and
parsing the reply back from the JSON text it was sent as happen when somebody reads the journal
(reads are rare, requests are not). Keeping the reply as text, not as the dict tree it was built
from, also keeps a thousand dashboard pages out of the garbage collector's way.
"""

from __future__ import annotations

import json
import threading
from collections import deque
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from mock_server.exchange import Exchange, PipelineHook

__all__ = ["DEFAULT_CAPACITY", "REDACTED", "Journal", "redact"]

DEFAULT_CAPACITY = 1000
REDACTED = "[redacted]"
#: keys whose values are secrets wherever they appear (request or reply, any depth)
_SECRET_KEYS = frozenset({
    "password", "access_token", "refresh_token", "refreshtoken", "token_secret", "secret_key",
    "secretkey", "iv_key", "ivkey", "accesscode", "access_code", "authorization",
})


def redact(value: Any) -> Any:
    """A deep copy of ``value`` with every secret-named key's value replaced."""
    if isinstance(value, dict):
        return {k: REDACTED if str(k).lower() in _SECRET_KEYS else redact(v) for k, v in value.items()}
    if isinstance(value, list):
        return [redact(v) for v in value]
    return value


@dataclass(slots=True)  # not frozen: one is made per request, and a frozen init is slower
class _Record:
    """What the journal keeps of one exchange (never changed once made)."""

    seq: int
    started: float
    method: str
    path: str
    query: str
    operation: str
    merchant_code: str | None
    client: str | None
    status: int | None
    encrypted: bool
    fault: str | None
    request: Any
    reply_json: bytes | None  # the reply as sent (None: dropped, or never rendered)
    reply: Any  # the reply object, kept only when there is no JSON text of it
    duration_ms: float

    @classmethod
    def of(cls, seq: int, ex: Exchange) -> _Record:
        dropped = ex.dropped
        text = None if dropped else ex.reply_json
        return cls(seq, ex.started, ex.method, ex.path, ex.query, ex.operation, ex.merchant_code,
                   ex.client_host, None if dropped else ex.status, ex.keys is not None, ex.fault, ex.request,
                   text, None if dropped or text is not None else ex.body, ex.duration_ms)

    def entry(self) -> dict[str, Any]:
        reply = json.loads(self.reply_json) if self.reply_json is not None else self.reply
        return {
            "seq": self.seq,
            "at": datetime.fromtimestamp(self.started, UTC).isoformat(timespec="milliseconds"),
            "method": self.method,
            "path": self.path,
            "query_keys": sorted({part.split("=", 1)[0] for part in self.query.split("&") if part}),
            "operation": self.operation,
            "merchant_code": self.merchant_code,
            "client": self.client,
            "status": self.status,
            "encrypted": self.encrypted,
            "fault": self.fault,
            "request": redact(self.request),
            "response": redact(reply),
            "duration_ms": self.duration_ms,
        }


class Journal(PipelineHook):
    """Thread-safe ring buffer of exchange records, oldest dropped first."""

    def __init__(self, capacity: int = DEFAULT_CAPACITY) -> None:
        if capacity < 1:
            raise ValueError("journal capacity must be at least 1")
        self._lock = threading.Lock()
        self._entries: deque[_Record] = deque(maxlen=capacity)
        self._seq = 0

    @property
    def capacity(self) -> int:
        return self._entries.maxlen or 0

    @property
    def recorded(self) -> int:
        """How many exchanges were ever recorded (also those already pushed out)."""
        return self._seq

    def done(self, ex: Exchange) -> None:
        with self._lock:
            self._seq += 1
            self._entries.append(_Record.of(self._seq, ex))

    def entries(self, limit: int | None = None, operation: str | None = None,
                merchant_code: str | None = None) -> list[dict[str, Any]]:
        """The last ``limit`` matching entries, oldest first."""
        with self._lock:
            items = list(self._entries)
        if operation:
            items = [r for r in items if r.operation == operation]
        if merchant_code:
            items = [r for r in items if r.merchant_code == merchant_code]
        return [r.entry() for r in (items[-limit:] if limit else items)]

    def clear(self, merchant_code: str | None = None) -> None:
        with self._lock:
            if merchant_code is None:
                self._entries.clear()
                return
            kept = [r for r in self._entries if r.merchant_code != merchant_code]
            self._entries.clear()
            self._entries.extend(kept)
