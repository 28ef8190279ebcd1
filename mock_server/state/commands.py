"""What the domain is asked to do, in the domain's own words.

Handlers turn a decrypted Hesabe payload (``customerName``, ``allocatePayType``, ...) into one of
these commands; the lifecycle services and the stores never see a wire name. Money is already
the 3-decimal string the mock stores; an optional value the request left out is ``None`` (``""``
for the texts an invoice always shows, such as its description).

Commands are typed NamedTuples: immutable like the records, and built once per request for the
price of a tuple (a frozen dataclass sets each field through ``object.__setattr__``).
"""

from __future__ import annotations

from typing import Any, NamedTuple

__all__ = [
    "BulkLine",
    "BulkRowChanges",
    "BulkUpload",
    "CardCharge",
    "NewCardCustomer",
    "NewCheckout",
    "NewInvoice",
    "NewOpenInvoice",
    "ProductLine",
    "RecurringTerms",
    "RefundRequest",
    "SubscriptionTerms",
]


class ProductLine(NamedTuple):
    """One line of an invoice's items list."""

    title: str
    rate: str
    quantity: int
    amount: str


class SubscriptionTerms(NamedTuple):
    """A subscription invoice's schedule, kept as the merchant sent each value (text)."""

    frequency: str | None
    recurrences: str | None
    subscription_type: str | None
    start_date: str | None


class NewInvoice(NamedTuple):
    """Create one invoice (a single, subscription, split or installment part)."""

    amount: str
    customer_name: str
    customer_email: str
    #: full number with the country code (``96550000000``), None without a mobile number
    customer_phone: str | None
    reference_number: str
    description: str
    #: "en" / "ar"; None for the merchant's default
    language: str | None
    #: sent by SMS (``invoiceType`` "1") rather than shared as a link ("0")
    by_sms: bool
    sub_type: int
    #: the sub-type exactly as sent (its JSON type is echoed on the create response), None if not sent
    sub_type_as_sent: Any
    #: payment type codes; None for the merchant's default
    pay_types: tuple[str, ...] | None
    products: tuple[ProductLine, ...]
    expires_at: str | None
    webhook: str | None
    subscription: SubscriptionTerms | None = None


class NewOpenInvoice(NamedTuple):
    """Create an open invoice: a fixed amount, or any amount between ``min_amount`` and ``max_amount``."""

    title: str
    description: str
    open_amount: bool
    fixed_amount: str
    min_amount: str
    max_amount: str
    expiry_date: str | None


class BulkLine(NamedTuple):
    """One invoice row of an uploaded file (the amount already in 3 decimals)."""

    name: str
    phone: str
    email: str
    amount: str
    reference_number: str
    description: str


class BulkUpload(NamedTuple):
    """Keep the rows of an uploaded file, to be sent now or at ``schedule_time``."""

    lines: tuple[BulkLine, ...]
    scheduled: bool
    schedule_time: str | None


class BulkRowChanges(NamedTuple):
    """Edit an uploaded row: only the fields given change."""

    name: str | None = None
    email: str | None = None
    phone: str | None = None
    reference_number: str | None = None
    amount: str | None = None


class NewCheckout(NamedTuple):
    """Open a payment-gateway checkout (``POST /checkout``)."""

    amount: str
    currency: str
    payment_type: int
    response_url: str
    failure_url: str
    order_reference: str | None
    version: str | None
    webhook_url: str | None
    variables: tuple[str | None, ...]
    customer_name: str | None
    customer_email: str | None
    customer_mobile: str | None
    authorize: bool
    channel: str | None
    embedded: bool
    #: where the request departed from the docs' style and was accepted anyway
    notes: tuple[str, ...] = ()
    #: ``saveCard``: a successful payment saves the card for ``card_customer_id`` (VERIFY at 0.000)
    save_card: bool = False
    card_customer_id: int | None = None
    #: a subscription's terms (``subscription`` "1"); None for any other checkout
    recurring: RecurringTerms | None = None


class RecurringTerms(NamedTuple):
    """A subscription checkout's schedule (hesabe-checkout-api.md §8.2)."""

    #: "0" on demand (the merchant captures each charge), "1" monthly (billed on the mock clock)
    frequency: str
    installments: int
    start_date: str
    amount: str


class NewCardCustomer(NamedTuple):
    """Register a saved-card customer (``POST /api/direct-payment/customer``)."""

    name: str
    email: str
    mobile_number: str
    #: the merchant's own id for the customer; "" when it sent none
    external_id: str


class CardCharge(NamedTuple):
    """Charge a saved card (``POST /api/direct-payment/charge-card``)."""

    card_id: int
    amount: str
    #: the customer the card must belong to, when the request names one
    customer_id: int | None
    order_reference: str | None


class RefundRequest(NamedTuple):
    """Give back all that is left of a payment (``full``) or ``amount`` of it."""

    #: the paid transaction's token
    token: str
    full: bool
    #: the amount asked for; for a full refund only if the request named one (it must then be the
    #: payment's amount or what is left of it)
    amount: str | None
