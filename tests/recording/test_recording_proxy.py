"""The recording proxy over real HTTP: requests reach the upstream byte for byte, writes are refused
unless allowed, PII can be masked, the ``hesabe-mock record`` command works."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from hesabe_spec.cassettes import read_recording
from hesabe_spec.client import HesabeClient
from hesabe_spec.errors import HesabeError
from hesabe_spec.sandbox import SANDBOX
from mock_server.recording.capture import mask_pii
from mock_server.recording.parity import run_parity
from mock_server.recording.proxy import Recorder, RecordingProxy
from mock_server.testing import MockHandle, running_mock, serve_app


class Echo:
    """An upstream that keeps what it received and answers a fixed plain body."""

    def __init__(self) -> None:
        self.seen: list[dict[str, Any]] = []

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        self.seen.append(
            {
                "method": scope["method"],
                "path": scope["raw_path"],
                "query": scope["query_string"],
                "headers": dict(scope["headers"]),
                "body": body,
            }
        )
        await send(
            {
                "type": "http.response.start",
                "status": 201,
                "headers": [(b"content-type", b"application/json"), (b"x-upstream", b"yes")],
            }
        )
        await send({"type": "http.response.body", "body": b'{"message":"Unauthenticated."}'})


def _recorder(out: Path, upstream: str, mask: bool = False) -> Recorder:
    return Recorder(
        out,
        SANDBOX.keys,
        upstream=upstream,
        label="synthetic",
        recorded_by="tests",
        merchant_code=SANDBOX.merchant_code,
        mask=mask,
    )


def test_requests_reach_the_upstream_unchanged(tmp_path: Path) -> None:
    echo = Echo()
    with (
        serve_app(echo) as upstream,
        serve_app(RecordingProxy(upstream, _recorder(tmp_path / "r", upstream))) as proxy,
    ):
        body = b'{"data":"0e7898bd7464d0c402fe8a949d9cbf9b826ccb9b83b56fa003373275f1947a65"}'
        resp = requests.put(
            f"{proxy}/api/v1/open-invoice/5%2F/?x=1&x=2",
            data=body,
            timeout=10,
            headers={
                "accessCode": "AC",
                "Authorization": "Bearer secret-token",
                "Content-Type": "application/json",
                "X-Kit": "php",
            },
        )
    assert resp.status_code == 201 and resp.headers["x-upstream"] == "yes"
    seen = echo.seen[0]
    assert (seen["method"], seen["path"], seen["query"], seen["body"]) == (
        "PUT",
        b"/api/v1/open-invoice/5%2F/",
        b"x=1&x=2",
        body,
    )
    headers = seen["headers"]
    assert headers[b"accesscode"] == b"AC" and headers[b"authorization"] == b"Bearer secret-token"
    assert headers[b"x-kit"] == b"php"
    text = "".join(p.read_text("utf-8") for p in (tmp_path / "r").iterdir())
    assert "secret-token" not in text and '"AC"' not in text


def test_only_operations_are_recorded(tmp_path: Path) -> None:
    with (
        running_mock() as upstream,
        serve_app(RecordingProxy(upstream.url, _recorder(tmp_path / "r", upstream.url))) as proxy,
    ):
        assert requests.get(f"{proxy}/_mock/journal", timeout=10).status_code == 200
        HesabeClient(base_url=proxy).get_profile()
    assert [c["operation"] for _, c in read_recording(tmp_path / "r").cassettes] == ["login", "get_profile"]


@pytest.fixture
def upstream() -> Iterator[MockHandle]:
    with running_mock() as handle:
        yield handle


def _journal(url: str, count: int) -> list[str]:
    """The upstream's journalled operations, once it holds ``count`` (or after 10 s): a server
    journals an exchange after its reply went out, a moment after the client had it."""
    deadline = time.monotonic() + 10
    while True:
        entries = requests.get(f"{url}/_mock/journal", timeout=10).json()["entries"]
        if len(entries) >= count or time.monotonic() > deadline:
            return [e["operation"] for e in entries]
        time.sleep(0.01)


@pytest.mark.parametrize(
    ("call", "reason"),
    [
        (lambda c: c.resend_invoice("1782", mobile_number="66666666"), "resend_invoice sends an SMS"),
        (lambda c: c.create_refund("84175966783396774891", "1.000"), "create_refund moves money"),
        (
            lambda c: c.create_invoice(
                amount="5",
                invoice_type="1",
                invoice_sub_type="0",
                mobile_number="66666666",
                country_code="965",
                expires_at="2099-12-12",
            ),
            'invoiceType "1" texts',
        ),
        (lambda c: c.capture("842217170000000091234567890", "1.000"), "capture_authorization moves money"),
    ],
)
def test_writes_are_refused_without_allow_writes(
    tmp_path: Path, upstream: MockHandle, call: Any, reason: str
) -> None:
    with serve_app(RecordingProxy(upstream.url, _recorder(tmp_path / "r", upstream.url))) as proxy:
        client = HesabeClient(base_url=proxy)
        client.login()
        with pytest.raises(HesabeError) as refused:
            call(client)
    assert reason in str(refused.value) and "--allow-writes" in str(refused.value)
    assert _journal(upstream.url, 1) == ["login"]  # never reached the upstream
    assert [c["operation"] for _, c in read_recording(tmp_path / "r").cassettes] == ["login"]


def test_allow_writes_forwards_them(tmp_path: Path, upstream: MockHandle) -> None:
    proxy_app = RecordingProxy(upstream.url, _recorder(tmp_path / "r", upstream.url), allow_writes=True)
    with serve_app(proxy_app) as proxy:
        client = HesabeClient(base_url=proxy)
        invoice = client.create_invoice(
            amount="5",
            invoice_type="1",
            invoice_sub_type="0",
            mobile_number="66666666",
            country_code="965",
            expires_at="2099-12-12",
        )
        client.resend_invoice(invoice["id"], mobile_number="66666666")
    assert _journal(upstream.url, 3) == ["login", "create_invoice", "resend_invoice"]


def test_pii_is_masked_stably_and_listed(tmp_path: Path, upstream: MockHandle) -> None:
    with serve_app(RecordingProxy(upstream.url, _recorder(tmp_path / "r", upstream.url, mask=True))) as proxy:
        HesabeClient(base_url=proxy).create_invoice(
            amount="5",
            invoice_type="0",
            invoice_sub_type="3",
            customer_name="Fatima Al-Sabah",
            customer_email="fatima@example.com",
            mobile_number="99887766",
            country_code="965",
            expires_at="2099-12-12",
        )
    recording = read_recording(tmp_path / "r")
    _, cassette = recording.cassettes[1]
    text = json.dumps(cassette)
    for pii in ("Fatima", "fatima@example.com", "99887766"):
        assert pii not in text
    assert recording.manifest["masked_pii"] is True
    masked = cassette["masked"]
    assert "/request/payload/customerName" in masked and "/response/body/response/customer/name" in masked
    payload = cassette["request"]["payload"]
    assert payload["mobileNumber"].isdigit() and len(payload["mobileNumber"]) == 8
    assert payload["customerEmail"].endswith("@example.invalid")
    assert mask_pii({"customer": {"name": "A"}}) == mask_pii({"customer": {"name": "A"}})
    assert mask_pii({"created_by_merchant": {"name": "test"}}) == {"created_by_merchant": {"name": "test"}}
    # one value, one stand-in, wherever it stands: the request's name is the answer's
    customer = cassette["response"]["body"]["response"]["customer"]
    assert customer["name"] == payload["customerName"] and customer["email"] == payload["customerEmail"]
    # so a masked recording replays to full parity: the echo matches; the SMS texts quoting the name
    # are compared by presence (their pointers are listed as masked)
    report = run_parity(tmp_path / "r")
    assert report.unexplained == 0, [(r.operation, [(d.kind, d.pointer) for d in r.differences])
                                     for r in report.results]


def _venv_bin(name: str) -> str:
    return str(Path(sys.executable).with_name(name))


def test_the_record_command(tmp_path: Path, upstream: MockHandle) -> None:
    out = tmp_path / "cli"
    proc = subprocess.Popen(
        [
            _venv_bin("hesabe-mock"),
            "record",
            "--upstream",
            upstream.url,
            "--out",
            str(out),
            "--port",
            "0",
            "--recorded-by",
            "ci",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "HESABE_RECORD_MASK_PII": "1"},
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        assert line.startswith("Recording proxy on http://127.0.0.1:"), line
        proxy = line.split()[3]
        assert "PII masked" in proc.stdout.readline()
        HesabeClient(base_url=proxy).list_invoices()
    finally:
        proc.send_signal(signal.SIGINT)
        rest, _ = proc.communicate(timeout=30)
    # uvicorn stops on SIGINT, then re-raises it: killed by it (-2) once the files are written
    assert proc.returncode in (0, -signal.SIGINT) and "recorded 2 exchange(s)" in rest
    recording = read_recording(out)
    assert recording.manifest["label"] == "synthetic" and recording.manifest["recorded_by"] == "ci"
    assert recording.manifest["upstream"] == upstream.url and recording.manifest["masked_pii"] is True


def test_the_record_command_refuses_a_used_directory(tmp_path: Path) -> None:
    (tmp_path / "0001-login.json").write_text("{}")
    done = subprocess.run(
        [
            _venv_bin("hesabe-mock"),
            "record",
            "--upstream",
            "http://127.0.0.1:9",
            "--out",
            str(tmp_path),
            "--port",
            "0",
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2 and "already holds cassettes" in done.stderr
    done = subprocess.run(
        [
            _venv_bin("hesabe-mock"),
            "record",
            "--upstream",
            "ftp://x",
            "--out",
            str(tmp_path / "new"),
            "--port",
            "0",
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2 and "--upstream must be an http(s) URL" in done.stderr


def test_the_gateway_goes_to_its_own_upstream(tmp_path: Path, upstream: MockHandle) -> None:
    """Hesabe serves the payment gateway on a host of its own: its operations and pages go there."""
    echo = Echo()
    with serve_app(echo) as gateway:
        recorder = Recorder(
            tmp_path / "r",
            SANDBOX.keys,
            upstream=upstream.url,
            label="synthetic",
            recorded_by="tests",
            merchant_code=SANDBOX.merchant_code,
            gateway_upstream=gateway,
        )
        with serve_app(RecordingProxy(upstream.url, recorder, gateway_upstream=gateway)) as proxy:
            client = HesabeClient(base_url=proxy)
            client.get_profile()
            with pytest.raises(HesabeError):
                client.checkout(
                    "5.000", response_url="https://shop.example/r", failure_url="https://shop.example/f"
                )
            requests.get(f"{proxy}/payment?data=abc", timeout=10)
    assert [(s["method"], s["path"]) for s in echo.seen] == [("POST", b"/checkout"), ("GET", b"/payment")]
    assert _journal(upstream.url, 2) == ["login", "get_profile"]
    recording = read_recording(tmp_path / "r")
    assert recording.manifest["gateway_upstream"] == gateway
    assert [c["operation"] for _, c in recording.cassettes] == ["login", "get_profile", "create_checkout"]


def test_an_unreachable_upstream_is_a_plain_502_and_no_cassette(tmp_path: Path) -> None:
    dead = "http://127.0.0.1:9"
    with serve_app(RecordingProxy(dead, _recorder(tmp_path / "r", dead))) as proxy:
        resp = requests.post(f"{proxy}/api/v1/login", json={"username": "Test", "password": "x"}, timeout=30)
    assert resp.status_code == 502
    assert resp.json() == {
        "status": False,
        "message": "hesabe-mock record: upstream unreachable: ConnectionError",
    }
    assert read_recording(tmp_path / "r").cassettes == ()


def test_undecryptable_traffic_is_forwarded_and_recorded_as_it_is(
    tmp_path: Path, upstream: MockHandle
) -> None:
    with serve_app(RecordingProxy(upstream.url, _recorder(tmp_path / "r", upstream.url))) as proxy:
        token = HesabeClient(base_url=proxy).login()["token"]["access_token"]
        resp = requests.get(
            f"{proxy}/api/v1/profile?data=zz",
            timeout=10,
            headers={"accessCode": SANDBOX.access_code, "Authorization": f"Bearer {token}"},
        )
    assert resp.status_code == 400  # the upstream's own refusal, passed on
    _, cassette = read_recording(tmp_path / "r").cassettes[-1]
    assert cassette["request"]["payload"] is None and cassette["request"]["wire"] is not None
    assert cassette["request"]["wire"]["diagnosis"][0]["code"] == "not_hex"
    assert cassette["response"]["body"]["code"] == 506
