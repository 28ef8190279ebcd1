"""What the HTTP campaign (test_fuzz_http.py) found, one focused case each: every one answered a
500 (or changed state it refused) before its fix.

Each is the real kind of error: the control plane's ``{"error": ...}`` 400, the ``X-Mock-Fault``
header's 400, the Merchant API's encrypted 506 "Invalid Request Data"; and the state the request
would have changed (store, clock, webhook settings, fault rules) is as it was.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import unquote, urlencode

import pytest
from relkit import ALPHA, AsgiClient, Reply, auth_headers, valid_payload

from hesabe_spec.operations import OPERATIONS
from mock_server.shapes.checkout import page_session
from mock_server.webhooks.config import as_json

#: refusals decided before any store is read run on the memory store only
memory_only = pytest.mark.parametrize("shared_world", ["memory"], indirect=True)
both_stores = pytest.mark.parametrize("shared_world", ["memory", "sqlite"], indirect=True)


def _control_state(world: Any) -> Any:
    mock = world.app.state.mock
    return (world.fingerprint(), mock.clock.state, as_json(mock.webhooks.dispatcher.settings),
            [r.to_json() for r in mock.faults.rules()])


def _refused_by_the_control_plane(world: Any, reply: Reply, before: Any, words: str,
                                  status: int = 400) -> None:
    assert reply.status == status, (reply.status, reply.body[:300])
    error = json.loads(reply.body)["error"]  # strict JSON: no NaN, valid UTF-8
    assert words in error, error
    assert _control_state(world) == before


#: (method, path, body, words of the error): a path id, ?limit or ?after must be ASCII digits
#: ("\u00b2" made int() raise; "\u0661" was read as 1); bodies nested past the parser's depth
CONTROL_CASES: dict[str, tuple[str, str, bytes, str]] = {
    "id-superscript-two": ("GET", "/_mock/invoices/%C2%B2", b"", "id must be"),
    "id-arabic-indic-one": ("GET", "/_mock/invoices/%D9%A1", b"", "id must be"),
    "pay-id-circled-one": ("POST", "/_mock/open-invoices/%E2%91%A0/pay", b"{}", "id must be"),
    "fault-id-superscript": ("DELETE", "/_mock/faults/%C2%B2", b"", "id must be"),
    "redeliver-id-superscript": ("POST", "/_mock/webhooks/%C2%B2/redeliver", b"", "id must be"),
    "journal-limit-superscript": ("GET", "/_mock/journal?limit=%C2%B2", b"", "limit must be"),
    "journal-limit-5000-digits": ("GET", "/_mock/journal?limit=" + "9" * 5000, b"", "limit must be"),
    "webhooks-limit-superscript": ("GET", "/_mock/webhooks?limit=%C2%B2", b"", "limit must be"),
    "inspector-after-superscript": ("GET", "/_mock/ui/traffic?after=%C2%B2", b"", "after must be"),
    # deeper than any recursion limit the process may run under at that moment
    "body-nested-too-deep": ("POST", "/_mock/clock", b"[" * 100_000, "nested too deeply"),
    "body-lone-surrogate-key": ("POST", "/_mock/charges", b'{"\\ud800": 1}', "lone UTF-16 surrogate"),
    "clock-advance-nan": ("POST", "/_mock/clock", b'{"advance": NaN}', "the clock must stay"),
    "clock-advance-1e308": ("POST", "/_mock/clock", b'{"advance": 1e308}', "the clock must stay"),
    "clock-advance-huge-int": ("POST", "/_mock/clock", b'{"advance": 1' + b"0" * 400 + b"}",
                               "the clock must stay"),
    "clock-set-1e20": ("POST", "/_mock/clock", b'{"set": 1e20}', "the clock must stay"),
    "clock-set-infinity": ("POST", "/_mock/clock", b'{"set": Infinity, "freeze": true}',
                           "the clock must stay"),
    "clock-set-year-9999": ("POST", "/_mock/clock", b'{"set": "9999-12-31T23:59:59"}', "the clock must stay"),
    "clock-set-before-1970": ("POST", "/_mock/clock", b'{"set": -1}', "the clock must stay"),
    "webhook-timeout-nan": ("POST", "/_mock/webhooks/settings", b'{"timeout": NaN}', "timeout"),
    "webhook-timeout-infinity": ("POST", "/_mock/webhooks/settings", b'{"timeout": Infinity}', "timeout"),
    "webhook-delay-huge-int": ("POST", "/_mock/webhooks/settings", b'{"base_delay": 1' + b"0" * 400 + b"}",
                               "out of range"),
    "webhook-max-delay-1e300": ("POST", "/_mock/webhooks/settings", b'{"max_delay": 1e300}', "max_delay"),
    "fault-operation-a-list": ("POST", "/_mock/faults",
                               b'{"kind": "latency", "latency_ms": 1, "operation": []}', "unknown operation"),
    "open-invoice-amount-1e308": ("POST", "/_mock/open-invoices/1/pay", b'{"amount": 1e308}',
                                  "at most 999999999.999"),
    "fault-patch-value-nan": ("POST", "/_mock/faults", b'{"kind": "mutate_reply", "patch": [{"op": "add", '
                              b'"path": "/x", "value": [1, {"y": NaN}]}]}', "NaN or Infinity"),
}


@memory_only
@pytest.mark.parametrize("case", list(CONTROL_CASES))
def test_hostile_control_requests_are_400s(shared_world: Any, case: str) -> None:
    method, target, body, words = CONTROL_CASES[case]
    path, _sep, query = target.partition("?")
    before = _control_state(shared_world)
    # the ASGI scope's path is percent-decoded, as a server writes it
    reply = shared_world.client.request(method, unquote(path), query=query, body=body, raw_path=path.encode())
    # a payment the payment service refuses is a 409 with its reason, as for every payment refusal
    status = 409 if path.endswith("/pay") and "id must be" not in words else 400
    _refused_by_the_control_plane(shared_world, reply, before, words, status)


@both_stores
def test_a_lone_surrogate_in_a_paying_customer_is_refused(shared_world: Any) -> None:
    """It was stored by the memory store and a 500 on SQLite (which cannot encode it)."""
    before = _control_state(shared_world)
    reply = shared_world.client.request("POST", f"/_mock/open-invoices/{shared_world.seeded.open_id}/pay",
                                        body=b'{"customer": {"name": "\\udc00x"}}')
    _refused_by_the_control_plane(shared_world, reply, before, "lone UTF-16 surrogate")


#: seed records the store could not take: ids past 64 bits (SQLite's OverflowError), text fields
#: holding other JSON (the search index's casefold raised on them)
BAD_SEEDS = {
    "invoice-id-2**63": {"invoices": [{"id": 2**63}]},
    "open-invoice-id-2**70": {"open_invoices": [{"id": 2**70}]},
    "bulk-row-id-2**63": {"bulk_rows": [{"id": 2**63}]},
    "description-an-object": {"invoices": [{"description": {"a": 1}}]},
    "token-a-number": {"invoices": [{"token": 5}]},
    "customer-name-a-list": {"invoices": [{"customer": {"name": []}}]},
    "payments-not-objects": {"open_invoices": [{"payments": [{"amount": "1.000"}, None]}]},
    "transaction-a-number": {"invoices": [{"transaction": 5}]},
}


@both_stores
@pytest.mark.parametrize("case", list(BAD_SEEDS))
def test_seed_records_a_store_cannot_keep_are_400s(shared_world: Any, case: str) -> None:
    before = _control_state(shared_world)
    reply = shared_world.client.request("POST", "/_mock/seed", body=json.dumps(BAD_SEEDS[case]).encode())
    _refused_by_the_control_plane(shared_world, reply, before, "must be")


@both_stores
def test_a_seed_record_with_null_for_a_field_that_cannot_be_null_takes_the_default(shared_world: Any) -> None:
    """``"status": null`` on an open invoice was a NOT NULL violation on SQLite and PostgreSQL."""
    reply = shared_world.client.request("POST", "/_mock/seed", body=b'{"open_invoices": [{"status": null}]}')
    assert reply.status == 201, reply.body[:300]
    (new_id,) = json.loads(reply.body)["seeded"]["open_invoices"]
    shown = shared_world.client.request("GET", f"/_mock/open-invoices/{new_id}")
    assert shown.status == 200 and json.loads(shown.body)["status"] == 0, shown.body[:300]


@memory_only
def test_the_journal_of_a_nan_payload_is_valid_json(shared_world: Any) -> None:
    """A refused request whose payload held NaN is journalled as decrypted; the journal's JSON
    writes it as the string "NaN" (it was a 500: Starlette's JSON refuses NaN)."""
    world = shared_world
    payload = {**valid_payload("create_invoice", world.seeded), "amount": float("nan")}
    reply = world.client.call(OPERATIONS["create_invoice"], None, token=world.token,
                              data=ALPHA.keys.encrypt(json.dumps(payload)))
    assert reply.status == 400, reply.body[:200]
    journal = world.client.request("GET", "/_mock/journal", query="limit=1")
    assert journal.status == 200, journal.body[:200]

    def no_constants(name: str) -> Any:
        raise AssertionError(f"{name} in the journal's JSON")

    entry = json.loads(journal.body, parse_constant=no_constants)["entries"][-1]
    assert "NaN" in json.dumps(entry)


#: X-Mock-Fault values that made the header's parser raise past its own error
BAD_FAULT_HEADERS = {
    "patch-nested-too-deep": "mutate_reply; patch=" + "[" * 3000,
    "integer-of-5000-digits": "latency; latency_ms=" + "9" * 5000,
    "superscript-digit": "latency; latency_ms=\u00b2",  # the byte 0xB2: a header is read as Latin-1
}


@memory_only
@pytest.mark.parametrize("case", list(BAD_FAULT_HEADERS))
def test_bad_fault_headers_are_400s(shared_world: Any, case: str) -> None:
    world = shared_world
    before = world.fingerprint()
    fault = ("x-mock-fault", BAD_FAULT_HEADERS[case].encode("latin-1"))
    headers = [*auth_headers(world.token, ALPHA.access_code), fault]
    reply = world.client.request("GET", "/api/v1/profile", headers=headers)
    assert reply.status == 400, (reply.status, reply.body[:200])
    assert json.loads(reply.body)["message"].startswith("X-Mock-Fault:")
    assert world.fingerprint() == before


@both_stores
@pytest.mark.parametrize("op_name", ["create_invoice", "create_checkout", "create_card_customer"])
def test_a_lone_surrogate_in_a_payload_is_invalid_request_data(shared_world: Any, op_name: str) -> None:
    """PHP's json_decode reads no lone surrogate (JSON_ERROR_UTF16): the data is unreadable, 506.
    (The memory store kept such text and SQLite answered 500.)"""
    world = shared_world
    op = OPERATIONS[op_name]
    payload = {**valid_payload(op_name, world.seeded), "name": "\udfff", "description": "a\ud800"}
    before = world.fingerprint()
    reply = world.client.call(op, None, token=world.token, data=ALPHA.keys.encrypt(json.dumps(payload)))
    env, encrypted = reply.envelope()
    assert reply.status == 400 and encrypted, (reply.status, env)
    assert env["message"] == "Invalid Request Data" and env.get("code") == 506, env
    assert world.fingerprint() == before


@pytest.mark.parametrize("store_kind", ["memory", "sqlite"], indirect=True)
@pytest.mark.parametrize(("op_name", "field"), [("create_checkout", "paymentType"),
                                                ("resend_pos_invoice", "invoice_id"),
                                                ("list_saved_cards", "customer_id"),
                                                ("charge_saved_card", "card_id")])
def test_an_integral_float_id_is_read_as_its_integer(world: Any, op_name: str, field: str) -> None:
    """``5.0`` is an integer to JSON Schema (and to PHP's integer validation): the handler reads it
    as the number, as it reads ``5`` (it was a 500: int("5.0"))."""
    payload = valid_payload(op_name, world.seeded)
    as_int = dict(payload)
    as_int[field] = int(str(payload[field]))
    as_float = {**payload, field: float(as_int[field])}
    client: AsgiClient = world.client
    params = world.seeded.params(OPERATIONS[op_name])
    whole = client.call(OPERATIONS[op_name], as_int, token=world.token, params=params)
    floating = client.call(OPERATIONS[op_name], as_float, token=world.token, params=params)
    assert floating.status == whole.status != 500, (floating.status, floating.body[:200])


@memory_only
def test_a_checkout_form_with_a_5000_digit_method_is_a_400_page(shared_world: Any) -> None:
    """The hosted page read ``payment_type`` with int() after isdigit(): 5 000 digits raised."""
    world = shared_world
    mock = world.app.state.mock
    session = page_session(mock.checkouts.find(world.seeded.checkout_token))
    before = world.fingerprint()
    form = urlencode({"action": "pay", "payment_type": "9" * 5000}).encode()
    reply = world.client.request("POST", "/payment", query=urlencode({"data": session}), body=form,
                                 headers=[("content-type", "application/x-www-form-urlencoded")])
    assert reply.status == 400, (reply.status, reply.body[:200])
    assert b"<html" in reply.body and b"Traceback" not in reply.body
    assert world.fingerprint() == before
