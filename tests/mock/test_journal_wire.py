"""The journal shows what the wire carried (hesabe_spec.wire_facts), and why every 506 happened."""

from __future__ import annotations

import base64
import json
import os
from typing import Any

import pytest
from Crypto.Cipher import AES

from hesabe_spec.crypto import CipherKeys
from hesabe_spec.sandbox import SANDBOX
from mock_server.testing import MockHandle

pytest_plugins = ["mock_server.testing"]


def _send_data(mock: MockHandle, data: str) -> int:
    client = mock.client()
    prepared = client.prepare("list_invoices", bearer=client.tokens.bearer())
    res = mock.control.session.request("GET", prepared.url, headers=dict(prepared.headers),
                                       params={"data": data}, timeout=10)
    return int(res.status_code)


def test_every_entry_describes_both_ciphertexts(hesabe_mock_inprocess: MockHandle) -> None:
    hesabe_mock_inprocess.client().list_invoices()
    entry = hesabe_mock_inprocess.control.journal(operation="list_invoices")[-1]
    request, response = entry["wire"]["request"], entry["wire"]["response"]
    assert request["envelope"] == "data" and request["padding"]["scheme"] in ("pkcs7-16", "either")
    assert request["plaintext"]["json"]["keys"] == ["merchantCode"]
    assert response["envelope"] == "response" and response["padding"]["scheme"] in ("server-32", "either")
    assert response["plaintext"]["json"]["style"] == "php"
    assert "diagnosis" not in entry  # only a 506 carries one
    assert entry["pid"] == os.getpid()  # the process that answered (in-process: this one)
    login = hesabe_mock_inprocess.control.journal(operation="login")[-1]
    assert login["wire"] == {"request": None, "response": None}  # plain JSON both ways


def test_a_fault_that_changes_the_reply_shows_in_its_wire_facts(hesabe_mock_inprocess: MockHandle) -> None:
    hesabe_mock_inprocess.control.add_fault("padding_16", operation="list_invoices", times=1)
    hesabe_mock_inprocess.client().list_invoices()
    entry = hesabe_mock_inprocess.control.journal(operation="list_invoices")[-1]
    assert entry["fault"] == "padding_16" and entry["wire"]["response"]["padding"]["scheme"] in ("pkcs7-16",
                                                                                               "either")


@pytest.mark.parametrize(("data", "cause"), [
    (CipherKeys("K" * 32, SANDBOX.iv_key).encrypt(b'{"merchantCode":"842217"}'), "wrong_key"),
    (CipherKeys(SANDBOX.secret_key, "V" * 16).encrypt(b'{"merchantCode":"842217","page":1}'), "wrong_iv"),
    (SANDBOX.keys.encrypt(b'{"merchantCode":"842217"}')[:-2], "not_whole_blocks"),
    (SANDBOX.keys.encrypt(b"merchantCode=842217"), "not_json"),
    (AES.new(SANDBOX.secret_key.encode(), AES.MODE_CBC, SANDBOX.iv_key.encode()).encrypt(
        b'{"merchantCode":"842217"}' + b"\0" * 7).hex(), "zero_padding"),  # 25 bytes, NUL-padded to 32
    (base64.b64encode(bytes.fromhex(SANDBOX.keys.encrypt(b'{"merchantCode":"842217"}', block_size=16))).hex(),
     "base64_hex"),
])
def test_every_506_says_why(hesabe_mock_inprocess: MockHandle, data: str, cause: str) -> None:
    assert _send_data(hesabe_mock_inprocess, data) == 400
    entry = hesabe_mock_inprocess.control.journal(operation="list_invoices")[-1]
    assert entry["response"]["code"] == 506
    assert cause in [d["code"] for d in entry["diagnosis"]], entry["diagnosis"]
    assert entry["diagnosis"][0]["kind"] == "fault"


def _checkout(mock: MockHandle, data: str) -> Any:
    """POST /checkout as Hesabe's PHP kit does: ``data`` a multipart form field, accessCode alone."""
    body = f'--b0\r\nContent-Disposition: form-data; name="data"\r\n\r\n{data}\r\n--b0--\r\n'
    headers = {"accessCode": SANDBOX.access_code, "Accept": "application/json",
               "Content-Type": "multipart/form-data; boundary=b0"}
    return mock.control.session.request("POST", f"{mock.url}/checkout", data=body.encode(), headers=headers,
                                        timeout=10)


_ORDER = {"merchantCode": SANDBOX.merchant_code, "amount": "7.500", "paymentType": "0",
          "responseUrl": "https://shop.example/ok", "failureUrl": "https://shop.example/failed"}


