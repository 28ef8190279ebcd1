"""Fault rules and the X-Mock-Fault header, seen on the wire (real HTTP, raw requests)."""

from __future__ import annotations

import json
import random
import time
from typing import Any

import pytest
import requests
from Crypto.Cipher import AES

from hesabe_spec.client import ASGITransport, HesabeClient
from hesabe_spec.errors import CryptoError
from hesabe_spec.sandbox import SANDBOX
from hesabe_spec.wire import decode_response
from mock_server.app import create_app
from mock_server.control import MockControlError
from mock_server.faults import parse_header, rule_from_json
from mock_server.settings import MockSettings
from mock_server.testing import MockHandle

pytest_plugins = ["mock_server.testing"]


class Raw:
    """Sends prepared Hesabe requests unchanged and returns the raw response (no retries)."""

    def __init__(self, mock: MockHandle) -> None:
        self.mock = mock
        self.client = mock.client()
        self.invoice = mock.create_invoice(self.client)
        self.bearer = self.client.tokens.bearer()

    def get(self, headers: dict[str, str] | None = None, operation: str = "get_invoice") -> requests.Response:
        kw: dict[str, Any] = {"path_params": {"id": self.invoice["id"]}} if operation == "get_invoice" else {}
        prepared = self.client.prepare(operation, bearer=self.bearer, **kw)
        with requests.Session() as s:
            return s.request(prepared.method, prepared.url, headers={**prepared.headers, **(headers or {})},
                             data=prepared.body, params=dict(prepared.params or {}), timeout=10)


@pytest.fixture
def raw(hesabe_mock: MockHandle) -> Raw:
    return Raw(hesabe_mock)


def test_error_500_is_the_plain_server_message_and_changes_nothing(raw: Raw) -> None:
    control = raw.mock.control
    control.add_fault("error_500", operation="create_invoice", times=1)
    with pytest.raises(Exception, match="Internal server error"):
        raw.mock.create_invoice(HesabeClient(raw.client.config, max_retries=0))
    counts = raw.client.list_invoices()["stats"]["total_invoice_count"]
    assert counts == 1  # the refused create stored nothing
    control.add_fault("error_500", operation="get_invoice")
    res = raw.get()
    assert res.status_code == 500 and res.json() == {"message": "Internal server error occurred"}


def test_rate_limit_sends_retry_after(raw: Raw) -> None:
    raw.mock.control.add_fault("rate_limit", retry_after=7)
    res = raw.get()
    assert res.status_code == 429 and res.headers["Retry-After"] == "7"
    raw.mock.control.clear_faults()
    raw.mock.control.add_fault("rate_limit", retry_after=None)  # a 429 that does not say when
    res = raw.get()
    assert res.status_code == 429 and "Retry-After" not in res.headers


def test_drop_connection_closes_without_an_answer(raw: Raw) -> None:
    raw.mock.control.add_fault("drop_connection", operation="get_invoice", times=1)
    with pytest.raises(requests.ConnectionError):
        raw.get()
    assert raw.get().status_code == 200  # times=1: the next request is answered
    entry = raw.mock.control.journal(operation="get_invoice")[-2]
    assert entry["fault"] == "drop_connection" and entry["status"] is None


def test_drop_connection_in_process_is_a_connection_error() -> None:
    transport = ASGITransport(create_app())
    try:
        transport.request("POST", "http://mock/_mock/faults", json={"kind": "drop_connection"})
        with pytest.raises(ConnectionError):
            transport.request("POST", "http://mock/api/v1/login", json={})
    finally:
        transport.close()


def test_malformed_ciphertext_does_not_decrypt(raw: Raw) -> None:
    raw.mock.control.add_fault("malformed_ciphertext", operation="get_invoice")
    res = raw.get()
    assert res.status_code == 200 and "response" in res.json()
    with pytest.raises(CryptoError):
        decode_response(res.content, SANDBOX.keys)


def _pad_length(body: bytes) -> int:
    key, iv = SANDBOX.secret_key.encode(), SANDBOX.iv_key.encode()
    plain = AES.new(key, AES.MODE_CBC, iv).decrypt(bytes.fromhex(json.loads(body)["response"]))
    return plain[-1]


