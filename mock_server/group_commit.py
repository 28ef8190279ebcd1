"""Group commit: requests that write at about the same time share one store transaction.

A durable commit costs the SQLite store more than the writes in it (every page it touches is
written to the WAL again at each commit), and concurrent creates touch mostly the same pages
(the table's last page, the indexes' last pages, the counters). So the pipeline runs each handler
inside :meth:`Store.deferred_commit` and, before it sends the reply, awaits :meth:`GroupCommit.settle`:

* the reply waits until its writes are committed: nothing is acknowledged before it is durable, so
  ``kill -9`` still loses no answered write;
* the commit happens as soon as every request inside the pipeline is waiting for it (they all
  wrote, or read what others wrote), or after ``max_wait`` seconds at most (a request still reading
  a slow body does not hold the others up longer than that);
* one request alone waits three turns of the event loop (brief when nothing else is ready):
  requests that arrived meanwhile on other connections only get to run after it has
  finished its own work, so that is how long it takes to know it is alone.

Everything runs on the event loop's thread; a store that commits every write at once (the memory
store) never has deferred writes, and ``settle`` returns at once.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from weakref import WeakKeyDictionary

from mock_server.state.store import Store

__all__ = ["GroupCommit"]

#: the longest a reply waits for others to join its commit
MAX_WAIT_S = 0.002
#: event-loop turns a commit waits for requests that arrived on other connections (see _flush)
TURNS = 3


@dataclass
class _Group:
    """One event loop's requests: those inside the pipeline, those waiting for the commit."""

    #: requests between entering the pipeline and settling (or leaving)
    active: int = 0
    waiting: list[asyncio.Future[None]] = field(default_factory=list)
    flusher: asyncio.Task[None] | None = None


class GroupCommit:
    """Counts the requests inside the pipeline and commits the store's deferred writes for all
    of them at once.

    Kept per event loop (an app may be served by uvicorn and an in-process transport at once):
    a loop's waiters are resolved by its own flusher, after a commit that may have been done
    already by another loop or thread, which is as durable.
    """

    def __init__(self, store: Store, max_wait: float = MAX_WAIT_S) -> None:
        self.store = store
        self.max_wait = max_wait
        self._groups: WeakKeyDictionary[asyncio.AbstractEventLoop, _Group] = WeakKeyDictionary()

    def _group(self) -> _Group:
        loop = asyncio.get_running_loop()
        group = self._groups.get(loop)
        if group is None:
            group = self._groups[loop] = _Group()
        return group

    @property
    def active(self) -> int:
        """Requests of the running loop inside the pipeline."""
        return self._group().active

    def enter(self) -> None:
        self._group().active += 1

    def leave(self) -> None:
        self._group().active -= 1

    async def settle(self) -> None:
        """Return once this request's writes (if any) are committed; the commit's error if it
        failed. Counts as leaving the pipeline."""
        group = self._group()
        group.active -= 1
        if not self.store.has_deferred() and not group.waiting:
            return
        loop = asyncio.get_running_loop()
        waiter = loop.create_future()
        group.waiting.append(waiter)
        if group.flusher is None:
            group.flusher = loop.create_task(self._flush(group))
        await waiter

    async def _flush(self, group: _Group) -> None:
        """Let the requests that arrived meanwhile join, then commit once for every waiter.

        The event loop reads other connections on its next turn, starts their requests on the one
        after, and they run to their own ``settle`` on the third (handlers never wait in between):
        three turns. Requests still inside the pipeline after that (reading a body) are waited for
        until ``max_wait``."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.max_wait
        for _turn in range(TURNS):
            await asyncio.sleep(0)
        while group.active > 0 and loop.time() < deadline:
            await asyncio.sleep(0)
        waiting, group.waiting, group.flusher = group.waiting, [], None
        try:
            self.store.commit_deferred()
        except Exception as exc:
            for waiter in waiting:
                if not waiter.done():
                    waiter.set_exception(exc)
            return
        for waiter in waiting:
            if not waiter.done():
                waiter.set_result(None)
