"""Invoice-family handlers: parse the call into a command, ask the domain, shape the reply.

The payload's wire names (``customerName``, ``allocatePayType``, ...) end here: :func:`new_invoice`
turns a validated create payload into the domain's :class:`~mock_server.state.commands.NewInvoice`.
"""

from __future__ import annotations

import json
from datetime import date, timedelta
from typing import Any

from hesabe_spec.amounts import format_amount
from hesabe_spec.enums import KUWAIT_CALLING_CODE, CreateInvoiceType, InvoiceKind, InvoiceSubType
from mock_server.findings import Finding, finding
from mock_server.pagination import page_number, pagination
from mock_server.protocol import ascii_number
from mock_server.runtime import Call, Reply
from mock_server.shapes import invoices as invoice_shapes
from mock_server.shapes import refunds as refund_shapes
from mock_server.state.commands import NewInvoice, ProductLine, SubscriptionTerms
from mock_server.state.errors import Unprocessable
from mock_server.state.models import Invoice, InvoiceQuery, split_search

__all__ = [
    "NEW_INVOICE_NAMES",
    "cancel_invoice",
    "create_installment_invoice",
    "create_invoice",
    "create_split_invoice",
    "create_subscription_invoice",
    "get_invoice",
    "list_invoices",
    "resend_invoice",
    "send_bulk_invoices",
]

#: dashboard ``invoiceType`` filter -> invoice_type values
_LIST_KINDS = {str(kind.value): (kind.value,) for kind in InvoiceKind}
#: ``invoiceType`` of an invoice texted to the customer (the other: a link the merchant shares)
_BY_SMS = CreateInvoiceType.SMS.value
#: the wire name of each NewInvoice attribute a refusal may name (see MerchantHandler)
NEW_INVOICE_NAMES = {"products": "itemsList"}


def _text(value: Any) -> str:
    return str(value or "")


def _pay_types(value: Any) -> tuple[str, ...] | None:
    """``allocatePayType`` as "1,2" or ["1", 2]; None (the merchant's default) when absent."""
    if value is None or value == "" or value == []:
        return None
    items = value.split(",") if isinstance(value, str) else value
    stripped = [str(v).strip() for v in items]
    return tuple([text for text in stripped if text])


def _products(value: Any) -> tuple[ProductLine, ...]:
    """``itemsList``: a list of items, or the same list JSON-encoded as a string (the app's form)."""
    if isinstance(value, str):
        value = json.loads(value) if value.strip() else []
    if not value:
        return ()
    return tuple(
        ProductLine(title=str(item.get("itemTitle", "")), rate=format_amount(item.get("rate", 0)),
                    quantity=int(item.get("quantity", 1)), amount=format_amount(item.get("amount", 0)))
        for item in value
    )


def _phone(country_code: Any, mobile: Any) -> str | None:
    if not mobile:
        return None
    return f"{str(country_code or KUWAIT_CALLING_CODE).lstrip('+')}{mobile}"


def _optional(value: Any) -> str | None:
    return None if value is None else str(value)


#: the subscription fields of a create payload, and the terms of a payload without any of them
_TERM_FIELDS = ("frequency", "noofRecurrence", "SubscriptionType", "startDate")
_NO_TERMS = SubscriptionTerms(frequency=None, recurrences=None, subscription_type=None, start_date=None)


def _subscription(p: dict[str, Any]) -> SubscriptionTerms:
    if p.keys().isdisjoint(_TERM_FIELDS):
        return _NO_TERMS  # a single, split or installment invoice (a NamedTuple: shared as is)
    return SubscriptionTerms(
        frequency=_optional(p.get("frequency")), recurrences=_optional(p.get("noofRecurrence")),
        subscription_type=_optional(p.get("SubscriptionType")), start_date=_optional(p.get("startDate")),
    )


def new_invoice(p: dict[str, Any]) -> NewInvoice:
    """The domain's command for one create payload (a whole single invoice or one split part)."""
    by_sms = str(p.get("invoiceType")) == _BY_SMS
    return NewInvoice(
        amount=format_amount(p["amount"]),
        customer_name=_text(p.get("customerName")),
        customer_email=_text(p.get("customerEmail")),
        customer_phone=_phone(p.get("countryCode"), p.get("mobileNumber")),
        reference_number=_text(p.get("referenceNumber")),
        description=_text(p.get("description")),
        language=p.get("language") or None,
        by_sms=by_sms,
        # no sub-type sent: 0 for an SMS invoice, 3 for a link (what the server stores)
        sub_type=int(p.get("invoiceSubType", InvoiceSubType.SMS if by_sms else InvoiceSubType.URL)),
        sub_type_as_sent=p.get("invoiceSubType"),
        pay_types=_pay_types(p.get("allocatePayType")),
        products=_products(p.get("itemsList")),
        expires_at=p.get("expiresAt") or None,
        webhook=p.get("webhook") or None,
        subscription=_subscription(p),
    )


