"""The payment gateway's browser pages: ``/payment``, ``/pay/webview`` and ``/applepay``.

GET shows the order and the methods of the checkout's ``paymentType`` (``?lang=ar`` in Arabic,
right to left). POST (the page's own forms) pays, declines or cancels through
:class:`~mock_server.state.checkouts.CheckoutService`, then answers **302** to the merchant's
``responseUrl`` (paid) or ``failureUrl`` (anything else) with ``data=<encrypted result>`` appended
to its query: the redirect a browser follows back to the shop. No source states Hesabe's status
code; 302 is what the Laravel framework behind it answers a ``redirect()`` with.

Answers: 404 page for an unknown session, 400 page for a form that cannot be acted on (nothing
changes), and for a session already completed or expired, a page leading back to the merchant.

``/applepay?data=`` answers JavaScript, as the real one does: it defines
``window.handleApplePayClick``, which here opens the mock's own page at the Apple Pay method
(no Apple Pay script exists in the mock).
"""

from __future__ import annotations

import json
import re
from urllib.parse import urlsplit

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from hesabe_spec.enums import PaymentType, TransactionStatus
from hesabe_spec.operations import GATEWAY_PAGES
from mock_server.pages.checkout_bodies import checkout_page, finished_page
from mock_server.pages.render import PageText, message_page
from mock_server.pages.views import (
    PAGE_HEADERS,
    BadForm,
    html_response,
    lang_query,
    page_text,
    read_form,
    self_url,
)
from mock_server.protocol import ascii_number
from mock_server.runtime import MockRuntime, runtime_of
from mock_server.shapes.checkout import callback_url, session_of
from mock_server.state.cards import CARD_METHODS, CardEntry
from mock_server.state.checkouts import CheckoutRefused, methods_for
from mock_server.state.models import Checkout

__all__ = ["checkout_routes"]

#: form ``action`` -> checkout outcome
_ACTIONS = {"pay": "success", "decline": "failure", "cancel": "cancelled"}
_SESSION = re.compile(r"[A-Za-z0-9+/=_-]{16,512}")
#: a host (and port) as CSP's host-source grammar writes one: letters, digits, dots and hyphens
_ORIGIN_HOST = re.compile(r"[A-Za-z0-9.-]+(:[0-9]{1,5})?")


def _policy(checkout: Checkout | None) -> dict[str, str]:
    """The page's headers. ``form-action`` also names the merchant's two origins: Chromium applies
    it to the redirect that follows a form submission, so without them the way back is blocked.

    An origin CSP cannot name (a docker-compose service such as ``shop_web``, an IPv6 literal,
    a URL with user info) is allowed by its scheme instead (``http:``), so the customer still
    gets back to the shop; nothing from the URL but its scheme is then written into the policy."""
    origins: list[str] = []
    for url in (checkout.response_url, checkout.failure_url) if checkout else ():
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https"):
            continue
        expressible = _ORIGIN_HOST.fullmatch(parts.netloc)
        source = f"{parts.scheme}://{parts.netloc}" if expressible else f"{parts.scheme}:"
        if source not in origins:
            origins.append(source)
    policy = PAGE_HEADERS["Content-Security-Policy"].replace(
        "form-action 'self'", " ".join(["form-action 'self'", *origins]))
    return {**PAGE_HEADERS, "Content-Security-Policy": policy}


def _lookup(mock: MockRuntime, request: Request) -> Checkout | None:
    data = request.query_params.get("data") or ""
    if not _SESSION.fullmatch(data):
        return None
    return mock.checkouts.by_session(session_of(data))


def _merchant_name(mock: MockRuntime, checkout: Checkout) -> str:
    return mock.checkouts.merchant_of(checkout).name


def _urls(request: Request) -> tuple[str, str]:
    """(this page in its language, this page in the other language)."""
    query = {"data": request.query_params.get("data") or "", **lang_query(request)}
    other = {**query, "lang": "ar" if page_text(request).lang == "en" else "en"}
    return self_url(request.url.path, query), self_url(request.url.path, other)


def _session_not_found(text: PageText) -> Response:
    page = message_page(text, text.t["session_not_found_title"], text.t["session_not_found_text"])
    return html_response(page, 404)


def _callback(mock: MockRuntime, checkout: Checkout) -> str:
    keys = mock.checkouts.merchant_of(checkout).keys
    return callback_url(checkout, keys, mock.settings.callback_nesting)


def _opened(request: Request) -> tuple[MockRuntime, PageText, Checkout | None]:
    """The runtime, the page's language and the checkout its ``data`` names (None: unknown)."""
    mock = runtime_of(request.app)
    return mock, page_text(request), _lookup(mock, request)


