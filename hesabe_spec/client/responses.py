"""TypedDicts of every operation's ``response``, generated from the response schemas.

Do not edit: ``python -m tools.gen_client_types`` writes this module from
``hesabe_spec/schemas`` (a test fails when it is out of date). The client's named methods return
these types; at run time they are plain dicts, exactly as decrypted.
"""

from __future__ import annotations

from typing import Any, Literal, NotRequired, TypeAlias, TypedDict

__all__ = [
    "AllocatePayType",
    "BulkInvoice",
    "BulkInvoicePage",
    "CallbackResult",
    "CancelAuthorizationBody",
    "CancelAuthorizationResponse",
    "CancelInvoiceResponse",
    "CancelOpenInvoiceResponse",
    "CancelRefundResponse",
    "CancelSubscriptionBody",
    "CancelSubscriptionResponse",
    "CaptureAuthorizationResponse",
    "CaptureSubscriptionResponse",
    "ChargeSavedCardBody",
    "ChargeSavedCardResponse",
    "CheckoutAmount",
    "CheckoutOrVerifyAmount",
    "CheckoutPaymentType",
    "CountryCode",
    "CreateCardCustomerBody",
    "CreateCardCustomerBodyData",
    "CreateCardCustomerResponse",
    "CreateCheckoutBody",
    "CreateCheckoutResponse",
    "CreateInstallmentInvoiceResponse",
    "CreateInvoiceResponse",
    "CreateOpenInvoiceResponse",
    "CreatePosInvoiceBody",
    "CreatePosInvoiceResponse",
    "CreateRefundResponse",
    "CreateSplitInvoiceResponse",
    "CreateSubscriptionInvoiceResponse",
    "CreatedBy",
    "Customer",
    "Dashboard",
    "DashboardInvoices",
    "DashboardTransaction",
    "Date",
    "DateOrEmpty",
    "DateTime",
    "DeleteBulkInvoiceResponse",
    "DeleteSavedCardResponse",
    "DigitString",
    "ErrorBody",
    "FieldErrors",
    "GatewayErrorBody",
    "GatewayMerchantCode",
    "GatewayRefusal",
    "GetInvoiceResponse",
    "GetOpenInvoiceResponse",
    "GetPosInvoiceBody",
    "GetPosInvoiceResponse",
    "GetProfileResponse",
    "GetRefundResponse",
    "GetTransactionsReportBody",
    "GetTransactionsReportBodyStats",
    "GetTransactionsReportBodyTransactions",
    "GetTransactionsReportBodyTransactionsDataItem",
    "GetTransactionsReportResponse",
    "Invoice",
    "InvoiceList",
    "InvoiceRequest",
    "Item",
    "ItemsList",
    "Language",
    "ListBulkInvoicesResponse",
    "ListInvoicesResponse",
    "ListOpenInvoiceCustomersBody",
    "ListOpenInvoiceCustomersBodyCustomerDetails",
    "ListOpenInvoiceCustomersBodyCustomerDetailsDataItem",
    "ListOpenInvoiceCustomersResponse",
    "ListOpenInvoicesResponse",
    "ListPosInvoicesBody",
    "ListPosInvoicesBodyDataItem",
    "ListPosInvoicesResponse",
    "ListPosTerminalsBody",
    "ListPosTerminalsBodyTerminalsItem",
    "ListPosTerminalsResponse",
    "ListRefundsResponse",
    "ListSavedCardsBody",
    "ListSavedCardsBodyCardsItem",
    "ListSavedCardsResponse",
    "LoginResponse",
    "MerchantCode",
    "MerchantId",
    "Message",
    "MobileNumber",
    "Money3",
    "Money3OrEmpty",
    "NullableDate",
    "NullableDateTime",
    "NullableUrl",
    "OpenInvoice",
    "OpenInvoicePage",
    "Page",
    "Pagination",
    "PaidTransaction",
    "PositiveMoney3",
    "Product",
    "ProductObject",
    "Profile",
    "ProfileBank",
    "ProfileCommission",
    "RefreshTokenResponse",
    "Refund",
    "RefundListItem",
    "RefundListItemTransaction",
    "RefundPage",
    "RefundPageRefundRequestList",
    "RefundRequested",
    "RefundStats",
    "ResendInvoiceResponse",
    "ResendPosInvoiceBody",
    "ResendPosInvoiceResponse",
    "SendBulkInvoicesResponse",
    "Stats",
    "Token",
    "TokenResponse",
    "Transaction",
    "TransactionEnquiryBody",
    "TransactionEnquiryResponse",
    "TransactionRecord",
    "TransactionToken",
    "UpdateBulkInvoiceResponse",
    "UpdateOpenInvoiceResponse",
    "UploadBulkInvoicesResponse",
    "Url",
]