def test_padding_16_still_decrypts_with_a_short_pad(raw: Raw) -> None:
    normal = raw.get()
    raw.mock.control.add_fault("padding_16", operation="get_invoice")
    padded = raw.get()
    assert decode_response(padded.content, SANDBOX.keys).envelope == decode_response(
        normal.content, SANDBOX.keys).envelope
    assert 1 <= _pad_length(padded.content) <= 16
    assert len(json.loads(padded.content)["response"]) % 32 == 0  # whole 16-byte blocks (hex: x2)


def test_expired_token_answers_401_unauthenticated(raw: Raw) -> None:
    raw.mock.control.add_fault("expired_token", operation="*", times=1)
    res = raw.get()
    assert res.status_code == 401 and res.json() == {"message": "Unauthenticated."}
    assert raw.get().status_code == 200  # the token itself still works


def test_latency_delays_the_answer(raw: Raw) -> None:
    raw.mock.control.add_fault("latency", latency_ms=300, operation="get_invoice")
    started = time.monotonic()
    assert raw.get().status_code == 200
    assert time.monotonic() - started >= 0.3


def _pattern(raw: Raw, n: int) -> list[int]:
    return [raw.get().status_code for _ in range(n)]


def test_probability_and_seed_are_reproducible(raw: Raw) -> None:
    control = raw.mock.control
    control.add_fault("error_500", operation="get_invoice", probability=0.5, seed=42)
    first = _pattern(raw, 24)
    rng = random.Random(42)
    assert first == [500 if rng.random() < 0.5 else 200 for _ in range(24)]
    assert 0 < first.count(500) < 24
    control.clear_faults()
    control.add_fault("error_500", operation="get_invoice", probability=0.5, seed=42)
    assert _pattern(raw, 24) == first


def test_times_limits_a_rule_and_rules_can_be_removed(raw: Raw) -> None:
    control = raw.mock.control
    rule = control.add_fault("error_500", operation="get_invoice", times=2)
    assert _pattern(raw, 3) == [500, 500, 200]
    assert control.faults()[0]["fired"] == 2
    control.remove_fault(rule["id"])
    assert control.faults() == []
    with pytest.raises(MockControlError) as caught:
        control.remove_fault(rule["id"])
    assert caught.value.status == 404


def test_rule_for_another_operation_does_not_fire(raw: Raw) -> None:
    raw.mock.control.add_faults([{"kind": "error_500", "operation": "list_invoices"}])
    assert raw.get().status_code == 200


@pytest.mark.parametrize(("header", "status"), [
    ("error_500", 500), ("rate_limit; retry_after=4", 429), ("expired_token", 401), ("meteor", 400),
])
def test_header_forces_one_fault_for_one_request(raw: Raw, header: str, status: int) -> None:
    res = raw.get({"X-Mock-Fault": header})
    assert res.status_code == status
    if status == 429:
        assert res.headers["Retry-After"] == "4"
    assert raw.get().status_code == 200


@pytest.mark.parametrize(("settings", "client_host"), [(MockSettings(), "203.0.113.9"),
                                                     (MockSettings(control_plane=False), "127.0.0.1")],
                         ids=["a non-loopback client", "the control plane off"])
def test_the_header_is_ignored_where_the_control_plane_does_not_answer(settings: MockSettings,
                                                                       client_host: str) -> None:
    """The header is a control-plane action on the API's routes: taken from loopback clients, and
    only while the control plane is on."""
    app = create_app(settings)
    transport = ASGITransport(app, client=(client_host, 40000))
    try:
        client = HesabeClient(base_url="http://mock", transport=transport)
        invoice_id = client.create_invoice(amount="1.000", customer_name="A", mobile_number="66666666",
                                           invoice_type="0", invoice_sub_type="3", expires_at="2099-01-01",
                                           reference_number="R")["id"]
        prepared = client.prepare("get_invoice", bearer=client.tokens.bearer(),
                                  path_params={"id": invoice_id})
        res = transport.request(prepared.method, prepared.url, headers={**prepared.headers,
                                                                        "X-Mock-Fault": "error_500"},
                                params=dict(prepared.params or {}))
        assert res.status_code == 200
    finally:
        transport.close()


def test_rule_validation() -> None:
    assert parse_header("latency; latency_ms=20").latency_ms == 20
    for bad in ({"kind": "latency"}, {"kind": "error_500", "times": 0}, {"kind": "error_500", "x": 1},
                {"kind": "rate_limit", "retry_after": -1}, "nope"):
        with pytest.raises(ValueError):
            rule_from_json(bad)
    with pytest.raises(ValueError):
        parse_header("error_500; latency_ms=abc")
