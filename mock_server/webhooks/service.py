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

import secrets
import string
from typing import Any

from hesabe_spec.enums import ServiceType, TransactionStatus
from mock_server.clock import Clock
from mock_server.merchants import Merchant
from mock_server.state.checkout_shapes import payment_type_name
from mock_server.state.models import Checkout, Invoice, OpenInvoice
from mock_server.webhooks.config import DeliverySettings, WebhookModes, is_http_url
from mock_server.webhooks.dispatcher import WebhookDispatcher
from mock_server.webhooks.log import Delivery
from mock_server.webhooks.payload import webhook_body

__all__ = ["WebhookService"]


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
    def deliveries(self, **filters: Any) -> list[dict[str, Any]]:
        return self.dispatcher.log.snapshot(**filters)

    def submit(self, url: str, payload: dict[str, Any], **kw: Any) -> Delivery | None:
        return self.dispatcher.submit(url, payload, **kw)

    def redeliver(self, delivery_id: int) -> Delivery | None:
        """Send a logged delivery's body to its URL again, as a new delivery (``kind``
        ``"redelivery"``, ``source.redelivery_of`` naming the original); None when it is not logged."""
        original = self.dispatcher.log.get(delivery_id)
        if original is None:
            return None
        return self.dispatcher.submit(original.url, original.payload, kind="redelivery",
                                      source={**original.source, "redelivery_of": original.id})

    def wait_idle(self, timeout: float = 10.0) -> bool:
        return self.dispatcher.wait_idle(timeout)

    def reset(self, merchant_id: int | None = None) -> None:
        """Control-plane reset: everything (deliveries, queue, modes) or one merchant's deliveries."""
        if merchant_id is None:
            self.dispatcher.clear()
            self.dispatcher.set_modes(WebhookModes())
        else:
            self.dispatcher.clear(lambda d: d.source.get("merchant_id") == merchant_id)

    def close(self) -> None:
        self.dispatcher.close()
