"""Hostile input against every operation of the table, on both stores.

Every refusal must be the real API's shape (an encrypted ``status:false`` envelope once the
merchant is known: 506 "Invalid Request Data" for data that does not decrypt to a JSON object,
Laravel-style ``{"field": ["..."]}`` for schema failures, plain ``{"message": "Unauthenticated."}``
for a missing/unknown bearer; on the payment gateway, ``{"status": false, "code": ..., "message":
...}`` with the gateway's codes, plain 501 for an unknown accessCode), never a 500 or a traceback,
and must leave the store exactly as it was (``Store.fingerprint()`` before == after).
"""

from __future__ import annotations

import base64
import json
import logging
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import quote, urlencode

import pytest
from Crypto.Cipher import AES
from relkit import (
    ALPHA,
    API_OPS,
    BETA,
    ENCRYPTED_OPS,
    GATEWAY_OPS,
    Reply,
    Seeded,
    assert_field_error,
    assert_read_like_the_server,
    assert_refused,
    auth_headers,
    valid_payload,
)

from hesabe_spec.crypto import CipherKeys
from hesabe_spec.operations import OPERATIONS, Operation
from hesabe_spec.validation import validate_request
from hesabe_spec.wire import encode_request
from mock_server.settings import DEFAULT_MAX_BODY

INVALID_DATA = "Invalid Request Data"
NOT_FOUND = "Request not found, Please verify the request data"
ids = [op.name for op in ENCRYPTED_OPS]
#: refusals decided before the store is consulted run on the memory store only (the schema-,
#: domain- and id-level ones below run on both stores)
before_the_store = pytest.mark.parametrize("shared_world", ["memory"], indirect=True)


@pytest.fixture(autouse=True)
def _no_unhandled_errors(caplog: pytest.LogCaptureFixture) -> Iterator[None]:
    caplog.set_level(logging.DEBUG)
    yield
    crashes = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert not crashes, [r.getMessage() for r in crashes]


# ------------------------------------------------------------------------------------- checks


def raw_cipher(plaintext: bytes, keys: CipherKeys = ALPHA.keys) -> str:
    """AES-CBC over bytes that are already whole blocks: the pad is whatever we put there."""
    assert len(plaintext) % 16 == 0
    return AES.new(keys.secret_key.encode(), AES.MODE_CBC, keys.iv_key.encode()).encrypt(plaintext).hex()


def send_data(world: Any, op: Operation, data: Any, *, raw_body: bytes | None = None,
              query: str | None = None, seeded: Seeded | None = None) -> Reply:
    """``data`` placed where the operation expects it (JSON body or ``?data=``), verbatim."""
    path = op.format_path(**(seeded or world.seeded).params(op))
    headers = auth_headers(world.token, ALPHA.access_code)
    if op.payload_in == "query":
        q = query if query is not None else ("" if data is None else urlencode({"data": data}))
        return world.client.request(op.method, path, query=q, body=raw_body or b"", headers=headers)
    body = raw_body if raw_body is not None else json.dumps({"data": data} if data is not ...
                                                            else {}).encode()
    return world.client.request(op.method, path, body=body,
                                headers=[*headers, ("content-type", "application/json")])


def good_hex(world: Any, op: Operation) -> str:
    return encode_request(valid_payload(op.name, world.seeded), ALPHA.keys)


# ------------------------------------------------------------------ data that never decrypts

BLOCK_FILL = b'{"merchantCode":"842217"}'  # 25 bytes


def _padded(tail: bytes) -> bytes:
    body = BLOCK_FILL + b" " * (48 - len(BLOCK_FILL) - len(tail))
    return body + tail


