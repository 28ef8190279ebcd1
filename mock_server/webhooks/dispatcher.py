"""The webhook sender: a few background workers that POST, retry with backoff, and log.

Delays, backoff and out-of-order batches are all just "send this at time T", so one due-time queue
serves them all. :data:`SENDERS` workers take from it, each the earliest due delivery whose
destination (scheme, host and port) no other worker is sending to: deliveries to one merchant's
server go one at a time, in queue order (tests can assert it), while an endpoint that is slow to
answer holds back only its own deliveries, not every other merchant's. A payment never waits for
the network: :meth:`WebhookDispatcher.submit` only queues.

Times here are real (``time.monotonic``), not the mock clock: a frozen mock clock must not stop
retries, and backoff is about the merchant's real server.

Each attempt is one ``http.client`` POST on a new connection: a webhook sender follows no
redirect and keeps no session, and the mock needs no HTTP client library for it.
"""

from __future__ import annotations

import contextlib
import heapq
import http.client
import itertools
import logging
import socket
import threading
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from mock_server.access import WEBHOOK_USER_AGENT
from mock_server.json_out import server_json
from mock_server.webhooks.config import DeliverySettings, WebhookModes
from mock_server.webhooks.log import DEFAULT_LOG_CAP, Attempt, Delivery, DeliveryLog

__all__ = ["MAX_ANSWER", "SENDERS", "WebhookDispatcher", "destination"]

log = logging.getLogger("hesabe_mock.webhooks")

#: the most of an answer's body the sender reads (the status is all it needs)
MAX_ANSWER = 64 * 1024
#: worker threads sending at once, each to a destination of its own
SENDERS = 4


