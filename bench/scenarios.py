"""The HTTP scenarios of the load test, built with the reference client's own request builder.

Each scenario is one fixed request (a fixed encrypted create payload). Before a
scenario is loaded it is sent once and its decrypted answer checked, so a bench never measures
a stream of refusals.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlencode, urlsplit

from bench.loadgen import Request, connect
from bench.seed import CHECKOUT_PAYLOAD, COMMON_TERM, CREATE_PAYLOAD
from hesabe_spec.client import HesabeClient
from hesabe_spec.sandbox import SANDBOX
from hesabe_spec.wire import decode_response

__all__ = ["CREATES", "SCENARIOS", "build_requests", "send"]

SCENARIOS = ("login", "create_invoice", "get_invoice", "list_page1", "list_deep", "search", "create_checkout")
#: the scenarios that create something each time (run last, after the reads)
CREATES = ("create_invoice", "create_checkout")


def _request(prepared: Any) -> Request:
    path = urlsplit(prepared.url).path
    if prepared.params:
        path += "?" + urlencode(dict(prepared.params))
    return Request(prepared.method, path, dict(prepared.headers), prepared.body or b"")


def send(url: str, req: Request) -> tuple[int, Any]:
    """Send once; return the status and the decrypted (or plain) envelope."""
    conn = connect(url, timeout=30)
    try:
        conn.request(req.method, req.path, body=req.body or None, headers=req.headers)
        resp = conn.getresponse()
        body = resp.read()
    finally:
        conn.close()
    return resp.status, decode_response(body, SANDBOX.keys).envelope


def _check(url: str, name: str, req: Request) -> Any:
    status, envelope = send(url, req)
    if status != 200 or not (isinstance(envelope, dict) and envelope.get("status") is True):
        raise RuntimeError(f"scenario {name}: the mock answered {status} {str(envelope)[:300]}")
    return envelope


def build_requests(url: str, seeded: int) -> dict[str, Request]:
    """Log in, then the checked request of every scenario against the mock at ``url``."""
    client = HesabeClient(base_url=url)
    login = _request(client.prepare("login", {"username": SANDBOX.username, "password": SANDBOX.password}))
    token = _check(url, "login", login)["response"]["token"]["access_token"]

    def prep(op: str, payload: dict[str, Any], **kw: Any) -> Request:
        return _request(client.prepare(op, payload, bearer=token, **kw))

    create = prep("create_invoice", dict(CREATE_PAYLOAD))
    invoice_id = _check(url, "create_invoice", create)["response"]["id"]
    deep_page = max(2, seeded // 15 // 2)
    reqs = {
        "login": login,
        "create_invoice": create,
        "get_invoice": prep("get_invoice", {}, path_params={"id": invoice_id}),
        "list_page1": prep("list_invoices", {"page": 1}),
        "list_deep": prep("list_invoices", {"page": deep_page}),
        "search": prep("list_invoices", {"page": 1, "search": COMMON_TERM}),
        # the payment gateway: accessCode alone, no bearer
        "create_checkout": _request(client.prepare("create_checkout", dict(CHECKOUT_PAYLOAD))),
    }
    _check(url, "create_checkout", reqs["create_checkout"])
    for name, req in reqs.items():
        if name not in ("login", *CREATES):
            envelope = _check(url, name, req)
            if name.startswith("list") or name == "search":
                rows = envelope["response"]["invoices"]["data"]
                if seeded and not rows:
                    raise RuntimeError(f"scenario {name}: an empty page")
    client.close()
    return reqs


if __name__ == "__main__":  # pragma: no cover - manual check
    import sys

    print(json.dumps({k: v.path for k, v in build_requests(sys.argv[1], 0).items()}, indent=1))
