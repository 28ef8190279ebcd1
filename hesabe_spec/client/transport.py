"""The transport seam: anything shaped like ``requests.Session.request``, plus an in-process ASGI one.

The client only ever calls ``transport.request(method, url, headers=, data=, params=, timeout=,
allow_redirects=False)`` and reads ``status_code``, ``headers`` and ``content`` from the answer,
so a ``requests.Session``, a test double, or :class:`ASGITransport` all fit.

:class:`ASGITransport` runs an ASGI app on a private event loop and talks the ASGI protocol to
it directly: no socket, no starlette, no httpx. The loop runs on the caller's own thread while it
can (plain sync code, one call at a time: no thread hop, no wake-up, the lowest latency); the
first time a call comes from a thread that already runs an event loop, or while another thread
is inside a call, the loop moves to a background thread for good. So it works the same from
plain sync code, from many threads at once, and from code running inside an event loop.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import threading
from collections.abc import Awaitable, Callable, Mapping, MutableMapping
from dataclasses import dataclass, field
from typing import Any, Protocol
from urllib.parse import unquote, urlencode, urlsplit

import requests
from requests.structures import CaseInsensitiveDict

__all__ = ["ASGIResponse", "ASGITransport", "HTTPResponse", "Transport"]

Receive = Callable[[], Awaitable[Any]]
Send = Callable[[Any], Awaitable[None]]
ASGIApp = Callable[[MutableMapping[str, Any], Receive, Send], Awaitable[None]]


class HTTPResponse(Protocol):
    """What the client reads from a transport's answer (``requests.Response`` fits)."""

    @property
    def status_code(self) -> int: ...

    @property
    def headers(self) -> Mapping[str, str]: ...

    @property
    def content(self) -> bytes: ...


class Transport(Protocol):
    """What the client calls on a transport: the keywords it passes, no others. A
    ``requests.Session`` fits as it is (``client = HesabeClient(..., transport=session)`` type-checks
    without a cast), and so do :class:`ASGITransport` and a test double with this signature."""

    def request(self, method: str, url: str, *, headers: Mapping[str, str] | None = None,
                data: bytes | None = None, params: Mapping[str, str] | None = None,
                timeout: float | None = None, allow_redirects: bool = True) -> HTTPResponse: ...


@dataclass(frozen=True, slots=True)
class ASGIResponse:
    """A ``requests.Response``-like answer from :class:`ASGITransport`."""

    status_code: int
    headers: CaseInsensitiveDict[str] = field(repr=False)
    content: bytes = field(repr=False)
    url: str = ""

    @property
    def text(self) -> str:
        return self.content.decode("utf-8", errors="replace")

    def json(self) -> Any:
        import json

        return json.loads(self.content)


