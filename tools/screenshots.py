"""``make screenshots``: the README's pictures, taken from the real pages in headless chromium.

    python -m tools.screenshots [--out docs/images]

Serves a mock (clock frozen, so the pictures only change when the pages do), makes the traffic a
newcomer's integration would (a login, invoices, one with a misspelt field, a checkout, a payment
with its webhook), then photographs the inspector's traffic with an exchange open, its records
view, and the hosted payment page. Debian's chromium through the playwright package, as the
browser tests use it (``make browser-deps``); nothing is downloaded.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from hesabe_spec import HesabeClient
from hesabe_spec.client.config import ClientConfig
from mock_server.app import create_app
from mock_server.clock import Clock
from mock_server.control.client import MockControl
from mock_server.testing import CHROMIUM_ARGS, _chromium, browser_missing, serve_app

ROOT = Path(__file__).resolve().parent.parent
#: 2026-03-01 10:00 Kuwait
FROZEN_AT = 1772348400


def _traffic(base: str) -> int:
    """A newcomer's first calls; the id of an invoice left unpaid for the payment page."""
    with HesabeClient(ClientConfig(base_url=base, gateway_url=base)) as client, MockControl(base) as control:
        first = client.create_invoice(invoice_type="0", amount="49.000", reference_number="INV-2026-0042",
                                      description="Annual maintenance plan", customer_name="Fatima Ali",
                                      allocate_pay_type="1,2,9", language="en", expires_at="2026-12-31")
        client.create_invoice(invoice_type="0", amount="12.500", reference_number="INV-2026-0043",
                              customer_name="Omar", allocate_pay_type="1", language="en",
                              expires_at="2026-12-31")
        client.call("create_invoice", {"invoiceType": "0", "amount": "7.250", "allocatePayType": "1",
                                       "referenceNumber": "INV-2026-0044", "expiresAt": "2026-12-31",
                                       "customerNmae": "Sara"}, validate=False)
        client.list_invoices()
        client.checkout(amount="15.000", response_url="https://shop.example/hesabe/ok",
                        failure_url="https://shop.example/hesabe/failed", order_reference_number="ORD-77")
        control.pay_invoice(int(first["id"]) + 1)
        return int(first["id"])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.screenshots", description=__doc__.split("\n")[0])
    parser.add_argument("--out", default=str(ROOT / "docs" / "images"), help="where the PNG files go")
    args = parser.parse_args(argv)
    missing = browser_missing()
    if missing:
        print(f"screenshots: {missing}", file=sys.stderr)
        return 2
    from playwright.sync_api import sync_playwright

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    clock = Clock()
    clock.freeze(FROZEN_AT)
    app = create_app(clock=clock)
    with serve_app(app) as base, sync_playwright() as pw:
        unpaid = _traffic(base)
        mock = app.state.mock
        access_key = mock.store.get_invoice(mock.merchants.merchants[0].merchant_id, unpaid).access_key
        browser = pw.chromium.launch(executable_path=_chromium(), headless=True, args=CHROMIUM_ARGS)
        try:
            wide = browser.new_page(viewport={"width": 1360, "height": 820}, locale="en-US")
            wide.goto(f"{base}/_mock/ui")
            wide.locator("#traffic tbody tr.sev-error a[data-detail]").first.click()
            wide.locator("#detail li.finding").first.wait_for()
            wide.screenshot(path=str(out / "inspector-traffic.png"))
            wide.goto(f"{base}/_mock/ui/records")
            wide.screenshot(path=str(out / "inspector-records.png"))
            narrow = browser.new_page(viewport={"width": 820, "height": 900}, locale="en-US")
            narrow.goto(f"{base}/s/{access_key}")
            narrow.screenshot(path=str(out / "payment-page.png"), full_page=True)
        finally:
            browser.close()
    for name in ("inspector-traffic.png", "inspector-records.png", "payment-page.png"):
        print(f"wrote {out / name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