def destination(url: str) -> str:
    """Where ``url`` is sent: its scheme, host and port (deliveries there go one at a time)."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()


_CONNECTIONS: dict[str, type[http.client.HTTPConnection]] = {
    "http": http.client.HTTPConnection, "https": http.client.HTTPSConnection}


def post(url: str, body: bytes, timeout: float) -> int:
    """POST ``body`` as JSON to an http(s) ``url`` on a new connection; the status (no redirect
    is followed). Raises OSError / HTTPException when no answer comes, ValueError for a bad URL.

    The whole attempt ends ``timeout`` seconds after it began: ``timeout`` bounds each wait for a
    byte, and an endpoint that sends its answer a byte at a time would otherwise hold the one
    sender thread (and every delivery queued behind it) for as long as it liked. Of the answer's
    body, at most :data:`MAX_ANSWER` bytes are read: only the status counts."""
    parts = urlsplit(url)
    connection_type = _CONNECTIONS.get(parts.scheme)
    if connection_type is None or not parts.hostname:
        raise ValueError(f"not an http(s) URL: {url!r}")
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    connection = connection_type(parts.hostname, parts.port, timeout=timeout)
    cut = threading.Event()
    watchdog = threading.Timer(timeout, _cut, (connection, cut))
    watchdog.daemon = True
    watchdog.start()
    try:
        connection.request("POST", target, body=body,
                           headers={"Content-Type": "application/json", "User-Agent": WEBHOOK_USER_AGENT})
        response = connection.getresponse()
        response.read(MAX_ANSWER)
    except (OSError, http.client.HTTPException) as exc:
        if cut.is_set():
            raise TimeoutError(f"no whole answer within {timeout:g} s") from exc
        raise
    else:
        if cut.is_set():  # what was read ends where the connection was shut: not an answer
            raise TimeoutError(f"no whole answer within {timeout:g} s")
        return response.status
    finally:
        watchdog.cancel()
        connection.close()


def _cut(connection: http.client.HTTPConnection, cut: threading.Event) -> None:
    """End an attempt that outlived its timeout: a blocked read sees the connection shut."""
    sock = connection.sock
    if sock is not None:
        cut.set()
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)


class WebhookDispatcher:
    """Queue, send, retry and log webhook deliveries; adversarial modes shape what is queued."""

    def __init__(
        self,
        settings: DeliverySettings | None = None,
        modes: WebhookModes | None = None,
        *,
        log_cap: int = DEFAULT_LOG_CAP,
    ) -> None:
        self.settings = (settings or DeliverySettings()).check()
        self.modes = (modes or WebhookModes()).check()
        self.log = DeliveryLog(log_cap)
        self._cond = threading.Condition(self.log.lock)
        # (due, tie-break sequence, delivery): the queue holds the records themselves, so a
        # delivery evicted from the bounded log is still sent
        self._queue: list[tuple[float, int, Delivery]] = []
        self._seq = itertools.count()
        self._held: list[Delivery] = []
        self._held_since = 0.0
        self._in_flight = 0
        #: the destinations a worker is sending to now (no second worker sends there meanwhile)
        self._busy: set[str] = set()
        #: the running workers and the event that stops them (new ones after each close)
        self._threads: list[threading.Thread] = []
        self._stop = threading.Event()

    # -- producing ---------------------------------------------------------------------------
    def submit(self, url: str, payload: dict[str, Any], *, kind: str = "payment",
               source: dict[str, Any] | None = None) -> Delivery | None:
        """Log and queue one delivery under the current modes (starting the worker if needed)."""
        with self._cond:
            modes = self.modes
            shaped: dict[str, Any] = {}
            if modes.delay_ms:
                shaped["delay_ms"] = modes.delay_ms
            if modes.out_of_order:
                shaped["out_of_order"] = True
            delivery = self.log.add(url=url, payload=payload, kind=kind, created_at=time.time(),
                                    source=dict(source or {}), modes=shaped)
            if modes.out_of_order:
                delivery.state = "held"
                if not self._held:
                    self._held_since = time.monotonic()
                self._held.append(delivery)
                if len(self._held) >= modes.batch_size:
                    self._release_held()
            else:
                self._schedule(delivery, time.monotonic() + modes.delay_ms / 1000)
            self.log.changed(delivery)
            self._ensure_worker()
            self._cond.notify_all()
            return delivery

    def flush(self) -> int:
        """Release held (out-of-order) deliveries now, newest first. Returns how many."""
        with self._cond:
            n = len(self._held)
            self._release_held()
            self._cond.notify_all()
            return n

    def set_modes(self, modes: WebhookModes) -> None:
        with self._cond:
            self.modes = modes.check()
            if not modes.out_of_order:
                # switching the mode off must not strand what it was holding
                self._release_held()
            self._cond.notify_all()

    def set_settings(self, settings: DeliverySettings) -> None:
        with self._cond:
            self.settings = settings.check()

    def _schedule(self, delivery: Delivery, due: float) -> None:
        heapq.heappush(self._queue, (due, next(self._seq), delivery))

    def _release_held(self) -> None:
        # newest first: the whole point of the mode is that a later event overtakes an earlier one
        now = time.monotonic() + self.modes.delay_ms / 1000
        for delivery in reversed(self._held):
            if delivery.state == "held":
                delivery.state = "pending"
                self._schedule(delivery, now)
                self.log.changed(delivery)
        self._held.clear()

    # -- the workers -------------------------------------------------------------------------
    def _ensure_worker(self) -> None:
        # started lazily: a mock that never sends a webhook never owns a thread; after close()
        # (app shutdown) the next delivery starts new ones, so a restarted app still sends
        if not self._threads:
            self._stop = threading.Event()
            self._threads = [threading.Thread(target=self._run, args=(self._stop,),
                                              name=f"hesabe-mock-webhooks-{n}", daemon=True)
                             for n in range(SENDERS)]
            for thread in self._threads:
                thread.start()

    def _next_job(self, stop: threading.Event) -> Delivery | None:
        """Block until a delivery is due for a destination no other worker is sending to (None once
        ``stop`` is set); that destination is then this worker's until :meth:`_run` gives it back."""
        with self._cond:
            while not stop.is_set():
                now = time.monotonic()
                window = self.modes.batch_window_ms / 1000
                if self._held and now >= self._held_since + window:
                    self._release_held()
                free = [job for job in sorted(self._queue) if destination(job[2].url) not in self._busy]
                if free and free[0][0] <= now:
                    self._queue.remove(free[0])
                    heapq.heapify(self._queue)
                    delivery = free[0][2]
                    self._busy.add(destination(delivery.url))
                    self._in_flight += 1
                    return delivery
                # the next free delivery's time; a busy destination's wakes this when it is done
                waits = [free[0][0] - now] if free else []
                if self._held:
                    waits.append(self._held_since + window - now)
                self._cond.wait(timeout=max(0.0, min(waits)) if waits else None)
            return None

    def _run(self, stop: threading.Event) -> None:
        while (delivery := self._next_job(stop)) is not None:
            try:
                self._attempt(delivery)
            except Exception:  # a bug here must not kill the worker and strand the queue
                log.exception("webhook delivery %s crashed", delivery.id)
            finally:
                with self._cond:
                    self._busy.discard(destination(delivery.url))
                    self._in_flight -= 1
                    self._cond.notify_all()

    def _attempt(self, delivery: Delivery) -> None:
        with self._cond:
            if delivery.final:  # abandoned by close() while it waited
                return
            url, body, policy = delivery.url, server_json(delivery.payload), self.settings
            number = len(delivery.attempts) + 1
        started, status, error = time.time(), None, None
        clock = time.monotonic()
        try:
            status = post(url, body, policy.timeout)
        except (OSError, http.client.HTTPException, ValueError) as exc:
            error = f"{type(exc).__name__}: {exc}"
        elapsed = (time.monotonic() - clock) * 1000
        ok = status is not None and 200 <= status < 300
        if not ok and error is None:
            error = f"HTTP {status}"
        with self._cond:
            delivery.attempts.append(Attempt(number, started, status, None if ok else error, elapsed))
            if ok:
                delivery.state = "delivered"
            elif number >= policy.attempts:
                delivery.state = "failed"
            else:
                self._schedule(delivery, time.monotonic() + policy.delay_before_retry(number))
            self.log.changed(delivery)

    # -- lifecycle ---------------------------------------------------------------------------
    @property
    def worker(self) -> threading.Thread | None:
        """The first running worker thread, if any (tests check the workers end on shutdown)."""
        return self._threads[0] if self._threads else None

    @property
    def workers(self) -> list[threading.Thread]:
        """The running worker threads (none before the first delivery and after :meth:`close`)."""
        return list(self._threads)

    def wait_idle(self, timeout: float = 10.0) -> bool:
        """Block until nothing is queued, held or in flight. False on timeout (tests use this)."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while self._queue or self._held or self._in_flight:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._cond.wait(timeout=left)
            return True

    def clear(self, where: Callable[[Delivery], bool] | None = None) -> None:
        """Forget deliveries, queued or logged: all of them, or those ``where`` picks (reset)."""
        with self._cond:
            if where is None:
                self._queue.clear()
                self._held.clear()
                self.log.clear()
            else:
                self.log.remove(where)
                self._queue = [job for job in self._queue if not where(job[2])]
                heapq.heapify(self._queue)
                self._held = [d for d in self._held if not where(d)]
            self._cond.notify_all()

    def close(self, timeout: float = 5.0) -> None:
        """Stop the workers (waiting at most ``timeout`` for the POSTs in flight); unsent deliveries
        are marked abandoned. Safe to call twice; a later delivery starts new workers."""
        with self._cond:
            for delivery in [job[2] for job in self._queue] + self._held:
                delivery.state = "abandoned"
                self.log.changed(delivery)
            self._queue.clear()
            self._held.clear()
            self._stop.set()
            self._cond.notify_all()
            threads, self._threads = self._threads, []
        deadline = time.monotonic() + timeout
        for thread in threads:
            thread.join(max(0.0, deadline - time.monotonic()))