class ASGITransport:
    """Call an ASGI ``app`` in-process, answering like ``requests.Session.request``.

    ``lifespan=True`` runs the app's startup on first use and its shutdown in :meth:`close`;
    the default skips it (a Hesabe request needs no startup). Exceptions raised by the app
    propagate to the caller (``raise_app_exceptions=True``) or become a bare 500.
    Use as a context manager, or call :meth:`close`, to stop the background loop.
    """

    def __init__(
        self,
        app: ASGIApp,
        *,
        lifespan: bool = False,
        raise_app_exceptions: bool = True,
        client: tuple[str, int] = ("127.0.0.1", 50000),
    ) -> None:
        self.app = app
        self._lifespan = lifespan
        self._raise = raise_app_exceptions
        self._client = client
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._guard = threading.Lock()
        #: held by whichever thread is running the loop on its own stack
        self._runner = threading.Lock()
        self._state: dict[str, Any] = {}
        self._lifespan_task: asyncio.Task[None] | None = None
        self._lifespan_queue: asyncio.Queue[dict[str, Any]] | None = None

    def __enter__(self) -> ASGITransport:
        self._ensure_loop()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"ASGITransport(app={self.app!r}, lifespan={self._lifespan})"

    # -- requests.Session-compatible surface -------------------------------------------------

    def request(
        self,
        method: str,
        url: str,
        *,
        headers: Mapping[str, str] | None = None,
        data: bytes | str | None = None,
        json: Any = None,
        params: Mapping[str, Any] | None = None,
        timeout: float | tuple[float, float] | None = None,
        allow_redirects: bool = True,
        **_ignored: Any,
    ) -> ASGIResponse:
        """Send one request to the app. Redirects are returned, never followed."""
        body = _body_bytes(data, json)
        hdrs = dict(headers or {})
        if json is not None and not any(k.lower() == "content-type" for k in hdrs):
            hdrs["Content-Type"] = "application/json"
        wait = max(timeout) if isinstance(timeout, tuple) else timeout
        if self._thread is None and not _in_running_loop() and self._runner.acquire(blocking=False):
            try:
                if self._thread is None:  # still ours to run here
                    return self._run_here(self._handle(method, url, hdrs, body, params), wait, method, url)
            finally:
                self._runner.release()
        loop = self._background_loop()
        future = asyncio.run_coroutine_threadsafe(self._handle(method, url, hdrs, body, params), loop)
        try:
            return future.result(wait)
        except concurrent.futures.TimeoutError:
            future.cancel()
            raise _timeout(method, url, wait) from None

    def _run_here(self, coro: Any, wait: float | None, method: str, url: str) -> ASGIResponse:
        """Run one exchange on the caller's thread (the runner lock is held)."""
        try:
            loop = self._ensure_loop()
        except BaseException:
            coro.close()
            raise
        task = loop.create_task(coro)
        timer = loop.call_later(wait, task.cancel) if wait else None
        try:
            response: ASGIResponse = loop.run_until_complete(task)
            return response
        except asyncio.CancelledError:
            raise _timeout(method, url, wait) from None
        finally:
            if timer is not None:
                timer.cancel()

    def close(self) -> None:
        """Run the lifespan shutdown (if started) and stop the loop (and its thread, if any)."""
        with self._runner, self._guard:
            loop, thread = self._loop, self._thread
            self._loop = self._thread = None
            if loop is None:
                return
            task, queue = self._lifespan_task, self._lifespan_queue
            self._lifespan_task = self._lifespan_queue = None
            if thread is None:
                self._close_here(loop, task, queue)
                return
        # Shutdown is best effort: whatever the app does, the loop must still stop.
        with contextlib.suppress(Exception):
            if task is not None and queue is not None and not task.done():
                asyncio.run_coroutine_threadsafe(queue.put({"type": "lifespan.shutdown"}), loop).result(10)
                asyncio.run_coroutine_threadsafe(_wait_for(task), loop).result(10)
        with contextlib.suppress(Exception):
            asyncio.run_coroutine_threadsafe(_cancel_pending(), loop).result(10)
        # on the loop's own thread: the caller's may be running an event loop of its own
        with contextlib.suppress(Exception):
            asyncio.run_coroutine_threadsafe(loop.shutdown_asyncgens(), loop).result(10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join()
        loop.close()

    @staticmethod
    def _close_here(loop: asyncio.AbstractEventLoop, task: Any, queue: Any) -> None:
        _outside_any_loop(ASGITransport._stop_loop, loop, task, queue)

    @staticmethod
    def _stop_loop(loop: asyncio.AbstractEventLoop, task: Any, queue: Any) -> None:
        with contextlib.suppress(Exception):
            if task is not None and queue is not None and not task.done():
                loop.run_until_complete(queue.put({"type": "lifespan.shutdown"}))
                loop.run_until_complete(asyncio.wait_for(_wait_for(task), 10))
        with contextlib.suppress(Exception):
            loop.run_until_complete(_cancel_pending())
        loop.run_until_complete(loop.shutdown_asyncgens())
        loop.close()

    # -- internals ---------------------------------------------------------------------------

    def _ensure_loop(self) -> asyncio.AbstractEventLoop:
        """The private loop, created (and the app started) on first use; not running anywhere."""
        with self._guard:
            if self._loop is None:
                loop = asyncio.new_event_loop()
                if self._lifespan:
                    try:
                        self._start_lifespan(loop)
                    except BaseException:
                        self._close_here(loop, self._lifespan_task, None)
                        self._lifespan_task = self._lifespan_queue = None
                        raise
                self._loop = loop
            return self._loop

    def _background_loop(self) -> asyncio.AbstractEventLoop:
        """The loop, running in the background thread from now on (started here if need be)."""
        with self._runner:  # wait for a call running on another thread's stack to finish
            loop = self._ensure_loop()
            with self._guard:
                if self._thread is None:
                    thread = threading.Thread(target=loop.run_forever, name="hesabe-asgi", daemon=True)
                    thread.start()
                    self._thread = thread
            return loop

    def _start_lifespan(self, loop: asyncio.AbstractEventLoop) -> None:
        """Start the app's lifespan on ``loop`` (not running) and wait for its startup."""

        async def start() -> None:
            started: asyncio.Future[None] = loop.create_future()
            queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
            self._lifespan_queue = queue
            await queue.put({"type": "lifespan.startup"})

            async def send(message: Any) -> None:
                kind = message["type"]
                if kind.startswith("lifespan.startup.") and not started.done():
                    if kind.endswith("failed"):
                        started.set_exception(RuntimeError(f"ASGI startup failed: {message.get('message')}"))
                    else:
                        started.set_result(None)

            async def run() -> None:
                scope = {"type": "lifespan", "asgi": {"version": "3.0"}, "state": self._state}
                # An app without lifespan support raises here; the spec says to carry on without it.
                with contextlib.suppress(Exception):
                    await self.app(scope, queue.get, send)
                if not started.done():
                    started.set_result(None)

            self._lifespan_task = loop.create_task(run())
            await asyncio.wait_for(started, 10)

        _outside_any_loop(lambda: loop.run_until_complete(start()))

    async def _handle(
        self, method: str, url: str, headers: Mapping[str, str], body: bytes, params: Mapping[str, Any] | None
    ) -> ASGIResponse:
        parts = urlsplit(url)
        query = parts.query
        if params:
            extra = _urlencode(params)
            query = f"{query}&{extra}" if query else extra
        host = parts.hostname or "testserver"
        port = parts.port or (443 if parts.scheme == "https" else 80)
        raw_headers = [(b"host", (parts.netloc or host).encode("latin-1"))]
        raw_headers += [(k.lower().encode("latin-1"), str(v).encode("latin-1")) for k, v in headers.items()]
        if body or method.upper() not in ("GET", "HEAD"):
            raw_headers.append((b"content-length", str(len(body)).encode()))
        scope = {
            "type": "http",
            "asgi": {"version": "3.0", "spec_version": "2.3"},
            "http_version": "1.1",
            "method": method.upper(),
            "scheme": parts.scheme or "http",
            "path": unquote(parts.path or "/"),
            "raw_path": (parts.path or "/").encode("latin-1"),
            "query_string": query.encode("latin-1"),
            "root_path": "",
            "headers": raw_headers,
            "client": self._client,
            "server": (host, port),
            "state": dict(self._state),
        }
        return await _exchange(self.app, scope, body, url, self._raise)


def _urlencode(params: Mapping[str, Any]) -> str:
    """``urlencode`` of the non-None params; letters and digits (a ``data`` hex) need no quoting."""
    pairs = [(k, v) for k, v in params.items() if v is not None]
    if all(isinstance(k, str) and isinstance(v, str) and k.isascii() and k.isalnum() and v.isascii()
           and v.isalnum() for k, v in pairs):
        return "&".join(f"{k}={v}" for k, v in pairs)
    return urlencode(pairs, doseq=True)


def _in_running_loop() -> bool:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


def _outside_any_loop(fn: Callable[..., Any], *args: Any) -> Any:
    """``fn(*args)`` on this thread, or on a helper thread when this one is running an event loop
    (which forbids running another loop here)."""
    if not _in_running_loop():
        return fn(*args)
    with concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="hesabe-asgi") as pool:
        return pool.submit(fn, *args).result()