MerchantCode: TypeAlias = str


Message: TypeAlias = str


Money3: TypeAlias = str


PositiveMoney3: TypeAlias = str


Money3OrEmpty: TypeAlias = str


Date: TypeAlias = str


DateOrEmpty: TypeAlias = str


NullableDate: TypeAlias = str | None


DateTime: TypeAlias = str


NullableDateTime: TypeAlias = str | None


DigitString: TypeAlias = str


Page: TypeAlias = int | str


MerchantId: TypeAlias = int | str


Url: TypeAlias = str


NullableUrl: TypeAlias = str | None


MobileNumber: TypeAlias = str


CountryCode: TypeAlias = str


Language: TypeAlias = Literal['en', 'ar']


FieldErrors: TypeAlias = dict[str, Any]


class ErrorBody(TypedDict):
    """Every refusal shape: {status:false, message, response:null}; the validation shape with FieldErrors;
    the 506 shape with code; and plain {message}."""

    status: NotRequired[Literal[False]]
    code: NotRequired[int]
    message: Message
    response: NotRequired[dict[str, Any] | None]


class Token(TypedDict):
    """Login / refresh token pair (plain JSON, snake_case)."""

    token_type: Literal['Bearer']
    expires_in: int
    access_token: str
    refresh_token: str


class TokenResponse(TypedDict):
    token: Token


class Item(TypedDict):
    """One itemsList entry."""

    itemTitle: str
    rate: Money3
    quantity: str | int
    amount: Money3


ItemsList: TypeAlias = list[Item] | str


AllocatePayType: TypeAlias = str | list[Literal[0, 1, 2, 5, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 18,
    19, 20, '0', '1', '2', '5', '7', '8', '9', '10', '11', '12', '13', '14', '15', '16', '18', '19',
    '20']]


class InvoiceRequest(TypedDict):
    """One invoice to create (single invoice body, split/EMI invoices[] entry, base of the subscription
    body)."""

    merchantCode: MerchantCode
    customerName: NotRequired[str]
    mobileNumber: NotRequired[MobileNumber]
    countryCode: NotRequired[CountryCode]
    customerEmail: NotRequired[str]
    referenceNumber: NotRequired[str]
    amount: PositiveMoney3
    invoiceType: Literal['0', '1']
    invoiceSubType: NotRequired[Literal['0', '1', '2', '3']]
    allocatePayType: NotRequired[AllocatePayType]
    description: NotRequired[str]
    expiresAt: Date
    language: NotRequired[Language]
    webhook: NotRequired[Url]
    itemsList: NotRequired[ItemsList]
    subscription: NotRequired[Literal['0', '1']]
    frequency: NotRequired[Literal['1']]
    noofRecurrence: NotRequired[str]
    SubscriptionType: NotRequired[Literal['0', '1']]
    startDate: NotRequired[Date]
    serviceCharge: NotRequired[str]
    discount: NotRequired[str]
    knetFixedCharges: NotRequired[str | float]
    knetPercentageCharges: NotRequired[str | float]
    mpgsFixedCharges: NotRequired[str | float]
    mpgsPercentageCharges: NotRequired[str | float]
    knetChargesRemark: NotRequired[str]
    mpgsChargesRemark: NotRequired[str]


class Customer(TypedDict):
    name: str | None
    email: str | None
    phone_number: str | None


class CreatedBy(TypedDict):
    id: int
    name: str


class ProductObject(TypedDict):
    """Invoice product line ([APP] reads id, name, amount, quantity, final_amount); details may hold null."""

    id: NotRequired[int]
    name: NotRequired[str]
    amount: NotRequired[str | float]
    quantity: NotRequired[str | int]
    final_amount: NotRequired[str | float]


Product: TypeAlias = ProductObject | None


Transaction: TypeAlias = dict[str, Any] | None