UNDECRYPTABLE: dict[str, Callable[[Any, Operation], str]] = {
    "not-hex": lambda w, op: "zz" * 32,
    "hex-with-spaces": lambda w, op: " ".join(good_hex(w, op)[i:i + 2] for i in range(0, 64, 2)),
    "non-ascii": lambda w, op: "\u0661\u0662" * 32,
    "nul-and-bell": lambda w, op: "\x00\x07" + good_hex(w, op),
    "odd-length": lambda w, op: good_hex(w, op)[:-1],
    "half-block": lambda w, op: good_hex(w, op) + "00" * 8,
    "one-byte": lambda w, op: "ab",
    "wrong-key": lambda w, op: encode_request(valid_payload(op.name, w.seeded), BETA.keys),
    "pad-0": lambda w, op: raw_cipher(_padded(b"\x00")),
    "pad-33": lambda w, op: raw_cipher(_padded(bytes([33]) * 33)[-48:]),
    "pad-255": lambda w, op: raw_cipher(_padded(b"\xff")),
    "pad-longer-than-text": lambda w, op: raw_cipher(bytes([20]) * 16),
    "pad-inconsistent": lambda w, op: raw_cipher(_padded(b"\x01\x02\x03\x05\x05\x05\x04\x05")),
    "plain-not-json": lambda w, op: ALPHA.keys.encrypt("merchantCode=842217&amount=1"),
    "plain-truncated-json": lambda w, op: ALPHA.keys.encrypt('{"merchantCode":"842217",'),
    "plain-invalid-utf8": lambda w, op: ALPHA.keys.encrypt(b'{"merchantCode":"842217","x":"\xff\xfe\xc0"}'),
    "plain-raw-control-chars": lambda w, op: ALPHA.keys.encrypt(b'{"merchantCode":"842217\x00\x01\x1b"}'),
    "plain-lone-surrogate-bytes": lambda w, op: ALPHA.keys.encrypt(b'{"merchantCode":"\xed\xa0\x80"}'),
    "plain-array": lambda w, op: ALPHA.keys.encrypt("[1,2,3]"),
    "plain-string": lambda w, op: ALPHA.keys.encrypt('"842217"'),
    "plain-number": lambda w, op: ALPHA.keys.encrypt("842217"),
    "plain-null": lambda w, op: ALPHA.keys.encrypt("null"),
    "plain-true": lambda w, op: ALPHA.keys.encrypt("true"),
    "plain-empty": lambda w, op: ALPHA.keys.encrypt(""),
    "plain-deep-array": lambda w, op: ALPHA.keys.encrypt("[" * 100_000 + "]" * 100_000),
    "plain-deep-object": lambda w, op: ALPHA.keys.encrypt('{"a":' * 50_000 + "1" + "}" * 50_000),
    "plain-bom": lambda w, op: ALPHA.keys.encrypt(b"\xef\xbb\xbf" + BLOCK_FILL),
}


@before_the_store
@pytest.mark.parametrize("case", list(UNDECRYPTABLE))
@pytest.mark.parametrize("op", ENCRYPTED_OPS, ids=ids)
def test_undecryptable_data_is_506(shared_world: Any, op: Operation, case: str) -> None:
    world = shared_world
    before = world.fingerprint()
    reply = send_data(world, op, UNDECRYPTABLE[case](world, op))
    env = assert_refused(world, reply, before, status=400, message=INVALID_DATA, code=506, encrypted=True)
    assert env.get("response") is None


ENVELOPE_CASES: dict[str, dict[str, Any]] = {
    "body-not-json": {"raw_body": b'{"data": "0e78', "query": ""},
    "body-binary": {"raw_body": bytes(range(256)), "query": ""},
    "body-invalid-utf8-json": {"raw_body": b'{"data": "\xff\xfe"}', "query": "data=%FF%FE"},
    "data-missing": {"data": ..., "query": ""},
    "data-empty": {"data": "", "query": "data="},
    "data-null": {"data": None, "query": "data"},
}


@before_the_store
@pytest.mark.parametrize("case", list(ENVELOPE_CASES))
@pytest.mark.parametrize("op", ENCRYPTED_OPS, ids=ids)
def test_missing_or_unreadable_envelope(shared_world: Any, op: Operation, case: str) -> None:
    world = shared_world
    spec = dict(ENVELOPE_CASES[case])
    if op.payload_in == "body":
        spec.pop("query")
    before = world.fingerprint()
    reply = send_data(world, op, spec.pop("data", None), **spec)
    env = assert_refused(world, reply, before, status=400, encrypted=True)
    assert env["message"] in (NOT_FOUND, INVALID_DATA)


@before_the_store
@pytest.mark.parametrize("value", [12345, 1.5, True, ["0e78"], {"hex": "0e78"}])
@pytest.mark.parametrize("op", [op for op in ENCRYPTED_OPS if op.payload_in == "body"],
                         ids=[op.name for op in ENCRYPTED_OPS if op.payload_in == "body"])
def test_data_that_is_not_a_string_is_506(shared_world: Any, op: Operation, value: Any) -> None:
    world = shared_world
    before = world.fingerprint()
    reply = send_data(world, op, value)
    assert_refused(world, reply, before, status=400, message=INVALID_DATA, code=506, encrypted=True)


@before_the_store
@pytest.mark.parametrize("depth", [64, 400, 900, 990, 3000])
@pytest.mark.parametrize("op", ENCRYPTED_OPS, ids=ids)
def test_deep_nesting_inside_a_valid_object(shared_world: Any, op: Operation, depth: int) -> None:
    """Nesting that still parses reaches validation: refused as a field error where the field is one
    the schema knows, ignored where it is not (the Merchant API's leniency), never a RecursionError.
    (The gateway ignores fields it does not know, as Laravel does: there it goes in one it knows.)"""
    world = shared_world
    field = NESTED_FIELD.get(op.name, "description")
    payload = {k: v for k, v in valid_payload(op.name, world.seeded).items() if k != field}
    comma = "," if payload else ""
    text = json.dumps(payload)[:-1] + comma + f'"{field}":' + "[" * depth + "]" * depth + "}"
    before = world.fingerprint()
    reply = send_data(world, op, ALPHA.keys.encrypt(text))
    try:
        parsed = json.loads(text)
    except RecursionError:  # too deep for json.loads: the server cannot read it either
        env = assert_refused(world, reply, before, encrypted=True)
        assert env["message"] == INVALID_DATA, env
        return
    if op.host == "gateway":
        env = assert_refused(world, reply, before, encrypted=True)
        # a merchantCode that is not the merchant's is the gateway's 501 (delete_saved_card has
        # no other field)
        merchant = field == "merchantCode" and env.get("code") == 501
        assert env["message"] == INVALID_DATA or field in (env.get("data") or {}) or merchant, env
        return
    assert_read_like_the_server(world, reply, before, op, parsed, field)


