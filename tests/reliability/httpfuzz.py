"""A hostile-input campaign over the mock's whole HTTP surface, sent through a real socket.

``Attack`` is one raw HTTP/1.1 request (method, target, headers, body, each possibly absurd);
``attacks(ctx)`` is the Hypothesis strategy that draws them over every route the app serves:
the Merchant API and the payment gateway (valid encryption of hostile plaintexts with the
merchant's keys, so they get past decryption; and junk envelopes, content types, methods and
headers), the invoice and checkout pages (form posts), the ``/_mock/`` control plane and the
webhook sender's routes (bodies of the wrong shape, hostile path ids and query strings) and the
inspector's pages. ``send_raw`` writes the bytes as given (duplicated headers, any Content-Type)
and reads the answer; ``Snapshot`` is the state a refused request must leave as it was: the
store's fingerprint and what the control plane keeps outside it (clock, faults, auto-approval,
queued charge decisions, webhook settings and modes, merchants).

No helper here sends anywhere but the loopback server it is given: webhook URLs the campaign
generates point at a refused loopback port.
"""

from __future__ import annotations

import contextlib
import json
import socket
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, urlencode

from hypothesis import strategies as st
from relkit import ALPHA, Seeded, valid_payload

from hesabe_spec.crypto import CipherKeys
from hesabe_spec.operations import GATEWAY_PAGES, OPERATIONS, Operation
from hesabe_spec.wire import encode_request
from mock_server.runtime import MockRuntime
from mock_server.shapes.checkout import page_session
from mock_server.webhooks.config import as_json

__all__ = ["Attack", "Context", "RawReply", "Snapshot", "attacks", "send_raw", "snapshot"]

#: where a generated webhook URL points: the discard port on loopback (nothing listens there)
NOWHERE = "http://127.0.0.1:9/hook"


# ------------------------------------------------------------------------------------------ sending


@dataclass(frozen=True)
class Attack:
    """One request as bytes go on the wire. ``fault`` marks a request that asks for a fault
    (``X-Mock-Fault`` naming a real kind): its answer may be the 500 it asked for."""

    family: str
    method: str
    target: str
    headers: tuple[tuple[str, bytes], ...] = ()
    body: bytes = b""
    content_length: bytes | None = None
    fault: bool = False

    def describe(self) -> str:
        shown = self.body[:300]
        return f"{self.method} {self.target[:300]} headers={list(self.headers)[:8]} body={shown!r}"


@dataclass
class RawReply:
    status: int
    headers: dict[str, str]
    body: bytes


class Hang(AssertionError):
    """The server did not answer within the timeout."""


def send_raw(port: int, attack: Attack, *, timeout: float = 30.0) -> RawReply:
    """``attack`` over a new connection (``Connection: close``); the whole answer."""
    lines = [f"{attack.method} {attack.target} HTTP/1.1".encode("latin-1"),
             f"Host: 127.0.0.1:{port}".encode()]
    lines += [name.encode("latin-1") + b": " + value for name, value in attack.headers]
    length = attack.content_length if attack.content_length is not None else str(len(attack.body)).encode()
    if attack.body or attack.content_length is not None:
        lines.append(b"Content-Length: " + length)
    lines.append(b"Connection: close")
    raw = b"\r\n".join(lines) + b"\r\n\r\n" + attack.body
    chunks: list[bytes] = []
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        # the server may refuse early (a 413 before the body): its answer is still there
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            sock.sendall(raw)
        try:
            while True:
                chunk = sock.recv(65536)
                if not chunk:
                    break
                chunks.append(chunk)
        except TimeoutError:
            raise Hang(f"no answer within {timeout} s: {attack.describe()}") from None
        except ConnectionResetError:
            pass
    return _parse(b"".join(chunks), attack)


def _parse(data: bytes, attack: Attack) -> RawReply:
    head, sep, body = data.partition(b"\r\n\r\n")
    assert sep, f"no HTTP answer ({data[:200]!r}) to {attack.describe()}"
    if head.startswith(b"HTTP/1.1 1"):  # an interim answer (100 Continue): the real one follows
        return _parse(body, attack)
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    status = int(status_line.split(" ")[1])
    headers: dict[str, str] = {}
    for line in header_lines:
        name, _colon, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    if headers.get("transfer-encoding", "").lower() == "chunked":
        body = _unchunk(body)
    return RawReply(status, headers, body)


