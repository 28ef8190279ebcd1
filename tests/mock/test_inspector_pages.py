"""The inspector's server side over real HTTP: pages, the traffic cursor, snippets that run.

(The browser behaviour is tests/browser/test_inspector.py.)
"""

from __future__ import annotations

import html
import json
import os
import re
import subprocess
import sys
import time
import unicodedata
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from hypothesis import given
from hypothesis import strategies as st

from hesabe_spec import HesabeClient
from hesabe_spec.client import ASGITransport
from hesabe_spec.client.config import ClientConfig
from hesabe_spec.sandbox import SANDBOX
from mock_server.app import create_app
from mock_server.control.client import MockControl
from mock_server.faults import rule_from_json
from mock_server.inspector.snippets import visible
from mock_server.inspector.views import HEADERS
from mock_server.runtime import MockRuntime
from mock_server.settings import MockSettings
from mock_server.testing import serve_app


@pytest.fixture(scope="module")
def site() -> Iterator[tuple[str, MockRuntime]]:
    app = create_app(MockSettings(journal_capacity=300))
    with serve_app(app) as base:
        yield base, app.state.mock


@pytest.fixture(scope="module")
def fill(site: tuple[str, MockRuntime]) -> Iterator[Callable[[int], None]]:
    """Puts N exchanges into the journal fast: in-process, straight into the same app."""
    app = create_app()
    app.state.mock = site[1]  # the served mock's runtime behind an in-process front door
    config = ClientConfig(base_url="http://hesabe-mock.inprocess")
    with ASGITransport(app) as transport, HesabeClient(config, transport=transport) as fast:
        def calls(n: int) -> None:
            for _ in range(n):
                fast.call("get_invoice", path_params={"id": 99999999}, raise_errors=False)
        yield calls


@pytest.fixture(scope="module")
def client(site: tuple[str, MockRuntime]) -> Iterator[HesabeClient]:
    with HesabeClient(ClientConfig(base_url=site[0], gateway_url=site[0])) as made:
        yield made


def _snippet(base: str, seq: int, kind: str) -> str:
    page = requests.get(f"{base}/_mock/ui/exchanges/{seq}?part=1", timeout=10).text
    found = re.search(rf'<pre id="{kind}-{seq}" class="code">(.*?)</pre>', page, re.S)
    assert found, page[:500]
    return html.unescape(found.group(1))


def _journaled(mock: MockRuntime, count: int) -> None:
    """Wait (10 s at most) until the journal recorded ``count`` exchanges: it records an exchange
    after its reply went out, so a client can hold the answer before the journal has it."""
    deadline = time.monotonic() + 10
    while mock.journal.recorded < count:
        assert time.monotonic() < deadline, f"the journal recorded {mock.journal.recorded}, not {count}"
        time.sleep(0.005)


def _entries_where(mock: MockRuntime, operation: str, wanted: Callable[[dict[str, Any]], bool],
                   count: int = 1) -> list[dict[str, Any]]:
    """The journal's entries of ``operation`` that ``wanted`` accepts, once there are ``count`` (10 s
    at most: the journal records an exchange just after its reply went)."""
    deadline = time.monotonic() + 10
    while True:
        found = [e for e in mock.journal.entries(limit=50, operation=operation) if wanted(e)]
        if len(found) >= count or time.monotonic() > deadline:
            return found
        time.sleep(0.01)


def _last_seq(mock: MockRuntime, operation: str) -> int:
    """The newest exchange of ``operation``, waiting for the journal to record it."""
    deadline = time.monotonic() + 10
    while True:
        found = [s["seq"] for s in mock.journal.recent(0, 50, operation=operation)]
        if found and (found[0] == mock.journal.recorded or time.monotonic() > deadline):
            return int(found[0])
        assert time.monotonic() < deadline, f"no {operation} in the journal"
        time.sleep(0.005)


def _env(base: str, token: str | None = None) -> dict[str, str]:
    sandbox = ClientConfig()
    env = {k: v for k, v in os.environ.items() if not k.startswith("HESABE_")}
    env.update(HESABE_MERCHANT_API_URL=base, HESABE_GATEWAY_URL=base,
               HESABE_MERCHANT_CODE=sandbox.merchant_code, HESABE_ACCESS_CODE=sandbox.access_code,
               HESABE_SECRET_KEY=sandbox.secret_key,
               HESABE_IV_KEY=sandbox.iv_key, HESABE_MERCHANT_USERNAME=sandbox.username,
               HESABE_MERCHANT_PASSWORD=sandbox.password, PATH=f"{Path(sys.executable).parent}:{env['PATH']}")
    if token:
        env["HESABE_TOKEN"] = token
    return env


