"""Control plane over real HTTP: access, errors, reset, seed, raw state."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
import requests

from hesabe_spec.client import ASGITransport
from mock_server.app import create_app
from mock_server.control import MockControl, MockControlError
from mock_server.merchants import load_merchants
from mock_server.settings import MockSettings
from mock_server.testing import MockHandle, running_mock

pytest_plugins = ["mock_server.testing"]

SEED_FILE = Path(__file__).resolve().parents[2] / "mock_server" / "seeds" / "seed-pages.json"


def _raw(mock: MockHandle, method: str, path: str, **kw: Any) -> requests.Response:
    with requests.Session() as s:
        return s.request(method, mock.url + path, timeout=5, **kw)


def test_index_lists_every_endpoint(hesabe_mock: MockHandle) -> None:
    listed = _raw(hesabe_mock, "GET", "/_mock").json()["endpoints"]
    assert "POST /_mock/invoices/{id}/pay" in listed and "DELETE /_mock/faults" in listed
    # routes other modules add (webhooks) are listed too
    assert "GET /_mock/webhooks" in listed and "POST /_mock/webhooks/modes" in listed


def test_index_names_the_operations_and_a_misspelt_one_is_suggested(hesabe_mock: MockHandle) -> None:
    operations = _raw(hesabe_mock, "GET", "/_mock").json()["operations"]
    assert operations["get_invoice"] == "GET /api/v1/invoice/{id}" and "create_checkout" in operations
    misspelt = b'{"kind": "error_500", "operation": "get_invoices"}'
    res = _raw(hesabe_mock, "POST", "/_mock/faults", data=misspelt)
    assert res.status_code == 400 and "did you mean 'get_invoice'?" in res.json()["error"]


def test_a_misspelt_payment_field_is_refused_and_pays_nothing(hesabe_mock: MockHandle) -> None:
    inv = hesabe_mock.create_invoice()
    for body in (b'{"outcom": "failure"}', b'{"payment_typ": 1}'):
        res = _raw(hesabe_mock, "POST", f"/_mock/invoices/{inv['id']}/pay", data=body)
        assert res.status_code == 400 and "unknown payment field" in res.json()["error"]
    assert hesabe_mock.control.invoice(inv["id"])["invoice_status"] == 0


@pytest.mark.parametrize(("method", "path", "body", "status", "fragment"), [
    ("POST", "/_mock/seed", b"{not json", 400, "not valid JSON"),
    ("POST", "/_mock/seed", b"[1, 2]", 400, "JSON object"),
    ("POST", "/_mock/clock", b'{"set": "yesterday"}', 400, "ISO 8601"),
    ("POST", "/_mock/clock", b'{"advance": "10"}', 400, "advance"),
    ("POST", "/_mock/clock", b'{"reset": "false"}', 400, "reset must be true or false"),
    ("POST", "/_mock/clock", b'{"reset": 1}', 400, "reset must be true or false"),
    ("POST", "/_mock/faults", b'{"kind": "meteor"}', 400, "kind must be one of"),
    ("POST", "/_mock/faults", b'{"kind": "error_500", "operation": "nope"}', 400, "unknown operation"),
    ("POST", "/_mock/faults", b'{"kind": "error_500", "probability": 2}', 400, "probability"),
    ("POST", "/_mock/invoices/abc/pay", b"{}", 400, "positive integer"),
    ("POST", "/_mock/invoices/5/pay", b"{}", 404, "No invoice"),
    ("GET", "/_mock/journal?limit=0", b"", 400, "limit"),
    ("GET", "/_mock/nothing-here", b"", 404, "no control endpoint"),
    ("PUT", "/_mock/reset", b"", 405, "answers POST"),
    ("DELETE", "/_mock", b"", 405, "answers GET"),
    ("POST", "/_mock", b"", 405, "answers GET"),
    ("POST", "/_mock/reset", b'{"merchant_code": "000000"}', 404, "no merchant"),
    ("POST", "/_mock/reset", b'{"merchant": "842217"}', 400, "unknown reset field"),
    ("POST", "/_mock/open-invoices/1/pay", b'{"amout": "5"}', 400, "unknown payment field"),
])
def test_malformed_requests_get_clear_json_errors(hesabe_mock: MockHandle, method: str, path: str,
                                                   body: bytes, status: int, fragment: str) -> None:
    res = _raw(hesabe_mock, method, path, data=body, headers={"Content-Type": "application/json"})
    assert res.status_code == status
    assert fragment in res.json()["error"]


@pytest.mark.parametrize("path", ["/_mock/reset", "/_mock/clock", "/_mock/webhooks/settings",
                                  "/_mock/webhooks/modes"])
def test_php_empty_array_is_an_empty_body(hesabe_mock: MockHandle, path: str) -> None:
    """PHP's json_encode([]) writes [] for "no fields": read as {}, not refused."""
    res = _raw(hesabe_mock, "POST", path, data=b"[]", headers={"Content-Type": "application/json"})
    assert res.status_code == 200, res.text