def _unchunk(data: bytes) -> bytes:
    out = b""
    while data:
        size_line, _sep, rest = data.partition(b"\r\n")
        size = int(size_line.split(b";")[0], 16)
        if size == 0:
            break
        out += rest[:size]
        data = rest[size + 2:]
    return out


# ------------------------------------------------------------------------------------------- state


@dataclass
class Snapshot:
    """What a refused request must not change."""

    fingerprint: str
    control: dict[str, Any] = field(default_factory=dict)


def snapshot(mock: MockRuntime) -> Snapshot:
    clock = mock.clock
    control = {
        "clock": (clock.frozen, getattr(clock, "_offset", None), getattr(clock, "_frozen", None)),
        "faults": [r.to_json() for r in mock.faults.rules()],
        "auto_approve": mock.refunds.auto_approve_after,
        "charges": {m.merchant_code: [(d.outcome, d.result_code) for d in mock.charge_decisions.pending(
            m.merchant_id)] for m in mock.merchants.merchants},
        "webhooks": (as_json(mock.webhooks.dispatcher.settings), as_json(mock.webhooks.dispatcher.modes)),
        "merchants": sorted(m.merchant_code for m in mock.merchants.merchants),
    }
    return Snapshot(mock.store.fingerprint(), control)


# ------------------------------------------------------------------------------------------ context


@dataclass(repr=False)
class Context:
    """The records a campaign can name: the seeded merchant's ids, access keys and sessions."""

    token: str
    seeded: Seeded
    invoice_key: str = ""
    open_key: str = ""
    split_key: str = ""
    session: str = ""
    keys: CipherKeys = ALPHA.keys

    def __repr__(self) -> str:
        return "Context(the seeded sandbox merchant)"

    @classmethod
    def of(cls, mock: MockRuntime, token: str, seeded: Seeded) -> Context:
        merchant_id = ALPHA.merchant_id
        invoice = mock.store.get_invoice(merchant_id, seeded.invoice_id)
        open_invoice = mock.store.get_open_invoice(merchant_id, seeded.open_id)
        # the split pair was created right after the seeded invoice
        splits = [inv for i in range(seeded.invoice_id + 1, seeded.invoice_id + 4)
                  if (inv := mock.store.get_invoice(merchant_id, i)) is not None and inv.split_access_key]
        checkout = mock.checkouts.find(seeded.checkout_token)
        return cls(token, seeded, invoice.access_key if invoice else "",
                   open_invoice.access_key if open_invoice else "",
                   splits[0].split_access_key if splits else "", page_session(checkout))


# --------------------------------------------------------------------------------------- strategies

#: strings the handlers parse: numbers in every script, dates at the calendar's edges, sizes
#: past Python's int-parsing limit, separators, escapes, NUL
JUNK_STRINGS = [
    "", " ", "0", "-1", "1", "2", "00", "1.5", "1e3", "1e400", "-0", "+1", "0x10", "NaN", "Infinity",
    "\u00b2", "\u0661\u0662", "\u0969", "\uff11", "\u2460", "9" * 19, "9" * 40, "9" * 5000,
    "true", "null", "[]", "{}", "success", "failure", "cancelled", "expired", "DECLINED", "CAPTURED",
    "2030-01-01", "9999-12-31T23:59:59", "0001-01-01", "2025-02-30", "10000-01-01",
    "\x00", "a\x00b", "%00", "../..", "..%2f", "<script>", "'\"", "\ud800", "\U0001f4b8",
    "en", "ar", "xx", "pay", "decline", "cancel", NOWHERE, "ftp://x", "http://", "842217",
]
junk_text = st.sampled_from(JUNK_STRINGS) | st.sampled_from(JUNK_STRINGS) | st.text(max_size=24)
#: JSON numbers Python reads as floats or big ints: NaN and the infinities are json.dumps'
numbers = st.sampled_from([0, 1, -1, 5.0, 1e300, 2**31, 2**63, 2**70, -(2**70), 10**400, 0.5, -0.0, 1e308,
                           1e-308, float("nan"), float("inf"), float("-inf")]) | st.integers() | st.floats()
