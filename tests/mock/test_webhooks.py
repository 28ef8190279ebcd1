"""Webhook sender against a real local HTTP receiver: body, retries, adversarial modes, the log."""

from __future__ import annotations

import contextlib
import itertools
import re
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
from support.receiver import Receiver, refused_url

from hesabe_spec.enums import InvoiceKind
from hesabe_spec.validation import validate_outbound
from mock_server.handlers.invoices import new_invoice
from mock_server.handlers.open_invoices import new_open_invoice
from mock_server.merchants import MerchantRegistry
from mock_server.runtime import MockRuntime
from mock_server.settings import MockSettings
from mock_server.state.commands import RefundRequest
from mock_server.state.memory import MemoryStore
from mock_server.state.models import Invoice
from mock_server.testing import MockHandle
from mock_server.webhooks import DeliverySettings, WebhookModes, WebhookService
from mock_server.webhooks.config import merge_json
from mock_server.webhooks.payload import webhook_body

# short backoff; a generous answer timeout, so a receiver slowed by a loaded machine is not retried
FAST = DeliverySettings(attempts=5, base_delay=0.05, max_delay=1.0, timeout=10.0)


@pytest.fixture
def mock() -> Iterator[MockRuntime]:
    runtime = MockRuntime(MockSettings(), MemoryStore(), MerchantRegistry.default(), webhook_settings=FAST)
    runtime.clock.freeze(1767214800)  # 2026-01-01 00:00 Kuwait
    yield runtime
    runtime.webhooks.close()


@pytest.fixture
def rx() -> Iterator[Receiver]:
    with Receiver() as receiver:
        yield receiver


def hooks(mock: MockRuntime) -> WebhookService:
    return mock.webhooks  # type: ignore[no-any-return]


def invoice(mock: MockRuntime, url: str | None, **extra: Any) -> Invoice:
    payload = {"invoiceType": "0", "invoiceSubType": "3", "amount": "49.000", "customerName": "Ali",
               "allocatePayType": "1,2", "referenceNumber": "1695193758", **extra}
    if url:
        payload["webhook"] = url
    return mock.invoices.create(mock.merchants.merchants[0], new_invoice(payload), InvoiceKind.SINGLE)


def set_modes(mock: MockRuntime, **modes: Any) -> None:
    d = hooks(mock).dispatcher
    d.set_modes(merge_json(d.modes, modes))


# -- the body ------------------------------------------------------------------------------------
def test_successful_payment_posts_the_documented_body(mock: MockRuntime, rx: Receiver) -> None:
    inv = invoice(mock, rx.url)
    paid = mock.payments.pay_invoice(inv.id, "1")
    hit = rx.wait_for(1)[0]
    body = hit.body
    assert list(body) == ["blocks", "token", "amount", "reference_number", "status", "payment_type",
                          "service_type", "datetime"]
    assert body["token"] == paid.transaction["token"]
    assert body["amount"] == "49.000"
    assert body["reference_number"] == "1695193758"
    assert body["status"] == "SUCCESSFUL"
    assert body["payment_type"] == "KNET"
    assert body["service_type"] == "SMS Invoice"
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", body["datetime"])
    assert body["datetime"] == "2026-01-01 00:00:00"  # the mock clock's payment time
    header, *sections = body["blocks"]
    assert header == {"type": "header", "text": {"type": "plain_text", "text": "TRANSACTION SUCCESSFUL",
                                                  "emoji": True}}
    assert [s["type"] for s in sections] == ["section"] * 3  # three sections of two fields (§5)
    texts = [f["text"] for s in sections for f in s["fields"]]
    assert all(f["type"] == "mrkdwn" for s in sections for f in s["fields"])
    assert texts == ["*Date & Time:*\n2026-01-01T00:00:00",
                     f"*Transaction Token:*\n{paid.transaction['token']}",
                     "*Order Reference Number:*\n1695193758", "*Service Type:*\nSMS Invoice",
                     "*Amount:*\nKWD 49", "*Payment Type:*\nKNET"]
    assert validate_outbound("checkout_webhook", body) == []
    # plain, unsigned JSON: no signature header of any kind
    assert hit.headers["Content-Type"] == "application/json"
    assert not [h for h in hit.headers if "signature" in h.lower()]


