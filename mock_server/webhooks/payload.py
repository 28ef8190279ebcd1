"""The body Hesabe POSTs to a merchant's webhook URL (hesabe-api.md §9), built from a payment.

Only the checkout guide documents a webhook body; the mock assumes invoices use the same family:
plain JSON, unsigned, Slack-style ``blocks`` (a "TRANSACTION SUCCESSFUL" header and mrkdwn
sections) followed by flat fields. Choices the documentation does not settle (all *inferred*,
recorded in docs/payment-page-and-webhooks.md):

* ``service_type`` reads "SMS Invoice" for invoices (Hesabe's app names service type 2 so) and
  "Open Invoice" for open invoices (service type 7);
* ``payment_type`` is the payment type's display name ("KNET", "Visa/MasterCard", ...);
* the header block's text and the "Amount" section ("KWD 49") mirror the documented sample:
  the amount without trailing zeros, the flat ``amount`` field with three decimals.
"""

from __future__ import annotations

from typing import Any

from hesabe_spec.amounts import format_amount
from hesabe_spec.enums import PaymentType, ServiceType

__all__ = ["SUCCESSFUL", "blocks_for", "payment_type_name", "webhook_body"]

SUCCESSFUL = "SUCCESSFUL"
SERVICE_INVOICE = ServiceType.SMS_INVOICE.display_name
SERVICE_OPEN_INVOICE = ServiceType.OPEN_INVOICE.display_name


def _short_amount(amount: str) -> str:
    """"49.000" -> "49", "12.500" -> "12.5": the sample's "KWD 49" drops the zeros."""
    text = amount.rstrip("0").rstrip(".") if "." in amount else amount
    return text or "0"


def payment_type_name(value: Any) -> str:
    """A payment type code, enum or ``{"display_name": ...}`` object -> the name the webhook carries."""
    if isinstance(value, dict):
        name = value.get("display_name") or value.get("name")
        if name:
            return str(name)
        value = value.get("id")
    try:
        return PaymentType(int(value)).display_name
    except (TypeError, ValueError):
        return str(value or "")


def blocks_for(facts: dict[str, str]) -> list[dict[str, Any]]:
    """Slack-style blocks: a header and one mrkdwn section per documented line."""

    def section(label: str, value: str) -> dict[str, Any]:
        return {"type": "section", "text": {"type": "mrkdwn", "text": f"*{label}:* {value}"}}

    return [
        {"type": "header", "text": {"type": "plain_text", "text": "TRANSACTION SUCCESSFUL", "emoji": True}},
        section("Date & Time", facts["datetime"]),
        section("Transaction Token", facts["token"]),
        section("Order Reference Number", facts["reference_number"]),
        section("Service Type", facts["service_type"]),
        section("Amount", f"KWD {_short_amount(facts['amount'])}"),
        section("Payment Type", facts["payment_type"]),
    ]


def webhook_body(
    *,
    token: str,
    amount: Any,
    reference_number: str,
    payment_type: Any,
    datetime: str,
    open_invoice: bool = False,
    status: str = SUCCESSFUL,
) -> dict[str, Any]:
    """The whole body, keys in the documented order (blocks first)."""
    facts = dict(
        token=str(token),
        amount=format_amount(amount),
        reference_number=str(reference_number),
        status=status,
        payment_type=payment_type_name(payment_type),
        service_type=SERVICE_OPEN_INVOICE if open_invoice else SERVICE_INVOICE,
        datetime=datetime,
    )
    return {"blocks": blocks_for(facts), **facts}