class DashboardTransaction(TypedDict):
    payment_type_id: int | None
    payment_id: str | int | None
    post_date: str | None
    result_code: str | None
    track_id: str | int | None
    transaction_id: str | int | None
    reference_number: str | None
    payment_type: str | dict[str, Any] | None
    paid_on: str | None
    Auth: str | int | None
    Amount: float | str | None
    admin_charge: float | str | None


PaidTransaction: TypeAlias = Any


class Invoice(TypedDict):
    """An invoice object as create, split, resend, details and the dashboard return it (union of the
    observed shapes)."""

    id: int
    invoice_type: Literal[0, 1, 2, 4, 6, 7]
    invoice_sub_type: Literal[0, 1, 2, 3, 4, '0', '1', '2', '3', '4']
    order_drop_id: NotRequired[int]
    token: DigitString
    access_key: str
    split_access_key: str
    merchant_id: MerchantId
    reference_number: str
    amount: Money3
    admin_charge: NotRequired[Money3]
    service_charge: Money3
    discount: Money3
    payment_method: list[str]
    description: str
    sms_response: str
    invoice_status: Literal[0, 1, 3, None]
    subscription: Literal[0, 1, None]
    sms_status: Literal[0, 1]
    url_status: Literal[0, 1, None]
    visited_count: int | None
    country_id: int | None
    created_id: int
    language: Literal['en', 'ar', None]
    expires_at: NullableDate
    attachment: NotRequired[str]
    url: Url
    spliturl: NullableUrl
    created_at: DateTime
    updated_at: DateTime
    rentperiod: NotRequired[str | int | None]
    en_sms: NotRequired[str]
    ar_sms: NotRequired[str]
    customer: Customer
    created_by_merchant: CreatedBy
    products: list[Product]
    transaction: Transaction
    order: NotRequired[dict[str, Any] | None]


InvoiceList: TypeAlias = list[Invoice]


class Stats(TypedDict):
    """Dashboard counters: the total is an int, the others digit strings or null (no rows)."""

    total_invoice_count: int
    invoice_paid: str | None
    invoice_not_paid: str | None
    invoice_cancelled: str | None


class Pagination(TypedDict):
    total: int
    count: int
    per_page: int
    current_page: int
    total_pages: int
    page_url: Url
    next_page_url: NullableUrl
    previous_page_url: NullableUrl


class OpenInvoice(TypedDict):
    """Open invoice (payment link). The docs cut every sample off, so unknown extra keys are allowed."""

    id: int
    merchant_id: MerchantId
    title: str
    reference_number: str
    type: Literal[0, 1]
    description: str | None
    fixed_amount: Money3
    min_amount: Money3
    max_amount: Money3
    paid_status: Literal[0, 1]
    status: int
    created_by: int
    created_at: DateTime
    updated_at: DateTime
    expiry_date: NotRequired[NullableDate]
    total_customer_paid_count: NotRequired[int | str | None]
    total_amount_customer_paid: NotRequired[str | float | None]
    url: NotRequired[Url]


class OpenInvoicePage(TypedDict):
    data: list[OpenInvoice]
    pagination: Pagination


class BulkInvoice(TypedDict):
    """One bulk-upload row (snake_case). The docs cut every sample off, so unknown extra keys are allowed."""

    id: int
    merchant_id: MerchantId
    reference_number: str
    name: str
    phone: str
    email: str | None
    amount: Money3
    description: str | None
    status: int
    has_schedule: Literal[0, 1]
    schedule_time: NullableDateTime


class BulkInvoicePage(TypedDict):
    data: list[BulkInvoice]
    pagination: NotRequired[Pagination]


class DashboardInvoices(TypedDict):
    data: list[Invoice]
    pagination: Pagination


class Dashboard(TypedDict):
    stats: Stats
    order_stats: Stats
    invoices: DashboardInvoices


class RefundRequested(TypedDict):
    """What a refund request answers (the guide's sample, cut off after transaction_datetime /
    refund_requested_at, so unknown extra keys are allowed)."""

    token: str
    amount: PositiveMoney3
    order_reference_number: str | None
    transaction_status: str
    refund_status: Literal['PENDING', 'APPROVED', 'REJECTED']
    payment_type: str
    service_type: str
    transaction_datetime: NotRequired[NullableDateTime]
    refund_requested_at: NotRequired[DateTime]
    id: NotRequired[int]