scalars = st.none() | st.booleans() | numbers | junk_text
json_values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=3)
                           | st.dictionaries(junk_text, inner, max_size=3), max_leaves=8)

METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", "TRACE", "CONNECT", "PROPFIND", "get"]
CONTENT_TYPES = [
    "application/json", "application/json; charset=utf-8", "application/x-www-form-urlencoded",
    "multipart/form-data; boundary=fuzzb", "multipart/form-data", "multipart/form-data; boundary=",
    "multipart/form-data; boundary=" + "b" * 300, "multipart/mixed; boundary=fuzzb", "text/plain", "",
    "application/xml", "*/*", "application/json, text/html",
    "application/x-www-form-urlencoded; charset=latin-1",
    "\u00e9t\u00e9/\u00ff",
]


def _json_bytes(value: Any) -> bytes:
    return json.dumps(value, allow_nan=True).encode("utf-8", "surrogatepass")


def _form(fields: list[tuple[str, str]]) -> bytes:
    return urlencode([(k.encode("utf-8", "surrogatepass"), v.encode("utf-8", "surrogatepass"))
                      for k, v in fields]).encode()


def _multipart(fields: list[tuple[str, str]], boundary: str = "fuzzb") -> bytes:
    parts = [f'--{boundary}\r\nContent-Disposition: form-data; '
             f'name="{quote(k.encode("utf-8", "surrogatepass"))}"\r\n\r\n'.encode()
             + v.encode("utf-8", "surrogatepass") + b"\r\n" for k, v in fields]
    return b"".join(parts) + f"--{boundary}--\r\n".encode()


@st.composite
def bodies(draw: st.DrawFn, fields: dict[str, Any] | None = None) -> tuple[bytes, str]:
    """(body, content type): JSON of any shape, a form or multipart of ``fields`` (or junk), raw bytes."""
    kind = draw(st.sampled_from(["json", "json", "fields", "form", "multipart", "raw", "none"]))
    if kind == "none":
        return b"", draw(st.sampled_from(CONTENT_TYPES))
    if kind == "raw":
        raw = draw(st.binary(max_size=200) | st.sampled_from([b"[" * 5000, b'{"a":' * 3000, b"\xff\xfe",
                                                             b"\x00" * 64, b"{" + b" " * 10_000]))
        return raw, draw(st.sampled_from(CONTENT_TYPES))
    if kind == "json":
        return _json_bytes(draw(json_values)), draw(st.sampled_from([*CONTENT_TYPES[:2], "", "text/plain"]))
    doc = dict(draw(st.dictionaries(junk_text, json_values, max_size=2)))
    for name, value in (fields or {}).items():
        choice = draw(st.sampled_from(["keep", "drop", "junk", "value"]))
        if choice == "keep":
            doc[name] = value
        elif choice == "junk":
            doc[name] = draw(json_values)
        elif choice == "value":
            doc[name] = draw(scalars)
    if kind == "fields":
        return _json_bytes(doc), "application/json"
    pairs = [(str(k), v if isinstance(v, str) else json.dumps(v, allow_nan=True)) for k, v in doc.items()]
    pairs += draw(st.lists(st.tuples(st.sampled_from(sorted(doc) or ["x"]).map(str), junk_text), max_size=2))
    if kind == "form":
        return _form(pairs), draw(st.sampled_from(["application/x-www-form-urlencoded", "text/plain", ""]))
    return _multipart(pairs), draw(st.sampled_from(["multipart/form-data; boundary=fuzzb",
                                                    "multipart/form-data; boundary=other"]))


@st.composite
def queries(draw: st.DrawFn, names: list[str]) -> str:
    """A query string: known names (repeated at times) with hostile values, or raw junk."""
    if draw(st.integers(0, 9)) == 0:
        return draw(st.sampled_from(["%", "%ZZ", "&&&", "=", "a=%FF%FE", "data", "?", "x=1;y=2", "%00=%00",
                                     "a=" + "%41" * 3000]))
    pairs = draw(st.lists(st.tuples(st.sampled_from([*names, "x"]), junk_text), max_size=4))
    return urlencode([(k, v.encode("utf-8", "surrogatepass")) for k, v in pairs])


