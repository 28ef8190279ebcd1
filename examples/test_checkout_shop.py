"""A real shop against the mock, end to end, in headless chromium: pay, decline, cancel.

The shop (examples/checkout_shop.py) and the mock each run on their own loopback port; chromium
buys, is sent to the mock's payment page, acts like a customer and follows the redirect back.
Then the test reads what the shop recorded: only the enquiry may have marked an order paid, and
only a real payment sends a webhook.

Run it with:  .venv/bin/python -m pytest examples/test_checkout_shop.py
(``make browser-deps`` installs Debian's chromium and playwright; without them it is skipped.)
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import pytest
import requests

from examples.checkout_shop import Shop, create_shop

if TYPE_CHECKING:  # annotations only: imported before pytest loads it as a plugin, the module's
    # asserts could not be rewritten (PytestAssertRewriteWarning)
    from mock_server.testing import MockHandle

pytest_plugins = ["mock_server.testing"]


@pytest.fixture
def shop(hesabe_mock: MockHandle) -> Iterator[tuple[str, Shop]]:
    """The shop on its own port, paying through the mock (a fresh one per test)."""
    from mock_server.testing import serve_app  # here: pytest loads the module as a plugin first

    shop = Shop(hesabe_mock.client(), "http://127.0.0.1")
    with serve_app(create_shop(shop)) as url:
        shop.base_url = url  # where the customer's browser reaches the shop
        yield url, shop


def _order(url: str, order_id: str) -> dict[str, Any]:
    answer: dict[str, Any] = requests.get(f"{url}/orders/{order_id}", timeout=10).json()
    return answer


def _wait_for_webhook(url: str, order_id: str, timeout: float = 10.0) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        order = _order(url, order_id)
        if order["webhooks"] or time.monotonic() > deadline:
            return order
        time.sleep(0.05)


def _buy(page: Any, url: str, product: str) -> None:
    page.goto(url)
    page.get_by_role("button", name=f"Buy {product}").click()
    page.wait_for_url("**/payment?data=*")  # the mock's hosted page


def test_a_customer_pays_and_the_shop_confirms_it(hesabe_page: Any, shop: tuple[str, Shop],
                                                  hesabe_mock: MockHandle) -> None:
    page, (url, _shop) = hesabe_page, shop
    _buy(page, url, "Arabic coffee, 1 kg")
    assert page.locator(".amount").inner_text().split() == ["12.500", "KWD"]
    page.get_by_role("button", name="Pay with KNET").click()  # the test card is already filled in
    page.wait_for_url(f"{url}/hesabe/return?data=*")
    assert page.locator("h1").inner_text() == "Thank you!"
    order_id = page.locator("#order").inner_text()
    order = _wait_for_webhook(url, order_id)
    assert order["status"] == "paid" and order["result_code"] == "CAPTURED"
    assert order["webhooks"] == [{"token": order["token"], "status": "SUCCESSFUL", "amount": "12.500"}]
    # the mock agrees: one successful transaction for this order
    state = hesabe_mock.control.checkout(order["token"])
    assert state["status"] == "SUCCESSFUL" and state["order_reference"] == order_id


@pytest.mark.parametrize(("button", "code"), [("Decline", "NOT CAPTURED"),
                                              ("Cancel and return to the merchant", "CANCELED")])
def test_a_declined_or_cancelled_payment_leaves_the_order_unpaid(
        hesabe_page: Any, shop: tuple[str, Shop], hesabe_mock: MockHandle, button: str, code: str) -> None:
    page, (url, _shop) = hesabe_page, shop
    _buy(page, url, "Dates box")
    page.get_by_role("button", name=button).first.click()
    page.wait_for_url(f"{url}/hesabe/failed?data=*")
    assert page.locator("h1").inner_text() == "Payment not completed"
    order = _order(url, page.locator("#order").inner_text())
    assert order["status"] == "failed" and order["result_code"] == code
    assert hesabe_mock.runtime.webhooks.wait_idle(10)
    assert _order(url, order["id"])["webhooks"] == []  # nothing was paid, nothing announced


def test_a_forged_callback_changes_nothing(shop: tuple[str, Shop], hesabe_mock: MockHandle) -> None:
    """A callback that decrypts but names another order's payment is checked by enquiry: ignored."""
    url, the_shop = shop
    first, second = the_shop.new_order("coffee"), the_shop.new_order("dates")
    the_shop.start_payment(first)
    the_shop.start_payment(second)
    paid = hesabe_mock.control.pay_checkout(first.token or "")
    # replay the first order's (paid) callback against the second order's reference
    callback = dict(paid["callback"])
    callback["response"] = {**callback["response"], "orderReferenceNumber": second.id}
    data = hesabe_mock.runtime.merchants.merchants[0].keys.encrypt(json.dumps(callback))
    requests.get(f"{url}/hesabe/return", params={"data": data}, timeout=10)
    assert _order(url, second.id)["status"] == "new"
