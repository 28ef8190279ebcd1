"""Payment-gateway handlers: checkout, transaction enquiry, capture and void.

The payload's wire names (``orderReferenceNumber``, ``responseUrl``, ...) end here:
:func:`new_checkout` turns a validated ``POST /checkout`` payload into the domain's
:class:`~mock_server.state.commands.NewCheckout`, noting where it departs from the docs' style
(an amount that is not a 3-decimal string, an omitted ``version``, ...): the real server takes
what Hesabe's own kits send, and so does the mock, but the checkout remembers it
(``GET /_mock/checkouts/{token}`` shows the notes).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl, urlsplit

from hesabe_spec.amounts import format_amount
from hesabe_spec.enums import GatewayErrorCode, TransactionStatus
from hesabe_spec.errors import HesabeError
from hesabe_spec.schema_store import load_schema, request_fields
from mock_server.findings import Finding, finding
from mock_server.handlers.values import whole_number
from mock_server.runtime import Call, Reply
from mock_server.shapes.checkout import checkout_answer, gateway_error, gateway_ok, transaction_record
from mock_server.shapes.ledger import enquiry_record
from mock_server.state.checkouts import GatewayRefusal, magic_error, settling
from mock_server.state.commands import NewCheckout, RecurringTerms
from mock_server.state.store import is_record_id
from mock_server.webhooks.config import is_http_url

__all__ = [
    "NEW_CHECKOUT_NAMES",
    "NOT_FOUND",
    "cancel_authorization",
    "cancel_subscription",
    "capture_authorization",
    "capture_subscription",
    "create_checkout",
    "gateway_amount",
    "new_checkout",
    "transaction_enquiry",
]

#: the enquiry's answer when nothing matches (deprecated route's text; 2.0 page: data null)
NOT_FOUND = {"status": False, "message": "Transaction not found", "data": None}
_TRUE = ("1", "true")
#: the wire name of each NewCheckout attribute a refusal may name (see MerchantHandler)
NEW_CHECKOUT_NAMES = {"recurring.start_date": "recurringStartDate"}
#: ``authorize`` values that ask for an authorization (the request schema's: "1", 1, true, "true")
_AUTHORIZE = frozenset(load_schema("create_checkout.request", inline=True)["allOf"][0]["if"]["properties"]
                       ["authorize"]["enum"])
_DOCUMENTED = request_fields("create_checkout")


def gateway_amount(value: Any) -> str:
    """A validated amount as 3 decimals; a value only a float could carry (NaN) is a 506."""
    try:
        return format_amount(value)
    except HesabeError:
        raise GatewayRefusal(GatewayErrorCode.INVALID_REQUEST_DATA) from None


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


#: ``version`` as the kits send each (text, or a number: 2.0 in [DJ])
_VERSION_2 = ("2.0", "2", "2.00")
_VERSION_3 = ("3.0", "3", "3.00")
#: the fields of a session the docs say needs version "3.0" (hesabe-checkout-api.md 2.3)
_NEED_VERSION_3 = ("saveCard", "channel", "embeddedPayment")


def _notes(p: dict[str, Any], amount: str) -> tuple[str, ...]:
    """Where the payload departs from the docs' style (accepted, as the real server does)."""
    notes = []
    sent = p["amount"]
    if not (isinstance(sent, str) and sent == amount):
        notes.append(f"amount sent as {sent!r}, not the docs' 3-decimal string {amount!r}")
    if not isinstance(p["merchantCode"], str):
        notes.append("merchantCode sent as a number, not a string")
    for name, hint in (("version", '"2.0"'), ("currency", '"KWD"')):
        if name not in p:
            notes.append(f"{name} omitted (the docs send {hint})")
    version = p.get("version")
    needs_3 = [name for name in _NEED_VERSION_3 if p.get(name) not in (None, "", False)]
    if needs_3 and version is not None and str(version) not in _VERSION_3:
        notes.append(f"version {version!r} with {', '.join(needs_3)}: the docs say these need version "
                     "\"3.0\" (\"Must be 3.0\"); the mock takes the session as sent")
    elif version is not None and str(version) not in (*_VERSION_2, *_VERSION_3):
        notes.append(f"version {version!r}: the docs send \"2.0\" (\"3.0\" for embedded, mobile and "
                     "saved-card sessions)")
    currency = p.get("currency")
    if currency not in (None, "") and str(currency).upper() != "KWD":
        notes.append(f"currency {currency!r}: Hesabe converts other currencies to KWD (an answer's "
                     "baseAmount); the mock converts nothing and charges the amount as sent")
    reference = p.get("orderReferenceNumber")
    if reference in (None, ""):
        notes.append("no orderReferenceNumber: an enquiry by order reference cannot find this checkout")
    elif "/" in str(reference):
        notes.append(f"orderReferenceNumber {reference!r} holds '/': the enquiry by order reference puts "
                     "it in the path, and Hesabe's router decodes %2F before it matches, so it is never "
                     "found that way (by the payment token it is)")
    hook = p.get("webhookUrl")
    if hook not in (None, "") and not is_http_url(hook):
        notes.append(f"webhookUrl {hook!r} is not an http(s) URL: no webhook will be sent for this checkout")
    notes += [f"unknown field {name!r} ignored" for name in p if name not in _DOCUMENTED]
    return tuple(notes)


