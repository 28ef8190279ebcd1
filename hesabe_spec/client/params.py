"""The keyword arguments of the client's named methods, as TypedDicts (``**fields: Unpack[...]``).

Each one has exactly the Python names of a table in :mod:`hesabe_spec.client.fields`, and marks
``Required`` exactly the fields the operation's request schema requires (merchantCode aside: the
client adds it); a test holds both to that. Values take what the converters take: enum members
(``PaymentType.KNET`` is an int, ``CreateInvoiceType.URL`` a str), ints, dates, Decimals.
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
    customer_name: str
    mobile_number: Text
    country_code: Text
    customer_email: str
    reference_number: str
    description: str
    expires_at: Required[DateText]
    invoice_type: Required[Text]
    invoice_sub_type: Text
    #: [1, 2], [PaymentType.KNET], or "1,2"
    allocate_pay_type: str | Iterable[Text]
    language: str
    webhook: str
    #: item dicts, or a pre-encoded JSON string (what Hesabe's app sends)
    items_list: str | Iterable[ItemFields]
    subscription: Text


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
    fix_amount: Amount
    min_amount: Amount
    max_amount: Amount
    expiry_date: DateText
    description: str


class BulkRowFields(TypedDict, total=False):
    """``update_bulk_invoice`` (snake_case on the wire too)."""

    amount: Required[Amount]
    name: Required[str]
    email: str
    phone: Required[Text]
    reference_number: Required[str]


class InvoiceFilters(TypedDict, total=False):
    """``list_invoices`` filters."""

    from_date: DateText
    to_date: DateText
    page: Text
    search: str
    invoice_type: Text
    status: Text


class OpenInvoiceFilters(TypedDict, total=False):
    """``list_open_invoices`` filters."""

    from_date: DateText
    to_date: DateText
    page: Text
    search: str
    paid_status: Text
    status: Text
    open_invoice_type: Text


class CheckoutFields(TypedDict, total=False):
    """``checkout``'s optional fields (amount, response_url, failure_url and payment_type are its
    own parameters)."""

    order_reference_number: Text
    #: "KWD" unless given
    currency: str
    #: "2.0", or "3.0" with channel or embedded, unless given
    version: Text
    name: str
    email: str
    mobile_number: Text
    webhook_url: str
    variable1: str
    variable2: str
    variable3: str
    variable4: str
    variable5: str
    #: True (sent "1"): authorize only, capture later (MPGS, payment_type 2)
    authorize: bool | Text
    #: "mobile": the answer adds webview_url
    channel: str
    embedded: bool
    save_card: bool
    customer_id: Text
    #: True (sent "1"): a subscription (payment_type 15), with the four recurring fields
    subscription: bool | Text
    number_of_installments: Text
    #: "0" on demand (capture_subscription each recurrence), "1" monthly (billed by Hesabe)
    recurring_frequency: Text
    recurring_start_date: DateText
    recurring_amount: Amount
class RefundFilters(TypedDict, total=False):
    """``list_refunds`` filters."""

    from_date: DateText
    to_date: DateText
    page: Text
    search: str


class TransactionReportFilters(TypedDict, total=False):
    """``get_transactions_report`` filters."""

    from_date: DateText
    to_date: DateText
    page: Text
    #: True ("1"): leave the stats out
    nostats: bool | Text
    search: str
