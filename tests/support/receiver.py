"""A real HTTP webhook receiver for tests: ``http.server`` on 127.0.0.1, a free port, one thread.

It records every POST (body, headers, arrival time) and can answer the first ``fail_first`` of
them with ``fail_status`` (the sender's retries), or hold every answer until the test calls
:meth:`Receiver.release` (a merchant that is slow to answer, with no clock involved).
:func:`refused_url` is a loopback URL that refuses every connection.
"""

from __future__ import annotations

import contextlib
import json
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

__all__ = ["Hit", "Receiver", "refused_url"]

#: the longest a held answer waits for release() (a test that forgets to release still ends)
HOLD_LIMIT = 30.0


@dataclass(frozen=True, slots=True)
class Hit:
    path: str
    raw: bytes
    headers: dict[str, str]
    at: float  # time.monotonic() on arrival
    answered: int

    @property
    def body(self) -> Any:
        return json.loads(self.raw)


class Receiver:
    """``with Receiver(fail_first=2) as rx: ... rx.url ... rx.wait_for(1)``."""

    def __init__(self, *, fail_first: int = 0, fail_status: int = 500, hold: bool = False) -> None:
        self.fail_first = fail_first
        self.fail_status = fail_status
        self._released = threading.Event()
        if not hold:
            self._released.set()
        self.hits: list[Hit] = []
        self._cond = threading.Condition()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                with receiver._cond:
                    failing = len(receiver.hits) < receiver.fail_first
                    status = receiver.fail_status if failing else 200
                    receiver.hits.append(Hit(self.path, raw, dict(self.headers.items()), time.monotonic(),
                                             status))
                    receiver._cond.notify_all()
                receiver._released.wait(HOLD_LIMIT)
                self.send_response(status)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, fmt: str, *args: Any) -> None:  # keep test output clean
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = False  # server_close() joins handler threads: nothing leaks
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                                        name="webhook-receiver", daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/hook"

    @property
    def delivered(self) -> list[Hit]:
        """Hits answered 2xx (what the merchant's handler would have processed)."""
        with self._cond:
            return [h for h in self.hits if 200 <= h.answered < 300]

    def release(self) -> None:
        """Let held answers (``hold=True``) go, now and from now on."""
        self._released.set()

    def wait_for(self, n: int, timeout: float = 10.0) -> list[Hit]:
        """Block until ``n`` hits (any answer) arrived; return them. AssertionError on timeout."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while len(self.hits) < n:
                left = deadline - time.monotonic()
                assert left > 0, f"expected {n} webhook hits, got {len(self.hits)}"
                self._cond.wait(left)
            return list(self.hits)

    def __enter__(self) -> Receiver:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()  # a held handler thread must not keep server_close() waiting
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(5)


@contextlib.contextmanager
def refused_url() -> Iterator[str]:
    """A loopback URL whose port is bound but never listens: every connection to it is refused,
    and no other program can take the port while the block runs (a closed server's port could)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        yield f"http://127.0.0.1:{sock.getsockname()[1]}/hook"
