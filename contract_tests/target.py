"""Where the suite sends its requests: a mock it starts itself, or any URL it is given.

Choice of target (first match wins):

1. ``--hesabe-url URL``                         -> that server, as a *live* target
2. ``--hesabe-mock inprocess|process`` (explicit) -> a mock the suite starts
3. ``HESABE_MERCHANT_API_URL`` in the environment -> that server, as a *live* target
4. otherwise                                     -> an in-process mock

Dependency rule: ``contract_tests`` never imports ``mock_server`` at module level. Starting an
in-process mock is the one code path that does, lazily, inside :func:`start_inprocess_mock`; the
process mode spawns the ``hesabe-mock`` console script and talks HTTP to it like to any server.
So the suite still runs (against a URL) where ``mock_server`` is not installed.

Credentials: a URL target uses the ``HESABE_*`` variables (defaults: the public sandbox identity);
a mock the suite starts always uses the sandbox identity, because that is the merchant the mock
knows out of the box.
"""

from __future__ import annotations

import json
import os
import queue
import re
import shutil
import subprocess
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import requests

from contract_tests.errors import CapabilityMissing, TargetUnavailable
from hesabe_spec.client.config import ENV_VARS, ClientConfig
from hesabe_spec.operations import OPERATIONS
from hesabe_spec.sandbox import SANDBOX

__all__ = ["Target", "TargetKind", "resolve_target", "start_inprocess_mock", "start_process_mock"]

TargetKind = Literal["inprocess", "process", "url"]

#: the base URL given to the in-process mock; nothing resolves it, the ASGI transport never dials
INPROCESS_URL = "http://hesabe-mock.inprocess"
_LISTENING = re.compile(r"Hesabe mock listening on (https?://\S+)")
_START_TIMEOUT = 30.0
#: the ClientConfig fields a merchant of the mock's ``/_mock/merchants`` carries, by the same names
_IDENTITY_FIELDS = ("merchant_code", "access_code", "secret_key", "iv_key", "username", "password")


@dataclass
class Target:
    """One server under test and how to reach it.

    ``live`` is true for a URL the user gave: the suite is then gentle (see ``docs/contract-
    suite.md``). ``own`` is true when the suite started the mock itself, which alone allows it to
    reset state there.
    """

    kind: TargetKind
    base_url: str
    config: ClientConfig
    transport: Any
    #: move the server's clock forward by N seconds (None when the target offers no clock)
    advance_clock: Callable[[float], None] | None = None
    #: set when the suite runs as a merchant the target created for it (``POST /_mock/merchants``)
    own_merchant: bool = False
    #: where a URL target's address came from (an option, or HESABE_MERCHANT_API_URL)
    origin: str = ""
    _closers: list[Callable[[], None]] = field(default_factory=list, repr=False)

    @property
    def live(self) -> bool:
        return self.kind == "url"

    @property
    def own(self) -> bool:
        return self.kind != "url"

    def describe(self) -> str:
        where = {"inprocess": "in-process mock", "process": "hesabe-mock subprocess", "url": "live URL"}
        mine = f", own merchant {self.config.merchant_code}" if self.own_merchant else ""
        return f"{where[self.kind]} at {self.base_url}{mine}"

    def control_url(self, path: str) -> str:
        """A URL of the mock's ``/_mock/`` control plane on this target."""
        return f"{self.base_url}/_mock/{path.lstrip('/')}"

    def control(self, method: str, path: str, body: Any = None) -> tuple[int, Any]:
        """Call the control plane (plain JSON); ``(status, parsed body or None)``."""
        data = None if body is None else json.dumps(body).encode()
        resp = self.transport.request(
            method,
            self.control_url(path),
            data=data,
            headers={"Content-Type": "application/json", "Accept": "application/json"},
            timeout=self.config.timeout,
            allow_redirects=False,
        )
        try:
            parsed = resp.json() if resp.content else None
        except ValueError:
            parsed = None
        return int(resp.status_code), parsed

    def clock_forward(self, seconds: float) -> None:
        """Advance the server clock (in-process handle, else ``/_mock/clock``), or raise."""
        if self.advance_clock is not None:
            self.advance_clock(seconds)
            return
        if self.own:
            status, _ = self.control("POST", "clock", {"advance": seconds})
            if 200 <= status < 300:
                return
        if not self.own:
            raise CapabilityMissing("the suite never moves the clock of a server it did not start (a "
                                    "--url target may be shared); --hesabe-mock=process starts one it may")
        raise CapabilityMissing("this mock offers no clock to move (needs the mock's /_mock/clock)")

    def adopt_fresh_merchant(self) -> bool:
        """Switch to a new merchant made by the mock's ``POST /_mock/merchants``.

        False (nothing changed) when the target has no such endpoint, like the real sandbox.
        """
        try:
            status, body = self.control("POST", "merchants", {})
        except requests.RequestException:
            return False
        merchant = body.get("merchant") if status == 201 and isinstance(body, dict) else None
        if not isinstance(merchant, dict):
            return False
        given = {name: str(merchant[name]) for name in _IDENTITY_FIELDS if name in merchant}
        self.config = self.config.with_changes(
            merchant_code=given.get("merchant_code"), access_code=given.get("access_code"),
            secret_key=given.get("secret_key"), iv_key=given.get("iv_key"), username=given.get("username"),
            password=given.get("password"),
        )
        self.own_merchant = True
        return True

    def close(self) -> None:
        while self._closers:
            self._closers.pop()()

    def probe(self) -> str | None:
        """Why this target cannot be tested, in one line, or None: one login, before any test, so
        that a URL where nothing listens, a server that is not Hesabe's or credentials it refuses
        stop the run at once instead of failing every test in turn."""
        url = self.config.base_url.rstrip("/") + OPERATIONS["login"].path
        try:
            resp = self.transport.request("POST", url, json={"username": self.config.username,
                                                             "password": self.config.password},
                                          headers={"Accept": "application/json"}, timeout=self.config.timeout)
        except requests.RequestException as exc:
            told = ""
            if self.origin == _ENV_URL:
                told = (f" (the URL is {_ENV_URL}'s: unset it, or pass --hesabe-mock inprocess, to test "
                        "a mock the suite starts)")
            return f"nothing answers at {self.base_url}: {type(exc).__name__}{told}"
        try:
            body = resp.json()
        except ValueError:
            body = None
        if not isinstance(body, dict) or ("status" not in body and "message" not in body):
            kind = resp.headers.get("content-type", "no content type").split(";")[0]
            return (f"{self.base_url} does not answer like Hesabe: HTTP {resp.status_code} {kind} "
                    f"to POST {OPERATIONS['login'].path}")
        if resp.status_code >= 400 or body.get("status") is False:
            said = body.get("message")
            return (f"{self.base_url} refused the login of {self.config.username!r} "
                    f"(HESABE_MERCHANT_USERNAME / _PASSWORD): HTTP {resp.status_code} {said!r}")
        return None