#: where the nesting goes on operations whose schema does not refuse an unknown ``description``
NESTED_FIELD = {"create_checkout": "variable1", "capture_authorization": "amount",
                "create_card_customer": "name", "list_saved_cards": "customer_id",
                "charge_saved_card": "amount", "delete_saved_card": "merchantCode",
                "capture_subscription": "amount"}


# ---------------------------------------------------------------------------------- schema level

WRONG_TYPES: list[Any] = [None, 12, 1.5, True, [], {"a": 1}]


def _fields(payload: dict[str, Any]) -> Iterator[tuple[str, list[Any]]]:
    for key, value in payload.items():
        yield key, [key]
        if key == "invoices" and isinstance(value, list):
            for sub in value[0]:
                yield f"invoices.0.{sub}", ["invoices", 0, sub]


def _set(payload: dict[str, Any], path: list[Any], value: Any) -> dict[str, Any]:
    copy = json.loads(json.dumps(payload))
    node = copy
    for step in path[:-1]:
        node = node[step]
    node[path[-1]] = value
    return copy


@pytest.mark.parametrize("op", ENCRYPTED_OPS, ids=ids)
def test_wrong_field_types_are_field_errors(shared_world: Any, op: Operation) -> None:
    world = shared_world
    base = valid_payload(op.name, world.seeded)
    tried = 0
    for dotted, path in _fields(base):
        for bad in WRONG_TYPES:
            changed = _set(base, path, bad)
            if not validate_request(op.name, changed) and path != ["merchantCode"]:
                continue  # a type this field takes too (the gateway's amount may be a number)
            before = world.fingerprint()
            reply = send_data(world, op, encode_request(changed, ALPHA.keys))
            tried += 1
            if path == ["merchantCode"]:
                # a merchantCode that is not this merchant's is a signature failure, not a type error
                assert_refused(world, reply, before, encrypted=True)
                assert reply.status in (400, 401, 422)
                continue
            # refused naming the field, unless the server reads it anyway (an amount as a number)
            assert_read_like_the_server(world, reply, before, op, changed, dotted)
    assert tried >= len(WRONG_TYPES)


@pytest.mark.parametrize("op", ENCRYPTED_OPS, ids=ids)
def test_missing_required_fields_and_unknown_fields(shared_world: Any, op: Operation) -> None:
    world = shared_world
    base = valid_payload(op.name, world.seeded)
    # without the field that selects it (resend_pos_invoice's resend) a request is its sibling's
    for key in [k for k in base if k != "merchantCode" and k not in op.selected_by]:
        before = world.fingerprint()
        trimmed = {k: v for k, v in base.items() if k != key}
        reply = send_data(world, op, encode_request(trimmed, ALPHA.keys))
        if reply.status == 200:  # optional field: fine, but then the request did something legal
            continue
        assert_field_error(world, reply, before, key, op)
    if op.host == "gateway":
        return  # the gateway ignores fields it does not know, as Laravel does (tests/mock/test_checkout.py)
    before = world.fingerprint()
    unknown = {**base, "__proto__": {"admin": True}}
    reply = send_data(world, op, encode_request(unknown, ALPHA.keys))
    # the real server ignores a field it does not define (an integration finding on the mock)
    assert assert_read_like_the_server(world, reply, before, op, unknown, "__proto__") == "read"


@pytest.mark.parametrize("op", ENCRYPTED_OPS, ids=ids)
def test_another_merchants_code_in_the_payload_is_invalid_signature(shared_world: Any, op: Operation) -> None:
    world = shared_world
    payload = {**valid_payload(op.name, world.seeded), "merchantCode": BETA.merchant_code}
    before = world.fingerprint()
    reply = send_data(world, op, encode_request(payload, ALPHA.keys))
    if op.host == "gateway":
        assert_refused(world, reply, before, status=401, code=501, message="Invalid Merchant", encrypted=True)
    else:
        assert_refused(world, reply, before, status=401, message="Invalid Signature.")


# --------------------------------------------------------------------------- amounts and dates

