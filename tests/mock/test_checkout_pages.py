"""The payment gateway's hosted page over real HTTP: render, pay, decline, cancel, redirect, states."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from hesabe_spec.client import CallbackResult, parse_callback_url
from hesabe_spec.sandbox import SANDBOX
from mock_server.app import create_app
from mock_server.clock import Clock
from mock_server.handlers.checkout import new_checkout
from mock_server.runtime import MockRuntime
from mock_server.state.cards import CARD_METHODS
from mock_server.state.models import Checkout
from mock_server.testing import serve_app

OK, NO = "https://shop.example/thanks?order=7", "https://shop.example/failed"
CARD = {"card_number": "8888880000000001", "expiry": "09/25", "cvv": "1234"}


@dataclass
class Site:
    base: str
    mock: MockRuntime
    http: requests.Session

    def checkout(self, **fields: Any) -> Checkout:
        payload = {"merchantCode": "842217", "amount": "12.500", "paymentType": "0",
                   "orderReferenceNumber": "ORD-7",
                   "responseUrl": OK, "failureUrl": NO, "name": "Huda", **fields}
        return self.mock.checkouts.create(self.mock.merchants.merchants[0], new_checkout(payload))

    def page(self, checkout: Checkout, path: str = "/payment", **params: str) -> requests.Response:
        return self.http.get(self.base + path, params={"data": checkout.session, **params}, timeout=10,
                             allow_redirects=False)

    def submit(self, checkout: Checkout, fields: dict[str, str], path: str = "/payment") -> requests.Response:
        return self.http.post(self.base + path, params={"data": checkout.session}, data=fields, timeout=10,
                              allow_redirects=False)

    def state(self, checkout: Checkout) -> Checkout:
        return self.mock.checkouts.find(checkout.token)


@pytest.fixture(scope="module")
def site() -> Iterator[Site]:
    clock = Clock()
    clock.freeze(1767214800)
    app = create_app(clock=clock)
    with serve_app(app) as base, requests.Session() as http:
        yield Site(base, app.state.mock, http)


def _callback(response: requests.Response) -> CallbackResult:
    return parse_callback_url(response.headers["location"], SANDBOX.keys)


def test_page_shows_the_order_and_the_methods_of_a_hosted_checkout(site: Site) -> None:
    checkout = site.checkout()
    page = site.page(checkout)
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    html = page.text
    assert '<html lang="en" dir="ltr">' in html and "12.500" in html and "ORD-7" in html and "Huda" in html
    assert re.findall(r'<section class="method" id="method-(\d+)"', html) == ["1", "2", "9"]
    assert 'value="8888880000000001"' in html and 'value="4012001037141112"' in html  # succeeding cards
    assert "Pay with KNET" in html and "Pay with Apple Pay" in html and "Cancel and return" in html


@pytest.mark.parametrize(("payment_type", "methods"), [("1", ["1"]), ("2", ["2"]), (7, ["7"]), ("9", ["9"])])
def test_a_chosen_payment_type_is_the_only_method(site: Site, payment_type: Any, methods: list[str]) -> None:
    html = site.page(site.checkout(paymentType=payment_type)).text
    assert re.findall(r'<section class="method" id="method-(\d+)"', html) == methods


def test_page_is_locked_down_but_lets_the_form_go_back_to_the_merchant(site: Site) -> None:
    headers = site.page(site.checkout(failureUrl="http://127.0.0.1:9/f")).headers
    policy = headers["content-security-policy"]
    assert "default-src 'none'" in policy and "script-src" not in policy
    assert "form-action 'self' https://shop.example http://127.0.0.1:9;" in policy
    assert headers["x-content-type-options"] == "nosniff" and headers["cache-control"] == "no-store"


def test_a_merchant_url_cannot_write_into_the_policy(site: Site) -> None:
    checkout = site.checkout(responseUrl="https://x;script-src:*@evil.example/a", failureUrl=NO)
    policy = site.page(checkout).headers["content-security-policy"]
    assert "script-src" not in policy and "evil" not in policy


@pytest.mark.parametrize(("url", "source"), [
    ("http://shop_web:3000/hesabe/return", "http:"),  # a docker-compose service name
    ("http://[::1]:8733/return", "http:"),  # Chromium refuses an IPv6 literal as a source
    ("https://user:pw@shop.example/return", "https:"),
    ("http://Shop-1.example:8080/r?x=1#f", "http://Shop-1.example:8080"),
])
def test_an_origin_csp_cannot_name_is_allowed_by_its_scheme(site: Site, url: str, source: str) -> None:
    policy = site.page(site.checkout(responseUrl=url, failureUrl=url)).headers["content-security-policy"]
    assert f"form-action 'self' {source};" in policy


def test_merchant_text_is_escaped(site: Site) -> None:
    html = site.page(site.checkout(name="<script>alert(1)</script>", orderReferenceNumber='"><b>x')).text
    assert "<script>alert" not in html and "&lt;script&gt;" in html and "&quot;&gt;&lt;b&gt;x" in html


def test_arabic_page_is_right_to_left(site: Site) -> None:
    html = site.page(site.checkout(), lang="ar").text
    assert '<html lang="ar" dir="rtl">' in html and "ادفع عبر KNET" in html and "رقم الطلب" in html
    assert 'hreflang="en"' in html  # and a way back to English


def test_one_click_pays_with_the_prefilled_card_and_redirects_with_data(site: Site) -> None:
    checkout = site.checkout()
    answer = site.submit(checkout, {"action": "pay", "payment_type": "1", **CARD})
    assert answer.status_code == 302
    location = answer.headers["location"]
    assert location.startswith(OK + "&data=")  # the URL had a query: data is appended with &
    result = _callback(answer)
    assert result.successful and result.payment_token == checkout.token and result.amount == 12.5
    assert site.state(checkout).status == "SUCCESSFUL"


@pytest.mark.parametrize("method", sorted(CARD_METHODS))
def test_every_card_forms_own_values_pay_in_one_click(site: Site, method: int) -> None:
    """What docs/checkout.md promises: the form starts with the documented test card that succeeds.
    A card with no printed expiry (any approves) starts with one too: an empty required field kept
    the Cybersource form from being sent as it stood."""
    checkout = site.checkout(paymentType=str(method))
    page = site.page(checkout).text
    form = page[page.index(f'class="pay-form" data-method="{method}"'):]
    form = form[:form.index("</form>")]
    values = dict(re.findall(r'name="(\w+)" value="([^"]*)"', form))
    assert values["card_number"] and values["expiry"] and values["cvv"], values
    answer = site.submit(checkout, {**values, "action": "pay"})
    assert answer.status_code == 302 and answer.headers["location"].startswith(OK), answer.text[:200]
    assert site.state(checkout).status == "SUCCESSFUL"


@pytest.mark.parametrize(("fields", "result"), [
    ({"action": "decline", "payment_type": "1"}, "NOT CAPTURED"),
    ({"action": "cancel"}, "CANCELED"),
    ({"action": "pay", "payment_type": "1", **CARD, "expiry": "10/25"}, "NOT CAPTURED"),
    ({"action": "pay", "payment_type": "2", "card_number": "4012001037141112", "expiry": "04/27",
      "cvv": "207"}, "EXPIRED_CARD"),
    ({"action": "pay", "payment_type": "2", "card_number": "4012 0010 3714 1112", "expiry": "12/2025",
      "cvv": "000"}, "DECLINED"),
])
def test_what_fails_goes_to_the_failure_url(site: Site, fields: dict[str, str], result: str) -> None:
    checkout = site.checkout()
    answer = site.submit(checkout, fields)
    assert answer.status_code == 302 and answer.headers["location"].startswith(NO + "?data=")
    callback = _callback(answer)
    assert not callback.successful and callback.result_code == result
    assert site.state(checkout).status == "FAILED"


def test_wallet_methods_pay_without_a_card(site: Site) -> None:
    checkout = site.checkout()
    answer = site.submit(checkout, {"action": "pay", "payment_type": "9"})
    assert _callback(answer).successful and site.state(checkout).paid_type == 9


@pytest.mark.parametrize("fields", [
    {}, {"action": "steal"}, {"action": "pay"}, {"action": "pay", "payment_type": "5"},
    {"action": "pay", "payment_type": "1"}, {"action": "pay", "payment_type": "1", "card_number": " "},
    {"action": "pay", "payment_type": "x1", **CARD},
    # a KNET card number in Arabic-Indic digits: digits to Python, not to a card network
    {"action": "pay", "payment_type": "1", **CARD,
     "card_number": CARD["card_number"].translate(str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩"))},
])
def test_forms_that_cannot_be_acted_on_are_400_and_change_nothing(site: Site, fields: dict[str, str]) -> None:
    checkout = site.checkout()
    before = site.mock.store.fingerprint()
    answer = site.submit(checkout, fields)
    assert answer.status_code == 400 and "<h1>" in answer.text
    assert "Back to the payment</a>" in answer.text and "invoice" not in answer.text  # a checkout has none
    assert site.mock.store.fingerprint() == before and site.state(checkout).status == "PENDING"


def test_a_form_that_is_not_a_form_is_400(site: Site) -> None:
    checkout = site.checkout()
    answer = site.http.post(f"{site.base}/payment", params={"data": checkout.session}, json={"action": "pay"},
                            timeout=10, allow_redirects=False)
    assert answer.status_code == 400 and site.state(checkout).status == "PENDING"


@pytest.mark.parametrize("data", ["", "nope", "0" * 96, "A" * 5000, "../../api/v1/login"])
def test_unknown_sessions_get_a_404_page(site: Site, data: str) -> None:
    for method in ("GET", "POST"):
        answer = site.http.request(method, f"{site.base}/payment", params={"data": data},
                                   data={"action": "pay"},
                                   timeout=10, allow_redirects=False)
        assert answer.status_code == 404 and "Payment session not found" in answer.text


def test_a_completed_session_leads_back_to_the_merchant_and_pays_once(site: Site) -> None:
    checkout = site.checkout()
    first = site.submit(checkout, {"action": "pay", "payment_type": "1", **CARD})
    again = site.submit(checkout, {"action": "pay", "payment_type": "1", **CARD})
    assert again.status_code == 303  # back to the page, which says it is done
    page = site.page(checkout)
    assert "This payment is complete" in page.text
    link = re.search(r'<a class="back" href="([^"]+)"', page.text)
    assert link is not None
    assert link.group(1).replace("&amp;", "&") == first.headers["location"]


def test_an_expired_session_cannot_be_paid(site: Site) -> None:
    checkout = site.checkout()
    site.mock.clock.advance(site.mock.settings.checkout_ttl)
    try:
        page = site.page(checkout)
        assert "This payment session has expired" in page.text
        link = re.search(r'<a class="back" href="([^"]+)"', page.text)
        assert link is not None and link.group(1).startswith(NO + "?data=")
        assert site.submit(checkout, {"action": "pay", "payment_type": "1", **CARD}).status_code == 303
        assert site.state(checkout).status == "FAILED"
    finally:
        site.mock.clock.freeze(1767214800)


def test_webview_page_is_the_same_page(site: Site) -> None:
    checkout = site.checkout(channel="mobile", paymentType="2")
    page = site.page(checkout, "/pay/webview")
    assert page.status_code == 200 and 'action="/pay/webview?data=' in page.text
    fields = {"action": "pay", "payment_type": "2", "card_number": "5453010000095539", "expiry": "12/25",
              "cvv": "300"}
    assert _callback(site.submit(checkout, fields, "/pay/webview")).successful


def test_the_2019_payment_path_is_the_same_page(site: Site) -> None:
    """``/api/payment?data=`` (the 2019 kits' form of ``/payment``) still opens and pays the session."""
    checkout = site.checkout()
    page = site.page(checkout, "/api/payment")
    assert page.status_code == 200 and 'action="/api/payment?data=' in page.text
    paid = site.submit(checkout, {"action": "pay", "payment_type": "1", **CARD}, "/api/payment")
    assert _callback(paid).successful
    headers = {"accessCode": SANDBOX.access_code, "Accept": "application/json"}
    legacy = f"{site.base}/api/transaction/enquire"  # the deprecated enquiry
    enquire = site.http.get(f"{legacy}/{checkout.token}", headers=headers, timeout=10)
    assert enquire.status_code == 200 and enquire.json()["data"]["token"] == checkout.token
    gone = site.http.get(f"{legacy}/NO-SUCH", headers=headers, timeout=10)
    assert gone.status_code == 404 and gone.json()["message"] == "Transaction not found"


def test_embedded_session_data_opens_the_page(site: Site) -> None:
    from mock_server.shapes.checkout import page_session

    checkout = site.checkout(embeddedPayment=True)
    page = site.http.get(f"{site.base}/payment", params={"data": page_session(checkout)}, timeout=10)
    assert page.status_code == 200 and "Pay with KNET" in page.text


def test_apple_pay_script_leads_to_the_mocks_own_page(site: Site) -> None:
    checkout = site.checkout(paymentType="9")
    script = site.page(checkout, "/applepay")
    assert script.status_code == 200 and script.headers["content-type"].startswith("application/javascript")
    target = re.search(r'window\.location\.assign\("([^"]+)"\)', script.text)
    assert target is not None and "window.handleApplePayClick = function" in script.text
    url = urlsplit(target.group(1))
    assert url.path == "/payment" and url.fragment == "method-9"
    assert parse_qs(url.query)["data"] == [checkout.session]
    assert site.http.get(target.group(1), timeout=10).status_code == 200
    unknown = site.http.get(f"{site.base}/applepay", params={"data": "0" * 96}, timeout=10)
    assert unknown.status_code == 404 and unknown.headers["content-type"].startswith("application/javascript")
