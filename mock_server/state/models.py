"""The mock's domain records: invoices, open invoices, bulk rows, checkouts, refunds, tokens. No
HTTP here.

Every class here is a :func:`~mock_server.state.record.record`: read-only to the type checker,
so a change is ``dataclasses.replace`` plus ``store.update_*`` and a store is never changed behind
its indexes' back.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import asdict, field
from datetime import date
from enum import StrEnum
from typing import Any, Literal, cast, get_args

from hesabe_spec.enums import (
    KUWAIT_CALLING_CODE,
    OpenInvoiceStatus,
    RecurringFrequency,
    ResultCode,
    TransactionStatus,
)
from mock_server.state.record import record

__all__ = [
    "BulkRow",
    "CardCustomer",
    "Checkout",
    "CheckoutSource",
    "Customer",
    "Invoice",
    "InvoiceQuery",
    "OpenInvoice",
    "OpenInvoiceQuery",
    "Page",
    "Refund",
    "RefundQuery",
    "SavedCard",
    "Source",
    "SubscriptionState",
    "add_months",
    "open_status_as_seen",
    "refund_terms",
    "search_terms",
    "search_terms_delta",
    "split_search",
]

#: what opened a checkout: POST /checkout (and the hosted page), a saved card's charge, a
#: subscription's recurrence, a Smart POS invoice
CheckoutSource = Literal["checkout", "saved_card", "subscription", "pos"]
#: the family that took a payment: what a refund, the ledger and the report tell them by
Source = Literal["invoice", "open_invoice"] | CheckoutSource
_CHECKOUT_SOURCES: frozenset[str] = frozenset(get_args(CheckoutSource))


@record
class Customer:
    name: str = ""
    email: str = ""
    phone_number: str | None = None  # country code + number, no "+", as the server stores it


@record
class Invoice:
    """One invoice as the server stores it (its wire shapes are made by ``mock_server.shapes.invoices``)."""

    merchant_id: int
    invoice_type: int  # InvoiceKind: 1 single, 0 subscription, 6 split, 7 installment
    invoice_sub_type: int
    token: str
    access_key: str
    reference_number: str
    amount: str
    created_at: str
    updated_at: str
    id: int = 0  # assigned by the store
    split_access_key: str = ""
    service_charge: str = "0.000"
    admin_charge: str = "0.000"
    discount: str = "0.000"
    payment_method: tuple[str, ...] = ()
    description: str = ""
    sms_response: str = ""
    invoice_status: int = 0
    subscription: int | None = None
    sms_status: int = 0
    url_status: int = 0
    visited_count: int = 0
    country_id: int = 11
    created_id: int = 84
    language: str | None = None
    expires_at: str | None = None
    attachment: str = ""
    en_sms: str = ""
    ar_sms: str = ""
    customer: Customer = field(default_factory=Customer)
    products: tuple[dict[str, Any], ...] = ()
    transaction: dict[str, Any] | None = None
    webhook: str | None = None
    #: the subscription terms as sent (SubscriptionTerms' fields that were given, as text)
    subscription_terms: dict[str, str] | None = None
    #: failed / declined payment attempts, oldest first (control plane)
    payment_attempts: tuple[dict[str, Any], ...] = ()
    #: the sub-type exactly as the create request sent it (the create response echoes its JSON
    #: type: "3" stays a string); None when the request sent none
    sent_sub_type: Any = None

    @property
    def payment_token(self) -> str | None:
        """The token of the transaction that paid it (None while unpaid): what a refund and the
        payment enquiry find the invoice by, and what every store indexes it under."""
        token = (self.transaction or {}).get("token")
        return str(token) if token else None

    def to_record(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_record(cls, rec: dict[str, Any]) -> Invoice:
        rec = dict(rec)
        rec["customer"] = Customer(**rec["customer"])
        rec["payment_method"] = tuple(rec["payment_method"])
        rec["products"] = tuple(rec["products"])
        rec["payment_attempts"] = tuple(rec.get("payment_attempts") or ())
        return cls(**rec)


@record
class OpenInvoice:
    merchant_id: int
    title: str
    reference_number: str
    type: int  # 0 fixed, 1 open (min/max)
    fixed_amount: str
    min_amount: str
    max_amount: str
    access_key: str
    created_at: str
    updated_at: str
    id: int = 0
    description: str = ""
    expiry_date: str | None = None
    paid_status: int = 0
    status: int = 0  # 0 active; 1 expired; 3 cancelled
    created_by: int = 84
    payments: tuple[dict[str, Any], ...] = ()

    @property
    def paid_payments(self) -> tuple[dict[str, Any], ...]:
        """Its successful payments, oldest first (``payments`` keeps the failed attempts too)."""
        return tuple(p for p in self.payments if p.get("outcome") == Outcome.SUCCESS)

    def to_record(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_record(cls, rec: dict[str, Any]) -> OpenInvoice:
        rec = dict(rec)
        rec["payments"] = tuple(rec.get("payments") or ())
        return cls(**rec)


@record
class BulkRow:
    merchant_id: int
    reference_number: str
    name: str
    phone: str
    email: str
    amount: str
    description: str
    created_at: str
    updated_at: str
    id: int = 0
    status: int = 1
    has_schedule: int = 0
    schedule_time: str | None = None
    #: the invoice a bulk send created for this row (not on the wire)
    invoice_id: int | None = None

    def to_record(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_record(cls, rec: dict[str, Any]) -> BulkRow:
        return cls(**rec)


@record
class Checkout:
    """One payment-gateway checkout: the session the customer pays through and the transaction it
    becomes (one checkout, one attempt; a retry is a new checkout with the same order reference).

    ``status`` is a :class:`~hesabe_spec.enums.TransactionStatus` value and only moves forward:
    PENDING -> SUCCESSFUL | AUTHORIZED | FAILED; AUTHORIZED -> SUCCESSFUL (captured) | CANCELLED
    (voided). The enquiry shows a SUCCESSFUL one as REFUNDED once approved refunds cover what was
    captured (the refunds are the record of that, not this). Money is the 3-decimal string the
    mock stores.
    """

    merchant_id: int
    #: the transaction token (checkout answer ``token``, callback ``paymentToken``)
    token: str
    #: the session the payment page is opened with (checkout answer ``response.data``)
    session: str
    amount: str
    currency: str
    #: the ``paymentType`` requested (0: the customer chooses on the page)
    payment_type: int
    response_url: str
    failure_url: str
    created_at: str
    #: the session's end, epoch seconds on the mock clock
    expires_at: float
    id: int = 0
    order_reference: str | None = None
    version: str | None = None
    webhook_url: str | None = None
    variables: tuple[str | None, ...] = (None, None, None, None, None)
    customer_name: str | None = None
    customer_email: str | None = None
    customer_mobile: str | None = None
    #: authorize only (MPGS): a success reserves the money, capture takes it
    authorize: bool = False
    channel: str | None = None
    embedded: bool = False
    status: TransactionStatus = TransactionStatus.PENDING
    result_code: str | None = None
    #: the payment type the customer actually used (differs from ``payment_type`` 0)
    paid_type: int | None = None
    payment_id: str | None = None
    transaction_id: str | None = None
    track_id: str | None = None
    terminal: str | None = None
    auth_code: str | None = None
    card_type: str | None = None
    card_masked: str | None = None
    #: when the customer completed the page (Kuwait stamp), None while pending
    paid_on: str | None = None
    captured_amount: str | None = None
    #: where the request departed from the docs' style and was accepted anyway (kits' habits)
    notes: tuple[str, ...] = ()
    #: what opened it: ``"checkout"`` (POST /checkout, the hosted page), ``"saved_card"`` (a
    #: charge of a saved card, POST /api/direct-payment/charge-card), ``"subscription"`` (a
    #: subscription's recurrence, billed by the mock clock or captured) or ``"pos"`` (a Smart POS
    #: invoice, paid at its terminal)
    source: CheckoutSource = "checkout"
    #: ``saveCard``: a successful payment saves the card for ``card_customer_id`` (VERIFY when the
    #: amount is 0.000)
    save_card: bool = False
    #: the saved-card customer (``customer_id``) of a save-card checkout or a charge
    card_customer_id: int | None = None
    #: the saved card a charge used, or the card a save-card checkout saved
    card_id: int | None = None
    #: a subscription (``subscription`` "1", paymentType 15): ``recurringFrequency`` "0" on demand
    #: (the merchant captures each charge), "1" monthly (the mock clock bills it); None otherwise
    recurring_frequency: str | None = None
    recurring_installments: int = 0
    recurring_start: str | None = None
    recurring_amount: str | None = None
    #: ACTIVE once paid, CANCELLED, COMPLETED after the last installment (a subscription only)
    subscription_status: str | None = None
    #: how many recurrences were charged (approved or declined)
    recurrences: int = 0
    #: a recurrence: the token of the subscription it was charged for
    parent_token: str | None = None
    #: a Smart POS invoice: the terminal it was sent to
    pos_terminal: str | None = None

    @property
    def next_billing_day(self) -> str | None:
        """The day (YYYY-MM-DD) the mock clock bills this monthly subscription's next recurrence:
        the start date plus as many months as were charged; None for anything it never bills (not
        a monthly subscription, not ACTIVE, every installment charged). A subscription without a
        start date bills from the day it was created. What the stores index the timer's work by."""
        if (self.recurring_frequency != RecurringFrequency.MONTHLY
                or self.subscription_status != SubscriptionState.ACTIVE
                or self.recurrences >= self.recurring_installments):
            return None
        start = date.fromisoformat(self.recurring_start or self.created_at[:10])
        return add_months(start, self.recurrences).isoformat()

    def to_record(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_record(cls, rec: dict[str, Any]) -> Checkout:
        rec = dict(rec)
        rec["variables"] = tuple(rec.get("variables") or (None,) * 5)
        rec["notes"] = tuple(rec.get("notes") or ())
        rec["status"] = TransactionStatus(rec.get("status", TransactionStatus.PENDING))
        source = rec.get("source", "checkout")
        if source not in _CHECKOUT_SOURCES:
            raise ValueError(f"unknown checkout source {source!r}")
        rec["source"] = cast(CheckoutSource, source)
        return cls(**rec)


@record
class CardCustomer:
    """A saved-card ("Direct Payment") customer: ``id`` is the number requests name as
    ``customer_id``; ``customer_id`` the string Hesabe shows beside it (the merchant's own id when
    it sent one)."""

    merchant_id: int
    customer_id: str
    name: str
    email: str
    mobile_number: str
    created_at: str
    id: int = 0  # assigned by the store

    def to_record(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_record(cls, rec: dict[str, Any]) -> CardCustomer:
        return cls(**rec)


@record
class SavedCard:
    """A card saved by a save-card checkout (VERIFY), charged later without the customer."""

    merchant_id: int
    customer_id: int  # the CardCustomer's id
    card_number: str  # masked, ``****0008``
    expiry_month: str
    expiry_year: str
    brand: str
    name_on_card: str
    #: the payment type it was saved with (the rail a charge goes through)
    payment_type: int
    created_at: str
    id: int = 0  # assigned by the store: the ``card_id``

    def to_record(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_record(cls, rec: dict[str, Any]) -> SavedCard:
        return cls(**rec)


@record
class Refund:
    """One refund request. ``status``: 0 pending, 1 approved, 2 rejected (``RefundStatus``).

    The paid transaction's facts (``paid_amount``, ``source`` ...) are copied in when the refund is
    requested: a captured payment never changes, and the list shows them without a second read.
    """

    merchant_id: int
    #: the paid transaction's token (what the request named)
    token: str
    amount: str
    refund_method: str  # "1" full / "2" partial, a string as on the wire
    created_at: str
    updated_at: str
    #: epoch seconds on the mock clock when asked for: auto-approval counts from here
    requested_at: float
    #: what was paid (a PaidTransaction's ``kind``), its record id, amount, reference and payment facts
    source: Source
    source_id: int
    paid_amount: str
    order_reference_number: str
    transaction_date: str | None
    payment_type_id: int
    service_type_id: int
    id: int = 0  # assigned by the store
    status: int = 0
    refund_at: str | None = None
    remarks: str | None = None
    approved_by: str | None = None
    document_number: str = ""
    recover_method: str = "1"

    def to_record(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_record(cls, rec: dict[str, Any]) -> Refund:
        return cls(**rec)


@record
class RefundQuery:
    """Refund list filters: dates on ``created_at`` (inclusive), whole-word search terms."""

    from_date: str | None = None
    to_date: str | None = None
    search: tuple[str, ...] = ()
    offset: int = 0
    limit: int = 15


@record
class InvoiceQuery:
    """Dashboard filters. ``kinds`` None = every kind except orders (4)."""

    kinds: tuple[int, ...] | None = None
    status: int | None = None
    from_date: str | None = None  # inclusive, YYYY-MM-DD, on created_at
    to_date: str | None = None  # inclusive
    search: tuple[str, ...] = ()  # normalised terms, all must match
    offset: int = 0
    limit: int = 15


@record
class OpenInvoiceQuery:
    from_date: str | None = None
    to_date: str | None = None
    search: tuple[str, ...] = ()
    paid_status: int | None = None
    #: as shown: an active open invoice past its expiry date (before ``today``) is expired (1)
    status: int | None = None
    type: int | None = None
    offset: int = 0
    limit: int = 15
    #: the mock's today, YYYY-MM-DD, for ``status``; None: stored status only
    today: str | None = None


@record
class Page:
    """One page of results and the total number of matches."""

    items: list[Any]
    total: int


_WORD = re.compile(r"[^\W_]+", re.UNICODE)


def split_search(text: str) -> tuple[str, ...]:
    """Normalise a search string into the terms both stores index (case-folded words)."""
    return tuple(dict.fromkeys(w.casefold() for w in _WORD.findall(text or "")))


#: the end of an open date range: later than any date a record carries
NO_UPPER_DATE = "9999-12-31"


def open_status_as_seen(item: OpenInvoice, today: str | None) -> int:
    """An open invoice's status as shown on ``today``: active past its expiry date is expired (1)."""
    if (today and item.status == OpenInvoiceStatus.ACTIVE and item.expiry_date
            and str(item.expiry_date)[:10] < today):
        return OpenInvoiceStatus.EXPIRED
    return item.status


def open_invoice_terms(item: OpenInvoice) -> set[str]:
    """The terms an open invoice is found by: its title, reference and description."""
    return set(split_search(f"{item.title} {item.reference_number} {item.description}"))


def refund_terms(refund: Refund) -> set[str]:
    """The terms a refund is found by: its transaction token and the order reference number."""
    terms = set(split_search(f"{refund.token} {refund.order_reference_number}"))
    terms.update(t.casefold() for t in (refund.token, refund.order_reference_number) if t)
    return terms


def _term_sources(inv: Invoice) -> tuple[str, ...]:
    c = inv.customer
    return (inv.reference_number, inv.token, c.name, c.email, inv.description, c.phone_number or "")


def search_terms_delta(old: Invoice, new: Invoice) -> tuple[set[str], set[str]]:
    """Terms to drop and to add when ``old`` becomes ``new``; nothing to do (and nothing
    recomputed) when no searchable field changed, the usual case for cancel, pay and SMS."""
    if _term_sources(old) == _term_sources(new):
        return set(), set()
    old_terms, new_terms = search_terms(old), search_terms(new)
    return old_terms - new_terms, new_terms - old_terms


def search_terms(inv: Invoice) -> set[str]:
    """The terms an invoice is found by: reference, token, customer name/email/phone, description.

    Hesabe does not document what ``search`` matches; whole-word matching on these columns is
    the mock's choice (docs/fidelity.md), and it is what keeps search on an index.
    """
    customer = inv.customer
    terms: set[str] = set()
    for text in (inv.reference_number, inv.token, customer.name, customer.email, inv.description):
        if not text:
            continue
        terms.add(text.casefold())
        # A text of letters and digits alone (a token, most references and names) is one word,
        # itself: str.isalnum() is exactly "every character is [^\W_]".
        if not text.isalnum():
            terms.update(w.casefold() for w in _WORD.findall(text))
    phone = customer.phone_number or ""
    if phone:
        terms.add(phone)
        if phone.startswith(KUWAIT_CALLING_CODE):
            terms.add(phone.removeprefix(KUWAIT_CALLING_CODE))
    return terms


class Outcome(StrEnum):
    """How a payment attempt ended, as the control plane, the pages and the journal name it."""

    SUCCESS = "success"
    FAILURE = "failure"
    CANCELLED = "cancelled"  # by the customer on the page
    EXPIRED = "expired"  # a checkout's session ran out (checkouts only)

    @property
    def result_code(self) -> ResultCode:
        """The result code a payment that ended so reports unless told another."""
        return _OUTCOME_RESULT[self]


_OUTCOME_RESULT = {Outcome.SUCCESS: ResultCode.CAPTURED, Outcome.FAILURE: ResultCode.NOT_CAPTURED,
                   Outcome.CANCELLED: ResultCode.CANCELED, Outcome.EXPIRED: ResultCode.NOT_CAPTURED}


class SubscriptionState(StrEnum):
    """A subscription's ``subscription_status`` (the mock's own record: Hesabe's is not documented)."""

    ACTIVE = "ACTIVE"
    CANCELLED = "CANCELLED"  # by the merchant
    COMPLETED = "COMPLETED"  # every installment charged


def add_months(start: date, months: int) -> date:
    """``start`` plus whole months, the day kept or clamped to the month's last (31 Jan -> 28 Feb)."""
    index = start.month - 1 + months
    year, month = start.year + index // 12, index % 12 + 1
    return start.replace(year=year, month=month, day=min(start.day, calendar.monthrange(year, month)[1]))