def test_card_payment_names_the_method_and_keeps_fractions(mock: MockRuntime, rx: Receiver) -> None:
    inv = invoice(mock, rx.url, amount="12.500")
    mock.payments.pay_invoice(inv.id, "2")
    body = rx.wait_for(1)[0].body
    assert body["payment_type"] == "Visa/MasterCard"
    assert body["amount"] == "12.500"
    assert "*Amount:*\nKWD 12.5" in [f["text"] for b in body["blocks"][1:] for f in b["fields"]]


def test_body_builder_pads_amounts_to_three_decimals() -> None:
    body = webhook_body(token="t", amount=49, reference_number="r", payment_type=1, datetime="d")
    assert body["amount"] == "49.000" and body["payment_type"] == "KNET"


def test_no_webhook_url_sends_nothing(mock: MockRuntime, rx: Receiver) -> None:
    inv = invoice(mock, None)
    mock.payments.pay_invoice(inv.id, "1")
    assert hooks(mock).wait_idle(10)
    assert hooks(mock).deliveries() == [] and rx.hits == []


def test_failed_and_declined_payments_send_nothing_by_default(mock: MockRuntime, rx: Receiver) -> None:
    inv = invoice(mock, rx.url)
    mock.payments.pay_invoice(inv.id, "1", "failure")
    mock.payments.pay_invoice(inv.id, "1", "cancelled")
    assert hooks(mock).wait_idle(10)
    assert rx.hits == [] and hooks(mock).deliveries() == []


def test_open_invoice_goes_to_the_fallback_url(mock: MockRuntime, rx: Receiver) -> None:
    hooks(mock).dispatcher.set_settings(merge_json(FAST, {"fallback_url": rx.url}))
    item = mock.open_invoices.create(mock.merchants.merchants[0], new_open_invoice(
        {"title": "Gift", "amountType": "1", "minAmount": "1", "maxAmount": "9"}))
    mock.payments.pay_open_invoice(item.id, "5", 1)
    body = rx.wait_for(1)[0].body
    assert body["service_type"] == "Open Invoice" and body["amount"] == "5.000"
    assert body["reference_number"] == item.reference_number


def test_the_payment_never_waits_for_the_merchant(mock: MockRuntime) -> None:
    with Receiver(hold=True) as slow:
        inv = invoice(mock, slow.url)
        mock.payments.pay_invoice(inv.id, "1")  # returns while the merchant holds its answer
        slow.wait_for(1)
        (delivery,) = hooks(mock).deliveries()
        assert delivery["attempts"] == []  # the one POST made is still waiting for its answer
        slow.release()
        assert hooks(mock).wait_idle(10)
    assert [a["status"] for a in hooks(mock).deliveries()[0]["attempts"]] == [200]


# -- retries -------------------------------------------------------------------------------------
def test_retries_with_exponential_backoff_until_delivered(mock: MockRuntime) -> None:
    with Receiver(fail_first=3) as flaky:
        mock.payments.pay_invoice(invoice(mock, flaky.url).id, "1")
        hits = flaky.wait_for(4)
        assert hooks(mock).wait_idle(10)
    assert [h.answered for h in hits] == [500, 500, 500, 200]
    gaps = [b.at - a.at for a, b in itertools.pairwise(hits)]
    # base 0.05 s doubling: >= 0.05, 0.1, 0.2 (allow scheduler slack below, none above matters)
    for gap, expected in zip(gaps, (0.05, 0.1, 0.2), strict=True):
        assert gap >= expected * 0.9
    (delivery,) = hooks(mock).deliveries()
    assert delivery["state"] == "delivered"
    assert [a["status"] for a in delivery["attempts"]] == [500, 500, 500, 200]
    assert [a["error"] for a in delivery["attempts"]] == ["HTTP 500"] * 3 + [None]
    assert all(set(a) == {"attempt", "at", "status", "error", "duration_ms"} for a in delivery["attempts"])


def test_gives_up_after_the_configured_attempts(mock: MockRuntime) -> None:
    hooks(mock).dispatcher.set_settings(merge_json(FAST, {"attempts": 3, "base_delay": 0.01}))
    with Receiver(fail_first=99, fail_status=503) as down:
        mock.payments.pay_invoice(invoice(mock, down.url).id, "1")
        assert hooks(mock).wait_idle(10)
        assert len(down.hits) == 3
    (delivery,) = hooks(mock).deliveries()
    assert delivery["state"] == "failed" and len(delivery["attempts"]) == 3