BAD_AMOUNTS: list[Any] = [
    "-1.000", "-0.001", "0.000", "1.0001", "1.00", "1", "20", "1e3", "NaN", "Infinity", "-Infinity",
    "1,000.000", " 1.000", "1.000 ", "+1.000", "0x10", "\u0661\u0662.000", "1.000\x00",
    "9" * 40 + ".000", "9" * 5000 + ".000", "99999999999999.999", -1, 0, 20.0, 1e308, 10**40, 0.1 + 0.2,
]
#: of those, what the real server reads anyway (0-2 decimals, a JSON number), and what it refuses
#: as a whole with 506 (more than 3 decimals); every other one is a field error
READ_AMOUNTS = ("1.00", "1", "20", 20.0)
DRIFTED_AMOUNTS = ("1.0001", 0.1 + 0.2)
AMOUNT_FIELDS: dict[str, list[list[Any]]] = {
    "create_invoice": [["amount"]],
    "create_subscription_invoice": [["amount"]],
    "create_split_invoice": [["invoices", 0, "amount"], ["invoices", 1, "amount"]],
    "create_installment_invoice": [["invoices", 0, "amount"]],
    "create_open_invoice": [["fixAmount"]],
    "update_bulk_invoice": [["amount"]],
}


def _dot(path: list[Any]) -> str:
    return ".".join(str(p) for p in path)


def _expected_amount_outcome(bad: Any) -> str:
    return "read" if bad in READ_AMOUNTS else "506" if bad in DRIFTED_AMOUNTS else "field error"


@pytest.mark.parametrize("op_name", list(AMOUNT_FIELDS))
def test_bad_amounts_are_refused_unless_the_server_reads_them(shared_world: Any, op_name: str) -> None:
    world = shared_world
    op = OPERATIONS[op_name]
    base = valid_payload(op_name, world.seeded)
    for path in AMOUNT_FIELDS[op_name]:
        for bad in BAD_AMOUNTS:
            before = world.fingerprint()
            payload = _set(base, path, bad)
            reply = send_data(world, op, encode_request(payload, ALPHA.keys))
            outcome = assert_read_like_the_server(world, reply, before, op, payload, _dot(path))
            assert outcome == _expected_amount_outcome(bad), (bad, outcome)


def test_open_invoice_min_max_amounts(world: Any) -> None:
    op = OPERATIONS["create_open_invoice"]
    base = {"merchantCode": ALPHA.merchant_code, "title": "range", "amountType": "1",
            "minAmount": "1.000", "maxAmount": "10.000"}
    for field in ("minAmount", "maxAmount"):
        for bad in BAD_AMOUNTS:
            before = world.fingerprint()
            payload = {**base, field: bad}
            reply = send_data(world, op, encode_request(payload, ALPHA.keys))
            read = bad in READ_AMOUNTS
            if read and field == "minAmount" and float(bad) > 10:  # read, then more than the maximum
                assert_field_error(world, reply, before, "maxAmount")
                continue
            outcome = assert_read_like_the_server(world, reply, before, op, payload, field)
            assert outcome == _expected_amount_outcome(bad), (bad, outcome)


def test_items_list_with_bad_amounts_and_quantities(world: Any) -> None:
    """``itemsList`` may arrive as a JSON string (Hesabe's app): its items are checked too."""
    op = OPERATIONS["create_invoice"]
    good_item = {"itemTitle": "pen", "rate": "1.000", "quantity": 2, "amount": "2.000"}
    bad_items: list[Any] = [
        {**good_item, "rate": "abc"}, {**good_item, "rate": "9" * 40 + ".000"},
        {**good_item, "quantity": "two"}, {**good_item, "quantity": -1}, {**good_item, "quantity": 0},
        {**good_item, "amount": None}, {"itemTitle": "x"}, {**good_item, "quantity": "1.5"},
    ]
    for item in bad_items:
        for encoded in (json.dumps([item]), [item]):
            before = world.fingerprint()
            payload = {**valid_payload("create_invoice", world.seeded), "itemsList": encoded}
            reply = send_data(world, op, encode_request(payload, ALPHA.keys))
            assert_field_error(world, reply, before, "itemsList")


BAD_DATES = ["2025-02-30", "2025-02-29", "2025-13-01", "2025-00-10", "2025-04-31", "0000-00-00",
             "2025-2-3", "20251212", "2025-02-01T00:00:00", "9999-99-99", "\u0968\u0966\u0968\u096b-01-01",
             "2025-01-01\n", "tomorrow", 20251212]
DATE_FIELDS: dict[str, list[list[Any]]] = {
    "create_invoice": [["expiresAt"]],
    "create_subscription_invoice": [["expiresAt"], ["startDate"]],
    "create_split_invoice": [["invoices", 0, "expiresAt"]],
    "create_installment_invoice": [["invoices", 1, "expiresAt"]],
    "create_open_invoice": [["expiryDate"]],
    "update_open_invoice": [["expiryDate"]],
    "list_invoices": [["fromDate"], ["toDate"]],
    "list_open_invoices": [["fromDate"], ["toDate"]],
}


@pytest.mark.parametrize("op_name", list(DATE_FIELDS))
def test_impossible_dates_are_field_errors(shared_world: Any, op_name: str) -> None:
    world = shared_world
    op = OPERATIONS[op_name]
    base = valid_payload(op_name, world.seeded)
    for path in DATE_FIELDS[op_name]:
        for bad in BAD_DATES:
            before = world.fingerprint()
            reply = send_data(world, op, encode_request(_set(base, path, bad), ALPHA.keys))
            assert_field_error(world, reply, before, _dot(path))
            if op.payload_in == "query" and isinstance(bad, str):
                # the same filter as a plain query parameter beside data (the docs' way)
                query = urlencode({"data": encode_request(base, ALPHA.keys), path[0]: bad})
                reply = send_data(world, op, None, query=query)
                assert_field_error(world, reply, before, path[0])