def path_value(real: str | int) -> st.SearchStrategy[str]:
    """A path parameter: the real record's, or a hostile one (percent-encoded as a client would)."""
    hostile = junk_text.filter(bool).map(lambda s: quote(s.encode("utf-8", "surrogatepass"), safe=""))
    return st.just(str(real)) | hostile


def _target(path: str, query: str) -> str:
    return f"{path}?{query}" if query else path


@st.composite
def header_noise(draw: st.DrawFn) -> list[tuple[str, bytes]]:
    """Extra headers: junk, duplicates, forced faults, huge values, non-ASCII bytes."""
    noise = draw(st.lists(st.sampled_from([
        ("Accept", b"*/*"), ("Accept", b"application/json\xff"),
        ("X-Mock-Fault", b"latency; latency_ms=\xc2\xb2"),
        ("X-Mock-Fault", b"rate_limit; retry_after=" + b"9" * 60), ("X-Mock-Fault", b"nonsense"),
        ("X-Mock-Fault", b"mutate_reply; patch=["), ("X-Mock-Fault", b"mutate_reply; http_status=1000"),
        ("X-Mock-Fault", b"mutate_reply; patch=" + b"[" * 3000), ("X-Mock-Fault", b"latency; latency_ms=1e3"),
        ("X-Mock-Fault", "latency; latency_ms=\u0661".encode()), ("X-Mock-Fault", b"; ;"),
        ("X-Mock-Fault", "latency; latency_ms=\u00b2".encode()),
        ("X-Mock-Fault", b"latency; latency_ms=" + b"9" * 5000),
        ("X-Mock-Fault", b"mutate_reply; patch=[{\"op\": \"add\", \"path\": \"/x\", \"value\": NaN}]"),
        ("Origin", b"null"), ("Origin", b"http://evil.example"), ("Referer", b"\xff"),
        ("Accept-Language", b"ar"), ("X-Forwarded-For", b"10.0.0.1"), ("Cookie", b"a=" + b"b" * 4000),
        ("Expect", b"100-continue"), ("Transfer-Encoding", b"gzip"), ("Content-Encoding", b"gzip"),
        ("X-Mock-Control-Token", b"\x00"), ("Authorization", b"Bearer"), ("accessCode", b""),
    ]), max_size=3))
    return noise


def _faulting(headers: list[tuple[str, bytes]]) -> bool:
    """Does a header force a fault that may answer 500?"""
    return any(k.lower() == "x-mock-fault" and v.split(b";")[0].strip() == b"error_500" for k, v in headers)