def test_pages_carry_the_strict_policy_and_no_inline_script(site: Any, client: HesabeClient) -> None:
    base, mock = site
    client.list_invoices()
    last = f"/_mock/ui/exchanges/{mock.journal.recorded}"
    for path in ("/_mock/ui", "/_mock/ui/records", "/_mock/ui/state", last, "/_mock/ui/inspector.js",
                 "/_mock/ui/inspector.css"):
        res = requests.get(base + path, timeout=10)
        assert res.status_code == 200, path
        for name, value in HEADERS.items():
            assert res.headers[name] == value
        assert "unsafe-inline" not in res.headers["Content-Security-Policy"]
        if path.endswith(("js", "css")):
            continue
        assert not re.search(r"<script(?![^>]*\bsrc=)", res.text) and " style=" not in res.text
        assert not re.search(r"<[^>]*\son[a-z]+=", res.text)  # no inline event handlers either


def test_bad_filters_are_refused_with_a_400(site: Any) -> None:
    base, _ = site
    for query in ("status=abc", "status=4x", "operation=nope", "after=-1", "after=x"):
        res = requests.get(f"{base}/_mock/ui/traffic?{query}", timeout=10)
        assert res.status_code == 400 and "error" in res.json(), query
    assert requests.get(f"{base}/_mock/ui/records?merchant=000", timeout=10).status_code == 404
    refused = requests.post(f"{base}/_mock/ui", timeout=10)
    assert refused.status_code in (404, 405) and "error" in refused.json()


def test_the_cursor_returns_only_newer_matching_exchanges_capped(site: Any, client: HesabeClient,
                                                                 fill: Callable[[int], None]) -> None:
    base, mock = site
    cursor = mock.journal.recorded
    quiet = requests.get(f"{base}/_mock/ui/traffic?after={cursor}", timeout=10).json()
    assert quiet == {"cursor": cursor, "epoch": mock.journal.epoch, "reset": False, "count": 0, "cut": False,
                     "oldest": None, "rows": ""}
    client.list_invoices()
    client.call("get_invoice", path_params={"id": 99999999}, raise_errors=False)
    _journaled(mock, cursor + 2)
    newer = requests.get(f"{base}/_mock/ui/traffic?after={cursor}", timeout=10).json()
    assert newer["cursor"] == mock.journal.recorded and newer["count"] >= 2
    seqs = [int(s) for s in re.findall(r'data-seq="(\d+)"', newer["rows"])]
    assert seqs == sorted(seqs, reverse=True) and min(seqs) > cursor  # newest first, only new ones
    only_404 = requests.get(f"{base}/_mock/ui/traffic?after={cursor}&status=4xx", timeout=10).json()
    assert only_404["count"] == 1 and 'data-operation="get_invoice"' in only_404["rows"]
    fill(260)  # more than one answer may carry, fewer than the journal keeps
    _journaled(mock, cursor + 262)
    capped = requests.get(f"{base}/_mock/ui/traffic?after=0", timeout=10).json()
    assert capped["count"] == 200 and capped["cut"] is True  # the page marks where the rest would be
    assert capped["oldest"] == min(int(n) for n in re.findall(r'data-seq="(\d+)"', capped["rows"]))
    # what the answer left out is one link away: ?before=<oldest> shows the 200 before it, and so on
    older = requests.get(f"{base}/_mock/ui", params={"before": capped["oldest"]}, timeout=10).text
    shown = [int(n) for n in re.findall(r'<tr data-seq="(\d+)"', older)]
    assert shown and max(shown) == capped["oldest"] - 1 and shown == sorted(shown, reverse=True)
    assert 'id="traffic-older"' in older and 'id="traffic"' not in older  # a still page: nothing polls
    if len(shown) == 200:
        assert f'href="/_mock/ui?before={shown[-1]}"' in older
    # exactly one answer's worth left out nothing: no gap is claimed
    last = mock.journal.recorded
    exact = requests.get(f"{base}/_mock/ui/traffic", params={"after": last - 200}, timeout=10).json()
    assert (exact["count"], exact["cut"]) == (200, False)
    one_more = requests.get(f"{base}/_mock/ui/traffic", params={"after": last - 201}, timeout=10).json()
    assert (one_more["count"], one_more["cut"]) == (200, True)