def _timeout(method: str, url: str, wait: float | None) -> requests.exceptions.ReadTimeout:
    return requests.exceptions.ReadTimeout(f"ASGI app gave no answer to {method} {url} in {wait}s")


async def _wait_for(task: Any) -> None:
    await task


async def _cancel_pending() -> None:
    """Cancel what is still running (a request that timed out) so the loop closes cleanly."""
    tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
    for t in tasks:
        t.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)


def _body_bytes(data: bytes | str | None, json_body: Any) -> bytes:
    if data is not None:
        return data.encode("utf-8") if isinstance(data, str) else bytes(data)
    if json_body is not None:
        import json

        return json.dumps(json_body, separators=(",", ":")).encode("utf-8")
    return b""


async def _exchange(
    app: ASGIApp, scope: dict[str, Any], body: bytes, url: str, reraise: bool
) -> ASGIResponse:
    """One ASGI HTTP exchange: feed ``body``, collect the response start and body chunks."""
    sent_body = False
    done = asyncio.Event()
    start: dict[str, Any] = {}
    chunks: list[bytes] = []

    async def receive() -> dict[str, Any]:
        nonlocal sent_body
        if not sent_body:
            sent_body = True
            return {"type": "http.request", "body": body, "more_body": False}
        # Only a client that goes away sends more; ours waits for the answer, then leaves.
        await done.wait()
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            start.update(message)
        elif message["type"] == "http.response.body":
            chunks.append(bytes(message.get("body", b"")))
            if not message.get("more_body", False):
                done.set()

    try:
        await app(scope, receive, send)
    except Exception:
        if reraise:
            raise
        if not start:
            start = {"status": 500, "headers": []}
            chunks = [b"Internal Server Error"]
    finally:
        done.set()
    if not start:
        raise RuntimeError(f"ASGI app returned without starting a response for {url}")
    headers: CaseInsensitiveDict[str] = CaseInsensitiveDict()
    for key, value in start.get("headers", []):
        name, text = key.decode("latin-1"), value.decode("latin-1")
        # Repeated headers are joined the way requests/urllib3 present them.
        headers[name] = f"{headers[name]}, {text}" if name in headers else text
    return ASGIResponse(int(start["status"]), headers, b"".join(chunks), url)