@st.composite
def api_attacks(draw: st.DrawFn, ctx: Context) -> Attack:
    """An operation of the table: the right key over a hostile plaintext, a junk envelope, the
    wrong method, the data in the wrong place or twice, credentials duplicated or missing."""
    op: Operation = draw(st.sampled_from(list(OPERATIONS.values())))
    params = ctx.seeded.params(op)
    if op.path_params and draw(st.booleans()):
        params = {op.path_params[0]: draw(path_value(params[op.path_params[0]]))}
    path = op.format_path(**params) if params else draw(st.sampled_from(op.paths))
    method = op.method if draw(st.integers(0, 4)) else draw(st.sampled_from(METHODS))
    headers: list[tuple[str, bytes]] = []
    auth = draw(st.sampled_from(["ok", "ok", "ok", "dup", "none", "junk"]))
    good = [("Authorization", f"Bearer {ctx.token}".encode()), ("accessCode", ALPHA.access_code.encode())]
    if auth == "ok":
        headers += good
    elif auth == "dup":
        junk = [("Authorization", b"Bearer " + draw(junk_text).encode("utf-8", "surrogatepass")),
                ("accessCode", draw(junk_text).encode("utf-8", "surrogatepass"))]
        headers += [*junk, *good] if draw(st.booleans()) else [*good, *junk]
    elif auth == "junk":
        headers += [(draw(st.sampled_from(["Authorization", "accessCode", "accesscode"])),
                     draw(junk_text).encode("utf-8", "surrogatepass"))]
    headers += draw(header_noise())
    if op.payload_in == "plain":
        body, content_type = draw(bodies({"username": ALPHA.username, "password": ALPHA.password,
                                          "refresh_token": "x"}))
        return Attack("api", method, path, (*headers, ("Content-Type", content_type.encode())), body,
                      fault=_faulting(headers))
    payload: Any = valid_payload(op.name, ctx.seeded)
    shape = draw(st.sampled_from(["one", "one", "mutated", "mutated", "any", "junk-hex", "nothing"]))
    if shape == "one" and isinstance(payload, dict) and payload:  # one field wrong: gets further more often
        payload[draw(st.sampled_from(sorted(payload)))] = draw(scalars | json_values)
    elif shape == "mutated" and isinstance(payload, dict):
        for key in list(payload):
            action = draw(st.sampled_from(["keep", "keep", "drop", "junk", "scalar"]))
            if action == "drop":
                del payload[key]
            elif action == "junk":
                payload[key] = draw(json_values)
            elif action == "scalar":
                payload[key] = draw(scalars)
    elif shape == "any":
        payload = draw(json_values)
    if op.payload_in == "none":  # enquiry, void: plain parameters
        query = draw(queries(["isOrderReference", "merchantCode", "data"]))
        return Attack("api", method, _target(path, query), tuple(headers), fault=_faulting(headers))
    if shape == "junk-hex":
        data = draw(st.sampled_from(["", "zz", "0" * 31, "\u0661" * 32, "ab" * 4000]) | st.text(max_size=40))
    elif shape == "nothing":
        data = None
    else:
        data = ctx.keys.encrypt(json.dumps(payload, allow_nan=True).encode("utf-8", "surrogatepass"))
    where = draw(st.sampled_from(["home", "home", "json", "form", "multipart", "query", "twice",
                                  "not-string"]))
    if where == "home":
        where = "query" if op.payload_in == "query" else "json"
    query, body, content_type = "", b"", "application/json"
    if where == "query":
        query = urlencode({} if data is None else {"data": data.encode("utf-8", "surrogatepass")})
    elif where == "twice":
        other = encode_request(valid_payload(op.name, ctx.seeded), ctx.keys)
        pair = [("data", other.encode()), ("data", (data or "").encode("utf-8", "surrogatepass"))]
        query = urlencode(pair if draw(st.booleans()) else pair[::-1])
        body = _json_bytes({"data": data})
    elif where == "not-string":
        body = _json_bytes({"data": draw(json_values)})
    elif where == "json":
        body = _json_bytes({} if data is None else {"data": data})
    elif where == "form":
        body, content_type = _form([("data", data or "")]), "application/x-www-form-urlencoded"
    else:
        body, content_type = _multipart([("data", data or "")]), "multipart/form-data; boundary=fuzzb"
    if draw(st.integers(0, 5)) == 0:
        content_type = draw(st.sampled_from(CONTENT_TYPES))
    headers.append(("Content-Type", content_type.encode("utf-8")))
    extra = ""
    if draw(st.integers(0, 3)) == 0:
        extra = draw(queries(["data", "page", "status", "search", "lang", "type"]))
    query = "&".join(q for q in (query, extra) if q)
    return Attack("api", method, _target(path, query), tuple(headers), body, fault=_faulting(headers))


#: the form fields each page reads
PAGE_FIELDS = {"action": "pay", "payment_type": "1", "amount": "5.000", "part": "",
               "card_number": "4111111111111111", "expiry": "12/30", "cvv": "123"}


@st.composite
def page_attacks(draw: st.DrawFn, ctx: Context) -> Attack:
    """The hosted pages: junk keys and sessions, junk languages, form posts of every shape."""
    which = draw(st.sampled_from(["s", "s-open", "sp", "payment", "webview", "applepay"]))
    if which in ("s", "s-open", "sp"):
        real = {"s": ctx.invoice_key, "s-open": ctx.open_key, "sp": ctx.split_key}[which]
        key = draw(path_value(real or "none"))
        path = f"/{'sp' if which == 'sp' else 's'}/{key}"
        query = draw(queries(["lang", "result", "part"]))
    else:
        path = GATEWAY_PAGES[{"payment": "payment_page", "webview": "webview_page",
                              "applepay": "apple_pay_script"}[which]].path
        session = draw(st.just(ctx.session) | junk_text)
        pairs = [("data", session.encode("utf-8", "surrogatepass"))]
        extra = draw(queries(["lang", "data", "result"]))
        query = "&".join(q for q in (urlencode(pairs), extra) if q)
    method = draw(st.sampled_from(["GET", "POST", "POST", "POST", "HEAD", "PUT", "DELETE"]))
    fields = dict(PAGE_FIELDS)
    if which == "sp":
        fields["part"] = ctx.split_key
    body, content_type = draw(bodies(fields)) if method != "GET" else (b"", "")
    headers = [("Content-Type", content_type.encode("utf-8"))] if content_type else []
    return Attack("pages", method, _target(path, query), (*headers, *draw(header_noise())), body)


