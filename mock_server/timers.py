"""The mock's timer: what falls due on the mock clock happens although nobody reads it.

Two things fall due with time alone: a monthly subscription's recurrences
(:mod:`mock_server.state.subscriptions`) and, when auto-approval is on, pending refunds
(:mod:`mock_server.state.refunds`). Every read of a merchant's payments or refunds settles them
first; the timer settles them too, so a recurrence's checkout, its ledger row and its webhook exist
without any read.

Each serving process runs one :class:`Timer`: an asyncio task on the server's event loop (the loop
that serves requests, so it never runs beside a handler), which calls ``fire`` every ``interval``
seconds and at once when :meth:`Timer.wake` is called (the control plane moved the clock). Several
processes (``--workers``, hosts on one PostgreSQL) each run theirs; what keeps a due event to one
firing is the store's claim each event is made through, never the timer (docs/sharing.md). An
error in ``fire`` is logged and the next tick tries again: the timer never ends its worker. A
failure that repeats (a shared store that is down) is logged once with its traceback, then once a
minute as one line, and its end is logged too: an outage of minutes is a few lines, not one
traceback a second.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable

__all__ = ["INTERVAL", "Timer"]

log = logging.getLogger("hesabe_mock.timers")

#: seconds between two rounds: the finest step anyone moves the mock clock in is a day
INTERVAL = 1.0
#: seconds between two reminders that the same failure goes on
REMIND_EVERY = 60.0


class Timer:
    """``fire()`` every ``interval`` seconds, and on :meth:`wake`, while started."""

    def __init__(self, fire: Callable[[], None], interval: float = INTERVAL) -> None:
        self.fire = fire
        self.interval = interval
        #: rounds completed (with or without an error): tests wait on it instead of sleeping
        self.rounds = 0
        self._task: asyncio.Task[None] | None = None
        self._woken: asyncio.Event | None = None
        #: the failure going on (its type and message), the rounds it lasted, when it was last told
        self._failing: str | None = None
        self._failed_rounds = 0
        self._told_at = 0.0

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    def start(self) -> None:
        """Start on the running event loop (an app's startup); a no-op when started already."""
        if self.running:
            return
        self._woken = asyncio.Event()
        self._task = asyncio.get_running_loop().create_task(self._run(self._woken), name="hesabe-mock-timer")

    def wake(self) -> None:
        """Fire now rather than at the next tick (call it on the loop's thread, as handlers run)."""
        if self._woken is not None:
            self._woken.set()

    async def stop(self) -> None:
        """Stop the task and wait until it has (an app's shutdown); idempotent."""
        task, self._task, self._woken = self._task, None, None
        if task is None:
            return
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task

    async def _run(self, woken: asyncio.Event) -> None:
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(woken.wait(), self.interval)
            woken.clear()
            try:
                self.fire()
            except Exception as exc:  # a store that went away, a bug: logged, the next round tries again
                self._failed(exc)
            else:
                if self._failing is not None:
                    log.warning("the mock's timer works again after %d failed rounds", self._failed_rounds)
                    self._failing, self._failed_rounds = None, 0
            self.rounds += 1

    def _failed(self, exc: Exception) -> None:
        what = f"{type(exc).__name__}: {exc}".strip()
        now = asyncio.get_running_loop().time()
        self._failed_rounds += 1
        if what != self._failing:  # a new failure: the whole story once
            self._failing, self._told_at = what, now
            log.error("the mock's timer failed; it tries again every %s s", self.interval, exc_info=exc)
        elif now - self._told_at >= REMIND_EVERY:
            self._told_at = now
            first_line = what.splitlines()[0]
            log.error("the mock's timer still fails (%d rounds): %s", self._failed_rounds, first_line)
