"""Wire shapes of a checkout: the checkout answer, the enquiry record, the callback, the webhook.

Key order and types as hesabe-checkout-api.md shows them (§3.1 answer, §4.2 callback, §5 webhook,
§6 enquiry); where it leaves a choice, the mock's is recorded in docs/fidelity.md:

* the callback's fields sit flat under ``response`` (Hesabe's own plugins read them there); the
  documented ``response.data`` nesting is one setting away (``callback_nesting="nested"``);
* a callback's ``amount`` is a JSON number (the docs' sample), ``administrativeCharge`` "0";
* a failed payment's callback reads ``{"status": false, "code": 0, "message": "Transaction Failed"}``;
* ``data`` is appended to a URL that already has a query with ``&``, before any ``#fragment``;
* the callback tells the completion's outcome, whatever came after (a capture, a void, a refund):
  the redirect happened once, at completion, and a page opened again links to that same one.
"""

from __future__ import annotations

import base64
import json
from dataclasses import replace
from decimal import Decimal
from typing import Any, Literal

from hesabe_spec.crypto import CipherKeys
from hesabe_spec.enums import GatewayErrorCode, PaymentType, ResultCode, TransactionStatus
from hesabe_spec.operations import GATEWAY_PAGES
from mock_server.json_out import server_json
from mock_server.state.checkouts import callback_method
from mock_server.state.ledger import service_type_of
from mock_server.state.models import Checkout

__all__ = [
    "CallbackNesting",
    "as_completed",
    "callback_body",
    "callback_url",
    "checkout_answer",
    "gateway_error",
    "gateway_ok",
    "page_session",
    "payment_type_name",
    "session_of",
    "transaction_record",
    "with_data",
]

CallbackNesting = Literal["flat", "nested"]

_SUCCESS = {"code": 1, "message": "Transaction Success"}
_FAILURE = {"code": 0, "message": "Transaction Failed"}
#: statuses whose callback goes to ``responseUrl``; every other one goes to ``failureUrl``
_PAID = frozenset({TransactionStatus.SUCCESSFUL, TransactionStatus.AUTHORIZED})
#: where an authorization goes afterwards: captured (SUCCESSFUL, REFUNDED once given back) or voided
_AFTER_AUTHORIZATION = frozenset({TransactionStatus.SUCCESSFUL, TransactionStatus.REFUNDED,
                                  TransactionStatus.CANCELLED})


def payment_type_name(code: int | None) -> str | None:
    """``payment_type`` text of the enquiry and the webhook ("KNET", "MPGS", ...)."""
    return None if code is None else PaymentType.gateway_name_of(code)


def page_session(checkout: Checkout) -> str:
    """``response.data`` of the checkout answer: the session, or for an embedded checkout the
    session wrapped as base64 JSON ``{"data": ...}`` (what the embedded SDK is handed)."""
    if not checkout.embedded:
        return checkout.session
    return base64.b64encode(server_json({"data": checkout.session})).decode("ascii")  # compact, as PHP writes


def session_of(data: str) -> str:
    """The session inside a page's ``data`` (either form :func:`page_session` writes)."""
    text = data.strip()
    if len(text) % 4 == 0 and not all(ch in "0123456789abcdef" for ch in text):
        try:
            inner = json.loads(base64.b64decode(text, validate=True))
        except ValueError:
            return text
        if isinstance(inner, dict) and isinstance(inner.get("data"), str):
            return str(inner["data"])
    return text


def gateway_error(code: int, message: str | None = None,
                  errors: dict[str, list[str]] | None = None) -> dict[str, Any]:
    """``{"status": false, "code": ..., "message": ...}`` (+ ``data`` field errors)."""
    text = message or GatewayErrorCode(code).text
    body: dict[str, Any] = {"status": False, "code": code, "message": text}
    if errors:
        body["data"] = errors
    return body


def gateway_ok(message: str, **fields: Any) -> dict[str, Any]:
    """The payment gateway's success answer: ``{"status": true, "code": 200, "message": ...}``, then
    ``fields``."""
    return {"status": True, "code": 200, "message": message, **fields}


