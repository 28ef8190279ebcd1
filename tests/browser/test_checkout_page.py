"""The payment gateway's hosted page in headless chromium, with a merchant on another origin.

The merchant here is the least a shop needs: a checkout, then pages at its responseUrl and
failureUrl that read the callback with the reference client. Chromium follows the mock's 302 back
across origins, which the page's Content-Security-Policy must allow (``form-action``).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse
from starlette.routing import Route

from hesabe_spec.client import HesabeClient
from mock_server.app import create_app
from mock_server.runtime import MockRuntime
from mock_server.testing import CHROMIUM_ARGS
from mock_server.testing import serve_app as serve

pytestmark = pytest.mark.browser


class Shop:
    """A mock server and a merchant site beside it (two origins on loopback)."""

    def __init__(self, mock_url: str, mock: MockRuntime, shop_url: str) -> None:
        self.mock_url, self.mock, self.url = mock_url, mock, shop_url
        self.client = HesabeClient(base_url=mock_url)

    def checkout(self, **fields: Any) -> Any:
        values = {"order_reference_number": "ORD-42", "name": "Fatima Ali", **fields}
        return self.client.checkout("24.750", response_url=f"{self.url}/thanks?order=42",
                                    failure_url=f"{self.url}/failed", **values)


def _merchant_app(parse: list[HesabeClient]) -> Starlette:
    async def landing(request: Request) -> HTMLResponse:
        result = parse[0].parse_callback_url(str(request.url))
        return HTMLResponse(f'<h1 id="outcome">{"paid" if result.successful else "not paid"}</h1>'
                            f'<p id="code">{result.result_code}</p><p id="token">{result.payment_token}</p>'
                            f'<p id="order">{request.query_params.get("order", "")}</p>')

    return Starlette(routes=[Route("/thanks", landing), Route("/failed", landing)])


@pytest.fixture(scope="module")
def shop() -> Iterator[Shop]:
    holder: list[HesabeClient] = []
    app = create_app()
    with serve(app) as mock_url, serve(_merchant_app(holder)) as shop_url:
        site = Shop(mock_url, app.state.mock, shop_url)
        holder.append(site.client)
        yield site
        site.client.close()


def test_one_click_pays_with_the_prefilled_test_card(page: Any, shop: Shop, screenshot_dir: Path) -> None:
    session = shop.checkout()
    page.goto(session.payment_url)
    assert page.title() == "Secure payment"
    assert page.locator(".amount").inner_text().split() == ["24.750", "KWD"]
    assert page.locator("section.method h3").all_inner_texts() == ["KNET", "Visa/MasterCard", "Apple Pay"]
    assert page.locator("#card_number-1").input_value() == "8888880000000001"
    page.screenshot(path=str(screenshot_dir / "checkout-en.png"), full_page=True)
    page.get_by_role("button", name="Pay with KNET").click()
    page.wait_for_url(f"{shop.url}/thanks?order=42&data=*")
    assert page.locator("#outcome").inner_text() == "paid"
    assert page.locator("#code").inner_text() == "CAPTURED"
    assert page.locator("#token").inner_text() == session.token
    assert page.locator("#order").inner_text() == "42"  # the merchant's own query survives
    assert shop.client.get_transaction(session.token).transaction.status == "SUCCESSFUL"


def test_a_shop_whose_host_csp_cannot_name_still_gets_its_customer_back(browser: Any, shop: Shop) -> None:
    """A docker-compose service name (``shop_web``) is not a host CSP can write: the page allows
    the way back by scheme. This browser resolves ``shop_web`` to the shop's loopback address."""
    port = shop.url.rsplit(":", 1)[1]
    own = browser.browser_type.launch(
        executable_path=os.environ.get("HESABE_CHROMIUM", "/usr/bin/chromium"), headless=True,
        args=[*CHROMIUM_ARGS, "--host-resolver-rules=MAP shop_web 127.0.0.1"])
    try:
        page = own.new_page()
        page.set_default_timeout(10_000)
        session = shop.client.checkout("24.750", response_url=f"http://shop_web:{port}/thanks?order=7",
                                       failure_url=f"http://shop_web:{port}/failed")
        page.goto(session.payment_url)
        page.get_by_role("button", name="Pay with KNET").click()
        page.wait_for_url(f"http://shop_web:{port}/thanks?order=7&data=*")
        assert page.locator("#outcome").inner_text() == "paid"
        assert page.locator("#token").inner_text() == session.token
    finally:
        own.close()


