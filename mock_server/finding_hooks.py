"""Pipeline hooks around integration findings: recording them, and watching reference numbers.

:class:`FindingsRecorder` hands every exchange's findings to the runtime's
:class:`~mock_server.findings.FindingsLog`. :class:`ReferenceWatch` adds the findings only
history can give: an invoice create reusing the reference number of a create minutes before
(``reference_reused``), worst right after a create the client never heard back from
(``reference_retried``: the earlier one may well exist, so the customer may get two invoices).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from functools import lru_cache
from typing import Any

from hesabe_spec.operations import OPERATIONS
from mock_server.clock import Clock
from mock_server.exchange import Exchange, PipelineHook
from mock_server.findings import Finding, FindingsLog, finding

__all__ = ["REFERENCE_WINDOW", "FindingsRecorder", "ReferenceWatch"]

#: how long (mock clock, seconds) a reference number counts as "just used"
REFERENCE_WINDOW = 600.0
#: references remembered at most (the oldest are forgotten first)
_CAPACITY = 10_000
#: the operations that create invoices, each with its reference number(s)
_CREATES = frozenset(op.name for op in OPERATIONS.values() if op.family == "invoices" and op.kind == "create")


class FindingsRecorder(PipelineHook):
    """Feeds every exchange's findings to the log behind ``/_mock/findings`` and the fixtures."""

    def __init__(self, log: FindingsLog) -> None:
        self.log = log

    def done(self, ex: Exchange) -> None:
        if ex.findings:
            self.log.record(ex.findings, ex.operation, ex.method, ex.path, ex.merchant_code)


#: when a reference number was last used by a create (mock clock), and whether the client got the
#: reply (False: dropped, disconnected, or a server error)
_Use = tuple[float, bool]


def _references(payload: Any) -> list[tuple[str, str]]:
    """``(pointer, reference number)`` of each invoice a create payload makes."""
    if not isinstance(payload, dict):
        return []
    parts = payload.get("invoices")
    if not isinstance(parts, list):
        reference = payload.get("referenceNumber")
        return [("/referenceNumber", reference)] if isinstance(reference, str) and reference else []
    found = []
    for n, part in enumerate(parts):
        reference = part.get("referenceNumber") if isinstance(part, dict) else None
        if isinstance(reference, str) and reference:
            found.append((f"/invoices/{n}/referenceNumber", reference))
    return found


@lru_cache(maxsize=1024)
def _reuse(reference: str, seconds_ago: int, heard: bool, pointer: str) -> Finding:
    """The finding of a reference used again ``seconds_ago`` after a create whose reply was
    ``heard`` or not. Cached: a client that repeats one reference repeats the same finding, many
    times a second."""
    ago = f"{seconds_ago} s ago"
    if heard:
        return finding("reference_reused", f"reference number {reference!r} was used by a create {ago}: "
                                           "two invoices now carry it", pointer)
    return finding("reference_retried", f"reference number {reference!r} was used by a create {ago} whose "
                                        "reply never reached the client, and that create may have gone "
                                        "through: look it up (search the reference) before creating again",
                   pointer)


class ReferenceWatch(PipelineHook):
    """``reference_reused`` / ``reference_retried``, per merchant, on the mock's clock."""

    def __init__(self, clock: Clock, window: float = REFERENCE_WINDOW) -> None:
        self.clock = clock
        self.window = window
        self._lock = threading.Lock()
        #: (merchant code, reference) -> last use, oldest first. An OrderedDict, not a dict: it
        #: drops its oldest entry in constant time, where a dict's first key is found by skipping
        #: every slot its earlier deletions left (once full, with the unique references of a real
        #: integration, that walk grew with every create until the next resize)
        self._seen: OrderedDict[tuple[str, str], _Use] = OrderedDict()

    def after(self, ex: Exchange) -> None:
        if ex.status != 200 or ex.operation not in _CREATES or ex.merchant_code is None:
            return
        references = _references(ex.request)
        if not references:
            return
        for pointer, reference in references:
            earlier = self._seen.get((ex.merchant_code, reference))  # a dict read needs no lock
            if earlier is None:
                continue
            now = self.clock.time()
            if now - earlier[0] > self.window:
                continue
            ex.findings.append(_reuse(reference, max(0, round(now - earlier[0])), earlier[1], pointer))

    def done(self, ex: Exchange) -> None:
        if ex.operation not in _CREATES or ex.merchant_code is None:
            return
        unheard = ex.delivery != "sent" or ex.status >= 500
        if ex.status != 200 and not unheard:
            return  # refused (400, 429 ...): nothing was made, and the client was told so
        references = _references(ex.request)
        if not references:
            return
        use = (self.clock.time(), not unheard)
        with self._lock:
            seen = self._seen
            for _pointer, reference in references:
                key = (ex.merchant_code, reference)
                seen[key] = use
                seen.move_to_end(key)  # the newest use last: the dict stays oldest first
            while len(seen) > _CAPACITY:
                seen.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._seen.clear()
