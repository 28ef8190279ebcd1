"""Turn payments into webhook deliveries: the hooks the payment simulation calls.

* a successful payment -> one delivery to the record's ``webhook`` URL (an invoice's ``webhook``,
  a checkout's ``webhookUrl``), plus a copy in ``duplicate`` mode; for a checkout, an
  authorization (status AUTHORIZED) and its capture (SUCCESSFUL) are each one;
* a failed or declined payment -> nothing, as the real gateway documents only success webhooks,
  except in ``forged_status`` mode, where a body claiming SUCCESSFUL is sent anyway, with a token
  no transaction has: a handler that re-queries the transaction (as it must, webhooks being
  unsigned) rejects it; one that trusts the body ships goods for nothing.
"""

from __future__ import annotations

import json
import secrets
import string
from collections.abc import Callable
from typing import Any

from hesabe_spec.enums import ServiceType, TransactionStatus
from mock_server.clock import Clock
from mock_server.merchants import Merchant
from mock_server.shapes.checkout import payment_type_name
from mock_server.state.models import Checkout, Invoice, OpenInvoice
from mock_server.state.shared import SharedState
from mock_server.webhooks.config import DeliverySettings, WebhookModes, as_json, is_http_url, merge_json
from mock_server.webhooks.dispatcher import WebhookDispatcher
from mock_server.webhooks.log import Delivery
from mock_server.webhooks.payload import webhook_body

__all__ = ["WebhookService"]

#: the store's event stream and control document of a shared mock's webhooks
_STREAM = "webhooks"
#: events kept per logged delivery (made, then each attempt or release): the stream's bound
_EVENTS_PER_DELIVERY = 4


#: checkout statuses a webhook announces (money taken or reserved)
_ANNOUNCED = frozenset({TransactionStatus.SUCCESSFUL, TransactionStatus.AUTHORIZED})


def _source(record: Invoice | OpenInvoice, outcome: str) -> dict[str, Any]:
    kind = "open_invoice" if isinstance(record, OpenInvoice) else "invoice"
    return {"type": kind, "id": record.id, "merchant_id": record.merchant_id,
            "reference_number": record.reference_number, "outcome": outcome}


def _service(record: Invoice | OpenInvoice) -> str:
    kind = ServiceType.OPEN_INVOICE if isinstance(record, OpenInvoice) else ServiceType.SMS_INVOICE
    return kind.display_name


