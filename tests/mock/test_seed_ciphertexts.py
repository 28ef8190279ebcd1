"""Every request ciphertext in the five seed pages, sent exactly as Hesabe printed it.

The mock first holds the invoices those requests refer to (the shipped seed-pages fixture keeps their
real ids), then each hex goes out untouched with the sandbox credentials; every answer must
decrypt with the sandbox keys, carry the real message, and validate against its schema.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import requests

from hesabe_spec.operations import OPERATIONS
from hesabe_spec.sandbox import SANDBOX
from hesabe_spec.validation import validate_response
from hesabe_spec.wire import decode_response
from mock_server.testing import MockHandle

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
EXCHANGES = json.loads((FIXTURES / "seed_exchanges.json").read_text(encoding="utf-8"))["exchanges"]
REQUESTS = [e for e in EXCHANGES if e["direction"] == "request" and e["usable"]]
SEEDED_IDS = {"resend_invoice": 1782}


def test_every_seed_page_has_a_request_here() -> None:
    assert {e["seed"][:3] for e in REQUESTS} == {"000", "001", "002", "003", "004"}


@pytest.mark.parametrize("exchange", REQUESTS, ids=[e["id"] for e in REQUESTS])
def test_seed_request_hex_is_accepted_as_is(hesabe_mock: MockHandle, exchange: dict[str, Any]) -> None:
    hesabe_mock.control.seed_fixture("seed-pages")
    op = OPERATIONS[exchange["operation"]]
    token = hesabe_mock.client().login()["token"]["access_token"]
    headers = {"Authorization": f"Bearer {token}", "accessCode": SANDBOX.access_code,
               "Accept": "application/json", "Content-Type": "application/json"}
    url = hesabe_mock.url + op.path
    with requests.Session() as s:
        if op.method == "GET":
            # seed 003's fetch sample, filters beside data exactly as printed
            query = {"fromDate": "2025-01-01", "toDate": "2025-12-31", "page": "1", "invoiceType": "1",
                     "data": exchange["hex"]}
            r = s.get(url, params=query, headers=headers, timeout=10)
        else:
            body = json.dumps({"data": exchange["hex"]})
            r = s.request(op.method, url, data=body, headers=headers, timeout=10)
    decoded = decode_response(r.content, SANDBOX.keys)
    body = decoded.envelope
    assert (r.status_code, decoded.shape) == (200, "response"), body
    assert body["status"] is True and body["message"] == op.success_message
    assert validate_response(op.name, body) == []
    if op.name == "resend_invoice":
        assert body["response"]["id"] == SEEDED_IDS["resend_invoice"]
    if op.name == "create_split_invoice":
        sub_type = exchange["json"]["invoices"][0]["invoiceSubType"]
        assert [inv["invoice_type"] for inv in body["response"]] == [6, 6]
        assert str(body["response"][1]["invoice_sub_type"]) == sub_type
