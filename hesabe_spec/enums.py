"""Hesabe's enumerations, as data. Values are the wire codes; comments name the source.

Create-side and list-side invoice type codes differ: creating uses ``invoiceType`` "1" (SMS) /
"0" (URL family), while the dashboard filter and the ``invoice_type`` field use 1 single,
0 subscription, 6 split, 7 installment (HeStallMent), 4 order, 2 legacy (seen once, unexplained).
"""

from __future__ import annotations

from enum import IntEnum, StrEnum

__all__ = [
    "AmountType",
    "BulkListType",
    "CreateInvoiceType",
    "InvoiceKind",
    "InvoiceStatus",
    "InvoiceSubType",
    "Language",
    "PaymentStatus",
    "PaymentType",
    "RefundMethod",
    "RefundStatus",
    "ServiceType",
    "SubscriptionType",
]


class CreateInvoiceType(StrEnum):
    """``invoiceType`` on create requests."""

    URL = "0"  # URL sharing, also WhatsApp and Email
    SMS = "1"


class InvoiceSubType(StrEnum):
    """``invoiceSubType`` on create requests / ``invoice_sub_type`` on invoices."""

    SMS = "0"
    WHATSAPP = "1"
    EMAIL = "2"
    URL = "3"


class InvoiceKind(IntEnum):
    """``invoice_type`` on invoice objects and the dashboard ``invoiceType`` filter."""

    SUBSCRIPTION = 0
    SINGLE = 1
    LEGACY = 2  # seen on the resend sample (HEST… reference); meaning unknown
    ORDER = 4  # delivery/"Delicon" orders, counted in order_stats
    SPLIT = 6
    INSTALLMENT = 7  # HeStallMent / EMI


class InvoiceStatus(IntEnum):
    """``invoice_status``. No "expired" code exists in any source; expiry is by ``expires_at``."""

    UNPAID = 0
    PAID = 1
    CANCELLED = 3


class PaymentType(IntEnum):
    """``allocatePayType`` codes (docs list 1 and 2; the rest from the checkout docs and the SDK)."""

    HOSTED = 0
    KNET = 1
    MPGS = 2  # Visa / MasterCard
    CYBERSOURCE = 5
    AMEX = 7
    MPGS_AMEX = 8
    APPLE_PAY = 9
    CYBERSOURCE_APPLE_PAY = 10
    KNET_DEBIT_APPLE_PAY = 11
    KNET_CREDIT_APPLE_PAY = 12
    KNET_APPLE_PAY_INTL = 13
    AMEX_APPLE_PAY_INTL = 14
    CYBERSOURCE_SUBSCRIPTION = 15
    GOOGLE_PAY = 16
    DEEMA = 18
    MPGS_SUBSCRIPTION = 19
    SAMSUNG_PAY = 20

    @property
    def display_name(self) -> str:
        return _PAYMENT_DISPLAY.get(self, self.name.replace("_", " ").title())


_PAYMENT_DISPLAY = {
    PaymentType.KNET: "KNET",
    PaymentType.MPGS: "Visa/MasterCard",
    PaymentType.AMEX: "American Express",
    PaymentType.APPLE_PAY: "Apple Pay",
    PaymentType.GOOGLE_PAY: "Google Pay",
    PaymentType.SAMSUNG_PAY: "Samsung Pay",
}


class ServiceType(IntEnum):
    """``transaction.service_type_id``."""

    SMS_INVOICE = 2
    PAYMENT_GATEWAY = 3
    POS = 6
    OPEN_INVOICE = 7

    @property
    def display_name(self) -> str:
        """The name webhooks, refunds and the app show ("Payment Gateway" is documented; the others
        are the merchant app's names)."""
        return _SERVICE_DISPLAY[self]


_SERVICE_DISPLAY = {
    ServiceType.SMS_INVOICE: "SMS Invoice",
    ServiceType.PAYMENT_GATEWAY: "Payment Gateway",
    ServiceType.POS: "POS",
    ServiceType.OPEN_INVOICE: "Open Invoice",
}


class Language(StrEnum):
    EN = "en"
    AR = "ar"


class SubscriptionType(StrEnum):
    """``SubscriptionType`` on subscription create (capital S on the wire)."""

    AUTO = "0"
    ON_DEMAND = "1"


class AmountType(StrEnum):
    """Open invoice ``amountType``."""

    FIXED = "0"
    OPEN = "1"  # min/max


class BulkListType(StrEnum):
    """Bulk-upload list ``type``."""

    BULK = "0"
    SCHEDULED = "1"


class RefundMethod(StrEnum):
    """``refundMethod`` on a refund request / ``refund_method`` on a refund (strings both ways)."""

    FULL = "1"  # the remaining amount of the transaction
    PARTIAL = "2"  # ``refundAmount``, up to the remaining amount


class RefundStatus(IntEnum):
    """A refund request's ``status``: 0 pending, 1 approved, anything else rejected ([APP]).

    Hesabe's app reads every other value as rejected; 2 is the one the mock writes.
    """

    PENDING = 0
    APPROVED = 1
    REJECTED = 2


class PaymentStatus(IntEnum):
    """``transaction.payment_status`` (the SDK's list; 5 from the merchant app's reports)."""

    FAILED = 0
    SUCCESS = 1
    REFUNDED = 2  # fully refunded
    REFUND_FAILED = 3
    AUTHORIZED = 4
    AUTHORIZATION_CANCELLED = 5
    MULTIVENDOR_SUCCESS = 6
    SUBSCRIPTION = 8
    CASH = 9
    SUB_MERCHANT_SUBSCRIPTION = 10
    MAIN_MERCHANT_SUBSCRIPTION = 11
