"""Hesabe's enumerations, as data. Values are the wire codes; comments name the source.

Sections of ``hesabe-checkout-api.md`` are cited as "checkout §N".

Create-side and list-side invoice type codes differ: creating uses ``invoiceType`` "1" (SMS) /
"0" (URL family), while the dashboard filter and the ``invoice_type`` field use 1 single,
0 subscription, 6 split, 7 installment (HeStallMent), 4 order, 2 legacy (seen once, unexplained).
"""

from __future__ import annotations

from enum import IntEnum, StrEnum

__all__ = [
    "GATEWAY_BAD_REQUEST",
    "KNET_RAILS",
    "KUWAIT_CALLING_CODE",
    "AmountType",
    "BulkListType",
    "CallbackMethod",
    "CreateInvoiceType",
    "GatewayErrorCode",
    "InvoiceKind",
    "InvoiceStatus",
    "InvoiceSubType",
    "Language",
    "OpenInvoiceStatus",
    "OpenInvoiceType",
    "PaidStatus",
    "PaymentStatus",
    "PaymentType",
    "RecurringFrequency",
    "RefundMethod",
    "RefundStatus",
    "ResultCode",
    "ServiceType",
    "SubscriptionType",
    "TransactionStatus",
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
        """The name Hesabe's pages and invoice webhooks show ("Visa/MasterCard")."""
        return _PAYMENT_DISPLAY.get(self, self.name.replace("_", " ").title())

    @property
    def gateway_name(self) -> str:
        """The ``payment_type`` of the gateway's enquiry and webhook: "KNET" and "MPGS" as the
        docs' samples show them (checkout §5, §6); the display name for the rest."""
        return "MPGS" if self == PaymentType.MPGS else self.display_name

    @classmethod
    def display_name_of(cls, code: int) -> str:
        """:attr:`display_name` of a code; "Payment type N" for a code this table does not know."""
        try:
            return cls(code).display_name
        except ValueError:
            return f"Payment type {code}"

    @classmethod
    def gateway_name_of(cls, code: int) -> str:
        """:attr:`gateway_name` of a code; "Payment type N" for a code this table does not know."""
        try:
            return cls(code).gateway_name
        except ValueError:
            return f"Payment type {code}"


#: ``countryCode`` when a request names none: Kuwait's, as the server assumes (seed 001)
KUWAIT_CALLING_CODE = "965"

#: the payment types paid on the KNET rails: KNET's ids (``PaymentID``, ``TrackID``, ``Terminal``)
#: and the callback's ``method`` 1
KNET_RAILS = frozenset({PaymentType.KNET, PaymentType.KNET_DEBIT_APPLE_PAY, PaymentType.KNET_CREDIT_APPLE_PAY,
                        PaymentType.KNET_APPLE_PAY_INTL})

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

    @classmethod
    def display_name_of(cls, code: int) -> str:
        """:attr:`display_name` of a code; "Service type N" for a code this table does not know."""
        try:
            return cls(code).display_name
        except ValueError:
            return f"Service type {code}"


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


class OpenInvoiceType(IntEnum):
    """An open invoice's ``type`` in its answers: what ``amountType`` asked for, as a number."""

    FIXED = 0
    OPEN = 1  # any amount from min_amount to max_amount


class OpenInvoiceStatus(IntEnum):
    """An open invoice's ``status`` (Hesabe's app filters on these: "1" expired, "3" cancelled)."""

    ACTIVE = 0
    EXPIRED = 1
    CANCELLED = 3


class PaidStatus(IntEnum):
    """An open invoice's ``paid_status``: 1 once anybody paid it."""

    UNPAID = 0
    PAID = 1


class RecurringFrequency(StrEnum):
    """``recurringFrequency`` of a subscription checkout (hesabe-checkout-api.md §8.2)."""

    ON_DEMAND = "0"  # the merchant captures each recurrence
    MONTHLY = "1"  # Hesabe bills it every month


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


class ResultCode(StrEnum):
    """``resultCode`` of a checkout callback (checkout §4.4).

    CAPTURED, ACCEPT and SUCCESS are the documented successes; AUTHORIZED and PARTIALLY_CAPTURED
    are treated as success by Hesabe's own WooCommerce plugin. "NOT CAPTURED" is how the test-card
    table labels declines. The failure literals are otherwise undocumented: CANCELED (the customer
    cancelled) and the MPGS gateway outcomes of the test cards (DECLINED ... UNSPECIFIED_FAILURE)
    are the mock's reading; whether Hesabe passes them through as ``resultCode`` is unknown.
    """

    CAPTURED = "CAPTURED"
    ACCEPT = "ACCEPT"
    SUCCESS = "SUCCESS"
    AUTHORIZED = "AUTHORIZED"
    PARTIALLY_CAPTURED = "PARTIALLY_CAPTURED"
    NOT_CAPTURED = "NOT CAPTURED"
    CANCELED = "CANCELED"
    DECLINED = "DECLINED"
    EXPIRED_CARD = "EXPIRED_CARD"
    TIMED_OUT = "TIMED_OUT"
    ACQUIRER_SYSTEM_ERROR = "ACQUIRER_SYSTEM_ERROR"
    UNSPECIFIED_FAILURE = "UNSPECIFIED_FAILURE"

    @property
    def successful(self) -> bool:
        """Money was taken or reserved (what Hesabe's WooCommerce plugin accepts as paid)."""
        return self in _SUCCESSFUL_RESULTS


_SUCCESSFUL_RESULTS = frozenset({ResultCode.CAPTURED, ResultCode.ACCEPT, ResultCode.SUCCESS,
                                 ResultCode.AUTHORIZED, ResultCode.PARTIALLY_CAPTURED})


class TransactionStatus(StrEnum):
    """``status`` of a transaction in the enquiry answer and the webhook (checkout §6, §5).

    SUCCESSFUL, AUTHORIZED, REFUNDED and FAILED are documented; PENDING (a session not completed
    yet) is what two third-party SDKs expect; CANCELLED (an authorization voided, ``payment_status``
    5 in Hesabe's app) is the mock's wording.
    """

    PENDING = "PENDING"
    SUCCESSFUL = "SUCCESSFUL"
    AUTHORIZED = "AUTHORIZED"
    FAILED = "FAILED"
    CANCELLED = "CANCELLED"
    REFUNDED = "REFUNDED"


class GatewayErrorCode(IntEnum):
    """``code`` of a refused payment-gateway call (checkout §2.5: the same table in two docs
    generations and Hesabe's Django plugin). There is no 502."""

    INVALID_RESPONSE = 0
    INVALID_INPUT = 422
    INVALID_TOKEN = 500
    INVALID_MERCHANT = 501
    INVALID_MERCHANT_SERVICE = 503
    INVALID_MERCHANT_LOGIN = 504
    INVALID_PAYMENT_TOKEN = 505
    INVALID_REQUEST_DATA = 506
    TRANSACTION_ERROR = 507

    @property
    def text(self) -> str:
        """The documented ``message`` of this code."""
        return _GATEWAY_ERROR_TEXT[self]


_GATEWAY_ERROR_TEXT = {
    GatewayErrorCode.INVALID_RESPONSE: "Invalid Response",
    GatewayErrorCode.INVALID_INPUT: "Invalid Input",
    GatewayErrorCode.INVALID_TOKEN: "Invalid Token",
    GatewayErrorCode.INVALID_MERCHANT: "Invalid Merchant",
    GatewayErrorCode.INVALID_MERCHANT_SERVICE: "Invalid Merchant Service",
    GatewayErrorCode.INVALID_MERCHANT_LOGIN: "Invalid Merchant Login Credentials",
    GatewayErrorCode.INVALID_PAYMENT_TOKEN: "Invalid Payment Token",
    GatewayErrorCode.INVALID_REQUEST_DATA: "Invalid Request Data",
    GatewayErrorCode.TRANSACTION_ERROR: "Transaction Error",
}


#: ``code`` of the cancel (void) and subscription endpoints' refusals, outside the table above: the
#: guide's ``{"status":false,"code":400,"message":...}``, whose message names the case ("Invalid
#: Token", "Subscription Not Found", "Invalid Request"; checkout §8.1-8.2)
GATEWAY_BAD_REQUEST = 400


class CallbackMethod(IntEnum):
    """``method`` of a callback: which rail took the payment (checkout §4.2: only these two)."""

    KNET = 1
    MPGS = 2
