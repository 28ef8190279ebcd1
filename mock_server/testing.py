"""pytest plugin: a fresh Hesabe mock per test, over real HTTP or in-process.

Enable it with ``pytest_plugins = ["mock_server.testing"]`` in a root ``conftest.py``. Fixtures:

* ``hesabe_mock`` - a real uvicorn server on ``127.0.0.1`` (free port) in a thread, with a
  fresh in-memory store. Attributes: ``url``, ``runtime`` (the server's live state),
  ``control`` (:class:`~mock_server.control.MockControl`), ``client(**options)`` (a
  :class:`~hesabe_spec.client.HesabeClient` for the sandbox merchant, closed at teardown).
* ``hesabe_mock_inprocess`` - the same surface without sockets: requests go through
  :class:`hesabe_spec.client.ASGITransport` (from a loopback address, so the control plane answers).
* ``hesabe_browser`` - headless chromium (module scope) for driving the hosted payment pages with
  playwright: Debian's ``/usr/bin/chromium`` (or ``HESABE_CHROMIUM``), nothing downloaded; the
  test is skipped, saying why, when chromium or the playwright package is missing.
  ``hesabe_page``: a fresh tab of it per test (its own context: no cookies shared).
* ``hesabe_mock_shared`` - one uvicorn mock for the whole session (``hesabe_mock_session``) and a
  fresh merchant for each test (``POST /_mock/merchants``): ``client()`` is that merchant's, so
  tests never see each other's records, and a thousand tests start one server, not a thousand.
  The clock, faults and journal are the session's: reset only your merchant
  (``control.reset(handle.merchant_code)``), and prefer per-test data over moving the clock.

At teardown each fixture looks at the integration findings of the test's exchanges (what the
real server would accept but is probably a mistake: an unknown field, an empty value, a create
retried with the reference of one never answered...). An error-severity finding fails the test,
naming it. A reply sent at once goes only after its findings are recorded; a reply a fault
held back or dropped is recorded after, so over HTTP the check first waits (up to 30 s) for the
requests the server is still answering (:class:`InFlight` counts them).
``--hesabe-mock-findings=fail|warn|off`` (or ``HESABE_MOCK_FINDINGS``, or the
``hesabe_mock_findings`` ini option) changes that for a run, and
``@pytest.mark.hesabe_mock_findings("warn", ignore=["unknown_field"])`` for one test.

Outside pytest, :func:`running_mock` and :func:`inprocess_mock` are the context managers the
fixtures use. Everything they open (server thread, socket, sessions, clients) is closed on exit,
so suites running with ``-W error`` see no ResourceWarning.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import threading
import time
import warnings
from collections.abc import Iterable, Iterator
from typing import Any

import pytest

from hesabe_spec.client import ASGITransport, HesabeClient
from hesabe_spec.client.config import ClientConfig
from mock_server.app import create_app
from mock_server.control.client import MockControl
from mock_server.findings import ERROR
from mock_server.runtime import MockRuntime

__all__ = [
    "CHROMIUM_ARGS",
    "FINDINGS_MODES",
    "HesabeFindingsWarning",
    "InFlight",
    "MockHandle",
    "browser_missing",
    "hesabe_browser",
    "hesabe_mock",
    "hesabe_mock_inprocess",
    "hesabe_mock_session",
    "hesabe_mock_shared",
    "hesabe_page",
    "inprocess_mock",
    "running_mock",
    "serve_app",
]

_START_TIMEOUT = 10.0
#: the longest a findings check waits for the server to finish the requests it is answering
_IDLE_TIMEOUT = 30.0
#: the in-process base URL; any host works, this one says what it is
_INPROCESS_URL = "http://hesabe-mock.inprocess"


#: what a fixture does at teardown with an error-severity integration finding
FINDINGS_MODES = ("fail", "warn", "off")
_FINDINGS_MARKER = "hesabe_mock_findings"
_FINDINGS_ENV = "HESABE_MOCK_FINDINGS"


class HesabeFindingsWarning(UserWarning):
    """Error-severity integration findings, reported as a warning (``hesabe_mock_findings`` "warn")."""


class MockHandle:
    """One running mock: where it is, its state, its control plane and clients for it."""

    def __init__(self, url: str, app: Any, transport: Any = None,
                 identity: dict[str, str] | None = None, answering: InFlight | None = None) -> None:
        self.url = url
        self.app = app
        self._transport = transport
        #: the server's requests still being answered (over HTTP: a reply reaches the client before
        #: the pipeline's last steps, the findings log among them, have run)
        self._answering = answering
        #: the merchant ``client()`` uses (config fields); empty: the sandbox identity
        self.identity = dict(identity or {})
        self.control = MockControl(url, session=transport)
        self._clients: list[HesabeClient] = []
        self._default: HesabeClient | None = None

    @property
    def runtime(self) -> MockRuntime:
        """The server's live parts (store, clock, payments, journal, faults)."""
        runtime: MockRuntime = self.app.state.mock
        return runtime

    def client(self, **options: Any) -> HesabeClient:
        """A reference client for this handle's merchant (the sandbox's unless ``identity``), on this mock.

        ``options`` go to :class:`HesabeClient` (``max_retries``, ``sleep``, ``validate``...);
        config fields (``merchant_code``, ``timeout``...) override the sandbox identity.
        """
        fields = {k: options.pop(k) for k in list(options) if k in ClientConfig.__dataclass_fields__}
        config = ClientConfig(**{"base_url": self.url, **self.identity, **fields})
        if self._transport is not None:
            options.setdefault("transport", self._transport)
        client = HesabeClient(config, **options)
        self._clients.append(client)
        return client

    def create_invoice(self, client: HesabeClient | None = None, **fields: Any) -> dict[str, Any]:
        """Create a valid single URL invoice through the API (``fields`` override the defaults)."""
        values = {"amount": "15.000", "customer_name": "Test Customer", "mobile_number": "66666666",
                  "invoice_type": "0", "invoice_sub_type": "3", "allocate_pay_type": [1, 2],
                  "expires_at": "2099-12-31", "reference_number": "MOCK-1", **fields}
        created: dict[str, Any] = (client or self.default_client).create_invoice(**values)
        return created

    @property
    def merchant_code(self) -> str:
        """The merchant code ``client()`` uses."""
        return self.identity.get("merchant_code", ClientConfig().merchant_code)

    @property
    def default_client(self) -> HesabeClient:
        """A client made on first use and reused (closed with the handle)."""
        if self._default is None:
            self._default = self.client()
        return self._default

    def error_findings(self, ignore: Iterable[str] = ()) -> list[str]:
        """The error-severity integration findings so far, one line each (``ignore``: rule names);
        with an ``identity``, only those of its merchant (a shared mock serves many)."""
        if self._answering is not None:
            self._answering.wait_idle()
        skipped = set(ignore)
        merchant = self.merchant_code if self.identity else None
        return [f.describe() for f in self.runtime.findings.recent(ERROR, merchant)
                if f.finding.rule not in skipped]

    def check_findings(self, mode: str = "fail", ignore: Iterable[str] = ()) -> None:
        """Fail (or warn) when the exchanges so far produced an error-severity finding."""
        if mode not in FINDINGS_MODES:
            raise ValueError(f"findings mode must be one of {', '.join(FINDINGS_MODES)}, got {mode!r}")
        found = self.error_findings(ignore) if mode != "off" else []
        if not found:
            return
        message = (f"the Hesabe mock reported {len(found)} error-severity integration finding(s): the real "
                   "server would accept these requests, but not as meant:\n  " + "\n  ".join(found)
                   + "\n(each names the request's field; docs/findings.md says what each rule means; "
                   f"@pytest.mark.{_FINDINGS_MARKER}(\"warn\") or --hesabe-mock-findings=warn|off to let "
                   "them pass)")
        if mode == "warn":
            warnings.warn(HesabeFindingsWarning(message), stacklevel=2)
        else:
            pytest.fail(message, pytrace=False)

    def close(self) -> None:
        for client in self._clients:
            client.close()
        self._clients.clear()
        self.control.close()