#: the variable a URL target may come from (the reference client's own)
_ENV_URL = ENV_VARS["base_url"]


def resolve_target(url: str | None, mock_mode: str | None, environ: dict[str, str] | None = None) -> Target:
    """Pick and start the target by the precedence in the module docstring."""
    env = dict(os.environ if environ is None else environ)
    if url:
        return url_target(url, env)
    if mock_mode:
        return start_process_mock() if mock_mode == "process" else start_inprocess_mock()
    if env.get(_ENV_URL):
        return url_target(env[_ENV_URL], env, origin=_ENV_URL)
    return start_inprocess_mock()


def url_target(url: str, environ: dict[str, str], origin: str = "--hesabe-url") -> Target:
    config = ClientConfig.from_env(environ, base_url=url)
    session = requests.Session()
    target = Target("url", config.base_url, config, session, origin=origin)
    target._closers.append(session.close)
    return target


def _mock_config(base_url: str) -> ClientConfig:
    # Not from_env: the mock knows the sandbox merchant, whatever HESABE_* says.
    return ClientConfig(
        base_url=base_url,
        merchant_code=SANDBOX.merchant_code,
        access_code=SANDBOX.access_code,
        secret_key=SANDBOX.secret_key,
        iv_key=SANDBOX.iv_key,
        username=SANDBOX.username,
        password=SANDBOX.password,
        timeout=30.0,
    )


def start_inprocess_mock() -> Target:
    """Build the mock app in this process and reach it through the client's ASGI transport."""
    try:
        # Lazy on purpose: the only import of mock_server in contract_tests (dependency rule).
        from mock_server.app import create_app
        from mock_server.clock import Clock
    except ModuleNotFoundError as exc:  # installed without the [mock] extra
        raise TargetUnavailable(f"no mock to start in-process: {exc}; or pass --hesabe-url URL") from exc
    from hesabe_spec.client import ASGITransport

    clock = Clock()
    # lifespan=True: closing the target runs the app's shutdown, which stops its webhook worker.
    transport = ASGITransport(create_app(clock=clock), lifespan=True)
    target = Target(
        "inprocess", INPROCESS_URL, _mock_config(INPROCESS_URL), transport, advance_clock=clock.advance
    )
    target._closers.append(transport.close)
    return target


def _mock_command() -> list[str]:
    script = Path(sys.executable).with_name("hesabe-mock")
    if script.exists():
        return [str(script)]
    found = shutil.which("hesabe-mock")
    if found:
        return [found]
    raise TargetUnavailable("the hesabe-mock console script is not installed")


def start_process_mock(timeout: float = _START_TIMEOUT) -> Target:
    """Spawn ``hesabe-mock --port 0`` and read the URL from its one start-up line."""
    proc = subprocess.Popen(
        [*_mock_command(), "--host", "127.0.0.1", "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    lines: queue.Queue[str | None] = queue.Queue()

    def drain() -> None:
        # Keep reading for the process's whole life so a chatty log can never fill the pipe.
        assert proc.stdout is not None
        for line in proc.stdout:
            lines.put(line)
        lines.put(None)

    reader = threading.Thread(target=drain, name="hesabe-mock-stdout", daemon=True)
    reader.start()
    seen: list[str] = []
    url = None
    while url is None:
        try:
            line = lines.get(timeout=timeout)
        except queue.Empty:
            line = None
        if line is None:
            proc.kill()
            proc.wait()
            reader.join(5)
            if proc.stdout is not None:
                proc.stdout.close()
            raise TargetUnavailable(f"hesabe-mock printed no URL; output: {''.join(seen)[-500:]!r}")
        seen.append(line)
        match = _LISTENING.search(line)
        url = match.group(1) if match else None
    session = requests.Session()
    target = Target("process", url.rstrip("/"), _mock_config(url), session)

    def stop() -> None:
        session.close()
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:  # pragma: no cover - uvicorn ignores SIGTERM only when stuck
            proc.kill()
            proc.wait()
        reader.join(5)  # the reader ends at EOF; then the pipe can be closed
        if proc.stdout is not None:
            proc.stdout.close()

    target._closers.append(stop)
    return target