def test_non_loopback_clients_get_403_unless_opened() -> None:
    closed = create_app()
    transport = ASGITransport(closed, client=("10.1.2.3", 40000))
    try:
        with pytest.raises(MockControlError) as caught:
            MockControl("http://mock", session=transport).clock()
        assert caught.value.status == 403 and "loopback" in caught.value.body["error"]
        # The Hesabe API itself stays reachable from anywhere.
        assert transport.request("POST", "http://mock/api/v1/login", json={}).status_code != 403
    finally:
        transport.close()
    opened = ASGITransport(create_app(MockSettings(control_open=True)), client=("10.1.2.3", 40000))
    try:
        assert MockControl("http://mock", session=opened).clock()["frozen"] is False
    finally:
        opened.close()


def test_control_plane_can_be_switched_off() -> None:
    transport = ASGITransport(create_app(MockSettings(control_plane=False)))
    try:
        assert transport.request("GET", "http://mock/_mock/clock").status_code == 404
    finally:
        transport.close()


def test_seed_file_loads_the_seed_exchanges_invoices_with_their_real_ids(hesabe_mock: MockHandle) -> None:
    seeded = hesabe_mock.control.seed(path=str(SEED_FILE))
    assert {1782, 14693, 14697, 12880, 12881} <= set(seeded["invoices"])
    assert seeded["open_invoices"] == [926, 927] and seeded["bulk_rows"] == [12885, 12887]
    client = hesabe_mock.client()
    assert client.get_invoice(1782)["reference_number"] == "HEST00043"
    client.send_bulk_invoices(["12880", "12881"])  # seed 002's request, as sent
    client.cancel_invoice("8417596678339677489")  # the token of seed 001's invoice 14697
    assert hesabe_mock.control.invoice(14697)["invoice_status"] == 3
    assert client.get_open_invoice(926)["fixed_amount"] == "100.000"
    # Ids the store assigns later stay above the seeded ones.
    assert hesabe_mock.create_invoice(client)["id"] > 14727


@pytest.mark.parametrize("kind", ["device", "fifo", "too large"])
def test_a_seed_path_that_could_be_read_forever_is_refused_at_once(hesabe_mock: MockHandle, tmp_path: Any,
                                                                   kind: str) -> None:
    """The control plane reads a seed file inside the event loop every request waits on: a device,
    a FIFO or a huge file would stall the whole mock (and grow its memory), so each is a 400."""
    from mock_server.control.seed import MAX_SEED_FILE_BYTES

    path = tmp_path / "seed"
    if kind == "device":
        path = Path("/dev/zero")
    elif kind == "fifo":
        os.mkfifo(path)  # nobody writes it: a plain open would wait for ever
    else:
        with open(path, "wb") as sparse:
            sparse.truncate(MAX_SEED_FILE_BYTES + 1)
    res = _raw(hesabe_mock, "POST", "/_mock/seed", data=json.dumps({"path": str(path)}).encode(),
               headers={"Content-Type": "application/json"})
    assert res.status_code == 400
    assert ("not a regular file" if kind != "too large" else "larger than") in res.json()["error"]


