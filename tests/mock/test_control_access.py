"""The control plane against a web page in the developer's browser: each attack, over real HTTP.

A page on another site can make the browser POST to 127.0.0.1 (a form, a no-cors fetch), or
re-point its own name at 127.0.0.1 (DNS rebinding) and read what comes back. The requests below
carry exactly the headers a browser would send in each case; every one is refused with a 403
and changes nothing, while a client that is no browser (curl, MockControl) needs no token.
(tests/browser/test_inspector.py makes the cross-site post from a real page in chromium too.)
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import requests

from mock_server.access import TOKEN_HEADER, browser_refusal, host_trusted
from mock_server.app import create_app
from mock_server.control.client import MockControl, MockControlError
from mock_server.runtime import MockRuntime
from mock_server.settings import MockSettings
from mock_server.testing import serve_app

BROWSER_UA = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120 Safari/537.36"
#: a state change a page would love to make: a fault rule that breaks every call
FAULT = '{"kind": "error_500"}'


@pytest.fixture(scope="module")
def site() -> Iterator[tuple[str, MockRuntime]]:
    app = create_app()
    with serve_app(app) as base:
        yield base, app.state.mock


@pytest.fixture
def mock(site: tuple[str, MockRuntime]) -> Iterator[MockRuntime]:
    runtime = site[1]
    runtime.faults.clear()
    yield runtime
    runtime.faults.clear()


def _post(base: str, headers: dict[str, str], body: str = FAULT) -> requests.Response:
    return requests.post(base + "/_mock/faults", data=body.encode(), headers=headers, timeout=10)


def _authority(base: str) -> str:
    return base.split("://", 1)[1]


def test_a_cross_site_form_post_to_loopback_is_refused(site: Any, mock: MockRuntime) -> None:
    base, _ = site
    before = mock.store.fingerprint()
    # what chromium sends for <form method=post enctype=text/plain action=http://127.0.0.1:.../_mock/faults>
    res = _post(base, {"Origin": "https://evil.example", "Content-Type": "text/plain",
                       "User-Agent": BROWSER_UA, "Sec-Fetch-Site": "cross-site",
                       "Sec-Fetch-Mode": "navigate"})
    assert res.status_code == 403 and "cross-site" in res.json()["error"]
    assert mock.faults.rules() == [] and mock.store.fingerprint() == before
    # an older browser that sends no Origin and no Sec-Fetch-* is still a browser: no token, no change
    res = _post(base, {"Content-Type": "application/x-www-form-urlencoded", "User-Agent": BROWSER_UA})
    assert res.status_code == 403 and TOKEN_HEADER.title() in res.json()["error"]
    # a page with Referrer-Policy no-referrer makes the browser send "Origin: null"
    assert _post(base, {"Origin": "null", "User-Agent": BROWSER_UA}).status_code == 403
    assert mock.faults.rules() == []


def test_a_dns_rebinding_host_is_refused_for_reads_and_writes(site: Any, mock: MockRuntime) -> None:
    base, _ = site
    port = _authority(base).rsplit(":", 1)[1]
    rebound = {"Host": f"rebind.attacker.com:{port}", "User-Agent": BROWSER_UA}
    for path in ("/_mock/ui", "/_mock/journal", "/_mock/ui/traffic?after=0", "/_mock/webhooks"):
        res = requests.get(base + path, headers=rebound, timeout=10)
        assert res.status_code == 403, path
        assert "DNS-rebinding" in res.json()["error"] and "entries" not in res.text
    # same-origin as far as the browser knows (Origin matches Host), and it even has the token
    res = _post(base, {**rebound, "Origin": f"http://rebind.attacker.com:{port}",
                       TOKEN_HEADER: mock.control_token, "Content-Type": "application/json"})
    assert res.status_code == 403 and mock.faults.rules() == []


def test_a_browser_without_the_right_token_is_refused(site: Any, mock: MockRuntime) -> None:
    base, _ = site
    own = {"Origin": base, "User-Agent": BROWSER_UA, "Sec-Fetch-Site": "same-origin",
           "Content-Type": "application/json"}
    missing = _post(base, own)
    wrong = _post(base, {**own, TOKEN_HEADER: mock.control_token[:-1] + "x"})
    assert missing.status_code == wrong.status_code == 403 and mock.faults.rules() == []
    for method in ("DELETE", "PUT"):
        assert requests.request(method, base + "/_mock/faults", headers=own, timeout=10).status_code == 403
    ok = _post(base, {**own, TOKEN_HEADER: mock.control_token})
    assert ok.status_code == 201 and [r.kind for r in mock.faults.rules()] == ["error_500"]


def test_clients_that_are_no_browser_need_no_token(site: Any, mock: MockRuntime) -> None:
    base, _ = site
    # curl -X POST -d '...' (its own user agent, a form content type by default), and MockControl
    res = _post(base, {"User-Agent": "curl/8.5.0", "Content-Type": "application/x-www-form-urlencoded"})
    assert res.status_code == 201
    # Node's fetch (undici): "sec-fetch-mode: cors" and "user-agent: node", no Origin
    res = _post(base, {"User-Agent": "node", "Sec-Fetch-Mode": "cors", "Content-Type": "application/json"})
    assert res.status_code == 201
    mock.faults.clear()
    with MockControl(base) as control:
        control.add_fault("latency", latency_ms=1)
        assert [r["kind"] for r in control.faults()] == ["latency"]
        control.clear_faults()
    # reads from a browser need no token either (a page on another site cannot read the answer)
    res = requests.get(base + "/_mock/faults", headers={"User-Agent": BROWSER_UA, "Origin": "https://x.example"},
                       timeout=10)
    assert res.status_code == 200


def test_the_control_token_is_never_shown_by_the_api_or_the_runtime(site: Any) -> None:
    base, mock = site
    assert mock.control_token not in repr(mock) and len(mock.control_token) >= 40
    for path in ("/_mock", "/_mock/journal", "/_mock/ui/traffic?after=0", "/_mock/webhooks"):
        assert mock.control_token not in requests.get(base + path, timeout=10).text
    assert create_app().state.mock.control_token != mock.control_token  # one per server


@pytest.mark.parametrize(("host", "trusted"), [
    ("127.0.0.1:8000", True), ("[::1]:8000", True), ("localhost:8000", True), ("app.localhost", True),
    ("10.0.0.7:8000", True), ("mock:8000", True), ("host.docker.internal:8000", True),
    ("mock.svc.cluster.local", True), ("hesabe-mock.inprocess", True), ("site.test", True),
    ("evil.example.com:8000", False), ("127.0.0.1.nip.io", False), ("localhost.evil.com", False), ("", False),
])
def test_which_host_names_are_trusted(host: str, trusted: bool) -> None:
    assert host_trusted(MockSettings(), host) is trusted


def test_more_host_names_can_be_trusted() -> None:
    assert host_trusted(MockSettings(allowed_hosts=("mock.corp.com",)), "mock.corp.com:8000")
    assert not host_trusted(MockSettings(allowed_hosts=("mock.corp.com",)), "other.corp.com")
    assert host_trusted(MockSettings(allowed_hosts=("*",)), "anything.example.org")
    assert host_trusted(MockSettings(public_base_url="https://pay.shop.com/base"), "pay.shop.com")
    headers = {"host": "mock.corp.com", "origin": "http://mock.corp.com", "x-mock-token": "t",
               "user-agent": BROWSER_UA}
    assert browser_refusal(MockSettings(allowed_hosts=("mock.corp.com",)), "POST", headers, "t") is None


def test_redelivering_an_unknown_delivery_is_a_404(site: Any) -> None:
    base, _ = site
    with MockControl(base) as control, pytest.raises(MockControlError) as caught:
        control.redeliver_webhook(999999)
    assert caught.value.status == 404
