"""ASGITransport against tiny hand-written ASGI apps: no socket, no framework."""

from __future__ import annotations

import asyncio
import gc
import json
import threading
from collections.abc import Iterator
from typing import Any

import pytest
import requests
from client_fakes import KEYS

from hesabe_spec.client import ASGITransport, HesabeClient
from hesabe_spec.errors import HesabeTimeoutError as HesabeTimeout
from hesabe_spec.errors import RedirectError
from hesabe_spec.wire import decode_request_data, encode_response


async def _read_body(receive: Any) -> bytes:
    body, more = b"", True
    while more:
        message = await receive()
        body += message.get("body", b"")
        more = message.get("more_body", False)
    return body


async def _respond(
    send: Any, status: int, body: bytes, headers: list[tuple[bytes, bytes]] | None = None
) -> None:
    await send({"type": "http.response.start", "status": status, "headers": headers or []})
    # Two chunks on purpose: the transport must join streamed bodies.
    await send({"type": "http.response.body", "body": body[:3], "more_body": True})
    await send({"type": "http.response.body", "body": body[3:]})


async def echo_app(scope: Any, receive: Any, send: Any) -> None:
    """Answers with what it saw."""
    assert scope["type"] == "http"
    body = await _read_body(receive)
    seen = {
        "method": scope["method"],
        "path": scope["path"],
        "query": scope["query_string"].decode(),
        "headers": {k.decode(): v.decode() for k, v in scope["headers"]},
        "body": body.decode(),
        "server": list(scope["server"]),
    }
    await _respond(send, 200, json.dumps(seen).encode(), [(b"x-app", b"echo"), (b"x-app", b"twice")])


async def mini_hesabe(scope: Any, receive: Any, send: Any) -> None:
    """Just enough Hesabe for the client: login, and an encrypted invoice read."""
    if scope["type"] != "http":
        return
    body = await _read_body(receive)
    if scope["path"] == "/api/v1/login":
        token = {
            "token_type": "Bearer",
            "expires_in": 900,
            "access_token": "asgi-token",
            "refresh_token": "r",
        }
        await _respond(
            send,
            200,
            json.dumps({"status": True, "message": "Success", "response": {"token": token}}).encode(),
        )
        return
    if scope["path"].endswith("/moved"):
        await _respond(send, 302, b"", [(b"location", b"https://elsewhere/")])
        return
    headers = dict(scope["headers"])
    query = dict(p.split("=", 1) for p in scope["query_string"].decode().split("&") if p)
    data = query.get("data") or json.loads(body)["data"]
    payload = decode_request_data(data, KEYS)
    answer = {
        "id": int(scope["path"].rsplit("/", 1)[-1]),
        "merchantCode": payload["merchantCode"],
        "auth": headers[b"authorization"].decode(),
    }
    envelope = {"status": True, "message": "Invoice details", "response": answer}
    await _respond(send, 200, encode_response(envelope, KEYS))


@pytest.fixture
def transport() -> Iterator[ASGITransport]:
    with ASGITransport(mini_hesabe) as t:
        yield t


def test_request_reaches_the_app_with_method_path_query_headers_body() -> None:
    with ASGITransport(echo_app) as transport:
        response = transport.request(
            "POST",
            "http://mock.local:8080/api/v1/invoice%20x?a=1",
            headers={"Accept": "application/json"},
            data=b'{"data":"ab"}',
            params={"b": "2", "skip": None},
            timeout=5,
            allow_redirects=False,
        )
    seen = response.json()
    assert response.status_code == 200 and response.headers["X-APP"] == "echo, twice"
    assert (seen["method"], seen["path"], seen["query"]) == ("POST", "/api/v1/invoice x", "a=1&b=2")
    assert seen["headers"]["host"] == "mock.local:8080" and seen["headers"]["accept"] == "application/json"
    assert seen["headers"]["content-length"] == "13" and seen["body"] == '{"data":"ab"}'
    assert seen["server"] == ["mock.local", 8080]


def test_json_keyword_like_requests() -> None:
    with ASGITransport(echo_app) as transport:
        seen = transport.request("PUT", "http://x/", json={"a": 1}).json()
    assert seen["body"] == '{"a":1}' and seen["headers"]["content-type"] == "application/json"


def test_the_client_runs_in_process(transport: ASGITransport) -> None:
    client = HesabeClient(transport=transport, base_url="http://mock", validate=False)
    assert client.get_invoice(14696) == {"id": 14696, "merchantCode": "842217", "auth": "Bearer asgi-token"}
    client.close()  # an injected transport stays open
    assert client.get_invoice(1)["id"] == 1