#: the control routes with their path parameters and the body fields their handlers read
CARD = {"number": "4111111111111111", "expiry": "12/30", "cvv": "123"}
CONTROL_ROUTES: list[tuple[str, str, dict[str, Any]]] = [
    ("POST", "/_mock/reset", {"merchant_code": "842217"}),
    ("POST", "/_mock/seed", {"invoices": [{"amount": "1.000"}], "open_invoices": [], "fixture": "x",
                             "path": "/nonexistent/seed.json"}),
    ("GET", "/_mock/merchants", {}),
    ("POST", "/_mock/merchants", {"merchant_code": "900100", "merchant_id": 100, "name": "Fuzz",
                                  "username": "fuzz", "password": "x", "secret_key": "k" * 32,
                                  "iv_key": "v" * 16, "access_code": "a"}),
    ("GET", "/_mock/journal", {}),
    ("DELETE", "/_mock/journal", {}),
    ("GET", "/_mock/findings", {}),
    ("DELETE", "/_mock/findings", {}),
    ("GET", "/_mock/clock", {}),
    ("POST", "/_mock/clock", {"set": "2030-01-01T00:00:00", "freeze": True, "advance": 60, "reset": True}),
    ("GET", "/_mock/invoices/{invoice}", {}),
    ("POST", "/_mock/invoices/{invoice}/pay", {"payment_type": 1, "outcome": "success"}),
    ("GET", "/_mock/open-invoices/{open}", {}),
    ("POST", "/_mock/open-invoices/{open}/pay", {"amount": "5.000", "payment_type": 1, "outcome": "success",
                                                 "customer": {"name": "x", "email": "a@b.c", "phone": "1"}}),
    ("GET", "/_mock/checkouts/{checkout}", {}),
    ("POST", "/_mock/checkouts/{checkout}/pay", {"outcome": "success", "result_code": "CAPTURED",
                                                 "payment_type": 1, "card": CARD}),
    ("GET", "/_mock/charges", {}),
    ("POST", "/_mock/charges", {"outcome": "failure", "result_code": "DECLINED", "merchant_code": "842217"}),
    ("GET", "/_mock/refunds/auto-approve", {}),
    ("POST", "/_mock/refunds/auto-approve", {"seconds": 10}),
    ("GET", "/_mock/refunds/{refund}", {}),
    ("POST", "/_mock/refunds/{refund}/approve", {"remarks": "ok"}),
    ("POST", "/_mock/refunds/{refund}/reject", {"remarks": "no"}),
    ("GET", "/_mock/faults", {}),
    ("POST", "/_mock/faults", {"kind": "latency", "latency_ms": 1, "operation": "*", "probability": 0.5,
                               "seed": 1, "times": 1}),
    ("DELETE", "/_mock/faults", {}),
    ("DELETE", "/_mock/faults/{fault}", {}),
    ("GET", "/_mock/webhooks", {}),
    ("DELETE", "/_mock/webhooks", {}),
    ("GET", "/_mock/webhooks/modes", {}),
    ("POST", "/_mock/webhooks/modes", {"duplicate": True, "delay_ms": 1, "batch_size": 2}),
    ("GET", "/_mock/webhooks/settings", {}),
    ("POST", "/_mock/webhooks/settings", {"attempts": 2, "base_delay": 0.1, "max_delay": 1.0, "timeout": 1.0,
                                          "fallback_url": NOWHERE}),
    ("POST", "/_mock/webhooks/flush", {}),
    ("POST", "/_mock/webhooks/{delivery}/redeliver", {}),
    ("GET", "/_mock", {}),
    ("GET", "/_mock/nowhere/{invoice}", {}),
    ("GET", "/_mock/ui", {}),
    ("GET", "/_mock/ui/traffic", {}),
    ("GET", "/_mock/ui/exchanges/{seq}", {}),
    ("GET", "/_mock/ui/records", {}),
    ("GET", "/_mock/ui/state", {}),
    ("GET", "/_mock/ui/inspector.js", {}),
]
#: query names the control and inspector routes read
CONTROL_QUERY = ["limit", "operation", "merchant_code", "severity", "state", "after", "status", "part",
                 "merchant", "family", "q", "lang", "seq", "op", "path"]