def test_a_gateway_entry_describes_the_ciphertexts_it_carried(hesabe_mock_inprocess: MockHandle) -> None:
    # the PHP kit's way: 32-byte pad counted in bytes, json_encode's escaped slashes
    sent = SANDBOX.keys.encrypt(json.dumps(_ORDER).replace("/", "\\/").replace(" ", "").encode())
    answer = _checkout(hesabe_mock_inprocess, sent)
    assert answer.status_code == 200 and answer.text == answer.text.strip().lower()  # bare hex
    entry = hesabe_mock_inprocess.control.journal(operation="create_checkout")[-1]
    request, response = entry["wire"]["request"], entry["wire"]["response"]
    assert request is not None, "the gateway's request ciphertext is described like the Merchant API's"
    assert request["padding"] == {"length": request["padding"]["length"], "consistent": True,
                                  "scheme": request["padding"]["scheme"]}
    assert request["padding"]["scheme"] in ("server-32", "either")
    assert request["plaintext"]["json"]["style"] == "php"
    # the gateway answers bare hex (--gateway-envelope), whatever the Merchant API's envelope is
    assert response["envelope"] == "bare" and response["padding"]["scheme"] in ("server-32", "either")
    raw = hesabe_mock_inprocess.runtime.journal.raw_wire(entry["seq"])
    assert raw is not None and raw["response"] == answer.text and raw["request"] == sent


def test_a_gateway_506_says_why(hesabe_mock_inprocess: MockHandle) -> None:
    wrong_key = CipherKeys("K" * 32, SANDBOX.iv_key).encrypt(json.dumps(_ORDER).encode())
    assert _checkout(hesabe_mock_inprocess, wrong_key).status_code == 400
    entry = hesabe_mock_inprocess.control.journal(operation="create_checkout")[-1]
    assert entry["response"]["code"] == 506
    assert [d["code"] for d in entry["diagnosis"]][:1] == ["wrong_key"], entry["diagnosis"]


def test_a_checkout_for_another_merchant_code_is_journaled_with_its_payload(
        hesabe_mock_inprocess: MockHandle) -> None:
    """Refused (501, the code is not the accessCode's merchant's), but it was decrypted: the journal
    shows what was sent, so the wrong code can be seen."""
    order = {**_ORDER, "merchantCode": "999999"}
    sent = SANDBOX.keys.encrypt(json.dumps(order).encode())
    assert _checkout(hesabe_mock_inprocess, sent).status_code == 401
    entry = hesabe_mock_inprocess.control.journal(operation="create_checkout")[-1]
    assert entry["response"]["code"] == 501 and entry["request"]["merchantCode"] == "999999"


@pytest.mark.parametrize("depth", [40, 490, 900])
def test_a_payload_nested_hundreds_deep_is_journaled_and_shown_cut(hesabe_mock_inprocess: MockHandle,
                                                                   depth: int) -> None:
    """A hostile payload the parser took (it refuses from ~1000 levels) must not break the journal,
    its inspector page or the entry's wire facts: what is deeper than SHOWN_DEPTH is not shown."""
    from mock_server.journal import NOT_SHOWN, SHOWN_DEPTH

    nested = "[" * depth + "]" * depth
    data = SANDBOX.keys.encrypt(f'{{"merchantCode":"842217","page":{nested}}}'.encode())
    assert _send_data(hesabe_mock_inprocess, data) == 200  # an unusable page reads as page 1
    entry = hesabe_mock_inprocess.control.journal(operation="list_invoices")[-1]
    shown = entry["request"]["page"]
    for _level in range(SHOWN_DEPTH - 1):  # the payload is level 0, "page" level 1
        assert isinstance(shown, list)
        shown = shown[0] if shown else shown
    assert shown == ([] if depth < SHOWN_DEPTH else NOT_SHOWN)
    page = hesabe_mock_inprocess.control.session.request(
        "GET", hesabe_mock_inprocess.control.base_url + f"/_mock/ui/exchanges/{entry['seq']}", timeout=10)
    assert page.status_code == 200


def test_a_plain_query_filter_is_journaled_as_sent_not_as_part_of_the_payload(
        hesabe_mock_inprocess: MockHandle) -> None:
    """A filter beside ``data`` is applied (the server reads both), and the journal shows where it
    came from: ``request`` is the decrypted payload alone, ``query`` the plain parameters."""
    mock = hesabe_mock_inprocess
    client = mock.client()
    client.create_invoice(amount="5.000", customer_name="Filter Test", reference_number="QF-1",
                          invoice_type="1", invoice_sub_type="3", mobile_number="66666666",
                          country_code="965", expires_at="2099-12-12")
    listed = client.call("list_invoices", query={"search": "QF-1", "page": "1"})
    rows = listed.envelope["response"]["invoices"]["data"]
    assert [row["reference_number"] for row in rows] == ["QF-1"]
    entry = mock.control.journal(operation="list_invoices")[-1]
    assert entry["request"] == {"merchantCode": SANDBOX.merchant_code}
    assert entry["query"] == {"search": "QF-1", "page": "1"}
    assert entry["query_keys"] == ["data", "page", "search"]