def _expired_on_arrival(created: list[Invoice], pointer: str) -> tuple[Finding, ...]:
    """An ``expired_on_create`` finding for each invoice created already past its expiry date (the
    mock clock's today in Kuwait: a client writing today's date in UTC is a day behind until
    03:00 there). ``pointer``: the JSON pointer of the n-th invoice's ``expiresAt``."""
    found = []
    for n, inv in enumerate(created):
        today = inv.created_at[:10]  # its creation's day on the mock clock in Kuwait (Clock.stamp)
        if inv.expires_at and inv.expires_at < today:
            found.append(finding("expired_on_create", f"expiresAt {inv.expires_at} is before today ({today}, "
                                 "Kuwait time): the invoice was created expired and can never be paid",
                                 pointer.format(n=n)))
    return tuple(found)


def _created(call: Call, kind: InvoiceKind) -> Reply:
    inv = call.domain.invoices.create(call.merchant, new_invoice(call.payload), kind)
    return Reply(invoice_shapes.invoice_created(inv, call.base_url, call.merchant.name),
                 findings=_expired_on_arrival([inv], "/expiresAt"))


def create_invoice(call: Call) -> Reply:
    return _created(call, InvoiceKind.SINGLE)


def create_subscription_invoice(call: Call) -> Reply:
    return _created(call, InvoiceKind.SUBSCRIPTION)


def _own_parts(call: Call) -> list[dict[str, Any]]:
    """The ``invoices[]`` entries, each of which must name the caller as its merchant."""
    parts: list[dict[str, Any]] = call.payload["invoices"]
    for n, part in enumerate(parts):
        if str(part.get("merchantCode")) != call.merchant.merchant_code:
            message = f"The selected invoices.{n}.merchant code is invalid."
            raise Unprocessable(message, {f"invoices.{n}.merchantCode": [message]})
    return parts


def _group(call: Call, kind: InvoiceKind) -> Reply:
    parts = [new_invoice(part) for part in _own_parts(call)]
    group = call.domain.invoices.create_group(call.merchant, parts, kind)
    # Seed 004: the first invoice comes back re-read from the database, the rest as built.
    shaped = [invoice_shapes.invoice_details(group[0], call.base_url, call.merchant.name)]
    shaped += [invoice_shapes.invoice_created(inv, call.base_url, call.merchant.name) for inv in group[1:]]
    return Reply(shaped, findings=_expired_on_arrival(list(group), "/invoices/{n}/expiresAt"))


def create_split_invoice(call: Call) -> Reply:
    return _group(call, InvoiceKind.SPLIT)


def create_installment_invoice(call: Call) -> Reply:
    return _group(call, InvoiceKind.INSTALLMENT)


def _dates(p: dict[str, Any], today: str) -> tuple[str | None, str | None]:
    """The days listed: those Hesabe's app's ``timeline`` names ("1" today, "2" the last 7 days,
    today included, on the Kuwait calendar), else ``fromDate``/``toDate`` ("3" is the app's custom
    range: the dates it sends)."""
    timeline = str(p.get("timeline") or "")
    if timeline == "1":
        return today, today
    if timeline == "2":
        return (date.fromisoformat(today) - timedelta(days=6)).isoformat(), today
    return p.get("fromDate") or None, p.get("toDate") or None


def list_invoices(call: Call) -> Reply:
    p = call.payload
    page = page_number(p.get("page", 1))
    kind = str(p.get("invoiceType", "")).strip()
    status = str(p.get("status", "")).strip()
    from_date, to_date = _dates(p, call.domain.invoices.today())
    query = InvoiceQuery(
        kinds=_LIST_KINDS.get(kind),
        status=ascii_number(status),
        from_date=from_date,
        to_date=to_date,
        search=split_search(str(p.get("search") or "")),
        offset=(page - 1) * call.per_page,
        limit=call.per_page,
    )
    found, counts = call.domain.invoices.list(call.merchant, query)
    rows = [invoice_shapes.invoice_listed(inv, call.base_url, call.merchant.name) for inv in found.items]
    return Reply({
        "stats": invoice_shapes.stats_block(counts, orders=False),
        "order_stats": invoice_shapes.stats_block(counts, orders=True),
        "invoices": {"data": rows, "pagination": pagination(call.page_url, page, call.per_page, found.total,
                                                             len(rows))},
    })


def _details(call: Call, inv: Invoice) -> dict[str, Any]:
    """The details shape, with the payment's approved refunds in ``transaction.refund``."""
    body = invoice_shapes.invoice_details(inv, call.base_url, call.merchant.name)
    token = inv.payment_token
    if token is None:
        return body
    refunds = call.domain.refunds.of_transaction(inv.merchant_id, token)
    return refund_shapes.with_refunds(body, refunds, inv.amount)


def get_invoice(call: Call) -> Reply:
    inv = call.domain.invoices.get(call.merchant, int(call.params["id"]))
    return Reply(_details(call, inv))


def resend_invoice(call: Call) -> Reply:
    inv = call.domain.invoices.resend(call.merchant, int(call.payload["resendId"]))
    return Reply(_details(call, inv))


def send_bulk_invoices(call: Call) -> Reply:
    call.domain.invoices.send_bulk(call.merchant, [int(i) for i in call.payload["ids"]])
    return Reply(None)


def cancel_invoice(call: Call) -> Reply:
    call.domain.invoices.cancel(call.merchant, call.params["token"])
    return Reply(None)