def test_connection_errors_are_retried_and_logged(mock: MockRuntime) -> None:
    hooks(mock).dispatcher.set_settings(merge_json(FAST, {"attempts": 2, "base_delay": 0.01}))
    with refused_url() as url:
        mock.payments.pay_invoice(invoice(mock, url).id, "1")
        assert hooks(mock).wait_idle(10)
    (delivery,) = hooks(mock).deliveries()
    assert delivery["state"] == "failed"
    assert all(a["status"] is None and "ConnectionRefusedError" in a["error"] for a in delivery["attempts"])


# -- adversarial modes ---------------------------------------------------------------------------
def test_duplicate_mode_sends_the_same_body_twice(mock: MockRuntime, rx: Receiver) -> None:
    set_modes(mock, duplicate=True)
    mock.payments.pay_invoice(invoice(mock, rx.url).id, "1")
    first, second = rx.wait_for(2)
    assert first.raw == second.raw
    assert [d["kind"] for d in hooks(mock).deliveries()] == ["payment", "duplicate"]


def test_delay_mode_holds_back_the_first_attempt(mock: MockRuntime, rx: Receiver) -> None:
    set_modes(mock, delay_ms=400)
    started = time.monotonic()
    mock.payments.pay_invoice(invoice(mock, rx.url).id, "1")
    hit = rx.wait_for(1)[0]
    assert hit.at - started >= 0.39  # due 400 ms after the payment queued it, never sooner
    assert hooks(mock).deliveries()[0]["modes"] == {"delay_ms": 400}


def test_out_of_order_mode_releases_a_batch_newest_first(mock: MockRuntime, rx: Receiver) -> None:
    set_modes(mock, out_of_order=True, batch_size=3, batch_window_ms=60_000)
    refs = ["A-1", "A-2", "A-3"]
    for ref in refs:
        mock.payments.pay_invoice(invoice(mock, rx.url, referenceNumber=ref).id, "1")
        if ref != refs[-1]:
            assert [d["state"] for d in hooks(mock).deliveries()][-1] == "held"
    hits = rx.wait_for(3)
    assert [h.body["reference_number"] for h in hits] == list(reversed(refs))


def test_out_of_order_partial_batch_is_released_after_the_window(mock: MockRuntime, rx: Receiver) -> None:
    set_modes(mock, out_of_order=True, batch_size=5, batch_window_ms=200)
    started = time.monotonic()
    mock.payments.pay_invoice(invoice(mock, rx.url, referenceNumber="ONLY").id, "1")
    hit = rx.wait_for(1)[0]
    assert hit.body["reference_number"] == "ONLY"
    assert hit.at - started >= 0.19  # held for the 200 ms window, alone in its batch
    assert hooks(mock).deliveries()[0]["modes"] == {"out_of_order": True}


def test_flush_and_switching_the_mode_off_release_held_deliveries(mock: MockRuntime, rx: Receiver) -> None:
    set_modes(mock, out_of_order=True, batch_size=10, batch_window_ms=60_000)
    for ref in ("F-1", "F-2"):
        mock.payments.pay_invoice(invoice(mock, rx.url, referenceNumber=ref).id, "1")
    assert hooks(mock).dispatcher.flush() == 2
    assert [h.body["reference_number"] for h in rx.wait_for(2)] == ["F-2", "F-1"]
    mock.payments.pay_invoice(invoice(mock, rx.url, referenceNumber="F-3").id, "1")
    set_modes(mock, out_of_order=False)
    assert rx.wait_for(3)[-1].body["reference_number"] == "F-3"


@pytest.mark.parametrize("outcome", ["failure", "cancelled"])
def test_forged_status_claims_success_for_a_payment_that_failed(mock: MockRuntime, rx: Receiver,
                                                                outcome: str) -> None:
    set_modes(mock, forged_status=True)
    inv = invoice(mock, rx.url)
    mock.payments.pay_invoice(inv.id, "1", outcome)
    body = rx.wait_for(1)[0].body
    assert body["status"] == "SUCCESSFUL" and body["reference_number"] == inv.reference_number
    # the invoice is still unpaid, and the token matches no transaction: a handler must re-query
    stored = mock.store.get_invoice(inv.merchant_id, inv.id)
    assert stored is not None and stored.invoice_status == 0 and stored.transaction is None
    assert re.fullmatch(r"842217\d{23}", body["token"])
    (delivery,) = hooks(mock).deliveries()
    assert delivery["kind"] == "forged" and delivery["source"]["outcome"] == outcome


