"""Helpers for the reliability tests: an in-process ASGI caller, a real uvicorn server in a thread,
two merchants with different keys, and one valid payload per operation of the table.

Kept apart from ``conftest.py`` so that ``bench/soak.py`` and the crash test's child code can use the
same builders without pytest.
"""

from __future__ import annotations

import asyncio
import base64
import json
import logging
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from hesabe_spec.crypto import CipherKeys
from hesabe_spec.operations import OPERATIONS, Operation
from hesabe_spec.sandbox import SANDBOX, MerchantIdentity
from hesabe_spec.tolerance import tolerate
from hesabe_spec.validation import validate_request
from hesabe_spec.wire import decode_response, encode_request
from mock_server.app import create_app
from mock_server.merchants import Merchant, MerchantRegistry
from mock_server.settings import MockSettings
from mock_server.state.memory import MemoryStore
from mock_server.state.sqlite import SqliteStore
from mock_server.state.store import Store

__all__ = [
    "ALPHA",
    "API_OPS",
    "BETA",
    "ENCRYPTED_OPS",
    "GATEWAY_OPS",
    "STORES",
    "AsgiClient",
    "ErrorLog",
    "HttpMerchant",
    "Reply",
    "Seeded",
    "ServerThread",
    "assert_field_error",
    "assert_read_like_the_server",
    "assert_refused",
    "make_app",
    "open_store",
    "pay_invoice",
    "registry",
    "seed_state",
    "valid_payload",
]

#: merchant A is the public sandbox identity; merchant B shares nothing with it
ALPHA = SANDBOX
BETA = MerchantIdentity(
    merchant_code="900017",
    access_code="0b5e2f7a-9d41-4c6b-8e3f-2a7c1d9e4b60",
    secret_key="Zq8RmT3vLx6Nc1Wb9Pd4Kf7Hs2Jg5Ya0",
    iv_key="Ue7Ri2Ow9Qt4Yp1A",
    username="beta-shop",
    password="Beta#Pass-2025!",
    merchant_id=91,
)

ENCRYPTED_OPS: list[Operation] = [op for op in OPERATIONS.values() if op.encrypted]
#: the Merchant API's encrypted operations (bearer + accessCode)
API_OPS: list[Operation] = [op for op in ENCRYPTED_OPS if op.host == "merchant_api"]
#: the payment gateway's operations (accessCode alone; enquiry and void carry no payload)
GATEWAY_OPS: list[Operation] = [op for op in OPERATIONS.values() if op.host == "gateway"]


