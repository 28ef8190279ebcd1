"""The journal: the last N Hesabe exchanges, decrypted both ways, kept in a bounded ring buffer.

It is a :class:`~mock_server.runtime.PipelineHook` that only watches (``done``). Entries show the
decrypted request payload and the plaintext reply envelope, never the wire ciphertext, the
secret key, the IV, the bearer token or a password: login passwords and issued/refreshed tokens
are replaced by ``"[redacted]"`` in every entry handed out, so a journal can be pasted into a
bug report as is; of a login or token refresh, whose password may be anywhere in its body or
query, the pipeline hands over only what :mod:`mock_server.arrival` lets it show. What the wire
showed is described instead, by
:func:`hesabe_spec.wire_facts.describe_ciphertext` (``"wire"``: pad, blocks, hex case, JSON
style; a 506 also gets its ``"diagnosis"``), next to the exchange's integration ``"findings"``
and its ``"delivery"`` (sent, dropped, or the client gone first).

The hot path only appends a compact record; redaction, formatting, the wire facts and parsing
the reply back from the JSON text it was sent as happen when somebody reads the journal (reads
are rare, requests are not). Keeping the reply as text, not as the dict tree it was built from,
also keeps a thousand dashboard pages out of the garbage collector's way.
"""

from __future__ import annotations

import json
import os
import secrets
import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl

from hesabe_spec.crypto import CipherKeys
from hesabe_spec.wire import (
    NOT_SHOWN,
    REDACTED,
    SHOWN_DEPTH,
    EnvelopeStyle,
    redact,
    redact_reply,
    wrap_ciphertext,
)
from hesabe_spec.wire_facts import WireFacts, describe_body, describe_ciphertext
from mock_server.exchange import Exchange, PipelineHook
from mock_server.findings import Finding
from mock_server.state.shared import SharedState

__all__ = ["DEFAULT_CAPACITY", "NOT_SHOWN", "REDACTED", "SHOWN_DEPTH", "Journal", "SharedJournal",
           "plain_query", "redact"]

DEFAULT_CAPACITY = 1000
#: the findings that explain a 506 when the wire facts do not (no ciphertext was read, or it
#: decrypted to an amount the server refuses)
_REFUSING_RULES = frozenset({"amount_precision", "data_unreadable"})


def plain_query(query: str) -> dict[str, str]:
    """A query's plain parameters as sent (the filters a GET may carry beside ``data``), without
    ``data`` itself (ciphertext is never shown) and with a secret one's value redacted. A name
    sent twice shows its last value, the one the server reads."""
    shown: dict[str, str] = redact({k: v for k, v in parse_qsl(query, keep_blank_values=True) if k != "data"})
    return shown


