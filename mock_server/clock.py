"""The mock's clock: real time by default; frozen, set or advanced by the control plane.

Token expiry, invoice expiry and every timestamp the mock writes read this clock, so a test can
move time instead of sleeping. Hesabe writes timestamps in Kuwait time (UTC+3, no DST): the
seeds' token prefixes are epoch seconds three hours behind their ``created_at``.
"""

from __future__ import annotations

import threading
import time
from datetime import datetime, timedelta, timezone

__all__ = ["KUWAIT", "Clock"]

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
        with self._lock:
            self._frozen = self.time() if at is None else float(at)

    def unfreeze(self) -> None:
        with self._lock:
            if self._frozen is not None:
                self._offset = self._frozen - time.time()
            self._frozen = None

    def set(self, at: float) -> None:
        with self._lock:
            if self._frozen is not None:
                self._frozen = float(at)
            else:
                self._offset = float(at) - time.time()

    def advance(self, seconds: float) -> None:
        with self._lock:
            if self._frozen is not None:
                self._frozen += seconds
            else:
                self._offset += seconds

    def reset(self) -> None:
        with self._lock:
            self._offset, self._frozen = 0.0, None