def test_works_from_many_threads(transport: ASGITransport) -> None:
    client = HesabeClient(transport=transport, base_url="http://mock", validate=False)
    results: dict[int, Any] = {}

    def work(i: int) -> None:
        results[i] = client.get_invoice(i)["id"]

    threads = [threading.Thread(target=work, args=(i,)) for i in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == {i: i for i in range(16)}


def test_works_when_called_from_inside_a_running_event_loop(transport: ASGITransport) -> None:
    client = HesabeClient(transport=transport, base_url="http://mock", validate=False)

    async def main() -> Any:
        return client.get_invoice(3)  # sync call from async code: the app runs on the transport's loop

    assert asyncio.run(main())["id"] == 3


@pytest.mark.filterwarnings("error::ResourceWarning")
def test_a_transport_opened_and_closed_inside_async_code_closes_cleanly() -> None:
    """An async test or a FastAPI lifespan owning the transport: its loop moved to a thread, and
    closing it must not run anything on the caller's loop (which is running)."""
    async def main() -> Any:
        with ASGITransport(mini_hesabe) as owned:
            found = HesabeClient(transport=owned, base_url="http://mock", validate=False).get_invoice(3)
        assert owned._loop is None
        return found

    assert asyncio.run(main())["id"] == 3
    gc.collect()  # an unclosed loop would warn here


def test_redirect_is_returned_not_followed(transport: ASGITransport) -> None:
    response = transport.request("GET", "http://mock/moved", allow_redirects=True)
    assert response.status_code == 302 and response.headers["location"] == "https://elsewhere/"
    client = HesabeClient(transport=transport, base_url="http://mock", validate=False)
    with pytest.raises(RedirectError):
        client.call("get_invoice", path_params={"id": "../../moved"})


def test_app_exceptions_propagate_or_become_500() -> None:
    async def broken(scope: Any, receive: Any, send: Any) -> None:
        raise RuntimeError("boom")

    with ASGITransport(broken) as transport, pytest.raises(RuntimeError, match="boom"):
        transport.request("GET", "http://x/")
    with ASGITransport(broken, raise_app_exceptions=False) as transport:
        assert transport.request("GET", "http://x/").status_code == 500


def test_timeout_maps_to_the_client_timeout_error() -> None:
    async def slow(scope: Any, receive: Any, send: Any) -> None:
        await asyncio.sleep(5)

    with ASGITransport(slow) as transport:
        with pytest.raises(requests.exceptions.ReadTimeout):
            transport.request("GET", "http://x/", timeout=0.05)
        client = HesabeClient(transport=transport, base_url="http://x", timeout=0.05, validate=False)
        client.tokens.adopt({"access_token": "t"})
        with pytest.raises(HesabeTimeout):
            client.cancel_invoice("t")


def test_lifespan_startup_state_and_shutdown() -> None:
    events: list[str] = []

    async def app(scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            while True:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    scope["state"]["db"] = "ready"
                    events.append("startup")
                    await send({"type": "lifespan.startup.complete"})
                else:
                    events.append("shutdown")
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        await _respond(send, 200, scope["state"]["db"].encode())

    with ASGITransport(app, lifespan=True) as transport:
        assert transport.request("GET", "http://x/").content == b"ready"
        assert events == ["startup"]
    assert events == ["startup", "shutdown"]


def test_lifespan_is_optional_for_apps_without_it() -> None:
    with ASGITransport(mini_hesabe, lifespan=True) as transport:
        assert transport.request("POST", "http://x/api/v1/login", data=b"{}").status_code == 200


def test_close_is_idempotent_and_the_transport_restarts() -> None:
    transport = ASGITransport(echo_app)
    assert transport.request("GET", "http://x/").status_code == 200
    transport.close()
    transport.close()
    assert transport.request("GET", "http://x/").status_code == 200
    transport.close()


def test_calls_run_on_the_callers_thread_until_another_thread_or_loop_needs_the_transport() -> None:
    seen: list[str] = []

    async def app(scope: Any, receive: Any, send: Any) -> None:
        seen.append(threading.current_thread().name)
        await _respond(send, 200, b"{}")

    with ASGITransport(app) as transport:
        transport.request("GET", "http://x/")
        transport.request("GET", "http://x/")
        assert seen == [threading.current_thread().name] * 2  # no thread hop in plain sync code

        async def inside() -> None:
            transport.request("GET", "http://x/")

        asyncio.run(inside())  # this thread now runs a loop: the transport's own moves to a thread
        transport.request("GET", "http://x/")
        assert seen[2:] == ["hesabe-asgi", "hesabe-asgi"]  # and stays there


def test_lifespan_startup_failure_is_raised_from_inside_a_running_loop() -> None:
    async def app(scope: Any, receive: Any, send: Any) -> None:
        await receive()
        await send({"type": "lifespan.startup.failed", "message": "no db"})

    async def inside() -> None:
        with pytest.raises(RuntimeError, match="no db"):
            ASGITransport(app, lifespan=True).request("GET", "http://x/")

    asyncio.run(inside())


@pytest.mark.parametrize("params", [{"data": "abc123"}, {"data": "ab", "page": "2"}, {"data": "a b"},
                                    {"data": "é"}, {"x": 1}, {"a": ["1", "2"]}, {"skip": None, "k": "v"}])
def test_query_encoding_matches_urlencode(params: dict[str, Any]) -> None:
    from urllib.parse import urlencode

    from hesabe_spec.client.transport import _urlencode

    expected = urlencode([(k, v) for k, v in params.items() if v is not None], doseq=True)
    assert _urlencode(params) == expected


def test_iter_invoices_reads_every_page_once_while_the_list_moves() -> None:
    from mock_server.app import create_app

    with ASGITransport(create_app()) as transport:
        client = HesabeClient(base_url="http://mock", transport=transport)
        made = [client.create_invoice(amount="1", invoice_type="0", expires_at="2099-01-01",
                                      reference_number=f"IT-{n}")["id"] for n in range(40)]
        pages: list[int] = []
        seen_calls = client.list_invoices

        def counting(**filters: Any) -> Any:
            pages.append(int(filters["page"]))
            return seen_calls(**filters)

        client.list_invoices = counting  # type: ignore[method-assign]
        rows = client.iter_invoices()
        first = [next(rows)["id"] for _ in range(15)]  # the whole first page
        newer = client.create_invoice(amount="1", invoice_type="0", expires_at="2099-01-01")["id"]
        rest = [row["id"] for row in rows]  # the list moved one place down meanwhile
        ids = first + rest
        assert ids == sorted(made, reverse=True) and newer not in ids and len(set(ids)) == len(ids)
        assert pages == [1, 2, 3]  # 41 invoices by then, 15 a page
        assert [r["reference_number"] for r in client.iter_invoices(search="IT-7")] == ["IT-7"]
