"""Clients we did not write, as Hesabe's own code talks: the mock must answer them unchanged.

Each test speaks raw HTTP with ``requests`` and raw AES (pycryptodome), the way the docs' fetch
samples, Hesabe's merchant app and Hesabe's PHP kit do, so nothing of our client can paper over
a wire difference.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
import requests
from Crypto.Cipher import AES

from mock_server.settings import MockSettings
from mock_server.testing import running_mock

KEY = b"PkW64zMe5NVdrlPVNnjo2Jy9nOb7v1Xg"
IV = b"5NVdrlPVNnjo2Jy9"
ACCESS_CODE = "c333729b-d060-4b74-a49d-7686a8353481"


def pkcs7_16(data: bytes) -> bytes:  # what the docs' samples and Hesabe's app send
    n = 16 - len(data) % 16
    return data + bytes([n]) * n


def encrypt(obj: Any, pad: Any = pkcs7_16) -> str:
    return AES.new(KEY, AES.MODE_CBC, IV).encrypt(pad(json.dumps(obj).encode())).hex()


def decrypt_app_style(hex_text: str) -> Any:
    """Hesabe's app: strip by the last byte's value (<= 32), then JSON."""
    raw = AES.new(KEY, AES.MODE_CBC, IV).decrypt(bytes.fromhex(hex_text))
    assert 1 <= raw[-1] <= 32 and raw.endswith(bytes([raw[-1]]) * raw[-1])
    return json.loads(raw[: -raw[-1]])


@pytest.fixture(params=["response", "bare"])
def mock_url(request: pytest.FixtureRequest) -> Iterator[tuple[str, str]]:
    with running_mock(settings=MockSettings(envelope=request.param)) as mock:
        yield mock.url, request.param


def _body(resp: requests.Response, style: str) -> Any:
    if style == "bare":
        return decrypt_app_style(resp.text)
    return decrypt_app_style(resp.json()["response"])


def _login(url: str) -> str:
    r = requests.post(f"{url}/api/v1/login", json={"username": "Test", "password": "Test@1234"},
                      headers={"Accept": "application/json"}, timeout=10)
    assert r.status_code == 200
    token = r.json()["response"]["token"]
    assert token["token_type"] == "Bearer" and token["expires_in"] == 900
    return str(token["access_token"])


def test_docs_fetch_style(mock_url: tuple[str, str]) -> None:
    """JSON body ``{"data": hex}``, 16-byte PKCS#7, accessCode + Bearer headers, as the docs show."""
    url, style = mock_url
    headers = {"Authorization": f"Bearer {_login(url)}", "accessCode": ACCESS_CODE,
               "Content-Type": "application/json", "Accept": "application/json"}
    payload = {"merchantCode": "842217", "mobileNumber": "66666666", "customerName": "TEST",
               "referenceNumber": "12349899", "amount": "20.000", "countryCode": "965", "invoiceType": "1",
               "invoiceSubType": "3", "allocatePayType": "1,2", "description": "Invoice testing",
               "customerEmail": "test@gmail.com", "expiresAt": "2099-12-12"}
    with requests.Session() as s:
        r = s.post(f"{url}/api/v1/invoice", data=json.dumps({"data": encrypt(payload)}), headers=headers,
                   timeout=10)
        assert r.status_code == 200, r.text
        created = _body(r, style)
        assert created["status"] is True and created["message"] == "Invoice generated successfully"
        query = {"fromDate": "2000-01-01", "toDate": "2099-12-31", "page": "1", "invoiceType": "1",
                 "data": encrypt({"merchantCode": "842217"})}
        r = s.get(f"{url}/api/v1/invoice-dashboard", params=query, headers=headers, timeout=10)
        board = _body(r, style)
        assert board["response"]["invoices"]["data"][0]["id"] == created["response"]["id"]


def test_merchant_app_style(mock_url: tuple[str, str]) -> None:
    """Hesabe's app: multipart form posts, filters inside the encrypted ``data``, page in the URL."""
    url, style = mock_url
    headers = {"Authorization": f"Bearer {_login(url)}", "accessCode": ACCESS_CODE, "locale": "en"}
    items = json.dumps([{"itemTitle": "Cake", "rate": "2.500", "quantity": "2", "amount": "5.000"}])
    payload = {"merchantCode": "842217", "customerName": "أحمد", "amount": "5.000", "invoiceType": "0",
               "invoiceSubType": "1", "mobileNumber": "66666666", "countryCode": "965",
               "referenceNumber": "app-1", "allocatePayType": "1,2", "itemsList": items,
               "expiresAt": "2099-01-01", "description": "من التطبيق"}
    with requests.Session() as s:
        r = s.post(f"{url}/api/v1/invoice", files={"data": (None, encrypt(payload))}, headers=headers,
                   timeout=10)
        assert r.status_code == 200, r.text
        created = _body(r, style)["response"]
        assert created["customer"]["name"] == "أحمد"
        assert created["products"][0]["name"] == "Cake" and created["products"][0]["final_amount"] == "5.000"
        inner = {"merchantCode": "842217", "search": "app-1", "status": "0"}
        r = s.get(f"{url}/api/v1/invoice-dashboard?page=1", params={"data": encrypt(inner)}, headers=headers,
                  timeout=10)
        rows = _body(r, style)["response"]["invoices"]["data"]
        assert [row["id"] for row in rows] == [created["id"]]
        r = s.put(f"{url}/api/v1/invoice/{created['token']}",
                  files={"data": (None, encrypt({"merchantCode": "842217", "statusId": "3"}))},
                  headers=headers, timeout=10)
        assert _body(r, style)["message"] == "Invoice status update successful"


def test_php_kit_style_32_byte_padding_and_urlencoded(mock_url: tuple[str, str]) -> None:
    """Hesabe's PHP kit pads to 32 bytes; a urlencoded form field carries ``data``."""
    url, style = mock_url

    def pad32(data: bytes) -> bytes:
        n = 32 - len(data) % 32
        return data + bytes([n]) * n

    headers = {"Authorization": f"Bearer {_login(url)}", "accessCode": ACCESS_CODE}
    r = requests.post(f"{url}/api/v1/open-invoice", headers=headers, timeout=10, data={"data": encrypt(
        {"merchantCode": "842217", "title": "PHP", "amountType": "0", "fixAmount": "1.000",
         "expiryDate": "2099-12-05"}, pad32)})
    assert r.status_code == 200, r.text
    assert _body(r, style)["response"]["title"] == "PHP"


def test_no_redirect_on_either_slash_form(mock_url: tuple[str, str]) -> None:
    url, style = mock_url
    headers = {"Authorization": f"Bearer {_login(url)}", "accessCode": ACCESS_CODE}
    data = encrypt({"merchantCode": "842217"})
    for path in ("/api/v1/invoice-dashboard", "/api/v1/invoice-dashboard/", "/api/v1/open-invoice",
                 "/api/v1/open-invoice/", "/api/v1/invoice-bulk-upload", "/api/v1/invoice-bulk-upload/"):
        r = requests.get(url + path, params={"data": data}, headers=headers, allow_redirects=False,
                         timeout=10)
        assert r.status_code == 200, (path, r.status_code)
        assert _body(r, style)["status"] is True