class Refund(TypedDict):
    """One refund request (details). merchant_id is an int here; refund_method and recover_method are
    strings; status 0 pending, 1 approved, anything else rejected. The docs cut the sample after
    total_refunded_am..., so unknown extra keys are allowed."""

    id: int
    merchant_id: int
    amount: PositiveMoney3
    refund_at: NullableDate
    document_number: str | None
    token: str
    transaction_date: NullableDateTime
    order_reference_number: str | None
    recover_method: str
    status: int
    refund_method: Literal['1', '2']
    remarks: str | None
    approved_by: str | None
    total_balance_amount: Money3
    total_refunded_amount: NotRequired[Money3]
    created_at: NotRequired[DateTime]
    updated_at: NotRequired[DateTime]


class RefundListItemTransaction(TypedDict):
    service_id: NotRequired[int | None]
    payment_id: NotRequired[int | None]
    display_name: NotRequired[str | None]


class RefundListItem(TypedDict):
    """A refund request as the list shows it: the sample is cut after amount; the merchant app also reads
    document_number, created_at, status and transaction{service_id, payment_id, display_name}. Unknown
    extra keys are allowed."""

    id: int
    merchant_id: int
    amount: PositiveMoney3
    document_number: NotRequired[str | None]
    created_at: NotRequired[DateTime]
    status: int
    refund_method: NotRequired[Literal['1', '2']]
    transaction: NotRequired[RefundListItemTransaction | None]


class RefundStats(TypedDict):
    """Refund counters: the count an int, the amounts 3-decimal strings."""

    total_refund_request_count: int
    total_refund_request_amount: str | None
    pending_total_refund_request_amount: str | None
    approved_total_refund_request_amount: str | None
    rejected_total_refund_request_amount: str | None


class RefundPageRefundRequestList(TypedDict):
    data: list[RefundListItem]
    pagination: Pagination


class RefundPage(TypedDict):
    stats: RefundStats
    refund_request_list: RefundPageRefundRequestList


class ProfileBank(TypedDict):
    bank_name: str
    account_holder_name: str
    account_number: str
    iban_number: str


class ProfileCommission(TypedDict):
    subscription_charges: NotRequired[float]
    setup_charges: NotRequired[float]
    service_charges: NotRequired[float]


class Profile(TypedDict):
    """The merchant profile (the docs print the inner object, cut inside commission; the merchant app also
    reads countries, service_type, payment_type, is_employee, capture_type, capture_duration,
    integrations). Unknown extra keys are allowed."""

    id: int
    user_id: int
    employee_id: int
    first_name: str
    middle_name: str | None
    last_name: str | None
    email: str
    username: str
    business_name: str
    business_type_id: int | None
    country_id: int | None
    website_url: str | None
    company_logo: str | None
    business_address: str | None
    civil_id: str | None
    is_active: Literal[0, 1]
    is_approved: Literal[0, 1]
    MCC_Category_List: str | None
    bank: ProfileBank | None
    commission: ProfileCommission | None
    countries: NotRequired[list[dict[str, Any]]]
    service_type: NotRequired[list[dict[str, Any]]]
    payment_type: NotRequired[list[dict[str, Any]]]
    is_employee: NotRequired[Literal[0, 1, True, False]]
    capture_type: NotRequired[int | str | None]
    capture_duration: NotRequired[int | str | None]
    integrations: NotRequired[list[Any] | dict[str, Any] | None]


GatewayMerchantCode: TypeAlias = str | int


CheckoutAmount: TypeAlias = str | float


CheckoutOrVerifyAmount: TypeAlias = str | float


CheckoutPaymentType: TypeAlias = Literal['0', '1', '2', '5', '7', '8', '9', '10', '11', '12', '13',
    '14', '15', '16', '18', '19', '20', 0, 1, 2, 5, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 18, 19, 20]


TransactionToken: TypeAlias = str


class GatewayErrorBody(TypedDict):
    """A refused payment-gateway call: {status:false, code, message}; 422 adds Laravel field errors under
    data."""

    status: Literal[False]
    code: int
    message: Message
    data: NotRequired[FieldErrors | None]


GatewayRefusal: TypeAlias = GatewayErrorBody | ErrorBody


class TransactionRecord(TypedDict):
    """One transaction in the enquiry answer (docs transaction-enquiry sample; null where no payment
    happened yet)."""

    token: TransactionToken
    amount: Money3
    reference_number: str | None
    status: Literal['PENDING', 'SUCCESSFUL', 'AUTHORIZED', 'FAILED', 'CANCELLED', 'REFUNDED']
    TransactionID: str | None
    Id: int
    PaymentID: str | None
    Terminal: str | None
    TrackID: str | None
    payment_type: str | None
    service_type: str
    customerName: str | None
    customerEmail: str | None
    customerMobile: str | None
    customerCardType: str | None
    customerCard: str | None
    datetime: DateTime