def test_forged_mode_adds_nothing_to_a_real_success(mock: MockRuntime, rx: Receiver) -> None:
    set_modes(mock, forged_status=True)
    mock.payments.pay_invoice(invoice(mock, rx.url).id, "1")
    assert hooks(mock).wait_idle(10)
    assert [d["kind"] for d in hooks(mock).deliveries()] == ["payment"]


def test_modes_reject_bad_values() -> None:
    modes = WebhookModes()
    bad_bodies = ({"duplicate": 1}, {"delay_ms": True}, {"delay_ms": -1}, {"nope": True},
                  {"batch_size": 0}, [{}], "x")
    for bad in bad_bodies:
        with pytest.raises(ValueError):
            merge_json(modes, bad)
    with pytest.raises(ValueError):
        merge_json(DeliverySettings(), {"fallback_url": "ftp://x"})
    assert merge_json(DeliverySettings(), {"base_delay": 1}).base_delay == 1.0
    assert merge_json(modes, []) == modes  # PHP's json_encode([]): no fields, as elsewhere


# -- the log and the lifecycle -------------------------------------------------------------------
def test_log_is_bounded_and_keeps_the_newest(rx: Receiver) -> None:
    from mock_server.clock import Clock

    service = WebhookService(Clock(), FAST, log_cap=3)
    try:
        for n in range(5):
            service.submit(rx.url, {"n": n})
        assert service.wait_idle(10)
        log = service.deliveries()
        assert [d["payload"]["n"] for d in log] == [2, 3, 4]
        assert service.dispatcher.log.dropped == 2
        assert [d["id"] for d in log] == [3, 4, 5]
        assert len(rx.hits) == 5  # dropping from the log never cancels a send already made
    finally:
        service.close()


def test_log_entry_shape(mock: MockRuntime, rx: Receiver) -> None:
    inv = invoice(mock, rx.url)
    mock.payments.pay_invoice(inv.id, "1")
    assert hooks(mock).wait_idle(10)
    (entry,) = hooks(mock).deliveries()
    assert set(entry) == {"id", "url", "kind", "state", "created_at", "source", "modes", "payload",
                          "attempts"}
    assert entry["url"] == rx.url and entry["state"] == "delivered"
    assert entry["source"] == {"type": "invoice", "id": inv.id, "merchant_id": 84,
                               "reference_number": inv.reference_number, "outcome": "success"}
    assert hooks(mock).deliveries(state="failed") == []
    assert hooks(mock).deliveries(limit=0) == []


def test_reset_of_one_merchant_or_all(mock: MockRuntime, rx: Receiver) -> None:
    mock.payments.pay_invoice(invoice(mock, rx.url).id, "1")
    set_modes(mock, duplicate=True)
    assert hooks(mock).wait_idle(10)
    hooks(mock).reset(999)
    assert len(hooks(mock).deliveries()) == 1
    hooks(mock).reset(84)
    assert hooks(mock).deliveries() == []
    hooks(mock).reset()
    assert hooks(mock).dispatcher.modes == WebhookModes()


def test_close_stops_the_worker_abandons_the_queue_and_can_restart(rx: Receiver) -> None:
    from mock_server.clock import Clock

    service = WebhookService(Clock(), FAST, WebhookModes(delay_ms=60_000))
    service.submit(rx.url, {"late": True})
    worker = service.dispatcher.worker
    assert worker is not None and worker.is_alive()
    service.close()
    service.close()  # twice is fine
    assert not worker.is_alive() and service.dispatcher.worker is None
    assert service.deliveries()[0]["state"] == "abandoned"
    assert rx.hits == []
    # a restarted app sends again: the next delivery starts a fresh worker
    service.dispatcher.set_modes(WebhookModes())
    service.submit(rx.url, {"after": True})
    assert rx.wait_for(1)[0].body == {"after": True}
    second = service.dispatcher.worker
    assert second is not None and second is not worker
    workers = service.dispatcher.workers
    service.close()
    assert not any(w.is_alive() for w in workers)