@pytest.mark.parametrize("op_name", ["list_invoices", "list_open_invoices", "list_bulk_invoices"])
@pytest.mark.parametrize("page", ["0", "-1", "1.5", "abc", "9" * 40, "\u0661", "1e9"])
def test_hostile_page_numbers(shared_world: Any, op_name: str, page: str) -> None:
    """A page number is refused as a field error or (out of range) read as page 1 — never a crash."""
    world = shared_world
    op = OPERATIONS[op_name]
    base = valid_payload(op_name, world.seeded)
    for query in ({"data": encode_request(base, ALPHA.keys), "page": page},
                  {"data": encode_request({**base, "page": page}, ALPHA.keys)}):
        before = world.fingerprint()
        reply = send_data(world, op, None, query=urlencode(query))
        if reply.status == 200:
            env, _ = reply.envelope()
            assert env["status"] is True
            assert world.fingerprint() == before
        else:
            assert_field_error(world, reply, before, "page")


# ----------------------------------------------------------------------------- path parameters

BAD_IDS = ["abc", "-1", "0", "1.5", "1e3", "0x1", " 1", "1 ", "+1", "99999999999999999999", "9" * 400,
           "\u0661", "\u00b2", "\u2460", "\uff11", "..", ".", "%2e%2e", "%2E%2E%2F", "..;", "1%00", "\x00",
           "1;DROP TABLE invoices", "' OR '1'='1", "${7*7}", "{{7*7}}", "\ufffd\ufffd"]


def _call_path(world: Any, op: Operation, path: str) -> Reply:
    payload = valid_payload(op.name, world.seeded)
    hex_data = encode_request(payload, ALPHA.keys)
    headers = auth_headers(world.token, ALPHA.access_code)
    if op.payload_in == "query":
        return world.client.request(op.method, path, query=urlencode({"data": hex_data}), headers=headers)
    return world.client.request(op.method, path, body=json.dumps({"data": hex_data}).encode(),
                                headers=[*headers, ("content-type", "application/json")])


PATH_OPS = [op for op in ENCRYPTED_OPS if op.path_params]


@pytest.mark.parametrize("value", BAD_IDS, ids=[f"v{i}" for i in range(len(BAD_IDS))])
@pytest.mark.parametrize("op", PATH_OPS, ids=[op.name for op in PATH_OPS])
def test_path_ids_that_are_not_numbers(shared_world: Any, op: Operation, value: str) -> None:
    world = shared_world
    path = op.path.replace("{" + op.path_params[0] + "}", value)
    before = world.fingerprint()
    reply = _call_path(world, op, path)
    env = assert_refused(world, reply, before)
    assert reply.status in (404, 405), (reply.status, env)


@pytest.mark.parametrize("suffix", ["../..", "..%2f..%2flogin", "1/../2", "1/", "%2e%2e/%2e%2e/login",
                                    "1/extra", "/etc/passwd"])
@pytest.mark.parametrize("op", PATH_OPS, ids=[op.name for op in PATH_OPS])
def test_traversal_in_path(shared_world: Any, op: Operation, suffix: str) -> None:
    world = shared_world
    path = op.path.replace("{" + op.path_params[0] + "}", suffix)
    before = world.fingerprint()
    reply = _call_path(world, op, path)
    if reply.status == 200:  # "1/" is the slash twin of a real id: answered directly, by design
        assert (suffix == "1/" and world.fingerprint() == before) or op.mutating
        return
    assert_refused(world, reply, before)


# ------------------------------------------------------------------------------- size limits


@pytest.mark.parametrize("op", list(OPERATIONS.values()), ids=list(OPERATIONS))
def test_huge_body_is_413_with_the_documented_limit(shared_world: Any, op: Operation) -> None:
    world = shared_world
    path = op.format_path(**world.seeded.params(op))
    headers = [*auth_headers(world.token, ALPHA.access_code), ("content-type", "application/json")]
    body = b'{"data":"' + b"0" * DEFAULT_MAX_BODY + b'"}'
    before = world.fingerprint()
    reply = world.client.request(op.method, path, body=body, headers=headers)
    env = assert_refused(world, reply, before, status=413, encrypted=False)
    assert str(DEFAULT_MAX_BODY) in env["message"]
    if op.payload_in == "none":
        return  # no payload to refuse: the body is not read for data (the enquiry answers, a void voids)
    # just under the limit is read and refused for what it is, not for its size
    body = b'{"data":"' + b"0" * (DEFAULT_MAX_BODY - 64) + b'"}'
    reply = world.client.request(op.method, path, body=body, headers=headers)
    assert reply.status != 413
    assert_refused(world, reply, before)


