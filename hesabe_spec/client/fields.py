"""Python-style keyword arguments -> Hesabe wire fields, with the wire's value conventions.

Every scalar Hesabe reads is a string ("1", "965", "20.000"), so enum members, ints and dates
are turned into their wire text here. Each table maps a Python name to ``(wire name, converter)``;
a name that is not in the table is a ``TypeError`` (a typo must not reach the server as an
unknown field). Raw wire fields go through the methods' ``extra=`` escape hatch instead.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Callable, Iterable, Mapping
from enum import Enum
from typing import Any

from hesabe_spec.amounts import format_amount

__all__ = [
    "BULK_ROW_FIELDS",
    "CHECKOUT_FIELDS",
    "INVOICE_FIELDS",
    "OPEN_INVOICE_FIELDS",
    "SUBSCRIPTION_FIELDS",
    "keyword_of",
    "map_fields",
    "map_invoice_item",
    "text",
]

Converter = Callable[[Any, str, str | None], Any]
FieldTable = Mapping[str, tuple[str, Converter]]


def text(value: Any, field: str = "", operation: str | None = None) -> Any:
    """Scalar -> wire string: enum members by value, ints and bools as text, dates as ISO."""
    if isinstance(value, Enum):
        value = value.value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, _dt.datetime):
        # Hesabe's date fields are YYYY-MM-DD; a time part would be refused.
        return value.date().isoformat()
    if isinstance(value, _dt.date):
        return value.isoformat()
    if isinstance(value, int):
        return str(value)
    return value


def _amount(value: Any, field: str, operation: str | None) -> str:
    return format_amount(value, field=field, operation=operation)


def _pay_types(value: Any, field: str, operation: str | None) -> Any:
    # The current docs and the Python SDK send "1,2"; a list of numbers is accepted as input only.
    if isinstance(value, (str, bytes)) or not isinstance(value, Iterable):
        return text(value)
    return ",".join(str(text(v)) for v in value)


_ITEM_FIELDS: dict[str, tuple[str, Converter]] = {
    "item_title": ("itemTitle", text),
    "rate": ("rate", _amount),
    "quantity": ("quantity", text),
    "amount": ("amount", _amount),
}


def _items(value: Any, field: str, operation: str | None) -> Any:
    # A pre-encoded JSON string (what Hesabe's app sends) passes through untouched.
    if isinstance(value, str) or not isinstance(value, Iterable):
        return value
    return [map_fields(_ITEM_FIELDS, item, operation, prefix=f"{field}/{i}/") for i, item in enumerate(value)]


INVOICE_FIELDS: dict[str, tuple[str, Converter]] = {
    "amount": ("amount", _amount),
    "customer_name": ("customerName", text),
    "mobile_number": ("mobileNumber", text),
    "country_code": ("countryCode", text),
    "customer_email": ("customerEmail", text),
    "reference_number": ("referenceNumber", text),
    "description": ("description", text),
    "expires_at": ("expiresAt", text),
    "invoice_type": ("invoiceType", text),
    "invoice_sub_type": ("invoiceSubType", text),
    "allocate_pay_type": ("allocatePayType", _pay_types),
    "language": ("language", text),
    "webhook": ("webhook", text),
    "items_list": ("itemsList", _items),
    "subscription": ("subscription", text),
}

SUBSCRIPTION_FIELDS: dict[str, tuple[str, Converter]] = {
    **INVOICE_FIELDS,
    "frequency": ("frequency", text),
    "no_of_recurrence": ("noofRecurrence", text),  # sic: Hesabe's spelling
    "subscription_type": ("SubscriptionType", text),  # sic: capital S on the wire
    "start_date": ("startDate", text),
}

OPEN_INVOICE_FIELDS: dict[str, tuple[str, Converter]] = {
    "title": ("title", text),
    "amount_type": ("amountType", text),
    "fix_amount": ("fixAmount", _amount),
    "min_amount": ("minAmount", _amount),
    "max_amount": ("maxAmount", _amount),
    "expiry_date": ("expiryDate", text),
    "description": ("description", text),
}

def _flag(value: Any, field: str, operation: str | None) -> Any:
    """A yes/no the gateway reads as "1"/"0" (``authorize``); True/False become those."""
    return ("1" if value else "0") if isinstance(value, bool) else text(value)


def _true(value: Any, field: str, operation: str | None) -> Any:
    """A JSON boolean the gateway reads as one (``embeddedPayment``, ``saveCard``)."""
    return bool(value)


#: ``POST /checkout``: Python names -> the gateway's wire names (hesabe-checkout-api.md §2.3)
CHECKOUT_FIELDS: dict[str, tuple[str, Converter]] = {
    "amount": ("amount", _amount),
    "currency": ("currency", text),
    "payment_type": ("paymentType", text),
    "version": ("version", text),
    "order_reference_number": ("orderReferenceNumber", text),
    "response_url": ("responseUrl", text),
    "failure_url": ("failureUrl", text),
    **{f"variable{n}": (f"variable{n}", text) for n in range(1, 6)},
    "name": ("name", text),
    "email": ("email", text),
    "mobile_number": ("mobile_number", text),
    "webhook_url": ("webhookUrl", text),
    "authorize": ("authorize", _flag),
    "channel": ("channel", text),
    "embedded": ("embeddedPayment", _true),
    "save_card": ("saveCard", _true),
    "customer_id": ("customer_id", text),
    "subscription": ("subscription", _flag),
    "number_of_installments": ("numberOfInstallments", text),
    "recurring_frequency": ("recurringFrequency", text),
    "recurring_start_date": ("recurringStartDate", text),
    "recurring_amount": ("recurringAmount", _amount),
}

#: bulk rows are snake_case on the wire (the docs' own edit sample), unlike invoices
BULK_ROW_FIELDS: dict[str, tuple[str, Converter]] = {
    "amount": ("amount", _amount),
    "name": ("name", text),
    "email": ("email", text),
    "phone": ("phone", text),
    "reference_number": ("reference_number", text),
}


def keyword_of(wire: str) -> str | None:
    """The keyword argument the client's methods take for the wire field ``wire``, when it is
    spelled otherwise (``SubscriptionType`` -> ``subscription_type``); None when it is the same or
    no table has it."""
    for table in (INVOICE_FIELDS, SUBSCRIPTION_FIELDS, OPEN_INVOICE_FIELDS, CHECKOUT_FIELDS, _ITEM_FIELDS):
        for keyword, (name, _convert) in table.items():
            if name == wire and keyword != wire:
                return keyword
    return None


def map_fields(
    table: FieldTable,
    values: Mapping[str, Any],
    operation: str | None,
    *,
    prefix: str = "",
    wire_ok: bool = True,
) -> dict[str, Any]:
    """Translate ``values`` through ``table``; ``None`` values are left out.

    With ``wire_ok`` a key that already is a wire name of the table (``customerName``) is
    converted the same way, so dicts copied from Hesabe's docs work unchanged.
    """
    by_wire = {wire: (wire, conv) for wire, conv in table.values()} if wire_ok else {}
    out: dict[str, Any] = {}
    for key, value in values.items():
        spec = table.get(key) or by_wire.get(key)
        if spec is None:
            known = ", ".join(sorted(table))
            where = f" in {operation}" if operation else ""
            raise TypeError(f"unknown field {prefix}{key!r}{where}; known: {known} (raw fields go in extra=)")
        if value is None:
            continue
        wire, convert = spec
        out[wire] = convert(value, prefix + wire, operation)
    return out


def map_invoice_item(item: Mapping[str, Any], operation: str, index: int) -> dict[str, Any]:
    """One split/installment entry: Python or wire keys; unknown keys pass through as raw fields."""
    known = {k: v for k, v in item.items() if k in INVOICE_FIELDS or k in _INVOICE_WIRE}
    raw = {k: v for k, v in item.items() if k not in known}
    return {**map_fields(INVOICE_FIELDS, known, operation, prefix=f"invoices/{index}/"), **raw}


_INVOICE_WIRE = {wire for wire, _ in INVOICE_FIELDS.values()}
