"""``/_mock/webhooks`` over real HTTP, and the whole path: page payment -> webhook -> delivery log."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import requests
from support.receiver import Receiver

from hesabe_spec.enums import InvoiceKind
from mock_server.app import create_app
from mock_server.handlers.invoices import new_invoice
from mock_server.runtime import MockRuntime
from mock_server.settings import MockSettings
from mock_server.testing import serve_app as serve

# a generous answer timeout: a receiver slowed by a loaded machine must not be retried
FAST = {"attempts": 4, "base_delay": 0.02, "max_delay": 0.5, "timeout": 10}


@pytest.fixture
def served() -> Iterator[tuple[str, MockRuntime, requests.Session]]:
    app = create_app()
    with serve(app) as base, requests.Session() as http:
        assert http.post(f"{base}/_mock/webhooks/settings", json=FAST, timeout=5).status_code == 200
        yield base, app.state.mock, http


def _invoice(mock: MockRuntime, webhook: str, ref: str = "WH-1") -> Any:
    return mock.invoices.create(mock.merchants.merchants[0],
                                new_invoice({"invoiceType": "0", "amount": "49", "referenceNumber": ref,
                                             "allocatePayType": "1,2", "webhook": webhook, "language": "en"}),
                                InvoiceKind.SINGLE)


def _log(base: str, http: requests.Session, query: str = "") -> dict[str, Any]:
    res = http.get(f"{base}/_mock/webhooks{query}", timeout=5)
    assert res.status_code == 200
    return res.json()  # type: ignore[no-any-return]


def test_paying_on_the_page_sends_the_webhook_and_logs_it(served: Any) -> None:
    base, mock, http = served
    with Receiver(fail_first=1) as rx:
        inv = _invoice(mock, rx.url)
        res = http.post(f"{base}/s/{inv.access_key}", data={"action": "pay", "payment_type": "1"},
                        allow_redirects=False, timeout=5)
        assert res.status_code == 303
        hits = rx.wait_for(2)
        assert mock.webhooks.wait_idle(10)
    body = hits[-1].body
    stored = mock.store.get_invoice(inv.merchant_id, inv.id)
    assert body["token"] == stored.transaction["token"] and body["reference_number"] == "WH-1"
    log = _log(base, http)
    assert log["count"] == 1 and log["cap"] == 1000 and log["dropped"] == 0
    (delivery,) = log["deliveries"]
    assert delivery["url"] == rx.url and delivery["state"] == "delivered"
    assert delivery["payload"] == body
    assert [a["status"] for a in delivery["attempts"]] == [500, 200]
    assert _log(base, http, "?state=failed")["deliveries"] == []
    assert _log(base, http, "?limit=0")["deliveries"] == []


def test_modes_round_trip_and_validation(served: Any) -> None:
    base, _mock, http = served
    url = f"{base}/_mock/webhooks/modes"
    assert http.get(url, timeout=5).json() == {"duplicate": False, "delay_ms": 0, "out_of_order": False,
                                               "forged_status": False, "batch_size": 2,
                                               "batch_window_ms": 2000}
    res = http.post(url, json={"duplicate": True, "delay_ms": 10}, timeout=5)
    assert res.status_code == 200 and res.json()["duplicate"] is True and res.json()["delay_ms"] == 10
    for bad in ({"duplicate": "yes"}, {"delay_ms": -5}, {"nonsense": 1}, [1]):
        res = http.post(url, json=bad, timeout=5)
        assert res.status_code == 400 and res.json()["error"]
    assert http.post(url, data="{not json", timeout=5).status_code == 400
    assert http.get(url, timeout=5).json()["delay_ms"] == 10  # refused bodies change nothing


def test_forged_mode_over_http_with_a_declined_page_payment(served: Any) -> None:
    base, mock, http = served
    http.post(f"{base}/_mock/webhooks/modes", json={"forged_status": True}, timeout=5)
    with Receiver() as rx:
        inv = _invoice(mock, rx.url)
        http.post(f"{base}/s/{inv.access_key}", data={"action": "decline"}, allow_redirects=False, timeout=5)
        (hit,) = rx.wait_for(1)
    assert hit.body["status"] == "SUCCESSFUL"
    assert mock.store.get_invoice(inv.merchant_id, inv.id).invoice_status == 0
    assert _log(base, http)["deliveries"][0]["kind"] == "forged"


def test_out_of_order_flush_and_clear(served: Any) -> None:
    base, mock, http = served
    http.post(f"{base}/_mock/webhooks/modes",
              json={"out_of_order": True, "batch_size": 10, "batch_window_ms": 600000}, timeout=5)
    with Receiver() as rx:
        for ref in ("O-1", "O-2", "O-3"):
            mock.payments.pay_invoice(_invoice(mock, rx.url, ref).id, "1")
        assert [d["state"] for d in _log(base, http)["deliveries"]] == ["held"] * 3
        assert http.post(f"{base}/_mock/webhooks/flush", timeout=5).json() == {"released": 3}
        assert [h.body["reference_number"] for h in rx.wait_for(3)] == ["O-3", "O-2", "O-1"]
    res = http.delete(f"{base}/_mock/webhooks", timeout=5)
    assert res.status_code == 200 and res.json()["count"] == 0
    assert _log(base, http)["deliveries"] == []


def test_bad_log_queries_are_400(served: Any) -> None:
    base, _mock, http = served
    assert http.get(f"{base}/_mock/webhooks?state=lost", timeout=5).status_code == 400
    assert http.get(f"{base}/_mock/webhooks?limit=-1", timeout=5).status_code == 400


def test_control_plane_off_hides_the_routes() -> None:
    app = create_app(MockSettings(control_plane=False))
    with serve(app) as base:
        assert requests.get(f"{base}/_mock/webhooks", timeout=5).status_code == 404


def test_app_shutdown_stops_the_sender_thread() -> None:
    app = create_app()
    with serve(app) as base, Receiver() as rx:
        mock = app.state.mock
        requests.post(f"{base}/_mock/webhooks/modes", json={"delay_ms": 60000}, timeout=5)
        mock.payments.pay_invoice(_invoice(mock, rx.url).id, "1")
        worker = mock.webhooks.dispatcher.worker
        assert worker is not None and worker.is_alive()
    # uvicorn ran the lifespan shutdown: the worker is gone and the delayed delivery abandoned
    assert not worker.is_alive()
    assert mock.webhooks.deliveries()[0]["state"] == "abandoned"
    assert rx.hits == []


@pytest.mark.parametrize(("host", "status"), [("10.1.2.3", 403), ("8.8.8.8", 403), ("127.0.0.1", 200),
                                              ("::1", 200)])
def test_routes_answer_loopback_clients_only(host: str, status: int) -> None:
    import asyncio

    from starlette.requests import Request
    from starlette.routing import Route

    from mock_server.webhooks.routes import webhook_routes

    async def no_body() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    def scope(app: Any, method: str, path: str) -> dict[str, Any]:
        return {"type": "http", "method": method, "path": path, "headers": [], "query_string": b"",
                "client": (host, 5000), "app": app}

    app = create_app()
    for route in webhook_routes():
        assert isinstance(route, Route) and route.methods
        for method in sorted(route.methods - {"HEAD"}):
            res = asyncio.run(route.endpoint(Request(scope(app, method, route.path), no_body)))
            if status == 403:
                assert res.status_code == 403, (method, route.path)
            else:  # past the guard; a route with a path parameter refuses the literal "{id}" (400)
                assert res.status_code in (200, 400), (method, route.path)
    opened = create_app(MockSettings(control_open=True))
    route = webhook_routes()[0]
    assert isinstance(route, Route)
    res = asyncio.run(route.endpoint(Request(scope(opened, "GET", route.path), no_body)))
    assert res.status_code == 200


def test_control_plane_reset_clears_the_log_and_the_modes(served: Any) -> None:
    base, mock, http = served
    http.post(f"{base}/_mock/webhooks/modes", json={"duplicate": True}, timeout=5)
    with Receiver() as rx:
        mock.payments.pay_invoice(_invoice(mock, rx.url).id, "1")
        rx.wait_for(2)
        assert mock.webhooks.wait_idle(10)
    assert _log(base, http)["count"] == 2
    assert http.post(f"{base}/_mock/reset", json={}, timeout=5).status_code == 200
    log = _log(base, http)
    assert log["count"] == 0 and log["modes"]["duplicate"] is False