def test_a_cursor_of_an_earlier_run_of_the_mock_starts_over(site: Any, client: HesabeClient) -> None:
    """A tab left open across a restart holds a cursor of the old numbering (the new run counts
    from 1 again): the answer starts from the beginning and says so, and the page drops its rows."""
    base, mock = site
    client.list_invoices()
    _journaled(mock, mock.journal.recorded)
    page = requests.get(f"{base}/_mock/ui", timeout=10).text
    assert f'data-epoch="{mock.journal.epoch}"' in page
    same = requests.get(f"{base}/_mock/ui/traffic", params={"after": 10**6, "epoch": mock.journal.epoch},
                        timeout=10).json()
    assert (same["reset"], same["count"]) == (False, 0)
    other = requests.get(f"{base}/_mock/ui/traffic", params={"after": 10**6, "epoch": "an-old-run"},
                         timeout=10).json()
    assert other["reset"] is True and other["epoch"] == mock.journal.epoch and other["count"] >= 1
    assert other["cursor"] == mock.journal.recorded


def test_an_exchange_pushed_out_of_the_journal_says_so(site: Any, fill: Callable[[int], None]) -> None:
    base, mock = site
    fill(mock.journal.capacity + 1 - mock.journal.recorded + 1)
    _journaled(mock, mock.journal.capacity + 2)
    res = requests.get(f"{base}/_mock/ui/exchanges/1", timeout=10)
    assert res.status_code == 200 and "no longer in the journal" in res.text


def test_copy_as_python_reproduces_the_call(site: Any, client: HesabeClient) -> None:
    base, mock = site
    client.list_invoices(status=0)
    snippet = _snippet(base, _last_seq(mock, "list_invoices"), "python")
    assert "os.environ" not in snippet or "HESABE_" in snippet
    run = subprocess.run([sys.executable, "-c", snippet], env=_env(base), capture_output=True, text=True,
                         timeout=60, check=False)
    assert run.returncode == 0, run.stderr
    assert run.stdout.startswith("200 {") and "'status': True" in run.stdout


def test_copy_as_python_sends_even_what_the_client_would_refuse(site: Any, client: HesabeClient) -> None:
    """An exchange worth copying is often one with findings: the snippet sends its payload as it was."""
    base, mock = site

    def typos(count: int) -> list[dict[str, Any]]:
        def has_it(entry: dict[str, Any]) -> bool:
            return isinstance(entry["request"], dict) and entry["request"].get("per_page_typo") == 5

        return _entries_where(mock, "list_invoices", has_it, count)

    client.call("list_invoices", {"page": "1", "per_page_typo": 5}, validate=False, raise_errors=False)
    snippet = _snippet(base, typos(1)[-1]["seq"], "python")
    run = subprocess.run([sys.executable, "-c", snippet], env=_env(base), capture_output=True, text=True,
                         timeout=60, check=False)
    assert run.returncode == 0, run.stderr
    assert len(typos(2)) == 2  # the snippet sent the unknown field again, as journaled


def test_copy_as_curl_reproduces_the_call_with_the_projects_tools(site: Any, client: HesabeClient) -> None:
    base, mock = site
    created = client.create_invoice(invoice_type="0", amount="12.500", allocate_pay_type="1",
                                     reference_number="CURL-1", language="en",
                                     expires_at="2030-12-31")
    seq = _last_seq(mock, "create_invoice")
    snippet = _snippet(base, seq, "curl")
    assert "$HESABE_ACCESS_CODE" in snippet and "$HESABE_TOKEN" in snippet
    token = client.tokens.bearer()
    run = subprocess.run(["bash", "-c", snippet.replace("CURL-1", "CURL-2")], env=_env(base, token),
                         capture_output=True, text=True, timeout=60, check=False)
    assert run.returncode == 0, run.stderr
    assert '"status": true' in run.stdout and "CURL-2" in run.stdout
    assert created["reference_number"] == "CURL-1"


