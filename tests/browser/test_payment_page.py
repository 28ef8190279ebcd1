"""The hosted payment page in headless chromium: pay, decline, Arabic layout, expired, no-JS."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from hesabe_spec.enums import InvoiceKind
from mock_server.handlers.invoices import new_invoice
from mock_server.handlers.open_invoices import new_open_invoice
from mock_server.runtime import MockRuntime
from mock_server.state.models import Invoice

pytestmark = pytest.mark.browser


def _invoice(mock: MockRuntime, **extra: Any) -> Invoice:
    payload = {"invoiceType": "0", "invoiceSubType": "3", "amount": "49.000", "customerName": "Fatima Ali",
               "allocatePayType": "1,2,9", "referenceNumber": "INV-2026-0042", "language": "en",
               "description": "Annual maintenance plan", "expiresAt": "2026-12-31",
               "itemsList": [{"itemTitle": "Maintenance visit", "rate": "12.250", "quantity": "2",
                              "amount": "24.500"},
                             {"itemTitle": "Spare filter", "rate": "24.500", "quantity": "1",
                              "amount": "24.500"}],
               **extra}
    return mock.invoices.create(mock.merchants.merchants[0], new_invoice(payload), InvoiceKind.SINGLE)


def _stored(mock: MockRuntime, inv: Invoice) -> Invoice:
    found = mock.store.get_invoice(inv.merchant_id, inv.id)
    assert found is not None
    return found


def test_customer_pays_with_the_method_they_pick(page: Any, site: tuple[str, MockRuntime],
                                                 screenshot_dir: Path) -> None:
    base, mock = site
    inv = _invoice(mock)
    page.goto(f"{base}/s/{inv.access_key}")
    assert page.title() == "Pay invoice INV-2026-0042"
    assert page.locator("[data-field=merchant]").inner_text() == "test"
    assert page.locator(".amount").inner_text().split() == ["49.000", "KWD"]
    assert page.locator("table.items tbody tr").count() == 2
    methods = page.locator("label.method")
    assert [t.strip() for t in methods.all_inner_texts()] == ["KNET", "Visa/MasterCard", "Apple Pay"]
    assert page.get_by_label("KNET").is_checked()  # the first allocated method is preselected
    page.screenshot(path=str(screenshot_dir / "invoice-en.png"), full_page=True)

    page.get_by_label("Visa/MasterCard").check()
    page.get_by_role("button", name="Pay", exact=True).click()
    page.wait_for_url("**?result=success")
    assert page.locator(".banner.success").inner_text() == "Payment successful. Thank you!"
    assert page.locator(".badge").first.get_attribute("data-state") == "paid"
    assert page.locator("form").count() == 0
    page.screenshot(path=str(screenshot_dir / "invoice-paid.png"), full_page=True)
    paid = _stored(mock, inv)
    assert paid.invoice_status == 1 and paid.transaction is not None
    assert paid.transaction["payment_type_id"] == 2


def test_customer_declines(page: Any, site: tuple[str, MockRuntime]) -> None:
    base, mock = site
    inv = _invoice(mock)
    page.goto(f"{base}/s/{inv.access_key}")
    page.get_by_role("button", name="Decline").click()
    page.wait_for_url("**?result=cancelled")
    assert "You declined the payment" in page.locator(".banner").inner_text()
    assert page.locator("form").count() == 1  # still payable
    stored = _stored(mock, inv)
    assert stored.invoice_status == 0 and [a["outcome"] for a in stored.payment_attempts] == ["cancelled"]


def test_arabic_page_is_laid_out_right_to_left(page: Any, site: tuple[str, MockRuntime],
                                               screenshot_dir: Path) -> None:
    base, mock = site
    inv = _invoice(mock, language="ar", description="خطة الصيانة السنوية")
    page.goto(f"{base}/s/{inv.access_key}")
    assert page.evaluate("[document.documentElement.lang, document.documentElement.dir]") == ["ar", "rtl"]
    assert page.evaluate("getComputedStyle(document.body).direction") == "rtl"
    assert page.evaluate("getComputedStyle(document.querySelector('dl.facts')).direction") == "rtl"
    # right-to-left for real, not just an attribute: the logo (first in the header) sits at the
    # right, labels sit right of their values, and the Pay button is right of Decline
    logo = page.locator(".logo").bounding_box()
    name = page.locator(".merchant-name").bounding_box()
    assert logo["x"] > name["x"]
    label = page.locator("dl.facts dt").first.bounding_box()
    value = page.locator("dl.facts dd").first.bounding_box()
    assert label["x"] > value["x"]
    pay = page.get_by_role("button", name="ادفع").bounding_box()
    decline = page.get_by_role("button", name="رفض").bounding_box()
    assert pay["x"] > decline["x"]
    # the amount reads right to left too (number, then currency to its left), but the number
    # itself stays a left-to-right island
    assert page.evaluate("getComputedStyle(document.querySelector('.amount .value')).direction") == "ltr"
    assert page.locator(".amount .cur").inner_text() == "د.ك"
    value = page.locator(".amount .value").bounding_box()
    assert value["x"] > page.locator(".amount .cur").bounding_box()["x"]
    header = page.locator("header.merchant").bounding_box()
    assert value["x"] + value["width"] == pytest.approx(header["x"] + header["width"], abs=1)
    page.screenshot(path=str(screenshot_dir / "invoice-ar.png"), full_page=True)
    page.get_by_role("button", name="ادفع").click()
    page.wait_for_url("**?result=success")
    assert page.locator(".banner.success").inner_text().startswith("تم الدفع بنجاح")


def test_expired_invoice_offers_no_way_to_pay(page: Any, site: tuple[str, MockRuntime],
                                              screenshot_dir: Path) -> None:
    base, mock = site
    inv = _invoice(mock, expiresAt="2025-12-31")  # the mock clock reads 2026-01-01
    page.goto(f"{base}/s/{inv.access_key}")
    assert page.locator(".badge").first.get_attribute("data-state") == "expired"
    assert "has expired" in page.locator(".banner.state").inner_text()
    assert page.locator("form").count() == 0 and page.get_by_role("button").count() == 0
    page.screenshot(path=str(screenshot_dir / "invoice-expired.png"), full_page=True)
    assert _stored(mock, inv).visited_count == 1


def test_paying_works_with_javascript_switched_off(browser: Any, site: tuple[str, MockRuntime]) -> None:
    base, mock = site
    inv = _invoice(mock)
    context = browser.new_context(java_script_enabled=False)
    try:
        tab = context.new_page()
        tab.goto(f"{base}/s/{inv.access_key}")
        tab.get_by_role("button", name="Pay", exact=True).click()
        tab.wait_for_url("**?result=success")
        assert tab.locator(".badge").first.get_attribute("data-state") == "paid"
    finally:
        context.close()
    assert _stored(mock, inv).invoice_status == 1


def test_open_invoice_amount_and_split_parts(page: Any, site: tuple[str, MockRuntime],
                                             screenshot_dir: Path) -> None:
    base, mock = site
    merchant = mock.merchants.merchants[0]
    item = mock.open_invoices.create(merchant, new_open_invoice({
        "title": "School trip", "amountType": "1", "minAmount": "5", "maxAmount": "20",
        "expiryDate": "2026-03-01"}))
    page.goto(f"{base}/s/{item.access_key}")
    page.get_by_label("Amount to pay (KWD)").fill("7.5")
    page.get_by_role("button", name="Pay", exact=True).click()
    page.wait_for_url("**?result=success")
    stored = mock.store.get_open_invoice(item.merchant_id, item.id)
    assert stored is not None and stored.payments[0]["amount"] == "7.500"

    parts = [{"invoiceType": "0", "amount": a, "referenceNumber": f"TRIP-{n}", "language": "en",
              "allocatePayType": "1,2", "expiresAt": "2026-12-31"} for n, a in ((1, "60"), (2, "40"))]
    first, second = mock.invoices.create_group(merchant, [new_invoice(p) for p in parts],
                                               InvoiceKind.SPLIT)
    page.goto(f"{base}/sp/{first.split_access_key}")
    assert page.locator("section.part").count() == 2
    part = page.locator(f'section.part[data-part="{second.access_key}"]')
    part.get_by_role("button", name="Pay", exact=True).click()
    page.wait_for_url("**?result=success*")
    states = page.locator("section.part").evaluate_all("els => els.map(e => e.dataset.state)")
    assert states == ["unpaid", "paid"]
    page.screenshot(path=str(screenshot_dir / "split.png"), full_page=True)
