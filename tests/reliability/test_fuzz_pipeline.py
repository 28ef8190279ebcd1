"""Hypothesis over the whole request path: decrypt -> parse -> validate -> handle -> encrypt.

Four generators, each aimed at a different stage: arbitrary ciphertext (decrypt), arbitrary
plaintext bytes under the right key (parse), arbitrary JSON under the right key (validate), and
valid payloads with arbitrary mutations (handlers: values the schema lets through). The property:
no 500 and no logged crash, every reply in one of the real API's shapes, and a refused request
leaves the store exactly as it was.

``make test`` runs 200 examples per property on the memory and SQLite stores; ``make fuzz`` sets
``HESABE_FUZZ_EXAMPLES`` and adds PostgreSQL (whose refusals the hostile-input tests check in
``make test``: the fuzzed stages before the store are the same code on every store).
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote, urlencode

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from relkit import ALPHA, ENCRYPTED_OPS, STORES, ErrorLog, Reply, auth_headers, valid_payload

from hesabe_spec.operations import Operation
from hesabe_spec.validation import validate_response
from hesabe_spec.wire import client_json

EXAMPLES = int(os.environ.get("HESABE_FUZZ_EXAMPLES", "200"))
pytestmark = pytest.mark.parametrize("shared_world", STORES if EXAMPLES > 200 else ("memory", "sqlite"),
                                     indirect=True)
FUZZ = settings(max_examples=EXAMPLES, deadline=None, derandomize=EXAMPLES <= 200,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                       HealthCheck.function_scoped_fixture])


@pytest.fixture
def crashes() -> Iterator[ErrorLog]:
    handler = ErrorLog()
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        yield handler
    finally:
        root.removeHandler(handler)


# ------------------------------------------------------------------------------------ strategies

scalars = (st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True, allow_infinity=True)
           | st.text(max_size=30))
#: strings shaped like the domain's, so mutations get past the first pattern more often
near = st.one_of(
    st.from_regex(r"-?[0-9]{1,40}(\.[0-9]{0,6})?", fullmatch=True),
    st.from_regex(r"[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}", fullmatch=True),
    st.sampled_from(["0", "1", "2", "3", "6", "7", "", " ", "true", "false", "csv", "xlsx", "en", "ar",
                     "1,2", "0.000", "0.001", "999999999.999", "1000000000.000", "2025-02-29", "2024-02-29",
                     "[]", '[{"itemTitle":"a","rate":"1.000","quantity":1,"amount":"1.000"}]',
                     "https://example.com/hook", "\u0000", "\ud7ff", "\U0001f4b8"]),
    st.integers(min_value=-(2**70), max_value=2**70).map(str),
)
json_values = st.recursive(scalars | near, lambda inner: st.lists(inner, max_size=4)
                           | st.dictionaries(st.text(max_size=12), inner, max_size=4), max_leaves=16)
ops = st.sampled_from(ENCRYPTED_OPS)


@st.composite
def mutated_payloads(draw: st.DrawFn, op: Operation, seeded: Any) -> dict[str, Any]:
    payload = valid_payload(op.name, seeded)
    for key in list(payload):
        if key == "merchantCode":
            continue
        action = draw(st.sampled_from(["keep", "keep", "drop", "replace", "near"]))
        if action == "drop":
            del payload[key]
        elif action == "replace":
            payload[key] = draw(json_values)
        elif action == "near":
            payload[key] = draw(near)
        if key == "invoices" and action == "keep" and isinstance(payload[key], list):
            payload[key] = [draw(mutated_item(item)) for item in payload[key]]
    if draw(st.booleans()):
        payload[draw(st.text(max_size=12))] = draw(json_values)
    return payload


@st.composite
def mutated_item(draw: st.DrawFn, item: dict[str, Any]) -> dict[str, Any]:
    out = dict(item)
    key = draw(st.sampled_from(sorted(out)))
    out[key] = draw(near | json_values)
    return out


# --------------------------------------------------------------------------------------- sending


def _path(op: Operation, world: Any, draw_param: str | None) -> str:
    params = world.seeded.params(op)
    if draw_param is not None and op.path_params:
        params = {op.path_params[0]: quote(draw_param, safe="")}
    return op.format_path(**params)


def _send(world: Any, op: Operation, data: str, path: str) -> Reply:
    headers = auth_headers(world.token, ALPHA.access_code)
    if op.payload_in == "query":
        return world.client.request(op.method, path, query=urlencode({"data": data}), headers=headers)
    return world.client.request(op.method, path, body=json.dumps({"data": data}).encode(),
                                headers=[*headers, ("content-type", "application/json")])


def _check(world: Any, op: Operation, reply: Reply, before: str, crashes: ErrorLog) -> None:
    event(f"HTTP {reply.status}")
    assert reply.status != 500 and reply.status < 600, (op.name, reply.status, reply.body[:200])
    assert not crashes.records, [r.getMessage() for r in crashes.records]
    assert b"Traceback" not in reply.body
    env, _encrypted = reply.envelope(ALPHA.keys)
    assert isinstance(env, dict) and isinstance(env.get("message"), str), env
    if reply.status == 200:
        assert env["status"] is True
        assert validate_response(op.name, env) == [], (op.name, validate_response(op.name, env)[:3])
    else:
        assert env.get("status", False) is False
        assert world.fingerprint() == before, f"refused {op.name} changed the store"


# ------------------------------------------------------------------------------------ properties


@FUZZ
@given(op=ops, raw=st.binary(max_size=200), cut=st.integers(0, 3))
def test_arbitrary_ciphertext(shared_world: Any, crashes: ErrorLog, op: Operation, raw: bytes,
                              cut: int) -> None:
    world = shared_world
    before = world.fingerprint()
    text = raw.hex()
    data = text[: len(text) - cut] if cut else text
    reply = _send(world, op, data, _path(op, world, None))
    _check(world, op, reply, before, crashes)
    assert reply.status == 400 or (not data and reply.status in (400, 404))


@FUZZ
@given(op=ops, plaintext=st.binary(max_size=300), block=st.sampled_from([16, 32]))
def test_arbitrary_plaintext_under_the_right_key(shared_world: Any, crashes: ErrorLog, op: Operation,
                                                 plaintext: bytes, block: int) -> None:
    world = shared_world
    before = world.fingerprint()
    reply = _send(world, op, ALPHA.keys.encrypt(plaintext, block_size=block), _path(op, world, None))
    _check(world, op, reply, before, crashes)


@FUZZ
@given(op=ops, value=json_values, as_object=st.booleans())
def test_arbitrary_json_under_the_right_key(shared_world: Any, crashes: ErrorLog, op: Operation, value: Any,
                                            as_object: bool) -> None:
    world = shared_world
    payload = {"merchantCode": ALPHA.merchant_code, "x": value} if as_object else value
    before = world.fingerprint()
    try:
        text = client_json(payload)
    except ValueError:  # NaN/Infinity: Python's json.dumps writes them; send what a JS client could
        text = json.dumps(payload)
    reply = _send(world, op, ALPHA.keys.encrypt(text), _path(op, world, None))
    _check(world, op, reply, before, crashes)


@FUZZ
# an empty path parameter would turn /open-invoice/{id} into the list route: another operation
@given(data=st.data(), op=ops, param=st.none() | (st.text(max_size=24) | near.map(str)).filter(bool))
def test_mutated_valid_payloads_reach_the_handlers(shared_world: Any, crashes: ErrorLog, data: st.DataObject,
                                                   op: Operation, param: str | None) -> None:
    world = shared_world
    payload = data.draw(mutated_payloads(op, world.seeded))
    before = world.fingerprint()
    text = json.dumps(payload)  # Python's json: NaN/Infinity/-0.0/huge ints all reach the server
    reply = _send(world, op, ALPHA.keys.encrypt(text), _path(op, world, param))
    _check(world, op, reply, before, crashes)


@FUZZ
@given(path=st.sampled_from(["/api/v1/login", "/api/v1/token-refresh"]),
       body=st.binary(max_size=300) | json_values.map(lambda v: json.dumps(v).encode()),
       content_type=st.sampled_from(["application/json", "application/x-www-form-urlencoded",
                                     "multipart/form-data; boundary=b", "text/plain", ""]))
def test_arbitrary_login_and_refresh_bodies(shared_world: Any, crashes: ErrorLog, path: str, body: bytes,
                                            content_type: str) -> None:
    world = shared_world
    before = world.fingerprint()
    reply = world.client.request("POST", path, body=body, headers=[("content-type", content_type)])
    assert reply.status != 500 and not crashes.records, (reply.status, reply.body[:200])
    env = reply.json()
    event(f"HTTP {reply.status}")
    assert env.get("status") is False and isinstance(env.get("message"), str)
    assert world.fingerprint() == before