def test_copy_as_curl_of_a_checkout_goes_to_the_gateway(site: Any, client: HesabeClient) -> None:
    base, mock = site
    client.checkout("2.500", response_url="https://shop.example/ok", order_reference_number="CURL-GW-1")
    snippet = _snippet(base, _last_seq(mock, "create_checkout"), "curl")
    assert '"$HESABE_GATEWAY_URL/checkout"' in snippet and "HESABE_TOKEN" not in snippet
    env = {**_env(base), "HESABE_MERCHANT_API_URL": "http://127.0.0.1:9"}  # nothing listens there
    run = subprocess.run(["bash", "-c", snippet.replace("CURL-GW-1", "CURL-GW-2")], env=env,
                         capture_output=True, text=True, timeout=60, check=False)
    assert run.returncode == 0 and '"status": true' in run.stdout, run.stdout + run.stderr


def test_no_value_a_request_carries_becomes_code_or_a_variable_in_a_snippet(
        site: Any, client: HesabeClient, tmp_path: Path) -> None:
    """Anyone who can send a request writes into the journal: a value shaped like the snippets'
    own placeholder, or the text the journal shows for a redacted one, is sent as the text it is."""
    base, mock = site
    planted = tmp_path / "planted"
    code = f'\x00ENV:HOME"] + str(__import__("pathlib").Path("{planted}").touch()) + os.environ["HOME'
    client.call("list_invoices", {"page": "1", "search": code, "description": "\x00ENV:HESABE_SECRET_KEY",
                                  "note": "[redacted]", "secret_key": "planted", "password": "planted"},
                validate=False, raise_errors=False)
    seq = _last_seq(mock, "list_invoices")
    python = _snippet(base, seq, "python")
    run = subprocess.run([sys.executable, "-c", python], env=_env(base), capture_output=True, text=True,
                         timeout=60, check=False)
    assert run.returncode == 0, run.stderr
    assert not planted.exists()
    sent = mock.journal.entries(limit=1)[0]["request"]
    assert (sent["search"], sent["note"]) == (code, "[redacted]")
    assert sent["description"] == "\x00ENV:HESABE_SECRET_KEY"
    assert (sent["secret_key"], sent["password"]) == ("[redacted]", "[redacted]")  # the journal's text
    curl = _snippet(base, seq, "curl")
    payload_line = curl.split("DATA=", 1)[1].split("\n", 1)[0]
    assert "$HESABE" not in payload_line.replace("$HESABE_MERCHANT_CODE", "") and "HESABE_NOTE" not in python
    assert python.count("os.environ[") == code.count("os.environ[")  # the planted text's own, in quotes


def test_a_password_in_a_webhook_url_is_never_shown(site: Any, client: HesabeClient) -> None:
    """Webhooks are unsigned, so a merchant may guard its receiver with credentials in the URL:
    the journal, the exchange's page and the webhook log's page show the URL without them."""
    base, mock = site
    hook = "http://hook@user:W3bh00kPw@127.0.0.1:9/hesabe"  # nothing listens: the delivery fails, logged
    created = client.create_invoice(reference_number="HOOK-PW", webhook=hook, invoice_type="0", amount="3",
                                    expires_at="2030-12-31")
    MockControl(base).pay_invoice(created["id"])
    seq = _last_seq(mock, "create_invoice")
    entry = mock.journal.entry(seq)
    assert entry is not None and entry["request"]["webhook"] == "http://hook@user:[redacted]@127.0.0.1:9/hesabe"
    for path in (f"/_mock/ui/exchanges/{seq}", "/_mock/ui/state", "/_mock/journal?limit=50",
                 "/_mock/webhooks"):
        text = requests.get(base + path, timeout=10).text
        assert "W3bh00kPw" not in text, path
    assert mock.journal.raw_wire(seq)["request"] is None  # the hex would carry it
    # a URL the sender cannot use: its error quotes it, shown the same way; a redelivery's answer
    # and a fallback URL in the settings as well
    broken = client.create_invoice(reference_number="HOOK-PW2", webhook="http://hook:W3bh00kPw@/x",
                                   invoice_type="0", amount="3", expires_at="2030-12-31")
    control = MockControl(base)
    control.pay_invoice(broken["id"])
    control.request("POST", "/webhooks/settings", {"fallback_url": "http://fb:W3bh00kPw@127.0.0.1:9/f"})
    try:
        delivery_id = control.request("GET", "/webhooks")["deliveries"][-1]["id"]
        again = requests.post(f"{base}/_mock/webhooks/{delivery_id}/redeliver", timeout=10).text
        for text in (again, requests.get(f"{base}/_mock/webhooks", timeout=10).text,
                     requests.get(f"{base}/_mock/webhooks/settings", timeout=10).text,
                     requests.get(f"{base}/_mock/ui/state", timeout=10).text):
            assert "W3bh00kPw" not in text
    finally:
        control.request("POST", "/webhooks/settings", {"fallback_url": None})