class ErrorLog(logging.Handler):
    """Keeps every record logged at ERROR or above (a crash the server answered anyway)."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


def registry() -> MerchantRegistry:
    return MerchantRegistry([Merchant.from_identity(ALPHA), Merchant.from_identity(BETA)])


#: the store kinds the reliability tests run on
STORES = ("memory", "sqlite", "postgres")


def open_store(kind: str, directory: Path) -> Store:
    """``"memory"``, ``"sqlite"`` (a file in ``directory``) or ``"postgres"`` (a schema named after
    ``directory``, on the session's server: the test must have asked for ``postgres_url``); the same
    directory opens the same database again."""
    if kind == "memory":
        return MemoryStore()
    if kind == "postgres":
        from support.postgres import schema_url

        from mock_server.state.postgres import PostgresStore

        return PostgresStore(schema_url(str(directory)))
    return SqliteStore(str(directory / "mock.sqlite"))


def make_app(store: Store | None = None, settings: MockSettings | None = None) -> Any:
    return create_app(settings or MockSettings(), store or MemoryStore(), registry())


# ------------------------------------------------------------------------------------------ replies



@dataclass
class Reply:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)

    def envelope(self, keys: CipherKeys | None = None) -> tuple[Any, bool]:
        """(decoded body, was it encrypted). Plain JSON needs no keys."""
        decoded = decode_response(self.body, keys or ALPHA.keys)
        return decoded.envelope, decoded.encrypted


# ---------------------------------------------------------------------------------- in-process ASGI


class AsgiClient:
    """Calls the Starlette app directly (no sockets): fast enough for hundreds of hostile inputs."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.loop = asyncio.new_event_loop()

    def close(self) -> None:
        self.loop.close()

    def request(self, method: str, path: str, *, query: bytes | str = b"", body: bytes = b"",
                headers: Iterable[tuple[str, str | bytes]] = (), raw_path: bytes | None = None) -> Reply:
        raw_headers = [(b"host", b"testserver")]
        raw_headers += [(k.lower().encode("latin-1"), v if isinstance(v, bytes) else v.encode("latin-1"))
                        for k, v in headers]
        if body:
            raw_headers.append((b"content-length", str(len(body)).encode()))
        scope = {
            "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": method,
            "scheme": "http", "path": path, "raw_path": raw_path or path.encode("utf-8", "surrogateescape"),
            "query_string": query.encode("latin-1") if isinstance(query, str) else query,
            "root_path": "", "headers": raw_headers, "client": ("127.0.0.1", 50000),
            "server": ("testserver", 80),
        }
        return self.loop.run_until_complete(self._exchange(scope, body))

    async def _exchange(self, scope: dict[str, Any], body: bytes) -> Reply:
        sent = False
        status = 0
        headers: dict[str, str] = {}
        chunks: list[bytes] = []

        async def receive() -> dict[str, Any]:
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": body, "more_body": False}
            await asyncio.sleep(3600)  # pragma: no cover - the app never waits for a disconnect here
            return {"type": "http.disconnect"}

        async def send(message: dict[str, Any]) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers.update({k.decode("latin-1"): v.decode("latin-1") for k, v in message["headers"]})
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))

        await self.app(scope, receive, send)
        return Reply(status, headers, b"".join(chunks))

    # -- protocol-level conveniences ----------------------------------------------------------
    def login(self, who: MerchantIdentity = ALPHA) -> dict[str, Any]:
        r = self.request("POST", "/api/v1/login", body=json.dumps(
            {"username": who.username, "password": who.password}).encode(),
            headers=[("content-type", "application/json")])
        assert r.status == 200, r.body
        return dict(r.json()["response"]["token"])

    def call(self, op: Operation, payload: Any, *, who: MerchantIdentity = ALPHA, token: str,
             params: dict[str, Any] | None = None, data: str | None = None,
             access_code: str | None = None, keys: CipherKeys | None = None,
             extra_query: dict[str, str] | None = None) -> Reply:
        """One operation; ``data`` overrides the encrypted payload verbatim (an operation without
        a payload sends none: ``payload`` becomes its plain query parameters)."""
        path = op.format_path(**(params or {}))
        headers = auth_headers(token, access_code if access_code is not None else who.access_code)
        if op.payload_in == "none":
            query = urlencode({k: v for k, v in payload.items() if k != "merchantCode"})
            return self.request(op.method, path, query=query, headers=headers)
        hex_data = data if data is not None else encode_request(payload, keys or who.keys)
        if op.payload_in == "query":
            query = urlencode({"data": hex_data, **(extra_query or {})})
            return self.request(op.method, path, query=query, headers=headers)
        headers.append(("content-type", "application/json"))
        return self.request(op.method, path, body=json.dumps({"data": hex_data}).encode(), headers=headers)


def auth_headers(token: str, access_code: str) -> list[tuple[str, str | bytes]]:
    return [("authorization", f"Bearer {token}"), ("accesscode", access_code), ("accept", "application/json")]


# ------------------------------------------------------------------------------- valid payloads


def invoice_fields(who: MerchantIdentity = ALPHA, **over: Any) -> dict[str, Any]:
    base = {"merchantCode": who.merchant_code, "customerName": "Reliability", "amount": "20.000",
            "invoiceType": "0", "invoiceSubType": "3", "allocatePayType": "1,2",
            "expiresAt": "2030-12-12", "referenceNumber": "REL-1", "description": "reliability"}
    base.update(over)
    return base


def csv_b64(rows: int = 2) -> str:
    lines = ["name,phone,email,amount,reference_number,description"]
    lines += [f"row{i},9656666666{i % 10},r{i}@example.com,{i + 1}.500,BULK-{i},bulk" for i in range(rows)]
    return base64.b64encode("\n".join(lines).encode()).decode()