def checkout_answer(checkout: Checkout, gateway_url: str, message: str) -> dict[str, Any]:
    """The decrypted answer of ``POST /checkout``."""
    data = page_session(checkout)
    body = gateway_ok(message, token=checkout.token, response={"data": data})
    if checkout.channel == "mobile":
        body["webviewUrl"] = GATEWAY_PAGES["webview_page"].url(gateway_url, data)
    return body


def _number(amount: str) -> int | float:
    value = Decimal(amount)
    return int(value) if value == value.to_integral_value() else float(value)


def transaction_record(checkout: Checkout) -> dict[str, Any]:
    """One transaction as the enquiry lists it."""
    return {
        "token": checkout.token,
        "amount": checkout.captured_amount or checkout.amount,
        "reference_number": checkout.order_reference,
        "status": checkout.status,
        "TransactionID": checkout.transaction_id,
        "Id": checkout.id,
        "PaymentID": checkout.payment_id,
        "Terminal": checkout.pos_terminal or checkout.terminal,  # a POS sale's is its terminal
        "TrackID": checkout.track_id,
        "payment_type": payment_type_name(checkout.paid_type),
        "service_type": service_type_of(checkout).display_name,
        "customerName": checkout.customer_name,
        "customerEmail": checkout.customer_email,
        "customerMobile": checkout.customer_mobile,
        "customerCardType": checkout.card_type,
        "customerCard": checkout.card_masked,
        "datetime": checkout.paid_on or checkout.created_at,
    }


def as_completed(checkout: Checkout) -> Checkout:
    """``checkout`` as the customer's completion of the page left it, which is what its callback
    tells however the transaction moved since: an authorization captured or voided later was
    AUTHORIZED then, for the amount authorized; a refunded payment was a success (the enquiry, not
    the redirect, reports what came after)."""
    if checkout.authorize and checkout.status in _AFTER_AUTHORIZATION:
        return replace(checkout, status=TransactionStatus.AUTHORIZED,
                       result_code=ResultCode.AUTHORIZED.value)
    if checkout.status == TransactionStatus.REFUNDED:
        return replace(checkout, status=TransactionStatus.SUCCESSFUL)
    return checkout


def callback_body(checkout: Checkout, nesting: CallbackNesting = "flat") -> dict[str, Any]:
    """What the ``data`` of the redirect decrypts to, once the customer completed the page (the
    completion's outcome: :func:`as_completed`)."""
    return _body(as_completed(checkout), nesting)


def _body(checkout: Checkout, nesting: CallbackNesting) -> dict[str, Any]:
    """:func:`callback_body` of a checkout already :func:`as_completed`."""
    v1, v2, v3, v4, v5 = checkout.variables
    fields = {
        "resultCode": checkout.result_code,
        "amount": _number(checkout.amount),
        "paymentToken": checkout.token,
        "paymentId": checkout.payment_id,
        "paidOn": checkout.paid_on,
        "orderReferenceNumber": checkout.order_reference,
        "variable1": v1, "variable2": v2, "variable3": v3, "variable4": v4, "variable5": v5,
        "method": int(callback_method(checkout.paid_type)),
        "administrativeCharge": "0",
    }
    if checkout.save_card:
        fields["cardId"] = checkout.card_id  # the saved card (a third-party SDK reads it; low)
    paid = checkout.status in _PAID
    head = _SUCCESS if paid else _FAILURE
    return {"status": paid, **head, "response": {"data": fields} if nesting == "nested" else fields}


def with_data(url: str, data: str) -> str:
    """``url`` with ``data=<data>`` appended to its query (``?`` or ``&``), before a fragment."""
    base, hash_, fragment = url.partition("#")
    joiner = "" if base.endswith(("?", "&")) else ("&" if "?" in base else "?")
    return f"{base}{joiner}data={data}{hash_}{fragment}"


def callback_url(checkout: Checkout, keys: CipherKeys, nesting: CallbackNesting = "flat") -> str:
    """Where the browser goes once the customer completed the page: ``responseUrl`` after a
    success, ``failureUrl`` otherwise, with the encrypted callback as ``data``."""
    checkout = as_completed(checkout)
    target = checkout.response_url if checkout.status in _PAID else checkout.failure_url
    return with_data(target, keys.encrypt(server_json(_body(checkout, nesting))))