def _free_socket(host: str) -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, 0))
    sock.listen(128)
    return sock


class InFlight:
    """An ASGI app counting the HTTP requests it has not finished answering.

    A server sends its reply before the app returns: the mock's pipeline records the exchange's
    findings (and journal entry) after the client already has its answer. :meth:`wait_idle` waits
    until every request that started has finished, so what the app records for the requests a
    test made is there to read.
    """

    def __init__(self, app: Any) -> None:
        self.app = app
        self._count = 0
        self._idle = threading.Condition()

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        with self._idle:
            self._count += 1
        try:
            await self.app(scope, receive, send)
        finally:
            with self._idle:
                self._count -= 1
                if not self._count:
                    self._idle.notify_all()

    def wait_idle(self, timeout: float = _IDLE_TIMEOUT) -> bool:
        """Block until no request is being answered (True), or ``timeout`` seconds passed (False: a
        reply held on purpose, such as a ``delay_reply`` fault, may outlast its client)."""
        with self._idle:
            return self._idle.wait_for(lambda: not self._count, timeout)


@contextlib.contextmanager
def serve_app(app: Any, host: str = "127.0.0.1") -> Iterator[str]:
    """Serve any ASGI ``app`` with uvicorn in a daemon thread; yield its base URL until the block ends."""
    import uvicorn

    from mock_server.serving import uvicorn_config

    sock = _free_socket(host)
    config = uvicorn_config(app, log_level="critical", access_log=False, lifespan="on",
                            timeout_graceful_shutdown=2)
    server = uvicorn.Server(config)
    # Not the main thread: uvicorn installs no signal handlers, so the test runner keeps Ctrl-C.
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, name="hesabe-mock", daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + _START_TIMEOUT
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the Hesabe mock did not start")
            time.sleep(0.005)
        yield f"http://{host}:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join(10)
        sock.close()


