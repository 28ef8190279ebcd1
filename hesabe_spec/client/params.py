"""The keyword arguments of the client's named methods, as TypedDicts (``**fields: Unpack[...]``).

Each one has exactly the Python names of a table in :mod:`hesabe_spec.client.fields`, and marks
``Required`` exactly the fields the operation's request schema requires (merchantCode aside: the
client adds it); a test holds both to that. Values take what the converters take: enum members
(``PaymentType.KNET`` is an int, ``CreateInvoiceType.URL`` a str), ints, dates, Decimals. An
optional field may also be None, which leaves it out as if it were not given (so
``webhook_url=settings.webhook_url or None`` needs no second call without it).
"""

# No ``from __future__ import annotations`` here: ``Required`` must be evaluated at class creation
# for ``__required_keys__`` to be right at run time on Python 3.11.
from collections.abc import Iterable
from datetime import date
from decimal import Decimal
from typing import Required, TypeAlias, TypedDict

__all__ = [
    "Amount",
    "BulkRowFields",
    "CheckoutFields",
    "DateText",
    "InvoiceFields",
    "InvoiceFilters",
    "ItemFields",
    "OpenInvoiceFields",
    "OpenInvoiceFilters",
    "RefundFilters",
    "SubscriptionFields",
    "Text",
    "TransactionReportFilters",
]

#: money: "20", "20.000", 20, 20.5, Decimal("20.5") (formatted to 3 decimals, never rounded silently)
Amount: TypeAlias = str | int | float | Decimal
#: a scalar sent as text: str, int or an enum member of either (bools become "true"/"false")
Text: TypeAlias = str | int
#: a date: "YYYY-MM-DD" or a ``date`` (a ``datetime`` loses its time part)
DateText: TypeAlias = str | date


class ItemFields(TypedDict, total=False):
    """One line of ``items_list``."""

    item_title: Required[str]
    rate: Required[Amount]
    quantity: Required[Text]
    amount: Required[Amount]


class InvoiceFields(TypedDict, total=False):
    """``create_invoice`` (and each split / installment entry)."""

    amount: Required[Amount]
    customer_name: str | None
    mobile_number: Text | None
    country_code: Text | None
    customer_email: str | None
    reference_number: str | None
    description: str | None
    expires_at: Required[DateText]
    invoice_type: Required[Text]
    invoice_sub_type: Text | None
    #: [1, 2], [PaymentType.KNET], or "1,2"
    allocate_pay_type: str | Iterable[Text] | None
    language: str | None
    webhook: str | None
    #: item dicts, or a pre-encoded JSON string (what Hesabe's app sends)
    items_list: str | Iterable[ItemFields] | None
    subscription: Text | None


class SubscriptionFields(InvoiceFields, total=False):
    """``create_subscription_invoice``: an invoice plus its schedule."""

    frequency: Required[Text]
    no_of_recurrence: Required[Text]
    subscription_type: Required[Text]
    start_date: Required[DateText]


class OpenInvoiceFields(TypedDict, total=False):
    """``create_open_invoice``: fixed (``fix_amount``) or open (``min_amount``/``max_amount``)."""

    title: Required[str]
    amount_type: Required[Text]
    fix_amount: Amount | None
    min_amount: Amount | None
    max_amount: Amount | None
    expiry_date: DateText | None
    description: str | None


class BulkRowFields(TypedDict, total=False):
    """``update_bulk_invoice`` (snake_case on the wire too)."""

    amount: Required[Amount]
    name: Required[str]
    email: str | None
    phone: Required[Text]
    reference_number: Required[str]


class InvoiceFilters(TypedDict, total=False):
    """``list_invoices`` filters."""

    from_date: DateText | None
    to_date: DateText | None
    page: Text | None
    search: str | None
    invoice_type: Text | None
    status: Text | None


class OpenInvoiceFilters(TypedDict, total=False):
    """``list_open_invoices`` filters."""

    from_date: DateText | None
    to_date: DateText | None
    page: Text | None
    search: str | None
    paid_status: Text | None
    status: Text | None
    open_invoice_type: Text | None


class CheckoutFields(TypedDict, total=False):
    """``checkout``'s optional fields (amount, response_url, failure_url and payment_type are its
    own parameters)."""

    order_reference_number: Text | None
    #: "KWD" unless given
    currency: str | None
    #: "2.0", or "3.0" with channel or embedded, unless given
    version: Text | None
    name: str | None
    email: str | None
    mobile_number: Text | None
    webhook_url: str | None
    variable1: str | None
    variable2: str | None
    variable3: str | None
    variable4: str | None
    variable5: str | None
    #: True (sent "1"): authorize only, capture later (MPGS, payment_type 2)
    authorize: bool | Text | None
    #: "mobile": the answer adds webview_url
    channel: str | None
    embedded: bool | None
    save_card: bool | None
    customer_id: Text | None
    #: True (sent "1"): a subscription (payment_type 15), with the four recurring fields
    subscription: bool | Text | None
    number_of_installments: Text | None
    #: "0" on demand (capture_subscription each recurrence), "1" monthly (billed by Hesabe)
    recurring_frequency: Text | None
    recurring_start_date: DateText | None
    recurring_amount: Amount | None


class RefundFilters(TypedDict, total=False):
    """``list_refunds`` filters."""

    from_date: DateText | None
    to_date: DateText | None
    page: Text | None
    search: str | None


class TransactionReportFilters(TypedDict, total=False):
    """``get_transactions_report`` filters."""

    from_date: DateText | None
    to_date: DateText | None
    page: Text | None
    #: True ("1"): leave the stats out
    nostats: bool | Text | None
    search: str | None
