"""pytest plugin: a fresh Hesabe mock per test, over real HTTP or in-process.

Enable it with ``pytest_plugins = ["mock_server.testing"]`` in a root ``conftest.py``. Fixtures:

* ``hesabe_mock`` - a real uvicorn server on ``127.0.0.1`` (free port) in a thread, with a
  fresh in-memory store. Attributes: ``url``, ``runtime`` (the server's live state),
  ``control`` (:class:`~mock_server.control.MockControl`), ``client(**options)`` (a
  :class:`~hesabe_spec.client.HesabeClient` for the sandbox merchant, closed at teardown).
* ``hesabe_mock_inprocess`` - the same surface without sockets: requests go through
  :class:`hesabe_spec.client.ASGITransport` (from a loopback address, so the control plane answers).
* ``hesabe_mock_shared`` - one uvicorn mock for the whole session (``hesabe_mock_session``) and a
  fresh merchant for each test (``POST /_mock/merchants``): ``client()`` is that merchant's, so
  tests never see each other's records, and a thousand tests start one server, not a thousand.
  The clock, faults and journal are the session's: reset only your merchant
  (``control.reset(handle.merchant_code)``), and prefer per-test data over moving the clock.

Outside pytest, :func:`running_mock` and :func:`inprocess_mock` are the context managers the
fixtures use. Everything they open (server thread, socket, sessions, clients) is closed on exit,
so suites running with ``-W error`` see no ResourceWarning.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest

from hesabe_spec.client import ASGITransport, HesabeClient
from hesabe_spec.client.config import ClientConfig
from mock_server.app import create_app
from mock_server.control.client import MockControl
from mock_server.runtime import MockRuntime

__all__ = [
    "MockHandle",
    "hesabe_mock",
    "hesabe_mock_inprocess",
    "hesabe_mock_session",
    "hesabe_mock_shared",
    "inprocess_mock",
    "running_mock",
    "serve_app",
]

_START_TIMEOUT = 10.0
#: the in-process base URL; any host works, this one says what it is
_INPROCESS_URL = "http://hesabe-mock.inprocess"


class MockHandle:
    """One running mock: where it is, its state, its control plane and clients for it."""

    def __init__(self, url: str, app: Any, transport: Any = None,
                 identity: dict[str, str] | None = None) -> None:
        self.url = url
        self.app = app
        self._transport = transport
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
    with serve_app(app, host) as url:
        handle = MockHandle(url, app)
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


@pytest.fixture
def hesabe_mock() -> Iterator[MockHandle]:
    """A fresh mock over real HTTP on 127.0.0.1 (its own port and in-memory store)."""
    with running_mock() as handle:
        yield handle


@pytest.fixture
def hesabe_mock_inprocess() -> Iterator[MockHandle]:
    """A fresh mock answered in-process (no sockets), same surface as ``hesabe_mock``."""
    with inprocess_mock() as handle:
        yield handle


#: the merchant fields of ``POST /_mock/merchants`` that a ClientConfig takes, by the same names
_IDENTITY = ("merchant_code", "access_code", "secret_key", "iv_key", "username", "password")


@pytest.fixture(scope="session")
def hesabe_mock_session() -> Iterator[MockHandle]:
    """One mock over real HTTP for the whole session (what ``hesabe_mock_shared`` runs on)."""
    with running_mock() as handle:
        yield handle


@pytest.fixture
def hesabe_mock_shared(hesabe_mock_session: MockHandle) -> Iterator[MockHandle]:
    """The session's mock, as a merchant made for this test alone (its own keys and records)."""
    made = hesabe_mock_session.control.create_merchant()
    identity = {name: str(made["merchant"][name]) for name in _IDENTITY}
    handle = MockHandle(hesabe_mock_session.url, hesabe_mock_session.app, identity=identity)
    try:
        yield handle
    finally:
        handle.close()