@contextlib.contextmanager
def running_mock(host: str = "127.0.0.1", **app_options: Any) -> Iterator[MockHandle]:
    """Serve ``create_app(**app_options)`` over real HTTP until the block ends."""
    app = create_app(**app_options)
    answering = InFlight(app)
    with serve_app(answering, host) as url:
        handle = MockHandle(url, app, answering=answering)
        try:
            yield handle
        finally:
            handle.close()


@contextlib.contextmanager
def inprocess_mock(**app_options: Any) -> Iterator[MockHandle]:
    """The same handle as :func:`running_mock`, served through an in-process ASGI transport."""
    app = create_app(**app_options)
    transport = ASGITransport(app, lifespan=True)
    handle = MockHandle(_INPROCESS_URL, app, transport)
    try:
        yield handle
    finally:
        handle.close()
        transport.close()


def pytest_addoption(parser: pytest.Parser) -> None:
    help_text = ("what the hesabe_mock fixtures do at teardown when the test's exchanges produced an "
                 "error-severity integration finding: fail (default), warn or off")
    parser.addini(_FINDINGS_MARKER, help_text, default="")
    parser.addoption("--hesabe-mock-findings", choices=FINDINGS_MODES, default=None, help=help_text)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", f"{_FINDINGS_MARKER}(mode, ignore=()): fail, warn or off at "
                                       "teardown on the mock's error-severity integration findings (the "
                                       "rules in ignore pass)")


