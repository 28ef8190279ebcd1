"""Routes of the hosted payment page: ``/s/{access_key}`` and ``/sp/{split_access_key}``.

GET shows the invoice (and counts a visit); POST pays, declines or fails it through the same
:class:`~mock_server.state.payments.PaymentService` the control plane uses, then answers 303 back
to the page with ``?result=``, so a reload never pays twice and no JavaScript is needed.

Answers: 404 page for an unknown key, 400 page for a malformed form (nothing changes), 409 page
when the invoice can no longer be paid (paid, cancelled or expired since the page was shown).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from hesabe_spec.enums import InvoiceStatus, OpenInvoiceStatus, OpenInvoiceType
from mock_server.inbound import Inbound
from mock_server.pages.bodies import OPEN_INVOICE_METHODS, invoice_page, open_invoice_page, split_page
from mock_server.pages.i18n import pick_language
from mock_server.pages.render import PageText, message_page
from mock_server.protocol import FORM, MULTIPART, BodyTooLarge, media_type, read_plain_fields
from mock_server.runtime import MockRuntime, runtime_of
from mock_server.state.errors import NotFound
from mock_server.state.models import Invoice, OpenInvoice
from mock_server.state.payments import OUTCOMES, PaymentRefused

__all__ = [
    "PAGE_HEADERS",
    "BadForm",
    "html_response",
    "lang_query",
    "not_found",
    "page_routes",
    "page_text",
    "read_form",
    "self_url",
]

_KEY = re.compile(r"[A-Za-z0-9]{1,64}")
_MAX_FORM = 16 * 1024
#: form ``action`` -> payment outcome
_ACTIONS = {"pay": "success", "decline": "cancelled", "fail": "failure"}
#: refusals caused by the form's content (400) rather than by the invoice's state (409)
_FORM_REASONS = {"payment_type", "amount", "outcome"}
#: no script may run and nothing may load from elsewhere: merchant text is rendered here
PAGE_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; "
                               "base-uri 'none'; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}


class BadForm(Exception):
    """The POSTed form cannot be acted on; the message is shown on the 400 page."""


# -- helpers ---------------------------------------------------------------------------------------
def html_response(document: str, status: int = 200, headers: dict[str, str] | None = None) -> HTMLResponse:
    return HTMLResponse(document, status_code=status, headers=headers or PAGE_HEADERS)


def page_text(request: Request, record_language: str | None = None) -> PageText:
    return PageText(pick_language(request.query_params.get("lang"), record_language))


def lang_query(request: Request) -> dict[str, str]:
    lang = request.query_params.get("lang")
    return {"lang": lang} if lang in ("en", "ar") else {}


def self_url(path: str, query: dict[str, str]) -> str:
    return f"{path}?{urlencode(query)}" if query else path


def not_found(request: Request) -> HTMLResponse:
    text = page_text(request)
    return html_response(message_page(text, text.t["not_found_title"], text.t["not_found_text"]), 404)


def _refused(request: Request, text: PageText, exc: Exception, status: int) -> HTMLResponse:
    key = "bad_request_title" if status == 400 else "conflict_title"
    back = self_url(request.url.path, lang_query(request))
    return html_response(message_page(text, text.t[key], str(exc), back), status)


def _merchant_name(mock: MockRuntime, record: Invoice | OpenInvoice) -> str:
    merchant = mock.merchants.by_id(record.merchant_id)
    return merchant.name if merchant is not None else ""


def _result(request: Request) -> str | None:
    value = request.query_params.get("result")
    return value if value in OUTCOMES else None


def _lookup(mock: MockRuntime, key: str) -> Invoice | OpenInvoice | None:
    """Access keys are unique across invoices and open invoices, so one key finds one record."""
    if not _KEY.fullmatch(key):
        return None
    return mock.store.find_invoice_by_access_key(key) or mock.store.find_open_invoice_by_access_key(key)


def invoice_state(mock: MockRuntime, inv: Invoice) -> str:
    if inv.invoice_status == InvoiceStatus.PAID:
        return "paid"
    if inv.invoice_status == InvoiceStatus.CANCELLED:
        return "cancelled"
    return "expired" if mock.payments.is_expired(inv) else "unpaid"


def open_invoice_state(mock: MockRuntime, item: OpenInvoice) -> str:
    if item.status == OpenInvoiceStatus.CANCELLED:
        return "cancelled"
    expired = bool(item.expiry_date) and str(item.expiry_date)[:10] < mock.clock.today()
    return "expired" if item.status != OpenInvoiceStatus.ACTIVE or expired else "active"


async def read_form(request: Request) -> dict[str, str]:
    content_type = request.headers.get("content-type", "")
    if media_type(content_type) not in (FORM, MULTIPART):
        raise BadForm("Send the payment form as an HTML form (application/x-www-form-urlencoded).")
    try:
        body = await Inbound(request.scope, request.receive).body(_MAX_FORM)
    except BodyTooLarge:
        raise BadForm("The form is too large.") from None
    fields = read_plain_fields(content_type, body)
    return fields if isinstance(fields, dict) else {}


def _outcome(fields: dict[str, str]) -> str:
    action = fields.get("action")
    if action not in _ACTIONS:
        raise BadForm("Choose Pay or Decline.")
    return _ACTIONS[action]


def _payment_type(fields: dict[str, str], allowed: tuple[str, ...] | list[str], outcome: str) -> str:
    code = (fields.get("payment_type") or "").strip()
    if not code and outcome == "cancelled" and allowed:
        return str(allowed[0])  # declining needs no method; the attempt still records one
    if code not in allowed:
        raise BadForm("Choose one of the payment methods offered for this invoice.")
    return code


# -- single invoice / open invoice -----------------------------------------------------------------
async def show_invoice(request: Request) -> Response:
    mock = runtime_of(request.app)
    record = _lookup(mock, request.path_params["access_key"])
    if record is None:
        return not_found(request)
    url = self_url(request.url.path, lang_query(request))
    if isinstance(record, OpenInvoice):
        text = page_text(request)
        return html_response(open_invoice_page(text, _merchant_name(mock, record), record,
                                               open_invoice_state(mock, record), url, _result(request)))
    record = mock.payments.count_visit(record)
    text = page_text(request, record.language)
    return html_response(invoice_page(text, _merchant_name(mock, record), record, invoice_state(mock, record),
                                      url, _result(request)))


#: pays from the form's fields and returns the redirect's query; raises to refuse
Action = Callable[[dict[str, str]], dict[str, str]]


async def _submit(request: Request, text: PageText, act: Action) -> Response:
    """Read the form and let ``act`` pay (it returns the redirect's query); refusals become pages."""
    try:
        query = act(await read_form(request))
    except BadForm as exc:
        return _refused(request, text, exc, 400)
    except PaymentRefused as exc:
        return _refused(request, text, exc, 400 if exc.reason in _FORM_REASONS else 409)
    except NotFound:
        return not_found(request)
    return RedirectResponse(self_url(request.url.path, {**lang_query(request), **query}), status_code=303)


async def pay_invoice(request: Request) -> Response:
    mock = runtime_of(request.app)
    record = _lookup(mock, request.path_params["access_key"])
    if record is None:
        return not_found(request)

    def act(fields: dict[str, str]) -> dict[str, str]:
        outcome = _outcome(fields)
        if isinstance(record, OpenInvoice):
            code = _payment_type(fields, OPEN_INVOICE_METHODS, outcome)
            amount = fields.get("amount", "").strip() if record.type == OpenInvoiceType.OPEN else None
            if amount == "":
                raise BadForm("Enter the amount to pay.")
            mock.payments.pay_open_invoice(record.id, amount, code, outcome)
        else:
            code = _payment_type(fields, record.payment_method, outcome)
            mock.payments.pay_invoice(record.id, code, outcome)
        return {"result": outcome}

    return await _submit(request, page_text(request, getattr(record, "language", None)), act)


# -- split group ----------------------------------------------------------------------------------
def _group(mock: MockRuntime, key: str) -> list[Invoice]:
    return mock.store.find_split_group(key) if _KEY.fullmatch(key) else []


async def show_split(request: Request) -> Response:
    mock = runtime_of(request.app)
    parts = _group(mock, request.path_params["split_access_key"])
    if not parts:
        return not_found(request)
    # opening the group link shows every part, so it counts as a visit of each
    parts = [mock.payments.count_visit(inv) for inv in parts]
    text = page_text(request, parts[0].language)
    url = self_url(request.url.path, lang_query(request))
    shown = [(inv, invoice_state(mock, inv)) for inv in parts]
    return html_response(split_page(text, _merchant_name(mock, parts[0]), shown, url, _result(request),
                            request.query_params.get("part")))


async def pay_split(request: Request) -> Response:
    mock = runtime_of(request.app)
    parts = _group(mock, request.path_params["split_access_key"])
    if not parts:
        return not_found(request)

    def act(fields: dict[str, str]) -> dict[str, str]:
        outcome = _outcome(fields)
        part = next((inv for inv in parts if inv.access_key == fields.get("part")), None)
        if part is None:
            raise BadForm("Choose which part of the invoice to pay.")
        mock.payments.pay_invoice(part.id, _payment_type(fields, part.payment_method, outcome), outcome)
        return {"result": outcome, "part": part.access_key}

    return await _submit(request, page_text(request, parts[0].language), act)


def page_routes() -> list[BaseRoute]:
    return [
        Route("/s/{access_key}", show_invoice, methods=["GET"], name="payment_page"),
        Route("/s/{access_key}", pay_invoice, methods=["POST"], name="payment_page_pay"),
        Route("/sp/{split_access_key}", show_split, methods=["GET"], name="split_payment_page"),
        Route("/sp/{split_access_key}", pay_split, methods=["POST"], name="split_payment_page_pay"),
    ]
