"""Turn payments into webhook deliveries: the hooks the payment simulation calls.

* a successful payment -> one delivery to the record's ``webhook`` URL (plus a copy in
  ``duplicate`` mode);
* a failed or declined payment -> nothing, as the real gateway documents only success webhooks,
  except in ``forged_status`` mode, where a body claiming SUCCESSFUL is sent anyway, with a token
  no transaction has: a handler that re-queries the transaction (as it must, webhooks being
  unsigned) rejects it; one that trusts the body ships goods for nothing.
"""

from __future__ import annotations

import secrets
import string
from typing import Any

from mock_server.clock import Clock
from mock_server.merchants import Merchant
from mock_server.state.models import Invoice, OpenInvoice
from mock_server.webhooks.config import DeliverySettings, WebhookModes, is_http_url
from mock_server.webhooks.dispatcher import WebhookDispatcher
from mock_server.webhooks.log import Delivery
from mock_server.webhooks.payload import webhook_body

__all__ = ["WebhookService"]


def _source(record: Invoice | OpenInvoice, outcome: str) -> dict[str, Any]:
    kind = "open_invoice" if isinstance(record, OpenInvoice) else "invoice"
    return {"type": kind, "id": record.id, "merchant_id": record.merchant_id,
            "reference_number": record.reference_number, "outcome": outcome}


class WebhookService:
    """The mock's webhook sender: payment hooks in, deliveries out (see module doc)."""

    def __init__(self, clock: Clock, settings: DeliverySettings | None = None,
                 modes: WebhookModes | None = None, *, log_cap: int = 1000) -> None:
        self.clock = clock
        self.dispatcher = WebhookDispatcher(settings, modes, log_cap=log_cap)

    def url_for(self, record: Invoice | OpenInvoice) -> str | None:
        """The record's own webhook URL, else the configured fallback; None = send nothing."""
        url = getattr(record, "webhook", None) or self.dispatcher.settings.fallback_url
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
            open_invoice=isinstance(record, OpenInvoice),
        )
        source = _source(record, "success")
        self.dispatcher.submit(url, body, kind="payment", source=source)
        if self.dispatcher.modes.duplicate:
            self.dispatcher.submit(url, body, kind="duplicate", source=source)

    def on_failed(self, merchant: Merchant, record: Invoice | OpenInvoice, attempt: dict[str, Any]) -> None:
        url = self.url_for(record)
        if url is None or not self.dispatcher.modes.forged_status:
            return
        # A token in the real format that no transaction carries: re-querying it finds nothing.
        forged_token = f"{merchant.merchant_code}{int(self.clock.time())}" + "".join(
            secrets.choice(string.digits) for _ in range(13))
        body = webhook_body(
            token=forged_token,
            amount=attempt.get("amount", "0"),
            reference_number=record.reference_number,
            payment_type=attempt.get("payment_type") or attempt.get("payment_type_id"),
            datetime=str(attempt.get("at") or self.clock.stamp()),
            open_invoice=isinstance(record, OpenInvoice),
        )
        self.dispatcher.submit(url, body, kind="forged", source=_source(record, str(attempt.get("outcome"))))

    # -- passthroughs for the routes and tests ------------------------------------------------
    def deliveries(self, **filters: Any) -> list[dict[str, Any]]:
        return self.dispatcher.log.snapshot(**filters)

    def submit(self, url: str, payload: dict[str, Any], **kw: Any) -> Delivery | None:
        return self.dispatcher.submit(url, payload, **kw)

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