def new_checkout(p: dict[str, Any]) -> NewCheckout:
    """The domain's command for one validated ``POST /checkout`` payload."""
    amount = gateway_amount(p["amount"])
    reference = p.get("orderReferenceNumber")
    return NewCheckout(
        amount=amount,
        currency=str(p.get("currency") or "KWD").upper(),
        payment_type=whole_number(p["paymentType"]),
        response_url=str(p["responseUrl"]),
        failure_url=str(p["failureUrl"]),
        order_reference=None if reference in (None, "") else str(reference),
        version=_text(p.get("version")),
        webhook_url=p.get("webhookUrl") or None,
        variables=tuple(_text(p.get(f"variable{n}")) for n in range(1, 6)),
        customer_name=_text(p.get("name")),
        customer_email=_text(p.get("email")),
        customer_mobile=_text(p.get("mobile_number")),
        authorize=p.get("authorize") in _AUTHORIZE,
        channel=_text(p.get("channel")),
        embedded=p.get("embeddedPayment") is True,
        notes=_notes(p, amount),
        save_card=p.get("saveCard") is True,
        card_customer_id=_customer_id(p.get("customer_id")) if p.get("saveCard") is True else None,
        recurring=_recurring(p),
    )


def _recurring(p: dict[str, Any]) -> RecurringTerms | None:
    """A subscription's terms (``subscription`` "1"; the schema made the fields present)."""
    if str(p.get("subscription", "0")) != "1":
        return None
    return RecurringTerms(frequency=str(p["recurringFrequency"]),
                          installments=whole_number(p["numberOfInstallments"]),
                          start_date=str(p["recurringStartDate"]),
                          amount=gateway_amount(p["recurringAmount"]))


def _customer_id(value: Any) -> int:
    """A save-card session's ``customer_id``: a number or its digits (422 otherwise)."""
    text = str(value).strip()
    if not (text.isascii() and text.isdigit()) or not is_record_id(int(text)):
        raise GatewayRefusal(GatewayErrorCode.INVALID_INPUT,
                             field_errors={"customer_id": ["The selected customer id is invalid."]})
    return int(text)


def create_checkout(call: Call) -> Reply:
    new = new_checkout(call.payload)
    refusal = magic_error(new.amount)
    if refusal is not None:
        raise refusal
    if new.card_customer_id is not None:
        call.domain.saved_cards.customer(call.merchant, new.card_customer_id)  # 422 when unknown
    checkout = call.domain.checkouts.create(call.merchant, new)
    return Reply(body=checkout_answer(checkout, call.base_url, call.operation.success_message),
                 findings=_callback_data_clashes(call.payload))