class CallbackResult(TypedDict):
    """The fields of a callback's response (checkout §4.2). Apple Pay redirects reportedly lack
    paymentToken; other server-made results add baseAmount, currency, cardId."""

    resultCode: str
    amount: float | str
    paymentToken: NotRequired[str | None]
    paymentId: NotRequired[str | None]
    paidOn: NotRequired[str | None]
    orderReferenceNumber: NotRequired[str | int | None]
    variable1: NotRequired[str | None]
    variable2: NotRequired[str | None]
    variable3: NotRequired[str | None]
    variable4: NotRequired[str | None]
    variable5: NotRequired[str | None]
    method: NotRequired[int | str]
    administrativeCharge: NotRequired[str | float | None]


class CancelAuthorizationBody(TypedDict):
    status: Literal[True]
    code: Literal[200]
    message: Message


CancelAuthorizationResponse: TypeAlias = CancelAuthorizationBody


CancelInvoiceResponse: TypeAlias = None


CancelOpenInvoiceResponse: TypeAlias = None


CancelRefundResponse: TypeAlias = Literal[True]


class CancelSubscriptionBody(TypedDict):
    status: Literal[True]
    code: Literal[200]
    message: Message


CancelSubscriptionResponse: TypeAlias = CancelSubscriptionBody


CaptureAuthorizationResponse: TypeAlias = TransactionRecord


CaptureSubscriptionResponse: TypeAlias = TransactionRecord


class ChargeSavedCardBody(TypedDict):
    resultCode: str
    amount: Money3
    baseAmount: Money3
    currency: str
    paymentToken: TransactionToken
    paymentId: str
    paidOn: DateTime
    orderReferenceNumber: str | None


ChargeSavedCardResponse: TypeAlias = ChargeSavedCardBody


class CreateCardCustomerBodyData(TypedDict):
    id: int
    customer_id: str
    name: str
    mobile_number: str
    email: str


class CreateCardCustomerBody(TypedDict):
    status: Literal[True]
    message: Message
    data: CreateCardCustomerBodyData


CreateCardCustomerResponse: TypeAlias = CreateCardCustomerBody


class CreateCheckoutBody(TypedDict):
    data: str


CreateCheckoutResponse: TypeAlias = CreateCheckoutBody


CreateInstallmentInvoiceResponse: TypeAlias = InvoiceList


CreateInvoiceResponse: TypeAlias = Invoice


CreateOpenInvoiceResponse: TypeAlias = OpenInvoice


class CreatePosInvoiceBody(TypedDict):
    id: int
    token: TransactionToken
    terminal_id: str
    amount: Money3
    reference_number: str | None
    status: Literal['PENDING', 'SUCCESSFUL', 'FAILED', 'REFUNDED']
    customer_name: str | None
    mobile_number: str | None
    created_at: DateTime
    paid_at: DateTime | None


CreatePosInvoiceResponse: TypeAlias = CreatePosInvoiceBody


CreateRefundResponse: TypeAlias = RefundRequested


CreateSplitInvoiceResponse: TypeAlias = InvoiceList


CreateSubscriptionInvoiceResponse: TypeAlias = Invoice


DeleteBulkInvoiceResponse: TypeAlias = None


DeleteSavedCardResponse: TypeAlias = None


GetInvoiceResponse: TypeAlias = Invoice


GetOpenInvoiceResponse: TypeAlias = OpenInvoice


class GetPosInvoiceBody(TypedDict):
    id: int
    token: TransactionToken
    terminal_id: str
    amount: Money3
    reference_number: str | None
    status: Literal['PENDING', 'SUCCESSFUL', 'FAILED', 'REFUNDED']
    customer_name: str | None
    mobile_number: str | None
    created_at: DateTime
    paid_at: DateTime | None


GetPosInvoiceResponse: TypeAlias = GetPosInvoiceBody


GetProfileResponse: TypeAlias = Profile


GetRefundResponse: TypeAlias = Refund


class GetTransactionsReportBodyStats(TypedDict):
    total_transactions: int
    total_amount: Money3
    refunded_amount: Money3
    net_amount: Money3