@dataclass(slots=True)  # not frozen: one is made per request, and a frozen init is slower
class _Record:
    """What the journal keeps of one exchange (never changed once made)."""

    seq: int
    started: float
    method: str
    path: str
    query: str
    operation: str
    routed_as: str | None
    merchant_code: str | None
    client: str | None
    status: int | None
    encrypted: bool
    fault: str | None
    request: Any
    reply_json: bytes | None  # the reply as rendered (None: nothing was, e.g. dropped before)
    reply: Any  # the reply object, kept only when there is no JSON text of it
    duration_ms: float
    findings: list[Finding]
    delivery: str
    #: what the wire facts are worked out from when the entry is read
    request_hex: str | None
    keys: CipherKeys | None
    block_size: int
    envelope: EnvelopeStyle
    mangle: Callable[[bytes], bytes] | None
    #: the process that answered (a shared mock's workers and hosts are several)
    pid: int

    @classmethod
    def of(cls, seq: int, ex: Exchange) -> _Record:
        text = ex.reply_json
        reply = ex.body if text is None and ex.status else None
        return cls(seq, ex.started, ex.method, ex.path, ex.query, ex.operation, ex.routed_as,
                   ex.merchant_code, ex.client_host, ex.status or None, ex.keys is not None, ex.fault,
                   ex.request, text, reply, ex.duration_ms, ex.findings, ex.delivery, ex.request_hex, ex.keys,
                   ex.block_size, ex.envelope, ex.mangle, os.getpid())

    def entry(self) -> dict[str, Any]:
        reply = json.loads(self.reply_json) if self.reply_json is not None else self.reply
        entry = {
            "seq": self.seq,
            "at": datetime.fromtimestamp(self.started, UTC).isoformat(timespec="milliseconds"),
            "method": self.method,
            "path": self.path,
            "query_keys": sorted({part.split("=", 1)[0] for part in self.query.split("&") if part}),
            "query": plain_query(self.query),
            "operation": self.operation,
            "routed_as": self.routed_as,
            "merchant_code": self.merchant_code,
            "client": self.client,
            "status": self.status,
            "delivery": self.delivery,
            "encrypted": self.encrypted,
            "fault": self.fault,
            "request": redact(self.request),
            "response": redact_reply(reply),
            "findings": [f.to_json() for f in self.findings],
            "wire": {"request": self._request_facts(), "response": self._response_facts()},
            "duration_ms": self.duration_ms,
            "pid": self.pid,
        }
        if isinstance(reply, dict) and reply.get("code") == 506:
            entry["diagnosis"] = self._diagnosis(entry["wire"]["request"])
        return entry

    def summary(self) -> dict[str, Any]:
        """The exchange as one line of a traffic list: no payloads, no wire facts (cheap to make)."""
        severities = {f.severity for f in self.findings}
        return {"seq": self.seq, "started": self.started, "method": self.method, "path": self.path,
                "operation": self.operation, "merchant_code": self.merchant_code, "status": self.status,
                "fault": self.fault, "findings": len(self.findings),
                "severity": "error" if "error" in severities else ("warning" if severities else None),
                "delivery": self.delivery, "duration_ms": self.duration_ms, "pid": self.pid}

    def matches(self, operation: str | None, status: str | None, merchant_code: str | None,
                with_findings: bool) -> bool:
        """Whether the traffic filters keep this exchange (``status``: ``"404"`` or a class, ``"4xx"``)."""
        return summary_matches(self.summary(), operation, status, merchant_code, with_findings)

    def _diagnosis(self, facts: WireFacts | None) -> list[dict[str, str]]:
        """Why the request was Invalid Request Data: what the wire shows, else the payload rule."""
        found: list[dict[str, str]] = [{"code": d["code"], "kind": d["kind"], "message": d["message"]}
                                       for d in facts["diagnosis"]] if facts is not None else []
        faults = [d for d in found if d["kind"] == "fault"]
        if not faults:
            faults = [{"code": f.rule, "kind": "fault", "message": f.message}
                      for f in self.findings if f.rule in _REFUSING_RULES]
            found = faults + found
        return found

    def raw_wire(self) -> dict[str, str | None]:
        """The request's hex and the reply body as they travelled, each None when nothing encrypted
        travelled or when its plaintext holds a value the journal redacts (the hex would carry it)."""
        request = self.request_hex.strip() if self.request_hex is not None else None
        if request is not None and redact(self.request) != self.request:
            request = None
        response = None
        if self.reply_json is not None and self.keys is not None:
            reply = json.loads(self.reply_json)
            if redact_reply(reply) == reply:
                body = self._response_body()
                response = body.decode("latin-1") if isinstance(body, bytes) else str(body)
        query = "&".join(part for part in self.query.split("&") if part and not part.startswith("data="))
        return {"request": request, "response": response, "query": query}

    def _response_body(self) -> Any:
        assert self.reply_json is not None and self.keys is not None
        # The reply is encrypted again as it was sent (a fixed IV: the same bytes), rather than kept.
        body = wrap_ciphertext(self.keys.encrypt(self.reply_json, block_size=self.block_size), self.envelope)
        return body if self.mangle is None else self.mangle(body)

    def _request_facts(self) -> WireFacts | None:
        if self.request_hex is None or self.keys is None:
            return None
        return describe_ciphertext(self.request_hex.strip(), self.keys, envelope="data")

    def _response_facts(self) -> WireFacts | None:
        if self.reply_json is None or self.keys is None:
            return None
        return describe_body(self._response_body(), self.keys)


def summary_matches(summary: dict[str, Any], operation: str | None, status: str | None,
                    merchant_code: str | None, with_findings: bool) -> bool:
    """Whether the traffic filters keep an exchange's summary (``status``: ``"404"`` or a class,
    ``"4xx"``)."""
    if operation and summary["operation"] != operation:
        return False
    if merchant_code and summary["merchant_code"] != merchant_code:
        return False
    if with_findings and not summary["findings"]:
        return False
    if status:
        code = str(summary["status"] or "")
        return code[:1] == status[:1] if status.endswith("xx") else code == status
    return True