def _callback_data_clashes(p: dict[str, Any]) -> tuple[Finding, ...]:
    """``callback_url_data``: a responseUrl or failureUrl whose query already has ``data``; the
    callback adds its own ``data`` after it, and which one a shop reads depends on its framework."""
    found = []
    for name in ("responseUrl", "failureUrl"):
        url = p.get(name)
        if isinstance(url, str) and "data" in dict(parse_qsl(urlsplit(url).query, keep_blank_values=True)):
            said = (f"{name} already has a data parameter: the callback adds its own data= after it, and "
                    "frameworks differ on which one they read (PHP's $_GET the last, Java's getParameter "
                    "and Python's parse_qs the first)")
            found.append(finding("callback_url_data", said, f"/{name}"))
    return tuple(found)


def transaction_enquiry(call: Call) -> Reply:
    by_reference = str(call.payload.get("isOrderReference", "0")).lower() in _TRUE
    key = call.params["reference"]
    call.domain.subscriptions.settle(call.merchant.merchant_id)  # recurrences due on the mock clock
    found = call.domain.checkouts.enquire(call.merchant, key, by_reference)
    if found is None:
        # not a checkout: an invoice's or an open invoice's payment, from the one ledger
        paid = call.domain.ledger.find(call.merchant.merchant_id, key, by_reference)
        if not paid:
            return Reply(status=404, body=dict(NOT_FOUND), findings=_wrong_flag(call, key, by_reference))
        records = [enquiry_record(e) for e in paid]
        return Reply(body={"status": True, "message": call.operation.success_message,
                           "data": enquiry_record(settling(paid)), "results": records})
    named, attempts = found
    records = [transaction_record(c) for c in attempts]
    return Reply(body={"status": True, "message": call.operation.success_message,
                       "data": transaction_record(named), "results": records})


def _wrong_flag(call: Call, key: str, by_reference: bool) -> tuple[Finding, ...]:
    """Why an enquiry found nothing, when the other reading of ``key`` finds something: an order
    reference sent without ``isOrderReference=1``, or a payment token sent with it."""
    other = not by_reference
    if call.domain.checkouts.enquire(call.merchant, key, other) is None \
            and not call.domain.ledger.find(call.merchant.merchant_id, key, other):
        return ()
    if other:
        said = (f"{key!r} is not a payment token but an order reference of this merchant's payments: add "
                "isOrderReference=1 to look it up by reference")
    else:
        said = f"{key!r} is a payment token, not an order reference: look it up without isOrderReference=1"
    return (finding("enquiry_flag", said),)


def capture_authorization(call: Call) -> Reply:
    p = call.payload
    amount = gateway_amount(p["amount"])
    checkout = call.domain.checkouts.capture(call.merchant, str(p["paymentToken"]), amount)
    return Reply(body=gateway_ok(call.operation.success_message, response=transaction_record(checkout)))


def capture_subscription(call: Call) -> Reply:
    p = call.payload
    amount = gateway_amount(p["amount"])
    charge = call.domain.subscriptions.capture(call.merchant, str(p["paymentToken"]), amount)
    record = transaction_record(call.domain.checkouts.reported(charge))
    if charge.status != TransactionStatus.SUCCESSFUL:  # the control plane declined this recurrence
        return Reply(status=400, body=gateway_error(GatewayErrorCode.TRANSACTION_ERROR))
    return Reply(body=gateway_ok(call.operation.success_message, response=record))


def cancel_subscription(call: Call) -> Reply:
    call.domain.subscriptions.cancel(call.merchant, call.params["token"])
    return Reply(body=gateway_ok(call.operation.success_message))


def cancel_authorization(call: Call) -> Reply:
    call.domain.checkouts.void(call.merchant, call.params["token"])
    return Reply(body=gateway_ok(call.operation.success_message))
