"""The journal shows what the wire carried (hesabe_spec.wire_facts), and why every 506 happened."""

from __future__ import annotations

import pytest

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
])
def test_every_506_says_why(hesabe_mock_inprocess: MockHandle, data: str, cause: str) -> None:
    assert _send_data(hesabe_mock_inprocess, data) == 400
    entry = hesabe_mock_inprocess.control.journal(operation="list_invoices")[-1]
    assert entry["response"]["code"] == 506
    assert cause in [d["code"] for d in entry["diagnosis"]], entry["diagnosis"]
    assert entry["diagnosis"][0]["kind"] == "fault"