async def show_checkout(request: Request) -> Response:
    mock, text, checkout = _opened(request)
    if checkout is None:
        return _session_not_found(text)
    here, switch = _urls(request)
    name = _merchant_name(mock, checkout)
    if checkout.status != TransactionStatus.PENDING:
        expired = checkout.paid_on is None
        page = finished_page(text, name, checkout, expired, _callback(mock, checkout), switch)
        return html_response(page, 200, _policy(checkout))
    page = checkout_page(text, name, checkout, methods_for(checkout.payment_type), here, switch)
    return html_response(page, 200, _policy(checkout))


def _card(fields: dict[str, str], method: int) -> CardEntry | None:
    if method not in CARD_METHODS:
        return None
    entry = CardEntry(fields.get("card_number", ""), fields.get("expiry", ""), fields.get("cvv", ""))
    if not entry.number.strip() or not entry.expiry.strip() or not entry.cvv.strip():
        raise BadForm("Enter the card number, its expiry and its code.")
    if not all(ch in _CARD_NUMBER_CHARACTERS for ch in entry.number.strip()):
        # Arabic-Indic digits are digits to Python, not to a card network: refused before the
        # bank is asked, so the session stays open, like a number too long for the form
        raise BadForm("Enter the card number in the digits 0-9.")
    return entry


#: what a typed card number may hold: digits, and the spaces or dashes people group them with
_CARD_NUMBER_CHARACTERS = frozenset("0123456789 -")


async def pay_checkout(request: Request) -> Response:
    mock, text, checkout = _opened(request)
    if checkout is None:
        return _session_not_found(text)
    here, _switch = _urls(request)
    try:
        fields = await read_form(request)
        action = fields.get("action")
        if action not in _ACTIONS:
            raise BadForm("Choose Pay, Decline or Cancel.")
        outcome = _ACTIONS[action]
        method_text = (fields.get("payment_type") or "").strip()
        method = ascii_number(method_text, most_digits=9)  # a method code is a few digits
        if method is None and outcome == "success":
            raise BadForm("Choose a payment method.")
        card = _card(fields, method) if outcome == "success" and method is not None else None
        paid = mock.checkouts.pay(checkout.token, outcome, payment_type=method, card=card)
    except BadForm as exc:
        page = message_page(text, text.t["bad_request_title"], str(exc), here, "back_to_payment")
        return html_response(page, 400, _policy(checkout))
    except CheckoutRefused as exc:
        if exc.reason not in ("completed", "expired"):
            page = message_page(text, text.t["bad_request_title"], exc.message, here, "back_to_payment")
            return html_response(page, 400, _policy(checkout))
        return RedirectResponse(here, status_code=303)  # the page now says how it ended
    return RedirectResponse(_callback(mock, paid), status_code=302)


async def apple_pay_script(request: Request) -> Response:
    """The script a merchant's page loads for direct Apple Pay; here it opens the mock's page."""
    mock = runtime_of(request.app)
    checkout = _lookup(mock, request)
    headers = {"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"}
    if checkout is None:
        return Response("/* Hesabe mock: unknown payment session */\n", 404, headers,
                        media_type="application/javascript")
    base = (mock.settings.public_base_url or str(request.base_url)).rstrip("/")
    page = GATEWAY_PAGES["payment_page"].url(base, request.query_params.get("data") or "")
    target = json.dumps(f"{page}#method-{int(PaymentType.APPLE_PAY)}")
    script = ("/* Hesabe mock: no Apple Pay here; the button opens the mock's payment page. */\n"
              f"window.handleApplePayClick = function () {{ window.location.assign({target}); }};\n")
    return Response(script, 200, headers, media_type="application/javascript")


def checkout_routes() -> list[BaseRoute]:
    """The gateway's pages, at the paths of :data:`hesabe_spec.operations.GATEWAY_PAGES`."""
    routes: list[BaseRoute] = []
    for name in ("payment_page", "webview_page"):
        for n, path in enumerate(GATEWAY_PAGES[name].paths):
            suffix = f"_alias{n}" if n else ""
            routes += [Route(path, show_checkout, methods=["GET"], name=f"{name}{suffix}"),
                       Route(path, pay_checkout, methods=["POST"], name=f"{name}_pay{suffix}")]
    routes.append(Route(GATEWAY_PAGES["apple_pay_script"].path, apple_pay_script, methods=["GET"],
                        name="apple_pay_script"))
    return routes