@dataclass
class Seeded:
    """Ids of records that exist for a merchant, so path parameters point at real things."""

    invoice_id: int = 0
    invoice_token: str = ""
    open_id: int = 0
    bulk_id: int = 0
    #: a pending checkout (order reference "REL-ORDER") and an authorized, uncaptured one
    checkout_token: str = ""
    authorized_token: str = ""
    #: a paid invoice's transaction token and a pending refund of it
    transaction_token: str = ""
    refund_id: int = 0
    #: a saved-card customer and the card a paid save-card checkout saved for it
    card_customer_id: int = 0
    card_id: int = 0
    #: an active on-demand subscription (paid at 0.000), captured by many valid calls
    subscription_token: str = ""
    #: a pending POS invoice
    pos_id: int = 0
    extra: dict[str, Any] = field(default_factory=dict)

    def params(self, op: Operation) -> dict[str, Any]:
        values = {"id": {"get_invoice": self.invoice_id, "get_open_invoice": self.open_id,
                         "update_open_invoice": self.open_id, "cancel_open_invoice": self.open_id,
                         "update_bulk_invoice": self.bulk_id, "delete_bulk_invoice": self.bulk_id,
                         "get_refund": self.refund_id, "cancel_refund": self.refund_id,
                         "list_open_invoice_customers": self.open_id, "delete_saved_card": self.card_id,
                         "get_pos_invoice": self.pos_id}
                  .get(op.name, 0),
                  "token": {"cancel_authorization": self.authorized_token,
                            "cancel_subscription": self.subscription_token}.get(op.name, self.invoice_token),
                  "reference": self.checkout_token}
        return {p: values[p] for p in op.path_params}


def valid_payload(op_name: str, seeded: Seeded, who: MerchantIdentity = ALPHA) -> dict[str, Any]:
    """A payload the schema accepts for ``op_name`` (login/refresh excluded)."""
    mc = {"merchantCode": who.merchant_code}
    inv = invoice_fields(who)
    table: dict[str, dict[str, Any]] = {
        "create_invoice": inv,
        "create_subscription_invoice": {**inv, "frequency": "1", "noofRecurrence": "3",
                                        "SubscriptionType": "1", "startDate": "2030-01-01"},
        "create_split_invoice": {**mc, "invoices": [invoice_fields(who, amount="100.000"),
                                                    invoice_fields(who, amount="150.000")]},
        "create_installment_invoice": {**mc, "invoices": [invoice_fields(who, amount="50.000"),
                                                          invoice_fields(who, amount="50.000")]},
        "list_invoices": mc,
        "get_invoice": mc,
        "resend_invoice": {**mc, "resendId": str(seeded.invoice_id), "mobileNumber": "66666666",
                           "countryCode": "965"},
        # an uploaded bulk row (an id naming a row and an invoice is the row's: fidelity.md)
        "send_bulk_invoices": {**mc, "ids": [str(seeded.bulk_id)]},
        "cancel_invoice": {**mc, "statusId": "3"},
        "create_open_invoice": {**mc, "title": "Open link", "amountType": "0", "fixAmount": "5.000",
                                "expiryDate": "2030-12-12", "description": "open"},
        "list_open_invoices": mc,
        "get_open_invoice": mc,
        "update_open_invoice": {**mc, "expiryDate": "2031-01-01"},
        "cancel_open_invoice": mc,
        "upload_bulk_invoices": {**mc, "isScheduled": "false", "fileType": "csv", "invoices": csv_b64()},
        "list_bulk_invoices": mc,
        "update_bulk_invoice": {**mc, "amount": "3.000", "name": "edited", "phone": "96566666666",
                                "reference_number": "BULK-E"},
        "delete_bulk_invoice": mc,
        "create_checkout": {**mc, "amount": "12.500", "currency": "KWD", "paymentType": "0", "version": "2.0",
                            "orderReferenceNumber": "REL-ORDER", "responseUrl": "https://shop.example/ok",
                            "failureUrl": "https://shop.example/no", "name": "Reliability"},
        "capture_authorization": {**mc, "amount": "12.500", "paymentToken": seeded.authorized_token},
        "transaction_enquiry": {},
        "cancel_authorization": {},
        # a small partial refund: many valid calls fit in the seeded payment
        "create_refund": {**mc, "token": seeded.transaction_token, "refundMethod": "2",
                          "refundAmount": "0.010"},
        "list_refunds": mc,
        "get_refund": mc,
        "cancel_refund": mc,
        "get_profile": mc,
        "list_open_invoice_customers": mc,
        "get_transactions_report": {**mc, "fromDate": "2020-01-01", "nostats": "0"},
        "create_card_customer": {**mc, "name": "Reliability", "email": "rel@example.com",
                                 "mobile_number": "66666666"},
        "list_saved_cards": {**mc, "customer_id": seeded.card_customer_id},
        "charge_saved_card": {**mc, "card_id": seeded.card_id, "amount": "0.500",
                              "order_reference": "REL-CARD"},
        "delete_saved_card": mc,
        "capture_subscription": {**mc, "amount": "1.000", "paymentToken": seeded.subscription_token},
        "cancel_subscription": {},
        "create_pos_invoice": {**mc, "amount": "3.000", "terminal_id": f"{who.merchant_code}01",
                               "reference_number": "REL-POS", "description": "reliability"},
        "resend_pos_invoice": {**mc, "resend": "1", "invoice_id": str(seeded.pos_id)},
        "list_pos_invoices": mc,
        "get_pos_invoice": mc,
        "list_pos_terminals": mc,
    }
    return dict(table[op_name])


