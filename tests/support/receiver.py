"""A real HTTP webhook receiver for tests: ``http.server`` on 127.0.0.1, a free port, one thread.

It records every POST (body, headers, arrival time) and can answer the first ``fail_first`` of
them with ``fail_status``, or sleep before answering, to exercise the sender's retries.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

__all__ = ["Hit", "Receiver"]


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

    def __init__(self, *, fail_first: int = 0, fail_status: int = 500, answer_delay: float = 0.0) -> None:
        self.fail_first = fail_first
        self.fail_status = fail_status
        self.answer_delay = answer_delay
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
                if receiver.answer_delay:
                    time.sleep(receiver.answer_delay)
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
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(5)
