"""drop_connection closes the client's socket unanswered, through the mock's own server protocol."""

from __future__ import annotations

import logging
import socket
import threading
import time
from collections.abc import Iterator

import pytest
import requests
import uvicorn

from hesabe_spec.sandbox import SANDBOX
from mock_server.app import create_app
from mock_server.serving import uvicorn_config


@pytest.fixture
def served(caplog: pytest.LogCaptureFixture) -> Iterator[str]:
    caplog.set_level(logging.INFO)
    # log_config=None: uvicorn's records reach the root logger, where caplog sees them
    server = uvicorn.Server(uvicorn_config(create_app(), host="127.0.0.1", port=0, log_config=None,
                                           lifespan="off"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.01)
    yield f"http://127.0.0.1:{server.servers[0].sockets[0].getsockname()[1]}"
    server.should_exit = True
    thread.join(10)


def _login(base: str) -> requests.Response:
    return requests.post(f"{base}/api/v1/login", json={"username": SANDBOX.username,
                                                       "password": SANDBOX.password}, timeout=5)


def test_the_socket_closes_with_no_byte_and_the_server_logs_no_error(
        served: str, caplog: pytest.LogCaptureFixture) -> None:
    requests.post(f"{served}/_mock/faults", json={"kind": "drop_connection", "times": 1}, timeout=5)
    host, port = served.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=5) as sock:
        sock.sendall(b"POST /api/v1/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                     b"Content-Length: 2\r\n\r\n{}")
        assert sock.recv(1024) == b""  # closed by the server without a status line
    assert _login(served).status_code == 200  # times=1: the next request is answered
    problems = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert problems == [], [r.getMessage() for r in problems]


def test_the_client_sees_a_connection_error(served: str) -> None:
    requests.post(f"{served}/_mock/faults", json={"kind": "drop_connection", "times": 1}, timeout=5)
    with pytest.raises(requests.ConnectionError):
        _login(served)