def test_a_slow_endpoint_holds_back_only_its_own_deliveries(rx: Receiver) -> None:
    """A merchant whose server takes long to answer delays its own webhooks, not other merchants':
    each destination is sent to by one worker at a time, in queue order."""
    from mock_server.clock import Clock

    service = WebhookService(Clock(), FAST)
    with Receiver(hold=True) as slow:
        service.submit(slow.url, {"slow": 1})
        service.submit(slow.url, {"slow": 2})
        service.submit(rx.url, {"fast": 1})
        service.submit(rx.url, {"fast": 2})
        assert [h.body for h in rx.wait_for(2)] == [{"fast": 1}, {"fast": 2}]
        assert [h.body for h in slow.wait_for(1)] == [{"slow": 1}]  # held: the second waits its turn
        time.sleep(0.2)
        assert len(slow.hits) == 1
        slow.release()
        assert [h.body for h in slow.wait_for(2)] == [{"slow": 1}, {"slow": 2}]
    assert service.dispatcher.wait_idle(10)
    service.close()


def test_a_sender_that_never_sent_owns_no_thread() -> None:
    from mock_server.clock import Clock

    service = WebhookService(Clock())
    assert service.dispatcher.worker is None
    service.close()
    assert service.dispatcher.worker is None


def test_a_redirect_is_not_followed_and_counts_as_a_failed_attempt(mock: MockRuntime) -> None:
    hooks(mock).dispatcher.set_settings(merge_json(FAST, {"attempts": 1}))
    with Receiver(fail_first=5, fail_status=302) as moved:
        mock.payments.pay_invoice(invoice(mock, moved.url).id, "1")
        assert hooks(mock).wait_idle(10)
        assert len(moved.hits) == 1  # one POST; the Location was not followed
    (delivery,) = hooks(mock).deliveries()
    assert delivery["state"] == "failed"
    assert [(a["status"], a["error"]) for a in delivery["attempts"]] == [(302, "HTTP 302")]


@pytest.mark.parametrize("url", ["ftp://127.0.0.1/x", "http:///nohost", "not a url"])
def test_post_refuses_what_is_not_an_http_url(url: str) -> None:
    from mock_server.webhooks.dispatcher import post

    with pytest.raises(ValueError, match="not an http"):
        post(url, b"{}", 1.0)


# -- checkouts (the payment gateway) -------------------------------------------------------------
def checkout(mock: MockRuntime, url: str | None, **extra: Any) -> str:
    from mock_server.handlers.checkout import new_checkout

    payload = {"merchantCode": "842217", "amount": "49.000", "paymentType": "0",
               "orderReferenceNumber": "1695193758", "responseUrl": "https://shop.example/ok",
               "failureUrl": "https://shop.example/no", **extra}
    if url:
        payload["webhookUrl"] = url
    return mock.checkouts.create(mock.merchants.merchants[0], new_checkout(payload)).token


def test_paid_checkout_posts_the_documented_gateway_body(mock: MockRuntime, rx: Receiver) -> None:
    token = checkout(mock, rx.url)
    mock.checkouts.pay(token, "success", payment_type=1)
    body = rx.wait_for(1)[0].body
    assert validate_outbound("checkout_webhook", body) == []
    assert {k: v for k, v in body.items() if k != "blocks"} == {
        "token": token, "amount": "49.000", "reference_number": "1695193758", "status": "SUCCESSFUL",
        "payment_type": "KNET", "service_type": "Payment Gateway", "datetime": "2026-01-01 00:00:00"}
    assert "*Service Type:*\nPayment Gateway" in [f["text"] for b in body["blocks"][1:] for f in b["fields"]]
    assert hooks(mock).wait_idle(10) and len(rx.hits) == 1  # once, the receiver answered 200


def test_declined_cancelled_or_expired_checkouts_send_nothing(mock: MockRuntime, rx: Receiver) -> None:
    for outcome in ("failure", "cancelled", "expired"):
        mock.checkouts.pay(checkout(mock, rx.url), outcome)
    assert hooks(mock).wait_idle(10) and rx.hits == []