class GetTransactionsReportBodyTransactionsDataItem(TypedDict):
    token: TransactionToken
    amount: Money3
    refunded_amount: Money3
    order_reference_number: str
    status: Literal['SUCCESSFUL', 'REFUNDED']
    source: Literal['invoice', 'open_invoice', 'checkout', 'saved_card', 'subscription', 'pos']
    payment_type_id: int
    payment_type: str
    service_type_id: int
    service_type: str
    customer_name: str | None
    datetime: DateTime | None


class GetTransactionsReportBodyTransactions(TypedDict):
    data: list[GetTransactionsReportBodyTransactionsDataItem]
    pagination: Pagination


class GetTransactionsReportBody(TypedDict):
    stats: NotRequired[GetTransactionsReportBodyStats]
    transactions: GetTransactionsReportBodyTransactions


GetTransactionsReportResponse: TypeAlias = GetTransactionsReportBody


ListBulkInvoicesResponse: TypeAlias = BulkInvoicePage


ListInvoicesResponse: TypeAlias = Dashboard


class ListOpenInvoiceCustomersBodyCustomerDetailsDataItem(TypedDict):
    token: TransactionToken
    amount: Money3
    name: str | None
    email: str | None
    mobile_number: str | None
    payment_type: str
    paid_on: DateTime | None


class ListOpenInvoiceCustomersBodyCustomerDetails(TypedDict):
    data: list[ListOpenInvoiceCustomersBodyCustomerDetailsDataItem]
    pagination: Pagination


class ListOpenInvoiceCustomersBody(TypedDict):
    customer_details: ListOpenInvoiceCustomersBodyCustomerDetails


ListOpenInvoiceCustomersResponse: TypeAlias = ListOpenInvoiceCustomersBody


ListOpenInvoicesResponse: TypeAlias = OpenInvoicePage


class ListPosInvoicesBodyDataItem(TypedDict):
    id: int
    token: TransactionToken
    terminal_id: str
    amount: Money3
    reference_number: str | None
    status: Literal['PENDING', 'SUCCESSFUL', 'FAILED', 'REFUNDED']
    customer_name: str | None
    mobile_number: str | None
    created_at: DateTime
    paid_at: DateTime | None


class ListPosInvoicesBody(TypedDict):
    data: list[ListPosInvoicesBodyDataItem]
    pagination: Pagination


ListPosInvoicesResponse: TypeAlias = ListPosInvoicesBody


class ListPosTerminalsBodyTerminalsItem(TypedDict):
    id: int
    terminal_id: str
    name: str
    status: int


class ListPosTerminalsBody(TypedDict):
    terminals: list[ListPosTerminalsBodyTerminalsItem]


ListPosTerminalsResponse: TypeAlias = ListPosTerminalsBody


ListRefundsResponse: TypeAlias = RefundPage


class ListSavedCardsBodyCardsItem(TypedDict):
    card_id: int
    card_number: str
    expiry_month: str
    expiry_year: str
    brand: str
    name_on_card: str


class ListSavedCardsBody(TypedDict):
    cards: list[ListSavedCardsBodyCardsItem]


ListSavedCardsResponse: TypeAlias = ListSavedCardsBody


LoginResponse: TypeAlias = TokenResponse


RefreshTokenResponse: TypeAlias = TokenResponse


ResendInvoiceResponse: TypeAlias = Invoice


class ResendPosInvoiceBody(TypedDict):
    id: int
    token: TransactionToken
    terminal_id: str
    amount: Money3
    reference_number: str | None
    status: Literal['PENDING', 'SUCCESSFUL', 'FAILED', 'REFUNDED']
    customer_name: str | None
    mobile_number: str | None
    created_at: DateTime
    paid_at: DateTime | None


ResendPosInvoiceResponse: TypeAlias = ResendPosInvoiceBody


SendBulkInvoicesResponse: TypeAlias = None


class TransactionEnquiryBody(TypedDict):
    status: Literal[True]
    message: Message
    data: TransactionRecord
    results: list[TransactionRecord]


TransactionEnquiryResponse: TypeAlias = TransactionEnquiryBody


UpdateBulkInvoiceResponse: TypeAlias = BulkInvoice


UpdateOpenInvoiceResponse: TypeAlias = OpenInvoice


UploadBulkInvoicesResponse: TypeAlias = list[BulkInvoice] | None