def test_an_exchange_shows_invisible_characters_and_marks_any_key(site: Any, client: HesabeClient) -> None:
    """A right-to-left override or a zero-width space shows as its escape: what one reads is what
    was sent. A finding's key is marked whatever characters it holds."""
    base, mock = site
    odd_key = 'custo"mer\\name'
    client.call("list_invoices", {"page": "1", "search": "\u202eevil\u200b", odd_key: "x"}, validate=False,
                raise_errors=False)
    seq = _last_seq(mock, "list_invoices")
    page = requests.get(f"{base}/_mock/ui/exchanges/{seq}?part=1", timeout=10).text
    assert "\\u202eevil\\u200b" in page and "\u202e" not in page and "\u200b" not in page
    marked = re.findall(r'<mark class="finding-at"[^>]*>(.*?)</mark>', page)
    assert any(html.unescape(m).strip().startswith(json.dumps(odd_key)) for m in marked), marked


@given(st.text(st.characters(codec="utf-8"), max_size=20))
def test_visible_writes_the_same_json_value(text: str) -> None:
    """Whatever it escapes (a bidi control, a tag character beyond U+FFFF), the JSON reads back
    as the value it was: the curl snippet sends what was sent."""
    written = json.dumps({"v": text}, ensure_ascii=False)
    assert json.loads(visible(written)) == {"v": text}
    assert all(unicodedata.category(ch) not in ("Cc", "Cf", "Zl", "Zp") for ch in visible(written))


def test_a_request_never_decrypted_gets_a_note_not_a_snippet(site: Any) -> None:
    base, mock = site
    requests.post(f"{base}/api/v1/invoice", json={"data": "00" * 32}, timeout=10,
                  headers={"accessCode": SANDBOX.access_code, "Authorization": "Bearer nobody"})
    seq = _last_seq(mock, "create_invoice")
    for kind in ("curl", "python"):
        text = _snippet(base, seq, kind)
        assert text.startswith("# This request's data was never decrypted") and "encrypt" not in text


def test_an_exchange_number_never_recorded_is_404(site: Any) -> None:
    base, mock = site
    for seq in (0, mock.journal.recorded + 1000):
        res = requests.get(f"{base}/_mock/ui/exchanges/{seq}", timeout=10)
        assert res.status_code == 404 and "has not recorded it" in res.text


def test_two_rules_of_one_kind_are_told_apart_on_the_state_page(site: Any) -> None:
    base, _mock = site
    control = MockControl(base)
    control.add_fault("mutate_reply", "get_profile", patch=[{"op": "remove", "path": "/message"}])
    control.add_fault("mutate_reply", "get_profile", patch=[{"op": "replace", "path": "/status", "value": 0}],
                      http_status=500)
    control.add_fault("rate_limit", "list_invoices", retry_after=None, latency_ms=5)
    try:
        page = html.unescape(requests.get(f"{base}/_mock/ui/state", timeout=10).text)
        assert 'patch=[{"op":"remove","path":"/message"}]' in page
        assert 'http_status=500; patch=[{"op":"replace","path":"/status","value":0}]' in page
        assert "latency_ms=5; retry_after=None" in page
    finally:
        control.clear_faults()


def test_snippets_of_a_login_hold_no_password(site: Any) -> None:
    base, mock = site
    sandbox = ClientConfig()
    requests.post(f"{base}/api/v1/login", json={"username": sandbox.username, "password": sandbox.password},
                  timeout=10)
    seq = _last_seq(mock, "login")
    for kind in ("curl", "python"):
        text = _snippet(base, seq, kind)
        assert sandbox.password not in text and "HESABE_MERCHANT_PASSWORD" in text
        assert "not be refused as the original was" not in text  # it was not refused