def test_authorization_and_its_capture_each_announce(mock: MockRuntime, rx: Receiver) -> None:
    token = checkout(mock, rx.url, paymentType="2", authorize="1")
    mock.checkouts.pay(token, "success")
    merchant = mock.merchants.merchants[0]
    mock.checkouts.capture(merchant, token, "40.000")
    first, second = rx.wait_for(2)
    assert (first.body["status"], first.body["amount"]) == ("AUTHORIZED", "49.000")
    assert first.body["blocks"][0]["text"]["text"] == "TRANSACTION AUTHORIZED"
    assert (second.body["status"], second.body["amount"], second.body["payment_type"]) == (
        "SUCCESSFUL", "40.000", "MPGS")
    refund = mock.refunds.request(merchant, RefundRequest(token, full=True, amount=None))
    mock.refunds.approve(merchant.merchant_id, refund.id)  # a refund is not announced
    assert hooks(mock).wait_idle(10) and len(rx.hits) == 2


def test_checkout_webhook_is_retried_until_answered(mock: MockRuntime) -> None:
    with Receiver(fail_first=2) as failing:
        mock.checkouts.pay(checkout(mock, failing.url), "success")
        hits = failing.wait_for(3)
        # the receiver has answered; the sender records "delivered" a moment later
        assert hooks(mock).wait_idle(10)
    assert [h.answered for h in hits] == [500, 500, 200]
    assert hooks(mock).deliveries()[-1]["state"] == "delivered"


def test_forged_mode_sends_a_success_for_a_declined_checkout(mock: MockRuntime, rx: Receiver) -> None:
    set_modes(mock, forged_status=True)
    token = checkout(mock, rx.url)
    mock.checkouts.pay(token, "failure")
    body = rx.wait_for(1)[0].body
    assert body["status"] == "SUCCESSFUL" and body["token"] != token
    assert mock.checkouts.find(token).status == "FAILED"  # what an enquiry would say


class _Trickler:
    """A merchant endpoint that answers a status line, then one header byte every 0.1 s for up to
    60 s: every byte inside the sender's per-read timeout, the answer never whole."""

    def __init__(self) -> None:
        self.server = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.server.getsockname()[1]}/hook"
        self.ran_out = threading.Event()  # it trickled all 60 s without the sender giving up
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        with contextlib.suppress(OSError):
            conn, _addr = self.server.accept()
            with conn:
                conn.recv(65536)
                conn.sendall(b"HTTP/1.1 200 OK\r\nX-Slow: ")
                for _ in range(600):
                    time.sleep(0.1)
                    conn.sendall(b"a")
                self.ran_out.set()

    def close(self) -> None:
        self.server.close()


def test_an_endpoint_that_trickles_its_answer_fails_the_attempt_at_the_timeout(mock: MockRuntime) -> None:
    """The one sender thread is not held by a merchant that never finishes answering: the attempt
    ends ``timeout`` after it began, a failure like any other (it used to wait for the last byte)."""
    hooks(mock).dispatcher.set_settings(merge_json(FAST, {"attempts": 1, "timeout": 0.5}))
    slow = _Trickler()
    try:
        mock.payments.pay_invoice(invoice(mock, slow.url).id, "1")
        assert hooks(mock).wait_idle(30)
        assert not slow.ran_out.is_set()
    finally:
        slow.close()
    (delivery,) = hooks(mock).deliveries()
    assert delivery["state"] == "failed", delivery
    assert "no whole answer within 0.5 s" in delivery["attempts"][0]["error"]


def test_a_webhook_url_pointing_at_the_control_plane_is_refused(hesabe_mock: MockHandle) -> None:
    """Anyone who may open a checkout names its webhookUrl; the mock's own sender is a loopback
    client, so a URL at ``/_mock/`` would let it drive the mock for them. The control plane refuses
    the sender's requests (a flush answered it 200)."""
    runtime: MockRuntime = hesabe_mock.app.state.mock
    token = checkout(runtime, f"{hesabe_mock.url}/_mock/webhooks/flush")
    runtime.checkouts.pay(token, "success", payment_type=1)
    assert hooks(runtime).wait_idle(10)
    attempts = hooks(runtime).deliveries()[0]["attempts"]
    assert attempts and all(a["status"] == 403 for a in attempts), attempts