def seed_state(client: AsgiClient, who: MerchantIdentity = ALPHA) -> tuple[str, Seeded]:
    """Log ``who`` in and create an invoice, a split pair, an open invoice, bulk rows, a paid
    invoice (paid through the control plane) with a pending refund, a pending checkout, an
    authorized one, and a saved card (a save-card checkout paid)."""
    token = client.login(who)["access_token"]
    seeded = Seeded()
    for name in ("create_invoice", "create_split_invoice", "create_open_invoice", "upload_bulk_invoices",
                 "create_checkout"):
        r = client.call(OPERATIONS[name], valid_payload(name, seeded, who), who=who, token=token)
        env, _ = r.envelope(who.keys)
        assert r.status == 200 and env["status"] is True, (name, env)
        resp = env["response"]
        if name == "create_invoice":
            seeded.invoice_id, seeded.invoice_token = int(resp["id"]), str(resp["token"])
        elif name == "create_open_invoice":
            seeded.open_id = int(resp["id"])
        elif name == "upload_bulk_invoices":
            seeded.bulk_id = int(resp[0]["id"])
        elif name == "create_checkout":
            seeded.checkout_token = str(env["token"])
    authorize = {**valid_payload("create_checkout", seeded, who), "paymentType": "2", "authorize": "1"}
    r = client.call(OPERATIONS["create_checkout"], authorize, who=who, token=token)
    seeded.authorized_token = str(r.envelope(who.keys)[0]["token"])
    client.app.state.mock.checkouts.pay(seeded.authorized_token, "success")
    seeded.transaction_token = pay_invoice(client, token, who)
    refund = valid_payload("create_refund", seeded, who)
    r = client.call(OPERATIONS["create_refund"], refund, who=who, token=token)
    env, _ = r.envelope(who.keys)
    assert r.status == 200 and env["status"] is True, env
    seeded.refund_id = int(env["response"]["id"])
    r = client.call(OPERATIONS["create_card_customer"], valid_payload("create_card_customer", seeded, who),
                    who=who, token=token)
    seeded.card_customer_id = int(r.envelope(who.keys)[0]["data"]["id"])
    verify = {**valid_payload("create_checkout", seeded, who), "amount": "0.000", "paymentType": "2",
              "saveCard": True, "customer_id": seeded.card_customer_id}
    r = client.call(OPERATIONS["create_checkout"], verify, who=who, token=token)
    paid = client.app.state.mock.checkouts.pay(str(r.envelope(who.keys)[0]["token"]), "success")
    seeded.card_id = int(paid.card_id)
    subscription = {**valid_payload("create_checkout", seeded, who), "amount": "0.000", "paymentType": "15",
                    "subscription": "1", "numberOfInstallments": "999", "recurringFrequency": "0",
                    "recurringStartDate": "2030-01-01", "recurringAmount": "1.000"}
    r = client.call(OPERATIONS["create_checkout"], subscription, who=who, token=token)
    seeded.subscription_token = str(r.envelope(who.keys)[0]["token"])
    client.app.state.mock.checkouts.pay(seeded.subscription_token, "success")
    r = client.call(OPERATIONS["create_pos_invoice"], valid_payload("create_pos_invoice", seeded, who),
                    who=who, token=token)
    seeded.pos_id = int(r.envelope(who.keys)[0]["response"]["id"])
    return token, seeded