def test_huge_query_string_is_refused_cleanly(world: Any) -> None:
    op = OPERATIONS["list_invoices"]
    before = world.fingerprint()
    reply = send_data(world, op, None, query="data=" + "0e" * 200_000)
    assert_refused(world, reply, before, message=INVALID_DATA)


# ----------------------------------------------------------------------------- authentication

AUTH_CASES: dict[str, Callable[[Any], list[tuple[str, str | bytes]]]] = {
    "no-headers": lambda w: [],
    "no-bearer": lambda w: [("accesscode", ALPHA.access_code)],
    "empty-bearer": lambda w: [("authorization", "Bearer "), ("accesscode", ALPHA.access_code)],
    "basic-scheme": lambda w: [("authorization", "Basic VGVzdDpUZXN0QDEyMzQ="),
                               ("accesscode", ALPHA.access_code)],
    "garbage-bearer": lambda w: [("authorization", "Bearer not-a-token"), ("accesscode", ALPHA.access_code)],
    "truncated-bearer": lambda w: [("authorization", "Bearer " + w.token[:-1]),
                                   ("accesscode", ALPHA.access_code)],
    "prefix-of-bearer": lambda w: [("authorization", "Bearer " + w.token[:20]),
                                   ("accesscode", ALPHA.access_code)],
    "binary-bearer": lambda w: [("authorization", b"Bearer \xff\xfe\x00"), ("accesscode", ALPHA.access_code)],
    "huge-bearer": lambda w: [("authorization", "Bearer " + "A" * 60_000), ("accesscode", ALPHA.access_code)],
    "no-access-code": lambda w: [("authorization", "Bearer " + w.token)],
    "wrong-access-code": lambda w: [("authorization", "Bearer " + w.token),
                                    ("accesscode", "00000000-0000-0000-0000-000000000000")],
    "other-merchants-access-code": lambda w: [("authorization", "Bearer " + w.token),
                                              ("accesscode", BETA.access_code)],
    "other-merchants-bearer": lambda w: [("authorization", "Bearer " + w.beta_token),
                                         ("accesscode", ALPHA.access_code)],
    "binary-access-code": lambda w: [("authorization", "Bearer " + w.token), ("accesscode", b"\xff\x00")],
}


@before_the_store
@pytest.mark.parametrize("case", list(AUTH_CASES))
@pytest.mark.parametrize("op", API_OPS, ids=[op.name for op in API_OPS])
def test_bad_credentials_are_401(shared_world: Any, op: Operation, case: str) -> None:
    world = shared_world
    path = op.format_path(**world.seeded.params(op))
    hex_data = good_hex(world, op)
    headers = AUTH_CASES[case](world)
    before = world.fingerprint()
    if op.payload_in == "query":
        reply = world.client.request(op.method, path, query=urlencode({"data": hex_data}), headers=headers)
    else:
        reply = world.client.request(op.method, path, body=json.dumps({"data": hex_data}).encode(),
                                     headers=[*headers, ("content-type", "application/json")])
    env = assert_refused(world, reply, before, status=401, encrypted=False)
    assert env["message"] in ("Unauthenticated.", "Invalid Signature."), env
    assert ALPHA.secret_key.encode() not in reply.body and ALPHA.iv_key.encode() not in reply.body


ACCESS_CODES: dict[str, list[tuple[str, str | bytes]]] = {
    "no-headers": [],
    "empty-access-code": [("accesscode", "")],
    "wrong-access-code": [("accesscode", "00000000-0000-0000-0000-000000000000")],
    "case-changed-access-code": [("accesscode", ALPHA.access_code.upper())],
    "binary-access-code": [("accesscode", b"\xff\x00")],
    "huge-access-code": [("accesscode", "A" * 60_000)],
    "bearer-but-no-access-code": [("authorization", "Bearer anything")],
}


@before_the_store
@pytest.mark.parametrize("case", list(ACCESS_CODES))
@pytest.mark.parametrize("op", GATEWAY_OPS, ids=[op.name for op in GATEWAY_OPS])
def test_gateway_without_a_known_access_code_is_501_in_plain_json(shared_world: Any, op: Operation,
                                                                  case: str) -> None:
    world = shared_world
    path = op.format_path(**world.seeded.params(op))
    body = json.dumps({"data": good_hex(world, op)}).encode() if op.encrypted else b""
    before = world.fingerprint()
    reply = world.client.request(op.method, path, body=body,
                                 headers=[*ACCESS_CODES[case], ("content-type", "application/json")])
    env = assert_refused(world, reply, before, status=401, code=501, message="Invalid Merchant",
                         encrypted=False)
    assert env == {"status": False, "code": 501, "message": "Invalid Merchant"}


def test_gateway_with_another_merchants_access_code_cannot_read_the_data(shared_world: Any) -> None:
    """A's ciphertext under B's accessCode: B's keys cannot decrypt it, 506 encrypted for B."""
    world = shared_world
    for op in (OPERATIONS["create_checkout"], OPERATIONS["capture_authorization"]):
        before = world.fingerprint()
        body = json.dumps({"data": good_hex(world, op)}).encode()
        headers: list[tuple[str, str | bytes]] = [("accesscode", BETA.access_code),
                                                  ("content-type", "application/json")]
        reply = world.client.request(op.method, op.path, body=body, headers=headers)
        assert_refused(world, reply, before, status=400, code=506, encrypted=True, keys=BETA.keys)