class Journal(PipelineHook):
    """Thread-safe ring buffer of exchange records, oldest dropped first."""

    def __init__(self, capacity: int = DEFAULT_CAPACITY) -> None:
        if capacity < 1:
            raise ValueError("journal capacity must be at least 1")
        self._lock = threading.Lock()
        self._entries: deque[_Record] = deque(maxlen=capacity)
        self._seq = 0
        #: which numbering ``seq`` belongs to: a restarted mock counts from 1 again, so a reader
        #: holding a cursor (the inspector's open tab) compares this and starts over when it differs
        self.epoch = secrets.token_hex(4)

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

    def recent(self, after: int = 0, limit: int = 100, *, operation: str | None = None,
               status: str | None = None, merchant_code: str | None = None,
               with_findings: bool = False, before: int | None = None) -> list[dict[str, Any]]:
        """Summaries of the newest ``limit`` matching exchanges recorded after ``after`` (a ``seq``)
        and before ``before`` (the older pages of the traffic list), newest first. Walks back from
        the newest and stops at ``after``: a poll that finds nothing new costs one comparison."""
        picked: list[_Record] = []
        with self._lock:
            for record in reversed(self._entries):
                if record.seq <= after or len(picked) >= limit:
                    break
                if before is not None and record.seq >= before:
                    continue
                if record.matches(operation, status, merchant_code, with_findings):
                    picked.append(record)
        return [r.summary() for r in picked]

    def _find(self, seq: int) -> _Record | None:
        with self._lock:
            first = self._entries[0].seq if self._entries else 0
            index = seq - first
            record = self._entries[index] if 0 <= index < len(self._entries) else None
            if record is None or record.seq != seq:  # a merchant's clear leaves gaps: look it up
                record = next((r for r in self._entries if r.seq == seq), None)
            return record

    def entry(self, seq: int) -> dict[str, Any] | None:
        """One exchange in full (as :meth:`entries` shows it), or None once it was pushed out."""
        record = self._find(seq)
        return None if record is None else record.entry()

    def raw_wire(self, seq: int) -> dict[str, str | None] | None:
        """The hex one exchange carried (see ``_Record.raw_wire``), or None once it was pushed out."""
        record = self._find(seq)
        return None if record is None else record.raw_wire()

    def clear(self, merchant_code: str | None = None) -> None:
        with self._lock:
            if merchant_code is None:
                self._entries.clear()
                return
            kept = [r for r in self._entries if r.merchant_code != merchant_code]
            self._entries.clear()
            self._entries.extend(kept)


class SharedJournal(Journal):
    """The journal of a mock several processes serve: every process appends each exchange, already
    rendered and redacted (the entry, its traffic-list summary, its raw wire), to the store's
    ``journal`` stream, so ``/_mock/journal`` and the inspector on any of them show them all,
    numbered in the order they were recorded. Rendering at write time costs what a read would; only
    a shared mock pays it."""

    def __init__(self, shared: SharedState, capacity: int = DEFAULT_CAPACITY) -> None:
        super().__init__(capacity)
        self._shared = shared
        # one epoch per database, as its numbering: every process and restart on it goes on from
        # the same stream, and a new database (a fresh throwaway cluster) numbers from 1 again
        mine = self.epoch
        self.epoch = shared.change_control("journal_epoch", lambda current: current or mine) or mine

    @property
    def recorded(self) -> int:
        return self._shared.recorded(_STREAM)

    def done(self, ex: Exchange) -> None:
        record = _Record.of(0, ex)
        body = {"entry": record.entry(), "summary": record.summary(), "raw": record.raw_wire()}
        self._shared.append_event(_STREAM, ex.merchant_code, ex.operation, json.dumps(body, default=str),
                                  self.capacity)

    def entries(self, limit: int | None = None, operation: str | None = None,
                merchant_code: str | None = None) -> list[dict[str, Any]]:
        found = self._shared.events(_STREAM, min(limit or self.capacity, self.capacity),
                                    merchant_code or None, operation or None)
        return [{**json.loads(body)["entry"], "seq": seq} for seq, body in found]

    def recent(self, after: int = 0, limit: int = 100, *, operation: str | None = None,
               status: str | None = None, merchant_code: str | None = None,
               with_findings: bool = False, before: int | None = None) -> list[dict[str, Any]]:
        found = self._shared.events(_STREAM, self.capacity, merchant_code or None, operation or None,
                                    after=after, before=before)
        picked: list[dict[str, Any]] = []
        for seq, body in reversed(found):
            summary = {**json.loads(body)["summary"], "seq": seq}
            if len(picked) >= limit:
                break
            if summary_matches(summary, operation, status, merchant_code, with_findings):
                picked.append(summary)
        return picked

    def _stored(self, seq: int, part: str) -> Any:
        body = self._shared.event(_STREAM, seq)
        return None if body is None else json.loads(body)[part]

    def entry(self, seq: int) -> dict[str, Any] | None:
        found = self._stored(seq, "entry")
        return None if found is None else {**found, "seq": seq}

    def raw_wire(self, seq: int) -> dict[str, str | None] | None:
        found: dict[str, str | None] | None = self._stored(seq, "raw")
        return found

    def clear(self, merchant_code: str | None = None) -> None:
        self._shared.clear_events(_STREAM, merchant_code)


_STREAM = "journal"