class WebhookService:
    """The mock's webhook sender: payment hooks in, deliveries out (see module doc)."""

    def __init__(self, clock: Clock, settings: DeliverySettings | None = None,
                 modes: WebhookModes | None = None, *, log_cap: int = 1000) -> None:
        self.clock = clock
        self.dispatcher = WebhookDispatcher(settings, modes, log_cap=log_cap)
        self._shared: SharedState | None = None
        #: a shared mock: this process's delivery id -> its id in the shared log (its first event)
        self._first_seq: dict[int, int] = {}
        #: (flushes, clears) of the shared ``webhooks`` document this process has acted on
        self._seen: tuple[int, int] | None = None

    # -- one of several processes (--workers, hosts) -------------------------------------------
    def share(self, shared: SharedState) -> None:
        """Serve as one process of a shared mock. A delivery is made, retried and logged by the
        process whose payment queued it (so each is sent once and its retries fire once); every
        change to it is published to the store's ``webhooks`` stream, which ``/_mock/webhooks``
        reads on any process. Modes and settings are one control document; a flush or a clear
        counts up in it, and each process acts on it at its next request."""
        self._shared = shared
        #: names this sender's deliveries in the shared log (local ids repeat across processes)
        self._origin = secrets.token_hex(8)
        self.dispatcher.log.on_change = self._publish

    def _publish(self, delivery: Delivery) -> None:
        assert self._shared is not None
        merchant = delivery.source.get("merchant_id")
        body = json.dumps({**delivery.to_json(), "_key": f"{self._origin}:{delivery.id}"}, default=str)
        seq = self._shared.append_event(_STREAM, None if merchant is None else str(merchant), delivery.kind,
                                        body, _EVENTS_PER_DELIVERY * self.dispatcher.log.cap)
        self._first_seq.setdefault(delivery.id, seq)
        if len(self._first_seq) > 2 * self.dispatcher.log.cap:  # only logged deliveries are shown
            for old in list(self._first_seq)[: self.dispatcher.log.cap]:
                del self._first_seq[old]

    def _control(self, change: Callable[[dict[str, Any]], None]) -> None:
        """Change the shared ``webhooks`` document (modes, settings, flush and clear counters)."""
        if self._shared is None:
            return

        def apply(text: str | None) -> str:
            doc: dict[str, Any] = json.loads(text) if text else {"flushes": 0, "clears": 0}
            change(doc)
            doc.update(modes=as_json(self.dispatcher.modes), settings=as_json(self.dispatcher.settings))
            self._seen = (doc["flushes"], doc["clears"])
            return json.dumps(doc)

        self._shared.change_control(_STREAM, apply)

    def load(self, text: str | None) -> None:
        """Apply the shared document another process changed (the runtime's per-request sync)."""
        doc: dict[str, Any] = json.loads(text) if text else {"flushes": 0, "clears": 0,
                                                              "modes": as_json(WebhookModes())}
        if "modes" in doc and as_json(self.dispatcher.modes) != doc["modes"]:
            self.dispatcher.set_modes(merge_json(self.dispatcher.modes, doc["modes"]))
        if "settings" in doc and as_json(self.dispatcher.settings) != doc["settings"]:
            self.dispatcher.set_settings(merge_json(self.dispatcher.settings, doc["settings"]))
        flushes, clears = doc["flushes"], doc["clears"]
        if self._seen is not None:
            if clears > self._seen[1]:
                self.dispatcher.clear()
            elif flushes > self._seen[0]:
                self.dispatcher.flush()
        self._seen = (flushes, clears)

    # -- the control plane's operations ---------------------------------------------------------
    def set_modes(self, modes: WebhookModes) -> None:
        self.dispatcher.set_modes(modes)
        self._control(lambda _doc: None)

    def set_settings(self, settings: DeliverySettings) -> None:
        self.dispatcher.set_settings(settings)
        self._control(lambda _doc: None)

    def flush(self) -> int:
        """Release held deliveries now (a shared mock: every process's, as each serves its next request)."""
        self._control(lambda doc: doc.update(flushes=doc["flushes"] + 1))
        return self.dispatcher.flush()

    def clear(self) -> None:
        """Forget every delivery, queued ones too (a shared mock: every process's)."""
        self.dispatcher.clear()
        if self._shared is not None:
            self._control(lambda doc: doc.update(clears=doc["clears"] + 1))
            self._shared.clear_events(_STREAM)

    def state(self) -> dict[str, Any]:
        """Modes, settings and the log's size (a shared mock: every process's deliveries)."""
        log = self.dispatcher.log
        count = len(self._shared_log()) if self._shared is not None else len(log)
        return {"modes": as_json(self.dispatcher.modes), "settings": as_json(self.dispatcher.settings),
                "count": count, "cap": log.cap, "dropped": log.dropped}

    def _shared_log(self) -> list[dict[str, Any]]:
        """Every process's deliveries, each as last published, in the order they were first made;
        ``id`` is the number of its first event (ids of different processes never clash)."""
        assert self._shared is not None
        latest: dict[str, tuple[int, dict[str, Any]]] = {}
        for seq, body in self._shared.events(_STREAM):
            doc = json.loads(body)
            key = doc.pop("_key")
            first = latest[key][0] if key in latest else seq
            latest[key] = (first, {**doc, "id": first})
        return [doc for _first, doc in sorted(latest.values(), key=lambda item: item[0])]

    def url_for(self, record: Invoice | OpenInvoice | Checkout) -> str | None:
        """The record's own webhook URL, else the configured fallback; None = send nothing."""
        own = record.webhook_url if isinstance(record, Checkout) else getattr(record, "webhook", None)
        url = own or self.dispatcher.settings.fallback_url
        # a malformed URL on an invoice is the merchant's bug; there is nothing to POST to
        return url if is_http_url(url) else None

    # -- payment hooks (PaymentService.on_paid / on_failed) ------------------------------------
    def on_paid(self, merchant: Merchant, record: Invoice | OpenInvoice, txn: dict[str, Any]) -> None:
        url = self.url_for(record)
        if url is None:
            return
        body = webhook_body(
            token=str(txn.get("token", "")),
            amount=txn.get("amount", getattr(record, "amount", "0")),
            reference_number=record.reference_number,
            payment_type=txn.get("payment_type") or txn.get("payment_type_id"),
            datetime=str(txn.get("created_at") or self.clock.stamp()),
            service_type=_service(record),
        )
        self._send(url, body, _source(record, "success"))

    def _send(self, url: str, body: dict[str, Any], source: dict[str, Any]) -> None:
        """One delivery, and its copy in ``duplicate`` mode."""
        self.dispatcher.submit(url, body, kind="payment", source=source)
        if self.dispatcher.modes.duplicate:
            self.dispatcher.submit(url, body, kind="duplicate", source=source)

    def on_failed(self, merchant: Merchant, record: Invoice | OpenInvoice, attempt: dict[str, Any]) -> None:
        url = self.url_for(record)
        if url is None or not self.dispatcher.modes.forged_status:
            return
        body = webhook_body(
            token=self._forged_token(merchant),
            amount=attempt.get("amount", "0"),
            reference_number=record.reference_number,
            payment_type=attempt.get("payment_type") or attempt.get("payment_type_id"),
            datetime=str(attempt.get("at") or self.clock.stamp()),
            service_type=_service(record),
        )
        self.dispatcher.submit(url, body, kind="forged", source=_source(record, str(attempt.get("outcome"))))

    def _forged_token(self, merchant: Merchant) -> str:
        """A token in the real format that no transaction carries: re-querying it finds nothing."""
        return f"{merchant.merchant_code}{int(self.clock.time())}" + "".join(
            secrets.choice(string.digits) for _ in range(13))

    # -- checkout hook (CheckoutService.on_change) ---------------------------------------------
    def on_checkout(self, merchant: Merchant, checkout: Checkout, before: str) -> None:
        """A checkout changed: announce money taken or reserved; forge a success for a failure
        in ``forged_status`` mode; stay silent otherwise (voids, refunds, expiry)."""
        if checkout.status == before:
            return
        url = self.url_for(checkout)
        announced = checkout.status in _ANNOUNCED
        forged = checkout.status == TransactionStatus.FAILED and self.dispatcher.modes.forged_status
        if url is None or not (announced or forged):
            return
        body = webhook_body(
            token=checkout.token if announced else self._forged_token(merchant),
            amount=checkout.captured_amount or checkout.amount,
            reference_number=checkout.order_reference,
            payment_type=payment_type_name(checkout.paid_type) or "",
            datetime=checkout.paid_on or self.clock.stamp(),
            service_type=ServiceType.PAYMENT_GATEWAY.display_name,
            status=checkout.status if announced else TransactionStatus.SUCCESSFUL.value,
        )
        source = {"type": "checkout", "token": checkout.token, "merchant_id": checkout.merchant_id,
                  "reference_number": checkout.order_reference, "outcome": checkout.status}
        if announced:
            self._send(url, body, source)
        else:
            self.dispatcher.submit(url, body, kind="forged", source=source)

    # -- passthroughs for the routes and tests ------------------------------------------------
    def deliveries(self, *, state: str | None = None, limit: int | None = None) -> list[dict[str, Any]]:
        """The delivery log, oldest first (``state`` picks one state; ``limit`` keeps the newest)."""
        if self._shared is None:
            return self.dispatcher.log.snapshot(state=state, limit=limit)
        items = [d for d in self._shared_log() if state is None or d["state"] == state]
        items = items[-self.dispatcher.log.cap:]
        if limit is not None:
            items = items[-limit:] if limit else []
        return items

    def submit(self, url: str, payload: dict[str, Any], **kw: Any) -> Delivery | None:
        return self.dispatcher.submit(url, payload, **kw)

    def redeliver(self, delivery_id: int) -> Delivery | None:
        """Send a logged delivery's body to its URL again, as a new delivery (``kind``
        ``"redelivery"``, ``source.redelivery_of`` naming the original); None when it is not logged."""
        if self._shared is not None:  # any process's delivery, by its id in the shared log
            logged = next((d for d in self._shared_log() if d["id"] == delivery_id), None)
            if logged is None:
                return None
            return self.dispatcher.submit(logged["url"], logged["payload"], kind="redelivery",
                                          source={**logged["source"], "redelivery_of": delivery_id})
        original = self.dispatcher.log.get(delivery_id)
        if original is None:
            return None
        return self.dispatcher.submit(original.url, original.payload, kind="redelivery",
                                      source={**original.source, "redelivery_of": original.id})

    def shown(self, delivery: Delivery) -> dict[str, Any]:
        """A delivery as ``/_mock/webhooks`` shows it (a shared mock: under its id in the shared
        log), read under the log's lock (the sender changes it as it goes)."""
        with self.dispatcher.log.lock:
            shown = delivery.to_json()
            if self._shared is not None:
                shown["id"] = self._first_seq.get(delivery.id, delivery.id)
        return shown

    def wait_idle(self, timeout: float = 10.0) -> bool:
        return self.dispatcher.wait_idle(timeout)

    def reset(self, merchant_id: int | None = None) -> None:
        """Control-plane reset: everything (deliveries, queue, modes) or one merchant's deliveries
        (a shared mock: the logged ones of every process; queued ones of this process)."""
        if merchant_id is None:
            self.dispatcher.set_modes(WebhookModes())
            self.clear()
        else:
            self.dispatcher.clear(lambda d: d.source.get("merchant_id") == merchant_id)
            if self._shared is not None:
                self._shared.clear_events(_STREAM, str(merchant_id))

    def close(self) -> None:
        self.dispatcher.close()