def pay_invoice(client: AsgiClient, token: str, who: MerchantIdentity = ALPHA, amount: str = "20.000") -> str:
    """A new invoice of ``amount``, paid through ``/_mock/``; the token of its transaction."""
    r = client.call(OPERATIONS["create_invoice"], invoice_fields(who, amount=amount), who=who, token=token)
    invoice_id = int(r.envelope(who.keys)[0]["response"]["id"])
    paid = client.request("POST", f"/_mock/invoices/{invoice_id}/pay", body=b'{"outcome": "success"}')
    assert paid.status == 200, paid.body
    return str(paid.json()["transaction"]["token"])


# ------------------------------------------------------------------------------ real HTTP server


class ServerThread:
    """uvicorn on 127.0.0.1:0 in a daemon-free thread; ``with ServerThread(app) as url: ...``."""

    def __init__(self, app: Any, *, log_level: str = "warning") -> None:
        import uvicorn

        from mock_server.serving import uvicorn_config

        self.config = uvicorn_config(app, host="127.0.0.1", port=0, log_level=log_level,
                                     access_log=False, lifespan="off", timeout_keep_alive=30)
        self.server = uvicorn.Server(self.config)
        self.thread = threading.Thread(target=self.server.run, name="reliability-uvicorn")
        self.url = ""

    def __enter__(self) -> str:
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started:
            if not self.thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("uvicorn did not start")
            time.sleep(0.01)
        port = self.server.servers[0].sockets[0].getsockname()[1]
        self.url = f"http://127.0.0.1:{port}"
        return self.url

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


class HttpMerchant:
    """One merchant's session against a real server (``requests``), closed with ``close()``."""

    def __init__(self, base_url: str, who: MerchantIdentity = ALPHA, *, timeout: float = 10) -> None:
        import requests

        self.base_url = base_url.rstrip("/")
        self.who = who
        self.timeout = timeout
        self.session = requests.Session()
        self.token = ""

    def close(self) -> None:
        self.session.close()

    def __enter__(self) -> HttpMerchant:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def login(self) -> dict[str, Any]:
        r = self.session.post(f"{self.base_url}/api/v1/login", timeout=self.timeout,
                              json={"username": self.who.username, "password": self.who.password})
        r.raise_for_status()
        token = dict(r.json()["response"]["token"])
        self.token = token["access_token"]
        return token

    def call(self, op: Operation | str, payload: Any, **params: Any) -> tuple[int, dict[str, Any]]:
        """(HTTP status, decrypted envelope) of one encrypted operation."""
        op = OPERATIONS[op] if isinstance(op, str) else op
        url = self.base_url + op.format_path(**params)
        data = encode_request(payload, self.who.keys)
        headers = {"Authorization": f"Bearer {self.token}", "accessCode": self.who.access_code,
                   "Accept": "application/json"}
        if op.payload_in == "query":
            r = self.session.request(op.method, url, params={"data": data}, headers=headers,
                                     timeout=self.timeout)
        else:
            r = self.session.request(op.method, url, json={"data": data}, headers=headers,
                                     timeout=self.timeout)
        env = decode_response(r.content, self.who.keys).envelope
        return r.status_code, env

    def control(self, method: str, path: str, body: Any = None) -> tuple[int, Any]:
        r = self.session.request(method, f"{self.base_url}/_mock{path}", json=body, timeout=self.timeout)
        return r.status_code, r.json()

    def save_card(self, name: str, email: str) -> int:
        """A saved card of this merchant (logged in): a customer, then a VERIFY checkout that saves
        the card, paid through the control plane; the card's id."""
        mc = {"merchantCode": self.who.merchant_code}
        status, env = self.call("create_card_customer", {**mc, "name": name, "email": email,
                                                         "mobile_number": "66666666"})
        assert status == 200, env
        status, env = self.call("create_checkout", {
            **mc, "amount": "0.000", "paymentType": "2", "saveCard": True, "customer_id": env["data"]["id"],
            "responseUrl": "https://shop.example/ok", "failureUrl": "https://shop.example/no"})
        assert status == 200, env
        status, body = self.control("POST", f"/checkouts/{env['token']}/pay", {"outcome": "success"})
        assert status == 200 and body["card_id"], body
        return int(body["card_id"])


