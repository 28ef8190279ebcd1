"""The journal: the last N Hesabe exchanges, decrypted both ways, kept in a bounded ring buffer.

It is a :class:`~mock_server.runtime.PipelineHook` that only watches (``done``). Entries show the
decrypted request payload and the plaintext reply envelope, never the wire ciphertext, the
secret key, the IV, the bearer token or a password: login passwords and issued/refreshed tokens
are replaced by ``"[redacted]"`` in every entry handed out, so a journal can be pasted into a
bug report as is. The hot path only appends the exchange; redaction and formatting happen when
somebody reads the journal (reads are rare, requests are not).
"""

from __future__ import annotations

import threading
from collections import deque
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


def _entry(seq: int, ex: Exchange) -> dict[str, Any]:
    started = datetime.fromtimestamp(ex.started, UTC).isoformat(timespec="milliseconds")
    return {
        "seq": seq,
        "at": started,
        "method": ex.method,
        "path": ex.path,
        "query_keys": sorted({part.split("=", 1)[0] for part in ex.query.split("&") if part}),
        "operation": ex.operation,
        "merchant_code": ex.merchant_code,
        "client": ex.client_host,
        "status": ex.status if not ex.dropped else None,
        "encrypted": ex.keys is not None,
        "fault": ex.fault,
        "request": redact(ex.request),
        "response": redact(ex.body) if not ex.dropped else None,
        "duration_ms": ex.duration_ms,
    }


class Journal(PipelineHook):
    """Thread-safe ring buffer of exchange records, oldest dropped first."""

    def __init__(self, capacity: int = DEFAULT_CAPACITY) -> None:
        if capacity < 1:
            raise ValueError("journal capacity must be at least 1")
        self._lock = threading.Lock()
        self._entries: deque[tuple[int, Exchange]] = deque(maxlen=capacity)
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
            self._entries.append((self._seq, ex))

    def entries(self, limit: int | None = None, operation: str | None = None,
                merchant_code: str | None = None) -> list[dict[str, Any]]:
        """The last ``limit`` matching entries, oldest first."""
        with self._lock:
            items = list(self._entries)
        if operation:
            items = [(n, ex) for n, ex in items if ex.operation == operation]
        if merchant_code:
            items = [(n, ex) for n, ex in items if ex.merchant_code == merchant_code]
        return [_entry(n, ex) for n, ex in (items[-limit:] if limit else items)]

    def clear(self, merchant_code: str | None = None) -> None:
        with self._lock:
            if merchant_code is None:
                self._entries.clear()
                return
            kept = [(n, ex) for n, ex in self._entries if ex.merchant_code != merchant_code]
            self._entries.clear()
            self._entries.extend(kept)