def test_snippets_of_a_refused_login_say_they_send_the_configured_password(site: Any) -> None:
    """The wrong password was redacted: run as is, the snippet would log in. It says so."""
    base, mock = site
    wrong = {"username": "Test", "password": "not-the-password"}
    requests.post(f"{base}/api/v1/login", json=wrong, timeout=10)
    [refused] = _entries_where(mock, "login", lambda entry: entry["status"] == 404)[-1:]
    seq = int(refused["seq"])
    for kind in ("curl", "python"):
        text = _snippet(base, seq, kind)
        assert "not-the-password" not in text
        assert "# password: redacted in the journal" in text and "(HTTP 404)" in text


def test_merchant_text_is_escaped_everywhere(site: Any, client: HesabeClient) -> None:
    base, mock = site
    hostile = '<script>alert(1)</script><img src=x onerror="alert(2)">'
    created = client.create_invoice(invoice_type="0", amount="1.000", allocate_pay_type="1", language="en",
                                    expires_at="2030-12-31", reference_number="XSS-1", description=hostile,
                                    customer_name=hostile)
    seq = _last_seq(mock, "create_invoice")
    pages = [f"/_mock/ui/exchanges/{seq}", "/_mock/ui", "/_mock/ui/records"]
    for path in pages:
        text = requests.get(base + path, timeout=10).text
        assert "<script>alert" not in text and "<img src=x" not in text, path
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in requests.get(base + pages[0], timeout=10).text
    assert created["reference_number"] == "XSS-1"


def test_the_fault_applied_is_shown(site: Any, client: HesabeClient) -> None:
    base, mock = site
    mock.faults.add(rule_from_json({"kind": "error_500", "operation": "get_profile", "times": 1}))
    before = mock.journal.recorded
    try:
        client.call("get_profile", raise_errors=False)  # a 500, then the client's retry
    finally:
        mock.faults.clear()
    _journaled(mock, before + 2)
    seq = next(s["seq"] for s in mock.journal.recent(before, 10, operation="get_profile") if s["fault"])
    page = requests.get(f"{base}/_mock/ui/exchanges/{seq}", timeout=10).text
    assert re.search(r'class="fault-applied"[^>]*><strong>Fault:</strong> error_500', page)
    rows = requests.get(f"{base}/_mock/ui/traffic?after={seq - 1}&status=5xx", timeout=10).json()["rows"]
    assert '<span class="badge fault">error_500</span>' in rows


def test_a_506_says_why_at_the_top_also_when_the_wire_is_fine(site: Any, client: HesabeClient) -> None:
    """An amount with float drift: the ciphertext is sound, the payload rule is why (amount_precision)."""
    base, mock = site
    client.call("create_invoice", {"amount": 10.0000001, "invoiceType": "0", "expiresAt": "2099-12-12"},
                validate=False, raise_errors=False)
    [entry] = _entries_where(mock, "create_invoice", lambda e: "diagnosis" in e)[-1:]
    seq = entry["seq"]
    assert entry["diagnosis"][0]["code"] == "amount_precision"
    page = requests.get(f"{base}/_mock/ui/exchanges/{seq}?part=1", timeout=10).text
    why = re.search(r'<section class="why">(.*?)</section>', page, re.S)
    assert why and "amount_precision" in why.group(1) and "Invalid Request Data" in why.group(1)


def test_a_request_refused_before_its_keys_were_known_shows_what_it_sent(site: Any,
                                                                         client: HesabeClient) -> None:
    """A 401 (a bearer the server never issued): the data was sent, only not decrypted."""
    base, mock = site
    prepared = client.prepare("list_invoices", bearer="not-a-token")
    sent = dict(prepared.params or {})["data"]
    answer = requests.request(prepared.method, prepared.url, headers=dict(prepared.headers),
                              params=dict(prepared.params or {}), timeout=10)
    assert answer.status_code == 401
    [entry] = _entries_where(mock, "list_invoices", lambda e: e["status"] == 401)[-1:]
    seq = entry["seq"]
    assert mock.journal.raw_wire(seq)["request"] == sent  # type: ignore[index]
    page = requests.get(f"{base}/_mock/ui/exchanges/{seq}?part=1", timeout=10).text
    assert "not decrypted: refused (401)" in page and sent in page
    assert page.count("nothing encrypted travelled") == 1  # the answer's side only: a plain 401