GATEWAY_PATH_OPS = [op for op in GATEWAY_OPS if op.path_params]


@pytest.mark.parametrize("value", [*BAD_IDS, "../..", "..%2f..%2flogin", "%2e%2e", "1/extra", "A" * 5000],
                         ids=[f"v{i}" for i in range(len(BAD_IDS) + 5)])
@pytest.mark.parametrize("op", GATEWAY_PATH_OPS, ids=[op.name for op in GATEWAY_PATH_OPS])
def test_gateway_paths_naming_nothing(shared_world: Any, op: Operation, value: str) -> None:
    """Any text where a token or order reference goes names nothing: a clean 4xx, nothing changed."""
    world = shared_world
    path = op.path.replace("{" + op.path_params[0] + "}", value)
    before = world.fingerprint()
    reply = world.client.request(op.method, path, headers=[("accesscode", ALPHA.access_code)])
    # a saved card's path wants data too: encrypted 506 once routed, the router's plain 404 otherwise
    env = assert_refused(world, reply, before, encrypted=None if op.encrypted else False)
    assert reply.status in (400, 404, 405), (reply.status, env)


# --------------------------------------------------------------------------- login and refresh

PLAIN_BODIES: dict[str, tuple[str, bytes]] = {
    "not-json": ("application/json", b"{username: Test"),
    "binary": ("application/json", bytes(range(256))),
    "invalid-utf8": ("application/json", b'{"username":"Test\xff","password":"Test@1234"}'),
    "array": ("application/json", b'["Test","Test@1234"]'),
    "string": ("application/json", b'"Test"'),
    "number": ("application/json", b"1"),
    "null": ("application/json", b"null"),
    "empty-object": ("application/json", b"{}"),
    "empty-body": ("application/json", b""),
    "wrong-types": ("application/json", b'{"username":1,"password":["Test@1234"],"refreshToken":{}}'),
    "nul-in-values": ("application/json", b'{"username":"Test\\u0000","password":"Test@1234\\u0000",'
                                          b'"refreshToken":"def\\u0000"}'),
    "control-chars": ("application/json", b'{"username":"\\u001b[31mTest","password":"\\u0007"}'),
    "deep": ("application/json", b"[" * 100_000 + b"]" * 100_000),
    "deep-object": ("application/json", b'{"username":' * 5000 + b'"x"' + b"}" * 5000),
    "form-garbage": ("application/x-www-form-urlencoded", b"%zz=%%&&=&username"),
    "form-invalid-utf8": ("application/x-www-form-urlencoded", b"username=%ff&password=%fe"),
    "multipart-broken": ("multipart/form-data; boundary=XX",
                         b"--XX\r\nContent-Disposition: form-data\r\n\r\n"),
    "multipart-no-boundary": ("multipart/form-data", b"--\r\n\r\n"),
    "wrong-password": ("application/json", b'{"username":"Test","password":"Test@12345","refreshToken":"x"}'),
    "other-merchants-password": ("application/json",
                                 json.dumps({"username": "Test", "password": BETA.password}).encode()),
    "case-folded-username": ("application/json", b'{"username":"test","password":"test@1234"}'),
    "huge-password": ("application/json", json.dumps({"username": "Test", "password": "x" * 1_000_000,
                                                      "refreshToken": "d" * 1_000_000}).encode()),
    "access-token-as-refresh": ("application/json", b"{}"),  # filled in by the test
}


@pytest.mark.parametrize("case", list(PLAIN_BODIES))
@pytest.mark.parametrize("op_name", ["login", "refresh_token"])
def test_login_and_refresh_refuse_hostile_bodies(shared_world: Any, op_name: str, case: str) -> None:
    world = shared_world
    content_type, body = PLAIN_BODIES[case]
    if case == "access-token-as-refresh":
        body = json.dumps({"refreshToken": world.token, "username": "Test", "password": world.token}).encode()
    op = OPERATIONS[op_name]
    before = world.fingerprint()
    reply = world.client.request("POST", op.path, body=body, headers=[("content-type", content_type)])
    env = assert_refused(world, reply, before, encrypted=False)
    assert reply.status in (400, 401, 404, 422), reply.status
    assert env.get("response") is None or isinstance(env["response"], dict)
    for secret in (ALPHA.password, BETA.password, ALPHA.secret_key, ALPHA.iv_key):
        assert secret.encode() not in reply.body


def test_login_body_over_the_limit_is_413(world: Any) -> None:
    before = world.fingerprint()
    body = json.dumps({"username": "Test", "password": "x" * DEFAULT_MAX_BODY}).encode()
    reply = world.client.request("POST", "/api/v1/login", body=body,
                                 headers=[("content-type", "application/json")])
    env = assert_refused(world, reply, before, status=413, encrypted=False)
    assert str(DEFAULT_MAX_BODY) in env["message"]


