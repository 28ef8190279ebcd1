"""The mock's clock: real time by default; frozen, set or advanced by the control plane.

Token expiry, invoice expiry and every timestamp the mock writes read this clock, so a test can
move time instead of sleeping. Hesabe writes timestamps in Kuwait time (UTC+3, no DST): the
seeds' token prefixes are epoch seconds three hours behind their ``created_at``.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from datetime import datetime, timedelta, timezone

from mock_server.state.shared import SharedState

__all__ = ["KUWAIT", "Clock", "ClockState", "SharedClock"]

KUWAIT = timezone(timedelta(hours=3), "Asia/Kuwait")


class Clock:
    """Epoch seconds with an offset, or frozen at a fixed instant."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._offset = 0.0
        self._frozen: float | None = None
        #: the last (whole second, stamp) written: every create writes one, most in the same second
        self._stamped: tuple[int | None, str] = (None, "")

    def time(self) -> float:
        """Epoch seconds on the mock's clock."""
        frozen = self._frozen
        return frozen if frozen is not None else time.time() + self._offset

    def now(self) -> datetime:
        """The mock's current time in Kuwait."""
        return datetime.fromtimestamp(self.time(), KUWAIT)

    def stamp(self) -> str:
        """``YYYY-MM-DD HH:MM:SS`` in Kuwait time, the server's timestamp format."""
        second = int(self.time() // 1)
        cached = self._stamped
        if cached[0] == second:
            return cached[1]
        text = self.stamp_at(second)
        self._stamped = (second, text)  # one tuple, swapped whole: safe to read from any thread
        return text

    @staticmethod
    def stamp_at(epoch: float) -> str:
        """The server's timestamp of another instant (epoch seconds), e.g. when something fell due."""
        return datetime.fromtimestamp(int(epoch // 1), KUWAIT).strftime("%Y-%m-%d %H:%M:%S")

    def today(self) -> str:
        return self.now().strftime("%Y-%m-%d")

    @property
    def frozen(self) -> bool:
        return self._frozen is not None

    def freeze(self, at: float | None = None) -> None:
        self._change(lambda offset, frozen: (offset, _now(offset, frozen) if at is None else float(at)))

    def unfreeze(self) -> None:
        self._change(lambda offset, frozen: (offset if frozen is None else frozen - time.time(), None))

    def set(self, at: float) -> None:
        self._change(lambda offset, frozen: (offset, float(at)) if frozen is not None
                     else (float(at) - time.time(), None))

    def advance(self, seconds: float) -> None:
        self._change(lambda offset, frozen: (offset, frozen + seconds) if frozen is not None
                     else (offset + seconds, None))

    def reset(self) -> None:
        self._change(lambda _offset, _frozen: (0.0, None))

    @property
    def state(self) -> ClockState:
        """(offset from real time, frozen instant or None): everything the clock is."""
        return self._offset, self._frozen

    def _change(self, change: Callable[[float, float | None], ClockState]) -> None:
        """Apply one change to (offset, frozen); a shared clock stores it for every process."""
        with self._lock:
            self._offset, self._frozen = change(self._offset, self._frozen)


#: (offset, frozen) of a clock
ClockState = tuple[float, float | None]


def _now(offset: float, frozen: float | None) -> float:
    return frozen if frozen is not None else time.time() + offset


class SharedClock(Clock):
    """A clock whose (offset, frozen) every process of one mock shares through its store.

    A change is a read-modify-write of the ``clock`` control document in one transaction, so two
    processes advancing at once both count; :meth:`load` applies the document another process
    wrote (the runtime calls it when the document's version changed). The offset is from each
    process's own real-time clock, so processes on one machine (``--workers``) agree to the
    microsecond and hosts as closely as their clocks are synchronised; a frozen instant is the same
    everywhere.
    """

    def __init__(self, shared: SharedState) -> None:
        super().__init__()
        self._shared = shared

    def _change(self, change: Callable[[float, float | None], ClockState]) -> None:
        def apply(text: str | None) -> str:
            offset, frozen = _parse(text)
            return json.dumps(dict(zip(("offset", "frozen"), change(offset, frozen), strict=True)))

        self.load(self._shared.change_control("clock", apply))

    def load(self, text: str | None) -> None:
        """Take the shared state (None: real time, as after a reset)."""
        with self._lock:
            self._offset, self._frozen = _parse(text)


def _parse(text: str | None) -> ClockState:
    if not text:
        return 0.0, None
    doc = json.loads(text)
    frozen = doc.get("frozen")
    return float(doc.get("offset", 0.0)), None if frozen is None else float(frozen)