def test_seed_body_with_and_without_ids_and_conflicts(hesabe_mock: MockHandle) -> None:
    control = hesabe_mock.control
    doc = {"invoices": [{"id": 500, "amount": "3", "customer": {"name": "Sara"}}, {"amount": "4.5"}]}
    seeded = control.seed(doc)
    assert seeded["invoices"][0] == 500 and len(seeded["invoices"]) == 2
    state = control.invoice(500)
    assert state["amount"] == "3.000" and state["customer"]["name"] == "Sara"
    assert state["payment_method"] == ["1", "2"] and state["merchant_code"] == "842217"
    with pytest.raises(MockControlError) as caught:
        control.seed({"invoices": [{"id": 500, "amount": "1"}]})
    assert caught.value.status == 400 and "conflict" in caught.value.body["error"]
    assert "in use already (seeded before? POST /_mock/reset first" in caught.value.body["error"]
    with pytest.raises(MockControlError, match="unknown field"):
        control.seed({"invoices": [{"amout": "1"}]})
    with pytest.raises(MockControlError, match="cannot read seed file"):
        control.seed(path="/nonexistent/seed.json")


def test_reset_all_and_one_merchant(tmp_path: Path) -> None:
    merchants = [{"merchant_code": "900001", "access_code": "a" * 36, "secret_key": "k" * 32,
                  "iv_key": "v" * 16, "username": "acme", "password": "pw", "merchant_id": 90}]
    path = tmp_path / "merchants.json"
    path.write_text(json.dumps(merchants))
    with running_mock(merchants=load_merchants(path)) as mock:
        control = mock.control
        control.seed({"invoices": [{"id": 1, "amount": "1"},
                                   {"id": 2, "amount": "2", "merchant_code": "900001"}]})
        control.reset("900001")
        assert control.invoice(1)["id"] == 1
        with pytest.raises(MockControlError) as caught:
            control.invoice(2)
        assert caught.value.status == 404
        control.add_fault("error_500")
        control.freeze("2030-01-01T00:00:00+03:00")
        assert control.reset() == {"reset": "all"}
        with pytest.raises(MockControlError):
            control.invoice(1)
        assert control.faults() == [] and control.clock()["frozen"] is False


def test_a_login_and_a_refresh_are_filed_under_their_merchant(tmp_path: Path) -> None:
    """So a one-merchant reset takes them along with the rest of the merchant's journal; a failed
    login names no merchant, and stays."""
    identities = [{"merchant_code": f"90000{n}", "access_code": str(n) * 36, "secret_key": "k" * 32,
                   "iv_key": "v" * 16, "username": f"shop{n}", "password": "pw", "merchant_id": 90 + n}
                  for n in (1, 2)]
    path = tmp_path / "merchants.json"
    path.write_text(json.dumps(identities))
    with running_mock(merchants=load_merchants(path)) as mock:
        one, two = ({k: str(v) for k, v in identity.items() if k != "merchant_id"} for identity in identities)
        first = mock.client(**one)
        first.login()
        first.refresh_token()
        mock.client(**two).login()
        mock.client(**{**two, "password": "wrong"}, max_retries=0).call("login", {"username": "shop2",
                                                                                  "password": "wrong"},
                                                                         raise_errors=False)
        filed = [(e["operation"], e["merchant_code"], e["status"]) for e in mock.control.journal()]
        assert filed == [("login", "900001", 200), ("refresh_token", "900001", 200),
                         ("login", "900002", 200), ("login", None, 404)]
        mock.control.reset("900001")
        assert [e["merchant_code"] for e in mock.control.journal()] == ["900002", None]


def test_fixtures_start_and_stop_cleanly_without_leaking_threads() -> None:
    import threading

    from mock_server.testing import inprocess_mock

    before = set(threading.enumerate())
    for start in (running_mock, inprocess_mock):
        with start() as mock:
            assert mock.create_invoice()["id"] == 1
            assert mock.control.pay_invoice(1)["paid"] is True
            assert mock.runtime.store.get_invoice(84, 1).invoice_status == 1  # type: ignore[union-attr]
    leaked = [t for t in threading.enumerate() if t not in before and t.is_alive()]
    assert leaked == []


def test_inprocess_fixture_has_the_same_surface(hesabe_mock_inprocess: MockHandle) -> None:
    created = hesabe_mock_inprocess.create_invoice()
    hesabe_mock_inprocess.control.pay_invoice(created["id"], 2, "failure")
    assert hesabe_mock_inprocess.control.journal()[-1]["operation"] == "create_invoice"
    assert hesabe_mock_inprocess.client().get_invoice(created["id"])["invoice_status"] == 0
