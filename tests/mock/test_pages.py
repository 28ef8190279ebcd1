"""The hosted payment page over real HTTP (uvicorn on loopback): render, pay, decline, states, errors."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import requests

from hesabe_spec.enums import InvoiceKind
from mock_server.app import create_app
from mock_server.clock import Clock
from mock_server.handlers.invoices import new_invoice
from mock_server.handlers.open_invoices import new_open_invoice
from mock_server.runtime import MockRuntime
from mock_server.state.models import Invoice, OpenInvoice
from mock_server.testing import serve_app as serve

FORM = "application/x-www-form-urlencoded"


@dataclass
class Site:
    base: str
    mock: MockRuntime
    http: requests.Session

    def get(self, path: str, **kw: Any) -> requests.Response:
        return self.http.get(self.base + path, allow_redirects=False, timeout=10, **kw)

    def post(self, path: str, data: Any, **kw: Any) -> requests.Response:
        return self.http.post(self.base + path, data=data, allow_redirects=False, timeout=10, **kw)

    @property
    def merchant(self) -> Any:
        return self.mock.merchants.merchants[0]

    def invoice(self, **extra: Any) -> Invoice:
        payload = {"invoiceType": "0", "invoiceSubType": "3", "amount": "49.000", "customerName": "Ali",
                   "allocatePayType": "1,2", "referenceNumber": "INV-1001", "description": "Annual plan",
                   "language": "en", "expiresAt": "2026-12-31",
                   "itemsList": [{"itemTitle": "Widget", "rate": "24.5", "quantity": "2", "amount": "49"}],
                   **extra}
        return self.mock.invoices.create(self.merchant, new_invoice(payload), InvoiceKind.SINGLE)

    def stored(self, inv: Invoice) -> Invoice:
        found = self.mock.store.get_invoice(inv.merchant_id, inv.id)
        assert found is not None
        return found

    def open_invoice(self, **extra: Any) -> OpenInvoice:
        payload = {"title": "Donation", "amountType": "1", "minAmount": "1", "maxAmount": "50",
                   "expiryDate": "2026-06-30", **extra}
        return self.mock.open_invoices.create(self.merchant, new_open_invoice(payload))


@pytest.fixture(scope="module")
def served() -> Iterator[tuple[str, MockRuntime]]:
    clock = Clock()
    clock.freeze(1767214800)  # 2026-01-01 00:00 Kuwait
    app = create_app(clock=clock)
    with serve(app) as base:
        yield base, app.state.mock


@pytest.fixture
def site(served: tuple[str, MockRuntime]) -> Iterator[Site]:
    base, mock = served
    with requests.Session() as http:
        yield Site(base, mock, http)


def html_attrs(page: str) -> dict[str, str]:
    tag = re.search(r"<html([^>]*)>", page)
    assert tag
    return dict(re.findall(r'(\w+)="([^"]*)"', tag.group(1)))


# -- render ----------------------------------------------------------------------------------------
def test_page_shows_the_invoice_in_english(site: Site) -> None:
    inv = site.invoice()
    res = site.get(f"/s/{inv.access_key}")
    assert res.status_code == 200 and res.headers["content-type"].startswith("text/html")
    page = res.text
    assert html_attrs(page) == {"lang": "en", "dir": "ltr"}
    assert 'data-field="merchant">test<' in page  # the sandbox merchant's name
    assert '<span class="value" dir="ltr">49.000</span> <span class="cur">KWD</span>' in page
    for text in ("INV-1001", "Annual plan", "Ali", "Widget", "24.500", "2026-12-31", "Reference number"):
        assert text in page
    assert re.findall(r'name="payment_type" value="(\d+)"', page) == ["1", "2"]
    assert ">KNET</label>" in page.replace(" KNET", "KNET") and "Visa/MasterCard" in page
    assert 'value="pay"' in page and 'value="decline"' in page
    assert 'data-state="unpaid"' in page


def test_page_is_self_contained_and_locked_down(site: Site) -> None:
    res = site.get(f"/s/{site.invoice().access_key}")
    page = res.text
    assert "<script" not in page and "<link" not in page and " src=" not in page and "url(" not in page
    csp = res.headers["content-security-policy"]
    assert "default-src 'none'" in csp and "script-src" not in csp
    assert res.headers["cache-control"] == "no-store"


def test_every_view_counts_a_visit(site: Site) -> None:
    inv = site.invoice()
    for _ in range(3):
        assert site.get(f"/s/{inv.access_key}").status_code == 200
    assert site.stored(inv).visited_count == 3


def test_merchant_text_is_escaped(site: Site) -> None:
    inv = site.invoice(description="<script>alert(1)</script>", customerName='"><img src=x onerror=alert(2)>',
                       itemsList=[{"itemTitle": "<b>bold</b>", "rate": "49", "quantity": "1",
                                   "amount": "49"}])
    page = site.get(f"/s/{inv.access_key}").text
    assert "<script>" not in page and "<img" not in page and "<b>bold" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "&quot;&gt;&lt;img src=x onerror=alert(2)&gt;" in page


def test_arabic_invoice_is_right_to_left_with_arabic_labels(site: Site) -> None:
    inv = site.invoice(language="ar")
    page = site.get(f"/s/{inv.access_key}").text
    assert html_attrs(page) == {"lang": "ar", "dir": "rtl"}
    for label in ("ادفع", "رفض", "الرقم المرجعي", "اختر طريقة الدفع", "د.ك", "غير مدفوعة"):
        assert label in page
    assert ">Pay<" not in page
    # the page can be switched by the customer; the redirect after paying keeps the choice
    assert html_attrs(site.get(f"/s/{inv.access_key}?lang=en").text)["dir"] == "ltr"
    res = site.post(f"/s/{inv.access_key}?lang=ar", {"action": "decline"})
    assert res.headers["location"] == f"/s/{inv.access_key}?lang=ar&result=cancelled"


def test_language_defaults_to_the_merchant_default_arabic(site: Site) -> None:
    inv = site.mock.invoices.create(site.merchant, new_invoice({"invoiceType": "0", "amount": "5"}),
                                    InvoiceKind.SINGLE)
    assert html_attrs(site.get(f"/s/{inv.access_key}").text)["lang"] == "ar"


# -- pay / decline / fail --------------------------------------------------------------------------
def test_pay_redirects_back_and_shows_the_paid_invoice(site: Site) -> None:
    inv = site.invoice()
    res = site.post(f"/s/{inv.access_key}", {"action": "pay", "payment_type": "2"})
    assert res.status_code == 303 and res.headers["location"] == f"/s/{inv.access_key}?result=success"
    paid = site.stored(inv)
    assert paid.invoice_status == 1 and paid.transaction is not None
    assert paid.transaction["payment_type_id"] == 2
    page = site.get(res.headers["location"]).text
    assert 'data-result="success"' in page and 'data-state="paid"' in page
    assert "Visa/MasterCard" in page and "<form" not in page
    assert "This invoice has been paid." in site.get(f"/s/{inv.access_key}").text  # a later visit
    # paying again from a stale page is refused with a conflict page, and nothing changes
    before = site.mock.store.fingerprint()
    again = site.post(f"/s/{inv.access_key}", {"action": "pay", "payment_type": "1"})
    assert again.status_code == 409 and "already been paid" in again.text
    assert site.mock.store.fingerprint() == before


def test_following_the_redirect_works_like_a_browser(site: Site) -> None:
    inv = site.invoice()
    res = site.http.post(f"{site.base}/s/{inv.access_key}", data={"action": "pay", "payment_type": "1"},
                         timeout=10)
    assert res.status_code == 200 and [r.status_code for r in res.history] == [303]
    assert 'data-state="paid"' in res.text


@pytest.mark.parametrize(("action", "outcome"), [("decline", "cancelled"), ("fail", "failure")])
def test_decline_and_failure_leave_the_invoice_payable(site: Site, action: str, outcome: str) -> None:
    inv = site.invoice()
    res = site.post(f"/s/{inv.access_key}", {"action": action, "payment_type": "1"})
    assert res.status_code == 303 and res.headers["location"].endswith(f"?result={outcome}")
    stored = site.stored(inv)
    assert stored.invoice_status == 0 and stored.transaction is None
    assert [a["outcome"] for a in stored.payment_attempts] == [outcome]
    page = site.get(res.headers["location"]).text
    assert f'data-result="{outcome}"' in page and "<form" in page


def test_decline_needs_no_payment_method(site: Site) -> None:
    inv = site.invoice(allocatePayType="2,1")
    assert site.post(f"/s/{inv.access_key}", {"action": "decline"}).status_code == 303
    assert site.stored(inv).payment_attempts[0]["payment_type_id"] == 2


# -- states ----------------------------------------------------------------------------------------
def test_expired_invoice_shows_expired_and_cannot_be_paid(site: Site) -> None:
    inv = site.invoice(expiresAt="2025-12-31")  # the mock clock reads 2026-01-01
    page = site.get(f"/s/{inv.access_key}").text
    assert 'data-state="expired"' in page and "has expired" in page and "<form" not in page
    before = site.mock.store.fingerprint()
    res = site.post(f"/s/{inv.access_key}", {"action": "pay", "payment_type": "1"})
    assert res.status_code == 409 and "expired" in res.text
    assert site.mock.store.fingerprint() == before


def test_cancelled_invoice_shows_cancelled(site: Site) -> None:
    inv = site.invoice()
    site.mock.invoices.cancel(site.merchant, inv.token)
    page = site.get(f"/s/{inv.access_key}").text
    assert 'data-state="cancelled"' in page and "has been cancelled" in page and "<form" not in page
    assert site.post(f"/s/{inv.access_key}", {"action": "pay", "payment_type": "1"}).status_code == 409


def test_expiry_follows_the_mock_clock(site: Site) -> None:
    inv = site.invoice(expiresAt="2026-01-01")
    assert 'data-state="unpaid"' in site.get(f"/s/{inv.access_key}").text
    site.mock.clock.advance(86400)
    try:
        assert 'data-state="expired"' in site.get(f"/s/{inv.access_key}").text
    finally:
        site.mock.clock.advance(-86400)


# -- errors ----------------------------------------------------------------------------------------
@pytest.mark.parametrize("key", ["NOPE1234", "%3Cscript%3E", "a" * 80])
def test_unknown_keys_get_a_404_page(site: Site, key: str) -> None:
    for res in (site.get(f"/s/{key}"), site.get(f"/sp/{key}"),
                site.post(f"/s/{key}", {"action": "pay", "payment_type": "1"})):
        assert res.status_code == 404 and res.headers["content-type"].startswith("text/html")
        assert "Payment link not found" in res.text and "<script" not in res.text


@pytest.mark.parametrize(
    ("data", "headers"),
    [
        ({}, None),
        ({"action": "steal", "payment_type": "1"}, None),
        ({"action": "pay"}, None),
        ({"action": "pay", "payment_type": "7"}, None),  # not allocated to this invoice
        ({"action": "pay", "payment_type": "one"}, None),
        ('{"action": "pay", "payment_type": "1"}', {"Content-Type": "application/json"}),
        ({"action": "pay", "payment_type": "1", "pad": "x" * 20_000}, None),
        (b"action=pay&payment_type=\xff\xfe", {"Content-Type": FORM}),
    ],
    ids=["empty", "unknown-action", "no-method", "unallocated-method", "junk-method", "json", "huge",
         "not-utf8"],
)
def test_bad_form_posts_get_a_400_page_and_change_nothing(site: Site, data: Any, headers: Any) -> None:
    inv = site.invoice()
    before = site.mock.store.fingerprint()
    res = site.post(f"/s/{inv.access_key}", data, headers=headers)
    assert res.status_code == 400 and res.headers["content-type"].startswith("text/html")
    assert "The payment request was not valid" in res.text
    assert f'href="/s/{inv.access_key}"' in res.text
    assert site.mock.store.fingerprint() == before


# -- open invoices ---------------------------------------------------------------------------------
def test_open_invoice_takes_an_amount_within_its_range(site: Site) -> None:
    item = site.open_invoice(description="Help the <library>")
    page = site.get(f"/s/{item.access_key}").text
    assert 'name="amount"' in page and "Between 1.000 and 50.000 KWD" in page
    assert "Help the &lt;library&gt;" in page and 'data-state="active"' in page
    res = site.post(f"/s/{item.access_key}", {"action": "pay", "payment_type": "1", "amount": "12.5"})
    assert res.status_code == 303
    res = site.post(f"/s/{item.access_key}", {"action": "pay", "payment_type": "2", "amount": "3"})
    assert res.status_code == 303
    stored = site.mock.store.get_open_invoice(item.merchant_id, item.id)
    assert stored is not None and [p["amount"] for p in stored.payments] == ["12.500", "3.000"]
    page = site.get(res.headers["location"]).text
    assert "Payments received" in page and 'data-state="active"' in page and "<form" in page


@pytest.mark.parametrize("amount", ["0.5", "51", "abc", "", "-1", "NaN"])
def test_open_invoice_refuses_amounts_outside_the_range(site: Site, amount: str) -> None:
    item = site.open_invoice()
    before = site.mock.store.fingerprint()
    res = site.post(f"/s/{item.access_key}", {"action": "pay", "payment_type": "1", "amount": amount})
    assert res.status_code == 400
    assert site.mock.store.fingerprint() == before


def test_fixed_open_invoice_shows_the_amount_without_a_field(site: Site) -> None:
    item = site.open_invoice(amountType="0", fixAmount="7.250")
    page = site.get(f"/s/{item.access_key}").text
    assert '<span class="value" dir="ltr">7.250</span>' in page and 'name="amount"' not in page
    # an amount smuggled into the form is ignored: a fixed link charges its fixed amount
    res = site.post(f"/s/{item.access_key}", {"action": "pay", "payment_type": "1", "amount": "0.001"})
    assert res.status_code == 303
    stored = site.mock.store.get_open_invoice(item.merchant_id, item.id)
    assert stored is not None and stored.payments[0]["amount"] == "7.250"


@pytest.mark.parametrize("state", ["cancelled", "expired"])
def test_closed_open_invoices_show_their_state(site: Site, state: str) -> None:
    item = site.open_invoice(expiryDate="2025-01-01" if state == "expired" else "2026-06-30")
    if state == "cancelled":
        site.mock.open_invoices.cancel(site.merchant, item.id)
    page = site.get(f"/s/{item.access_key}").text
    assert f'data-state="{state}"' in page and "<form" not in page
    res = site.post(f"/s/{item.access_key}", {"action": "pay", "payment_type": "1", "amount": "5"})
    assert res.status_code == 409


# -- split groups ----------------------------------------------------------------------------------
def _split(site: Site, language: str = "en") -> list[Invoice]:
    parts = [{"invoiceType": "0", "amount": amount, "referenceNumber": f"SPL-{n}", "language": language,
              "allocatePayType": "1,2", "expiresAt": "2026-12-31", "description": f"Installment {n}"}
             for n, amount in ((1, "100.000"), (2, "150.000"))]
    return site.mock.invoices.create_group(site.merchant, [new_invoice(p) for p in parts], InvoiceKind.SPLIT)


def test_split_page_lists_every_part_with_its_own_pay_form(site: Site) -> None:
    first, second = _split(site)
    key = first.split_access_key
    page = site.get(f"/sp/{key}").text
    assert re.findall(r'<section class="part" data-part="(\w+)" data-state="(\w+)"', page) == [
        (first.access_key, "unpaid"), (second.access_key, "unpaid")]
    assert page.count("<form") == 2 and "100.000" in page and "150.000" in page
    res = site.post(f"/sp/{key}", {"action": "pay", "payment_type": "1", "part": second.access_key})
    assert res.status_code == 303
    assert res.headers["location"] == f"/sp/{key}?result=success&part={second.access_key}"
    page = site.get(res.headers["location"]).text
    assert re.findall(r'data-part="(\w+)" data-state="(\w+)"', page) == [
        (first.access_key, "unpaid"), (second.access_key, "paid")]
    assert page.count("<form") == 1 and page.count('data-result="success"') == 1
    assert site.stored(first).invoice_status == 0 and site.stored(second).invoice_status == 1
    assert site.stored(first).visited_count == 2  # each view of the group counts for each part


def test_split_parts_also_open_alone_and_in_arabic(site: Site) -> None:
    first, _ = _split(site, "ar")
    assert 'data-state="unpaid"' in site.get(f"/s/{first.access_key}").text
    page = site.get(f"/sp/{first.split_access_key}").text
    assert html_attrs(page) == {"lang": "ar", "dir": "rtl"} and "الجزء 1" in page


@pytest.mark.parametrize("part", [None, "NOTAPART", "self-other-group"])
def test_split_post_must_name_one_of_its_parts(site: Site, part: str | None) -> None:
    first, _ = _split(site)
    other, _ = _split(site)
    data = {"action": "pay", "payment_type": "1"}
    if part is not None:
        data["part"] = other.access_key if part == "self-other-group" else part
    before = site.mock.store.fingerprint()
    res = site.post(f"/sp/{first.split_access_key}", data)
    assert res.status_code == 400 and site.mock.store.fingerprint() == before