def test_decline_and_cancel_go_to_the_failure_url(page: Any, shop: Shop) -> None:
    for button, code in (("Decline", "NOT CAPTURED"), ("Cancel and return to the merchant", "CANCELED")):
        session = shop.checkout()
        page.goto(session.payment_url)
        page.get_by_role("button", name=button).first.click()
        page.wait_for_url(f"{shop.url}/failed?data=*")
        assert page.locator("#outcome").inner_text() == "not paid"
        assert page.locator("#code").inner_text() == code
        assert shop.client.get_transaction(session.token).transaction.status == "FAILED"


def test_a_typed_card_gets_its_documented_outcome_in_arabic(page: Any, shop: Shop,
                                                            screenshot_dir: Path) -> None:
    session = shop.checkout(payment_type=2)
    page.goto(session.payment_url + "&lang=ar")
    assert page.evaluate("[document.documentElement.lang, document.documentElement.dir]") == ["ar", "rtl"]
    assert page.locator("#card_number-2").input_value() == "4012001037141112"
    page.screenshot(path=str(screenshot_dir / "checkout-ar.png"), full_page=True)
    page.fill("#expiry-2", "04/27")  # the MPGS test expiry for an expired card
    page.get_by_role("button", name="ادفع عبر Visa/MasterCard").click()
    page.wait_for_url(f"{shop.url}/failed?data=*")
    assert page.locator("#code").inner_text() == "EXPIRED_CARD"


def test_the_page_runs_no_script_and_a_finished_session_leads_back(page: Any, shop: Shop) -> None:
    session = shop.checkout()
    page.goto(session.payment_url)
    assert page.evaluate("document.scripts.length") == 0
    page.get_by_role("button", name="Pay with KNET").click()
    page.wait_for_url(f"{shop.url}/thanks*")
    page.goto(session.payment_url)  # the customer comes back to the page
    assert page.locator("h1").inner_text() == "This payment is complete"
    page.get_by_role("link", name="Return to the merchant").click()
    page.wait_for_url(f"{shop.url}/thanks*")
    assert page.locator("#code").inner_text() == "CAPTURED"


def test_verify_saves_the_typed_card_and_the_card_is_charged_later(page: Any, shop: Shop,
                                                                   screenshot_dir: Path) -> None:
    """A save-card session at 0.000 (VERIFY): the page says nothing is charged, the customer types a
    test card, and that card (masked) is what the merchant can charge from then on."""
    client = shop.client
    customer = client.create_card_customer("Fatima Ali", "fatima@example.com", "66666666")
    session = client.checkout(0, response_url=f"{shop.url}/thanks?order=V1",
                              failure_url=f"{shop.url}/failed", payment_type=2, save_card=True,
                              customer_id=customer["id"], version="3.0")
    page.goto(session.payment_url)
    assert page.locator(".amount").inner_text().split() == ["0.000", "KWD"]
    assert "Nothing is charged" in page.locator('[data-result="save-card"]').inner_text()
    page.fill("#card_number-2", "5453 0100 0009 5539")  # the documented MasterCard, its own expiry
    page.fill("#expiry-2", "12/25")
    page.fill("#cvv-2", "300")
    page.screenshot(path=str(screenshot_dir / "checkout-verify.png"), full_page=True)
    page.get_by_role("button", name="Verify and save with Visa/MasterCard").click()
    page.wait_for_url(f"{shop.url}/thanks?order=V1&data=*")
    assert page.locator("#outcome").inner_text() == "paid"
    saved = client.parse_callback_url(page.url).raw["response"]["cardId"]
    (card,) = client.list_saved_cards(customer["id"])
    shown = (card["card_id"], card["card_number"], card["expiry_month"], card["expiry_year"], card["brand"])
    assert shown == (saved, "****5539", "12", "25", "MASTERCARD")
    # nothing was taken by the VERIFY; the charges are the payments
    report = client.get_transactions_report()["transactions"]["data"]
    assert session.token not in {r["token"] for r in report}
    charge = client.charge_saved_card(saved, "15.000", order_reference="ORD-V1")
    assert charge.paid and client.get_transaction(charge.payment_token).transaction.card == "****5539"
