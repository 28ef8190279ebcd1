"""The body Hesabe POSTs to a merchant's webhook URL (hesabe-checkout-api.md §5), built from a payment.

Only the checkout guide documents a webhook body; the mock sends the same family for invoices:
plain JSON, unsigned, Slack-style ``blocks`` (a "TRANSACTION SUCCESSFUL" header, then three
sections of two mrkdwn fields each, ``*Label:*\nvalue``, the date as ``2023-09-20T10:09:36``)
followed by flat fields. Choices the documentation does not settle (all *inferred*, recorded in
docs/payment-page-and-webhooks.md and docs/fidelity.md):

* ``service_type`` reads "Payment Gateway" for checkouts (documented), "SMS Invoice" for invoices
  (Hesabe's app names service type 2 so) and "Open Invoice" for open invoices (service type 7);
* ``payment_type`` is "KNET" / "MPGS" for checkouts (the docs' samples) and the payment type's
  display name for invoices ("Visa/MasterCard");
* the "Amount" field shows the amount without trailing zeros ("KWD 49"), the flat ``amount``
  three decimals; a status other than SUCCESSFUL heads the blocks "TRANSACTION <status>".
"""

from __future__ import annotations

from typing import Any

from hesabe_spec.amounts import format_amount
from hesabe_spec.enums import PaymentType, ServiceType, TransactionStatus

__all__ = ["SUCCESSFUL", "blocks_for", "payment_type_name", "webhook_body"]

SUCCESSFUL = TransactionStatus.SUCCESSFUL.value


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
    """Slack-style blocks: a header, then the documented six facts as three two-field sections."""

    def field(label: str, value: str) -> dict[str, str]:
        return {"type": "mrkdwn", "text": f"*{label}:*\n{value}"}

    lines = [
        field("Date & Time", facts["datetime"].replace(" ", "T")),
        field("Transaction Token", facts["token"]),
        field("Order Reference Number", facts["reference_number"]),
        field("Service Type", facts["service_type"]),
        field("Amount", f"KWD {_short_amount(facts['amount'])}"),
        field("Payment Type", facts["payment_type"]),
    ]
    header = {"type": "header", "text": {"type": "plain_text", "text": f"TRANSACTION {facts['status']}",
                                         "emoji": True}}
    return [header, *({"type": "section", "fields": lines[i:i + 2]} for i in range(0, len(lines), 2))]


def webhook_body(
    *,
    token: str,
    amount: Any,
    reference_number: str | None,
    payment_type: Any,
    datetime: str,
    service_type: str = ServiceType.SMS_INVOICE.display_name,
    status: str = SUCCESSFUL,
) -> dict[str, Any]:
    """The whole body, keys in the documented order (blocks first)."""
    facts = dict(
        token=str(token),
        amount=format_amount(amount),
        reference_number="" if reference_number is None else str(reference_number),
        status=status,
        payment_type=payment_type_name(payment_type),
        service_type=service_type,
        datetime=datetime,
    )
    return {"blocks": blocks_for(facts), **facts}