@st.composite
def control_attacks(draw: st.DrawFn, ctx: Context) -> Attack:
    """``/_mock/`` and the inspector: hostile path ids, query strings and bodies of every shape.
    A reset is never accepted (the campaign keeps its records); other accepted changes are
    undone by the test after the example."""
    method, path, fields = draw(st.sampled_from(CONTROL_ROUTES))
    real = {"invoice": ctx.seeded.invoice_id, "open": ctx.seeded.open_id, "refund": ctx.seeded.refund_id,
            "checkout": ctx.seeded.checkout_token, "fault": 1, "delivery": 1, "seq": 1}
    for name, value in real.items():
        if "{" + name + "}" in path:
            path = path.replace("{" + name + "}", draw(path_value(value)))
    if draw(st.integers(0, 6)) == 0:
        method = draw(st.sampled_from(METHODS))
    query = draw(queries(CONTROL_QUERY)) if method in ("GET", "DELETE", "HEAD") or draw(st.booleans()) else ""
    body, content_type = draw(bodies(fields)) if method in ("POST", "PUT", "PATCH") else (b"", "")
    if path == "/_mock/seed" and draw(st.booleans()):
        section = draw(st.sampled_from(sorted(SEED_FIELDS)))
        record = st.dictionaries(st.sampled_from(SEED_FIELDS[section]), json_values, max_size=4)
        records = draw(st.lists(record, min_size=1, max_size=2))
        body = _json_bytes({section: records})
    if path == "/_mock/reset":
        body = _json_bytes({"merchant_code": draw(junk_text.filter(lambda s: s not in ALL_CODES)),
                            **({"x": draw(json_values)} if draw(st.booleans()) else {})})
    headers = [("Content-Type", content_type.encode("utf-8"))] if content_type else []
    return Attack("control", method, _target(path, query), (*headers, *draw(header_noise())), body)


ALL_CODES = {ALPHA.merchant_code, "900017"}
#: a seed document's record fields (the models' own names)
SEED_FIELDS = {
    "invoices": ["id", "amount", "token", "access_key", "reference_number", "description", "invoice_type",
                 "invoice_status", "expires_at", "created_at", "payment_method", "customer", "language",
                 "products", "payment_attempts", "split_access_key", "merchant_code"],
    "open_invoices": ["id", "title", "type", "fixed_amount", "min_amount", "max_amount", "expiry_date",
                      "status", "payments", "access_key", "merchant_code"],
    "bulk_rows": ["id", "name", "phone", "email", "amount", "reference_number", "description"],
}


@st.composite
def transport_attacks(draw: st.DrawFn, ctx: Context) -> Attack:
    """Framing a server reads before any route: absurd Content-Length, methods, targets."""
    target = draw(st.sampled_from([
        "/api/v1/invoice", "/checkout", "/_mock/clock", "/s/x", "/payment?data=x", "*", "//api/v1/invoice",
        "/api/v1/../v1/invoice", "/%2e%2e/_mock", "/api/v1/invoice#x", "/" + "a" * 9000,
        "/api/v1/invoice?" + "a=1&" * 2000, "/_mock/ui/\u00e9".encode().decode("latin-1")]))
    method = draw(st.sampled_from(METHODS))
    length = draw(st.sampled_from([None, b"-1", b"abc", b"1e3", b" 5", b"0", b"99999999999999999999999"]))
    body = draw(st.binary(max_size=40))
    if length is not None and length.strip().isdigit() and int(length) > len(body):
        length = str(len(body)).encode()  # a body shorter than declared is a slow client, not an attack
    return Attack("transport", method, target, tuple(draw(header_noise())), body, content_length=length)


def attacks(ctx: Context) -> st.SearchStrategy[Attack]:
    return st.one_of(api_attacks(ctx), api_attacks(ctx), page_attacks(ctx), control_attacks(ctx),
                     control_attacks(ctx), transport_attacks(ctx))