def findings_policy(request: pytest.FixtureRequest) -> tuple[str, tuple[str, ...]]:
    """(mode, ignored rules) for this test: its marker, else the command line, the environment, the
    ini option, else "fail"."""
    marker = request.node.get_closest_marker(_FINDINGS_MARKER)
    ignore = tuple(marker.kwargs.get("ignore", ())) if marker else ()
    if marker and marker.args:
        return str(marker.args[0]), ignore
    config = request.config
    with contextlib.suppress(ValueError, AttributeError):  # the plugin may have been loaded late
        if config.getoption("--hesabe-mock-findings"):
            return str(config.getoption("--hesabe-mock-findings")), ignore
    if os.environ.get(_FINDINGS_ENV):
        return os.environ[_FINDINGS_ENV], ignore
    with contextlib.suppress(ValueError):
        if config.getini(_FINDINGS_MARKER):
            return str(config.getini(_FINDINGS_MARKER)), ignore
    return "fail", ignore


@pytest.fixture
def hesabe_mock(request: pytest.FixtureRequest) -> Iterator[MockHandle]:
    """A fresh mock over real HTTP on 127.0.0.1 (its own port and in-memory store)."""
    with running_mock() as handle:
        yield handle
        handle.check_findings(*findings_policy(request))


@pytest.fixture
def hesabe_mock_inprocess(request: pytest.FixtureRequest) -> Iterator[MockHandle]:
    """A fresh mock answered in-process (no sockets), same surface as ``hesabe_mock``."""
    with inprocess_mock() as handle:
        yield handle
        handle.check_findings(*findings_policy(request))


#: what a closed network needs; playwright itself adds --headless, --no-sandbox and a fresh profile
CHROMIUM_ARGS = [
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def _chromium() -> str:
    return os.environ.get("HESABE_CHROMIUM", "/usr/bin/chromium")


def browser_missing() -> str | None:
    """Why headless chromium cannot run here, or None when it can."""
    chromium = _chromium()
    if not (os.access(chromium, os.X_OK) or shutil.which(chromium)):
        return f"chromium not found at {chromium}: run `make browser-deps` (Debian package chromium)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "the playwright package is not installed: run `make browser-deps` (pip install '.[browser]')"
    return None


# Module scope, not session: playwright's sync API keeps an event loop running on the main
# thread while it is open, and any later test calling asyncio.run() would fail beside it.
@pytest.fixture(scope="module")
def hesabe_browser() -> Iterator[Any]:
    """Headless chromium (a playwright ``Browser``), or the test skipped with the reason."""
    reason = browser_missing()
    if reason:
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=_chromium(), headless=True, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def hesabe_page(hesabe_browser: Any) -> Iterator[Any]:
    """A new tab in its own context (English, 820x1000), 10 s to wait for anything."""
    context = hesabe_browser.new_context(viewport={"width": 820, "height": 1000}, locale="en-US")
    try:
        tab = context.new_page()
        tab.set_default_timeout(10_000)
        yield tab
    finally:
        context.close()
#: the merchant fields of ``POST /_mock/merchants`` that a ClientConfig takes, by the same names
_IDENTITY = ("merchant_code", "access_code", "secret_key", "iv_key", "username", "password")


@pytest.fixture(scope="session")
def hesabe_mock_session() -> Iterator[MockHandle]:
    """One mock over real HTTP for the whole session (what ``hesabe_mock_shared`` runs on)."""
    with running_mock() as handle:
        yield handle


@pytest.fixture
def hesabe_mock_shared(hesabe_mock_session: MockHandle,
                       request: pytest.FixtureRequest) -> Iterator[MockHandle]:
    """The session's mock, as a merchant made for this test alone (its own keys and records)."""
    made = hesabe_mock_session.control.create_merchant()
    identity = {name: str(made["merchant"][name]) for name in _IDENTITY}
    handle = MockHandle(hesabe_mock_session.url, hesabe_mock_session.app, identity=identity,
                        answering=hesabe_mock_session._answering)
    try:
        yield handle
        handle.check_findings(*findings_policy(request))  # this test's merchant's findings only
    finally:
        handle.close()
