"""A small shop that takes payment through Hesabe's payment gateway: the integration to copy.

    .venv/bin/hesabe-mock --port 8000 &
    .venv/bin/python -m examples.checkout_shop --port 8080 --hesabe http://127.0.0.1:8000
    # open http://127.0.0.1:8080 and buy something (the mock's page pays in one click)

What it does, in the order a real shop must do it:

1. ``POST /buy``: record the order, open a checkout (``HesabeClient.checkout``) with the order id as
   ``orderReferenceNumber``, a ``responseUrl``, a ``failureUrl`` and a ``webhookUrl``, and send the
   browser to the payment page (303).
2. ``GET /hesabe/return`` and ``GET /hesabe/failed``: Hesabe sends the browser back with
   ``?data=<encrypted result>``. Decrypt it (``parse_callback_url``), then **confirm it by enquiry**
   (``confirm_payment``: the order's own reference and amount): the callback is unsigned, so only
   what the enquiry says decides whether the order is paid, and only for this order's amount.
3. ``POST /hesabe/webhook``: the webhook is unsigned plain JSON too; it is recorded, and it only
   ever moves an order after the same enquiry.

``GET /orders/{id}`` answers what the shop recorded (JSON), which the test reads.
"""

from __future__ import annotations

import argparse
import contextlib
import html
import itertools
import threading
from dataclasses import asdict, dataclass, field
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qs

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from hesabe_spec.client import CallbackResult, CheckoutSession, HesabeClient
from hesabe_spec.errors import HesabeError, PaymentNotConfirmedError

__all__ = ["Order", "Shop", "create_shop"]

PRODUCTS = {"coffee": ("Arabic coffee, 1 kg", Decimal("12.500")), "dates": ("Dates box", Decimal("4.750"))}


@dataclass
class Order:
    id: str
    product: str
    amount: str
    #: new -> paid | failed (as confirmed by the enquiry, never by the callback alone)
    status: str = "new"
    token: str | None = None
    result_code: str | None = None
    callbacks: list[dict[str, Any]] = field(default_factory=list)
    webhooks: list[dict[str, Any]] = field(default_factory=list)


class Shop:
    """The shop's state and its Hesabe client (``base_url`` is where the shop is reached)."""

    def __init__(self, client: HesabeClient, base_url: str) -> None:
        self.client = client
        self.base_url = base_url.rstrip("/")
        self.orders: dict[str, Order] = {}
        self._ids = itertools.count(1001)
        self._lock = threading.Lock()

    def new_order(self, product: str) -> Order:
        _title, price = PRODUCTS[product]
        with self._lock:
            order = Order(f"SHOP-{next(self._ids)}", product, f"{price:.3f}")
            self.orders[order.id] = order
        return order

    def start_payment(self, order: Order) -> str:
        """Open the checkout; the URL to send the customer to."""
        session: CheckoutSession = self.client.checkout(
            order.amount, order_reference_number=order.id, name="Shop customer",
            response_url=f"{self.base_url}/hesabe/return", failure_url=f"{self.base_url}/hesabe/failed",
            webhook_url=f"{self.base_url}/hesabe/webhook",
        )
        order.token = session.token
        return session.payment_url

    def settle(self, order: Order) -> None:
        """Move the order by what Hesabe's enquiry says about it: the callback and the webhook only
        say when to ask (they are unsigned; a forged or mixed-up one changes nothing)."""
        try:
            self.client.confirm_payment(order.id, order.amount)  # paid, for this amount
        except PaymentNotConfirmedError as exc:
            seen = exc.transaction
            if seen is not None and seen.status == "FAILED" and order.status == "new":
                order.status = "failed"
            return
        order.status = "paid"

    def on_callback(self, url: str) -> tuple[Order | None, CallbackResult | None]:
        try:
            result = self.client.parse_callback_url(url)
        except HesabeError:
            return None, None  # not Hesabe's data (or not for these keys): nothing to do
        order = self.orders.get(result.order_reference_number or "")
        if order is None or not result.payment_token:
            return None, result
        order.callbacks.append({"result_code": result.result_code, "token": result.payment_token})
        order.result_code = result.result_code
        self.settle(order)
        return order, result

    def on_webhook(self, body: bytes) -> bool:
        try:
            event = self.client.parse_webhook(body)
        except HesabeError:
            return False
        order = self.orders.get(event.reference_number or "")
        if order is None:
            return False
        order.webhooks.append({"token": event.token, "status": event.status, "amount": str(event.amount)})
        with contextlib.suppress(HesabeError):  # the enquiry could not be asked: a later event will
            self.settle(order)
        return True


def _page(title: str, body: str) -> HTMLResponse:
    text = html.escape(title)
    head = f'<head><meta charset="utf-8"><title>{text}</title></head>'
    return HTMLResponse(f'<!DOCTYPE html><html lang="en">{head}<body><h1>{text}</h1>{body}</body></html>')


def create_shop(shop: Shop) -> Starlette:
    async def home(_request: Request) -> Response:
        forms = "".join(
            f'<form method="post" action="/buy"><input type="hidden" name="product" value="{key}">'
            f"<p>{html.escape(title)}: {price:.3f} KWD <button>Buy {html.escape(title)}</button></p></form>"
            for key, (title, price) in PRODUCTS.items())
        return _page("The shop", forms)

    async def buy(request: Request) -> Response:
        # an HTML form posts urlencoded fields (read here without a form-parsing dependency)
        form = parse_qs((await request.body()).decode("utf-8", errors="replace"))
        product = (form.get("product") or [""])[-1]
        if product not in PRODUCTS:
            return _page("No such product", "")
        order = shop.new_order(product)
        try:
            url = await run_in_threadpool(shop.start_payment, order)
        except HesabeError as exc:
            order.status = "failed"
            return _page("Payment could not start", f"<p>{html.escape(str(exc))}</p>")
        return RedirectResponse(url, status_code=303)

    async def returned(request: Request) -> Response:
        order, result = await run_in_threadpool(shop.on_callback, str(request.url))
        if order is None:
            return _page("Unknown payment", "")
        code = html.escape(result.result_code if result else "")
        return _page("Thank you!" if order.status == "paid" else "Payment not completed",
                     f'<p id="order">{order.id}</p><p id="status">{order.status}</p><p id="code">{code}</p>')

    async def webhook(request: Request) -> Response:
        body = await request.body()
        known = await run_in_threadpool(shop.on_webhook, body)
        return JSONResponse({"received": known})

    async def order_state(request: Request) -> Response:
        order = shop.orders.get(request.path_params["id"])
        return JSONResponse(asdict(order) if order else {"error": "no such order"}, 200 if order else 404)

    return Starlette(routes=[
        Route("/", home), Route("/buy", buy, methods=["POST"]), Route("/hesabe/return", returned),
        Route("/hesabe/failed", returned), Route("/hesabe/webhook", webhook, methods=["POST"]),
        Route("/orders/{id}", order_state),
    ])


def main() -> None:  # pragma: no cover - the interactive way to run it
    import uvicorn

    parser = argparse.ArgumentParser(description="A shop paying through Hesabe (or the mock).")
    parser.add_argument("--port", type=int, default=8080)
    parser.add_argument("--hesabe", default="http://127.0.0.1:8000", help="the mock's (or Hesabe's) URL")
    args = parser.parse_args()
    client = HesabeClient(base_url=args.hesabe)
    uvicorn.run(create_shop(Shop(client, f"http://127.0.0.1:{args.port}")), host="127.0.0.1", port=args.port)


if __name__ == "__main__":  # pragma: no cover
    main()