# ------------------------------------------------------------------------------------ refusals


def assert_refused(world: Any, reply: Reply, before: str, *, status: int | None = None,
                   message: str | None = None, code: int | None = None,
                   encrypted: bool | None = None, keys: CipherKeys | None = None) -> dict[str, Any]:
    """The common contract of every refusal; returns the decoded envelope for further checks."""
    assert reply.status != 500 and 400 <= reply.status < 500, (reply.status, reply.body[:300])
    assert b"Traceback" not in reply.body and b'File "' not in reply.body
    env, was_encrypted = reply.envelope(keys or ALPHA.keys)
    assert isinstance(env, dict), env
    assert env.get("status", False) is False
    assert isinstance(env.get("message"), str) and env["message"].strip(), env
    if status is not None:
        assert reply.status == status, (reply.status, env)
    if message is not None:
        assert env["message"] == message, env
    if code is not None:
        assert env.get("code") == code, env
    if encrypted is not None:
        assert was_encrypted is encrypted, env
    assert world.fingerprint() == before, "a refused request changed the store"
    return env


def assert_field_error(world: Any, reply: Reply, before: str, field: str,
                       op: Operation | None = None, keys: CipherKeys | None = None) -> dict[str, list[str]]:
    """A Laravel-style field error naming ``field``: the Merchant API's (HTTP 400, the first error
    as the message, the errors under ``response``) or, for a gateway operation, the gateway's
    (HTTP 422, code 422 "Invalid Input", the errors under ``data``)."""
    if op is not None and op.host == "gateway":
        env = assert_refused(world, reply, before, status=422, code=422, message="Invalid Input",
                             encrypted=op.encrypted, keys=keys)
        errors = env["data"]
    else:
        env = assert_refused(world, reply, before, status=400, encrypted=True, keys=keys)
        errors = env["response"]
        assert isinstance(errors, dict) and errors, env
        assert env["message"] == next(iter(errors.values()))[0]
    assert isinstance(errors, dict) and errors, env
    assert all(isinstance(v, list) and v and all(isinstance(s, str) and s for s in v)
               for v in errors.values()), errors
    assert any(k == field or k.startswith(field + ".") for k in errors), (field, errors)
    return errors


def assert_read_like_the_server(world: Any, reply: Reply, before: str, op: Operation, payload: Any,
                                field: str) -> str:
    """The answer the real Merchant API gives ``payload``, by its leniencies (hesabe_spec.tolerance):
    "506" for an amount with float drift; "read" when the leniencies make it valid (then it is
    answered, or refused by the lifecycle, never as a field error at ``field``); "field error" at
    ``field`` otherwise. Returns which it was. (The payment gateway has its own rules: a field
    error, mock_server/gateway.py.)"""
    if op.host == "gateway":
        assert_field_error(world, reply, before, field, op)
        return "field error"
    op_name = op.name
    tolerated = tolerate(op_name, payload)
    if tolerated.invalid_data:
        assert_refused(world, reply, before, status=400, message="Invalid Request Data", code=506,
                       encrypted=True)
        return "506"
    if tolerated.notes and not validate_request(op_name, tolerated.payload):
        assert reply.status < 500, (reply.status, reply.body[:300])
        if reply.status != 200:
            env = assert_refused(world, reply, before, encrypted=True)
            errors = env["response"] if isinstance(env["response"], dict) else {}
            assert not any(k == field or k.startswith(field + ".") for k in errors), (field, errors)
        return "read"
    assert_field_error(world, reply, before, field)
    return "field error"