# ------------------------------------------------------- legal but unusual text is kept intact


def test_control_characters_and_unicode_in_legal_strings_round_trip(world: Any) -> None:
    """Escaped control characters, RTL text and astral characters are legal JSON strings: stored
    and returned byte for byte, and the encrypted reply still decrypts."""
    text = "\u0000\u0007\u001b[31m \u202e\u0645\u0631\u062d\u0628\u0627 \U0001f4b8 </script> \\ \" '"
    payload = {**valid_payload("create_invoice", world.seeded), "description": text, "customerName": text}
    r = world.client.call(OPERATIONS["create_invoice"], payload, token=world.token)
    env, _ = r.envelope()
    assert r.status == 200 and env["status"] is True, env
    new_id = env["response"]["id"]
    got = world.client.call(OPERATIONS["get_invoice"], {"merchantCode": ALPHA.merchant_code},
                            token=world.token, params={"id": new_id})
    inv = got.envelope()[0]["response"]
    assert inv["description"] == text and inv["customer"]["name"] == text


def test_quoted_path_helper_is_sane() -> None:
    # guards the helpers above: quote() would hide the raw characters these tests mean to send
    assert quote("..") == ".."


# ------------------------------------------------------------------- ids inside the payload

HUGE_IDS = ["9" * 19, "9" * 40, "18446744073709551616", "9223372036854775808", "9223372036854775807"]


@pytest.mark.parametrize("value", HUGE_IDS)
def test_huge_ids_in_payloads_are_not_found(shared_world: Any, value: str) -> None:
    """Ids past SQLite's 64-bit range reach the store as Python ints: a clean 404, not an OverflowError."""
    world = shared_world
    cases = (("resend_invoice", "resendId", value), ("send_bulk_invoices", "ids", [value]))
    for op_name, field, sent in cases:
        op = OPERATIONS[op_name]
        payload = {**valid_payload(op_name, world.seeded), field: sent}
        before = world.fingerprint()
        reply = send_data(world, op, encode_request(payload, ALPHA.keys))
        env = assert_refused(world, reply, before)
        assert reply.status in (400, 404), (reply.status, env)


# ------------------------------------------------------------------------ bulk upload files

_CSV_HEADER = "name,phone,email,amount,reference_number,description\n"
BAD_CSVS: dict[str, bytes] = {
    "amount-nan": (_CSV_HEADER + "a,96566666666,e@x.com,NaN,r,d").encode(),
    "amount-negative": (_CSV_HEADER + "a,96566666666,e@x.com,-5,r,d").encode(),
    "amount-zero": (_CSV_HEADER + "a,96566666666,e@x.com,0.000,r,d").encode(),
    "amount-exponent": (_CSV_HEADER + "a,96566666666,e@x.com,1e5,r,d").encode(),
    "amount-huge": (_CSV_HEADER + "a,96566666666,e@x.com," + "9" * 40 + ",r,d").encode(),
    "amount-over-precise": (_CSV_HEADER + "a,96566666666,e@x.com,1.0001,r,d").encode(),
    "field-over-csv-limit": (_CSV_HEADER + "a,96566666666,e@x.com,1.000,r," + "x" * 200_000).encode(),
    "bare-cr-newlines": (_CSV_HEADER + "a,96566666666,e@x.com,1.000,r,d\r").replace("\n", "\r").encode(),
    "not-utf8": _CSV_HEADER.encode() + b"\xe9,96566666666,e,1.000,r,d",
    "no-header": b"a,96566666666,e@x.com,1.000,r,d\n",
    "header-only": _CSV_HEADER.encode(),
    "missing-name": (_CSV_HEADER + ",96566666666,e@x.com,1.000,r,d").encode(),
    "too-many-rows": (_CSV_HEADER + "".join(f"a,96566666666,e,1.000,r{i},d\n" for i in range(1001))).encode(),
    "binary": bytes(range(256)) * 4,
}


@pytest.mark.parametrize("case", list(BAD_CSVS))
def test_hostile_bulk_files_are_refused(shared_world: Any, case: str) -> None:
    world = shared_world
    op = OPERATIONS["upload_bulk_invoices"]
    payload = {**valid_payload(op.name, world.seeded), "invoices": base64.b64encode(BAD_CSVS[case]).decode()}
    before = world.fingerprint()
    reply = send_data(world, op, encode_request(payload, ALPHA.keys))
    assert_field_error(world, reply, before, "invoices")


@pytest.mark.parametrize("text", ["[" * 5000, "[" * 50 + "]" * 50, '[{"itemTitle":' * 3000, "[1]", "[{}]"])
def test_items_list_strings_that_are_not_items(shared_world: Any, text: str) -> None:
    world = shared_world
    op = OPERATIONS["create_invoice"]
    before = world.fingerprint()
    payload = {**valid_payload("create_invoice", world.seeded), "itemsList": text}
    reply = send_data(world, op, encode_request(payload, ALPHA.keys))
    assert_field_error(world, reply, before, "itemsList")
