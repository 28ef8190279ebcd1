"""The inspector at /_mock/ui in headless chromium: live traffic, an exchange opened, a finding
highlighted, the pay and redeliver buttons, no secret in any page, and a cross-site page that
tries to drive the control plane. One chromium for the module (``browser``), a tab per test."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from typing import Any

import pytest
import requests
from starlette.applications import Starlette
from starlette.responses import HTMLResponse
from starlette.routing import Route
from support.receiver import Receiver

from hesabe_spec import HesabeClient
from hesabe_spec.client.config import ClientConfig
from mock_server.app import create_app
from mock_server.control.client import MockControl
from mock_server.runtime import MockRuntime
from mock_server.testing import serve_app as serve
from mock_server.webhooks.config import DeliverySettings

pytestmark = pytest.mark.browser

WAIT_MS = 10_000
INVOICE = {"invoice_type": "0", "amount": "12.500", "allocate_pay_type": "1,2", "language": "en",
           "expires_at": "2030-12-31"}


@pytest.fixture(scope="module")
def inspected() -> Iterator[tuple[str, MockRuntime]]:
    """The mock over real HTTP, its webhooks retried quickly."""
    # a generous answer timeout: a receiver slowed by a loaded machine must not be retried
    quick = DeliverySettings(attempts=3, base_delay=0.02, max_delay=0.2, timeout=10)
    app = create_app(webhook_settings=quick)
    with serve(app) as base:
        yield base, app.state.mock


@pytest.fixture(scope="module")
def client(inspected: tuple[str, MockRuntime]) -> Iterator[HesabeClient]:
    base = inspected[0]
    with HesabeClient(ClientConfig(base_url=base, gateway_url=base)) as made:
        yield made


@pytest.fixture
def tab(page: Any) -> Iterator[Any]:
    """A tab that fails the test on any Content-Security-Policy violation or script error."""
    problems: list[str] = []
    page.on("console", lambda msg: problems.append(msg.text) if "Refused to" in msg.text else None)
    page.on("pageerror", lambda exc: problems.append(str(exc)))
    yield page
    assert problems == []


def _expect() -> Any:
    from playwright.sync_api import expect

    return expect


def test_a_call_appears_decrypted_without_a_reload_and_opens_by_keyboard(
        tab: Any, inspected: Any, client: HesabeClient) -> None:
    base, _ = inspected
    tab.goto(f"{base}/_mock/ui")
    tab.evaluate("window.sameDocument = true")
    created = client.create_invoice(reference_number="LIVE-1", **INVOICE)
    row = tab.locator('#traffic tbody tr[data-operation="create_invoice"]').first
    row.wait_for(timeout=WAIT_MS)  # arrives by polling: no reload, no timing asserted
    assert tab.evaluate("window.sameDocument") is True
    link = row.locator("a[data-detail]")
    link.focus()
    tab.keyboard.press("Enter")
    detail = tab.locator("#detail article.exchange")
    detail.wait_for(timeout=WAIT_MS)
    assert tab.evaluate("window.sameDocument") is True
    request_json = tab.locator("#detail #request-json").inner_text()
    response_json = tab.locator("#detail #response-json").inner_text()
    assert '"referenceNumber": "LIVE-1"' in request_json and '"amount": "12.500"' in request_json
    assert '"status": true' in response_json and f'"token": "{created["token"]}"' in response_json
    facts = tab.locator('#detail table.facts[data-side="request"]')
    assert facts.locator("tr").first.inner_text().split() == ["Envelope", "data"]
    assert "whole" in facts.inner_text() and "php object" in facts.inner_text()
    tab.locator("#detail details summary").first.click()
    assert re.fullmatch(r"[0-9a-f]{64,}", tab.locator("#detail #hex-request").inner_text())
    assert "curl -s -X POST" in tab.locator("#detail pre[id^=curl]").inner_text()


def test_a_tab_open_across_a_restart_drops_the_old_rows_and_shows_the_new(tab: Any) -> None:
    """A restarted mock numbers its exchanges from 1 again: the open tab must not keep the old
    run's rows (their numbers now name other exchanges) nor wait for the new run to pass its old
    cursor. The restart is a new app behind the same address."""
    first, second = create_app(), create_app()
    serving = [first]

    async def front(scope: Any, receive: Any, send: Any) -> None:
        await (first if scope["type"] == "lifespan" else serving[0])(scope, receive, send)

    def shown() -> list[str]:
        return [str(s) for s in tab.locator("#traffic tbody tr[data-seq]").evaluate_all(
            "rows => rows.map(r => r.dataset.seq)")]

    try:
        with serve(front) as base:
            with HesabeClient(ClientConfig(base_url=base)) as old_run:
                for n in range(6):
                    old_run.list_invoices(page=n + 1)
            tab.goto(f"{base}/_mock/ui")
            assert len(shown()) == first.state.mock.journal.recorded == 7  # a login and six lists
            serving[0] = second
            with HesabeClient(ClientConfig(base_url=base)) as new_run:
                new_run.create_invoice(reference_number="AFTER-RESTART", **INVOICE)
            expected = [str(n) for n in range(second.state.mock.journal.recorded, 0, -1)]
            deadline = time.monotonic() + WAIT_MS / 1000
            while shown() != expected and time.monotonic() < deadline:
                time.sleep(0.2)
            assert shown() == expected
    finally:
        second.state.mock.close()


def test_exchanges_arriving_faster_than_the_list_shows_are_one_click_away(tab: Any, inspected: Any) -> None:
    """More than one poll's 200 rows arrive within a second: the list marks the gap with a link
    to the exchanges it left out, a still page of them, which links to older ones in turn."""
    from hesabe_spec.client import ASGITransport

    base, mock = inspected
    tab.clock.install()  # the page's timers run when the test says: one poll after all 260 arrived
    tab.goto(f"{base}/_mock/ui")
    front = create_app()
    front.state.mock = mock  # the served runtime behind an in-process door: 260 calls in well under a second
    with ASGITransport(front) as transport, HesabeClient(ClientConfig(base_url="http://in.process"),
                                                         transport=transport) as fast:
        for n in range(260):
            fast.list_invoices(page=n + 1)
    tab.clock.run_for(1500)
    gap = tab.locator("#traffic tbody tr.gap a")
    gap.wait_for(timeout=WAIT_MS)
    gap.click()
    tab.wait_for_url(re.compile(r".*/_mock/ui\?before=\d+"))
    before = int(tab.url.split("before=")[1].split("&")[0])
    shown = [int(n) for n in tab.locator("#traffic-older tbody tr[data-seq]").evaluate_all(
        "rows => rows.map(r => r.dataset.seq)")]
    assert shown and shown[0] == before - 1 and shown == sorted(shown, reverse=True)


def test_with_nothing_open_the_list_takes_the_whole_width(tab: Any, inspected: Any,
                                                          client: HesabeClient) -> None:
    base, _ = inspected
    client.list_invoices()
    tab.set_viewport_size({"width": 1400, "height": 900})
    tab.goto(f"{base}/_mock/ui")
    split = tab.locator(".split").bounding_box()
    listed = tab.locator(".split > .list").bounding_box()
    assert listed["width"] > 0.95 * split["width"]  # not half of it, beside an empty column
    tab.locator("#traffic tbody tr a[data-detail]").first.click()
    tab.locator("#detail article.exchange").wait_for(timeout=WAIT_MS)
    assert tab.locator(".split > .list").bounding_box()["width"] < 0.6 * split["width"]  # side by side


def test_the_live_list_pauses_and_escape_closes_the_exchange(tab: Any, inspected: Any,
                                                             client: HesabeClient) -> None:
    base, mock = inspected
    client.list_invoices()
    tab.clock.install()  # the page's polls run when the test says
    tab.goto(f"{base}/_mock/ui")
    rows = tab.locator("#traffic tbody tr[data-seq]")
    held = rows.first.get_attribute("data-seq")
    pause = tab.locator("#pause")
    assert pause.inner_text() == "Pause the live list"
    pause.click()
    assert pause.get_attribute("aria-pressed") == "true" and pause.inner_text() == "Resume the live list"
    client.list_invoices(page=2)
    tab.clock.run_for(3000)
    tab.wait_for_timeout(200)
    assert rows.first.get_attribute("data-seq") == held  # paused: nothing moves under the pointer
    pause.click()
    tab.clock.run_for(1500)
    _expect()(rows.first).to_have_attribute("data-seq", str(mock.journal.recorded), timeout=WAIT_MS)
    link = rows.first.locator("a[data-detail]")
    link.focus()
    tab.keyboard.press("Enter")
    tab.locator("#detail article.exchange").wait_for(timeout=WAIT_MS)
    tab.keyboard.press("Escape")
    _expect()(tab.locator("#detail article.exchange")).to_have_count(0, timeout=WAIT_MS)
    assert tab.evaluate("document.activeElement.hasAttribute('data-detail')")  # focus back on the row


@pytest.mark.parametrize(("width", "height"), [(1400, 900), (1024, 800), (390, 844)])
def test_an_opened_exchange_is_in_view_and_hides_no_column(tab: Any, inspected: Any, client: HesabeClient,
                                                           width: int, height: int) -> None:
    """Beside the list, the detail never covers a column of it; below it (a narrow window), a
    click brings it into view; and the page itself never scrolls sideways."""
    base, _ = inspected
    for n in range(12):  # enough rows that the detail of the first one starts below the fold when stacked
        client.create_invoice(reference_number=f"VIEW-{width}-{n}", **INVOICE)
    tab.set_viewport_size({"width": width, "height": height})
    tab.goto(f"{base}/_mock/ui")
    row = tab.locator('#traffic tbody tr[data-operation="create_invoice"]').first
    row.wait_for(timeout=WAIT_MS)
    row.locator("a[data-detail]").click()
    tab.locator("#detail article.exchange").wait_for(timeout=WAIT_MS)
    box = tab.locator("#detail").bounding_box()
    assert box is not None and box["y"] < height and box["y"] + box["height"] > 0, box  # in view
    assert tab.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
    covered = tab.evaluate("""() => Array.from(document.querySelectorAll('#traffic tbody tr:first-child td'))
        .map(td => td.getBoundingClientRect())
        .filter(r => r.width > 0 && r.right > 0 && r.left < window.innerWidth
                     && r.top >= 0 && r.top < window.innerHeight)
        .some(r => document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2)
                   ?.closest('#detail'))""")
    assert covered is False


def test_a_finding_is_highlighted_with_its_explanation(tab: Any, inspected: Any,
                                                       client: HesabeClient) -> None:
    base, _ = inspected
    payload = {"invoiceType": "0", "amount": "3.000", "allocatePayType": "1", "referenceNumber": "FIND-1",
               "expiresAt": "2030-12-31", "customerNickname": "x"}
    client.call("create_invoice", payload, validate=False)
    tab.goto(f"{base}/_mock/ui?findings=1&operation=create_invoice")
    row = tab.locator("#traffic tbody tr.sev-error").first
    row.wait_for(timeout=WAIT_MS)
    assert tab.locator("#traffic tbody tr:not(.sev-error):not(.sev-warning)").count() == 0  # the filter
    row.locator("a[data-detail]").click()
    finding = tab.locator('#detail li.finding.error[data-rule="unknown_field"]')
    finding.wait_for(timeout=WAIT_MS)
    assert "customerNickname" in finding.inner_text() and "the server ignores it" in finding.inner_text()
    marked = tab.locator("#detail #request-json mark.finding-at")
    assert '"customerNickname"' in marked.inner_text()
    background = finding.evaluate("el => getComputedStyle(el).backgroundColor")
    assert background not in ("rgba(0, 0, 0, 0)", "transparent")


def test_the_pay_button_pays_the_invoice(tab: Any, inspected: Any, client: HesabeClient) -> None:
    base, _ = inspected
    invoice = client.create_invoice(reference_number="PAY-BTN-1", **INVOICE)
    tab.goto(f"{base}/_mock/ui/records")
    row = tab.locator(f'tr[data-record="invoice-{invoice["id"]}"]')
    assert row.locator('td[data-col="status"]').inner_text() == "unpaid"
    # named for its record: a screen reader tells the records' buttons apart
    row.get_by_role("button", name=f"Pay: Invoices {invoice['id']}", exact=True).focus()
    tab.keyboard.press("Enter")  # buttons are plain <button>s: the keyboard works them
    _expect()(tab.locator(f'tr[data-record="invoice-{invoice["id"]}"] td[data-col="status"]')).to_have_text(
        "paid", timeout=WAIT_MS)
    _expect()(tab.locator("#flash")).to_be_focused(timeout=WAIT_MS)  # where a keyboard user lands next
    assert tab.locator("#flash").inner_text() == "Pay: done."
    assert tab.locator(f'tr[data-record="invoice-{invoice["id"]}"] button').count() == 0  # nothing left to do
    assert client.get_invoice(invoice["id"])["invoice_status"] == 1  # and through the API


def test_a_refused_button_shows_why_and_the_record_as_it_now_is(tab: Any, inspected: Any,
                                                               client: HesabeClient) -> None:
    """Paid elsewhere after the page was drawn: Pay is refused, and the row then reads paid."""
    base, _ = inspected
    invoice = client.create_invoice(reference_number="PAY-STALE-1", **INVOICE)
    tab.goto(f"{base}/_mock/ui/records")
    row = tab.locator(f'tr[data-record="invoice-{invoice["id"]}"]')
    assert row.locator('td[data-col="status"]').inner_text() == "unpaid"
    MockControl(base).pay_invoice(invoice["id"])  # meanwhile, by another hand
    row.get_by_role("button", name=f"Pay: Invoices {invoice['id']}", exact=True).click()
    _expect()(tab.locator("#flash")).to_contain_text("refused", timeout=WAIT_MS)
    _expect()(tab.locator(f'tr[data-record="invoice-{invoice["id"]}"] td[data-col="status"]')).to_have_text(
        "paid", timeout=WAIT_MS)


def test_the_redeliver_button_sends_the_webhook_again(tab: Any, inspected: Any, client: HesabeClient) -> None:
    base, mock = inspected
    with Receiver() as rx, MockControl(base) as control:
        invoice = client.create_invoice(reference_number="HOOK-1", webhook=rx.url, **INVOICE)
        control.pay_invoice(invoice["id"])
        (first,) = rx.wait_for(1)
        delivery = next(d for d in control.webhooks() if d["url"] == rx.url)
        assert mock.webhooks.wait_idle(10)
        tab.goto(f"{base}/_mock/ui/state")
        row = tab.locator(f'tr[data-delivery="{delivery["id"]}"]')
        assert row.get_attribute("data-state") == "delivered"
        row.get_by_role("button", name="Redeliver").click()
        hits = rx.wait_for(2)
        assert hits[1].body == first.body and hits[1].path == first.path
        again = tab.locator("tr[data-delivery] td", has_text=f"redelivery of #{delivery['id']}")
        again.first.wait_for(timeout=WAIT_MS)


def test_no_secret_appears_in_any_page(tab: Any, inspected: Any) -> None:
    base, mock = inspected
    with MockControl(base) as control:
        made = control.create_merchant(name="secretive")["merchant"]
    config = ClientConfig(base_url=base, gateway_url=base, merchant_code=str(made["merchant_code"]),
                          access_code=made["access_code"], secret_key=made["secret_key"],
                          iv_key=made["iv_key"],
                          username=made["username"], password=made["password"])
    before = mock.journal.recorded
    with HesabeClient(config) as own:
        invoice = own.create_invoice(reference_number="SECRET-1", **INVOICE)
        own.get_invoice(invoice["id"])
        bearer = own.tokens.bearer()
    # the journal records an exchange after its reply went out: wait for the three (login first)
    deadline = time.monotonic() + WAIT_MS / 1000
    while mock.journal.recorded < before + 3:
        assert time.monotonic() < deadline, "the journal did not record the three exchanges"
        time.sleep(0.005)
    secrets = {made["secret_key"], made["iv_key"], made["access_code"], made["password"], bearer}
    code = made["merchant_code"]
    pages = [f"/_mock/ui?merchant={code}", f"/_mock/ui/records?merchant={code}", "/_mock/ui/state"]
    pages += [f"/_mock/ui/exchanges/{s['seq']}" for s in mock.journal.recent(0, 50, merchant_code=code)]
    pages += [f"/_mock/ui/exchanges/{s['seq']}" for s in mock.journal.recent(0, 50, operation="login")]
    seen = []
    for path in pages:
        tab.goto(base + path)
        seen.append(tab.content())
    seen.append(tab.evaluate("fetch('/_mock/ui/traffic?after=0').then(r => r.text())"))
    text = "\n".join(seen)
    assert "SECRET-1" in text and "[redacted]" in text  # the pages did show this merchant's traffic
    for secret in secrets:
        assert secret not in text


@pytest.fixture(scope="module")
def attacker() -> Iterator[str]:
    """Another site: a page with a form posting to whatever the test points it at."""
    async def home(_request: Any) -> HTMLResponse:
        return HTMLResponse('<form method="post" enctype="text/plain" id="f">'
                            '<input name=\'{"kind": "error_500", "x": "\' value=\'"}\'>'
                            '<button type="submit">Win a prize</button></form>')

    with serve(Starlette(routes=[Route("/", home)])) as base:
        yield base.replace("127.0.0.1", "localhost")  # another site than 127.0.0.1


def test_a_page_on_another_site_cannot_drive_the_control_plane(tab: Any, inspected: Any,
                                                               attacker: str) -> None:
    base, mock = inspected
    mock.faults.clear()
    before = mock.store.fingerprint()
    tab.goto(attacker)
    tab.evaluate("([form, action]) => { document.getElementById(form).action = action; }",
                 ["f", f"{base}/_mock/faults"])
    with tab.expect_response(lambda r: r.url.endswith("/_mock/faults")) as posted:
        tab.get_by_role("button", name="Win a prize").click()
    assert posted.value.status == 403
    tab.goto(attacker)
    no_cors = "url => fetch(url, {method: 'POST', mode: 'no-cors', body: '{}'}).then(r => r.type)"
    status = tab.evaluate(no_cors, f"{base}/_mock/reset")
    assert status == "opaque"  # sent, refused, and unreadable
    assert mock.faults.rules() == [] and mock.store.fingerprint() == before


def test_clock_faults_and_expiry_by_moving_the_clock(tab: Any, inspected: Any,
                                                     client: HesabeClient) -> None:
    base, mock = inspected
    try:
        tab.goto(f"{base}/_mock/ui/state")
        tab.get_by_label("Kind").select_option("rate_limit")
        tab.locator("form.add-fault").get_by_label("Operation").select_option("get_profile")
        tab.get_by_label("Times").fill("2")
        tab.get_by_role("button", name="Add rule").click()
        rule = tab.locator("#faults tr[data-rule]")
        _expect()(rule).to_have_count(1, timeout=WAIT_MS)
        made = [(r.kind, r.operation, r.times) for r in mock.faults.rules()]
        assert made == [("rate_limit", "get_profile", 2)]
        rule.get_by_role("button", name="Remove").click()
        _expect()(tab.locator("#faults tr[data-rule]")).to_have_count(0, timeout=WAIT_MS)
        assert mock.faults.rules() == []
        tab.get_by_label("Kind").select_option("mutate_reply")
        tab.get_by_label("JSON Patch (mutate_reply)").fill('[{"op": "remove", "path": "/message"}]')
        tab.get_by_label("HTTP status (mutate_reply)").fill("418")
        tab.get_by_role("button", name="Add rule").click()
        _expect()(rule).to_have_count(1, timeout=WAIT_MS)
        (mutate,) = mock.faults.rules()
        assert (mutate.kind, mutate.patch, mutate.http_status) == (
            "mutate_reply", [{"op": "remove", "path": "/message"}], 418)
        mock.faults.clear()
        before = mock.clock.time()
        tab.get_by_role("button", name="+1 hour").click()
        _expect()(tab.locator("#flash")).to_contain_text("done", timeout=WAIT_MS)
        assert mock.clock.time() - before >= 3600
        session = client.checkout(amount="4.000", response_url="https://shop.example/ok",
                                  order_reference_number="EXPIRE-1")
        tab.goto(f"{base}/_mock/ui/records")
        row = tab.locator(f'tr[data-record="checkout-{session.token}"]')
        asked: list[str] = []
        tab.once("dialog", lambda dialog: (asked.append(dialog.message), dialog.dismiss()))
        moved_to = mock.clock.time()
        row.get_by_role("button", name="Expire (move the clock)").click()
        tab.wait_for_timeout(300)
        assert asked and "whole mock's clock" in asked[0] and mock.clock.time() - moved_to < 60  # declined
        tab.once("dialog", lambda dialog: dialog.accept())
        row.get_by_role("button", name="Expire (move the clock)").click()
        status = tab.locator(f'tr[data-record="checkout-{session.token}"] td[data-col="status"]')
        _expect()(status).to_have_text("PENDING (expired)", timeout=WAIT_MS)
        assert client.get_transaction(session.token).transaction.status == "FAILED"  # the API sees it too
    finally:
        mock.clock.reset()
        mock.faults.clear()


def test_the_tab_has_its_own_icon_and_asks_the_api_for_none(tab: Any, inspected: Any) -> None:
    """Without one the browser asks for /favicon.ico: the API's JSON 404, an error in the console."""
    base, _ = inspected
    answered: list[tuple[int, str]] = []
    tab.on("response", lambda response: answered.append((response.status, response.url)))
    tab.goto(f"{base}/_mock/ui")
    tab.wait_for_load_state("networkidle")
    assert [url for status, url in answered if status >= 400] == []
    icon = tab.evaluate("document.querySelector('link[rel=icon]').href")
    assert icon.endswith("/_mock/ui/icon.svg") and requests.get(icon, timeout=10).status_code == 200
