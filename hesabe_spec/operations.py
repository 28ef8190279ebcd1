"""THE operation table: one row per Hesabe operation, on either of Hesabe's two hosts.

Everything else derives from this table: the mock's routes, the client's methods, the schemas'
file names, the contract suite's strategies. A fact about an endpoint is written here once.

``host`` says which Hesabe host serves it:

* ``"merchant_api"`` - ``merchantapisandbox.hesabe.com/api/v1`` (invoices, refunds, profile; Bearer
  + ``accessCode``)
* ``"gateway"``      - the payment gateway, ``sandbox.hesabe.com`` (checkout, transaction enquiry,
  capture and void, saved cards; ``accessCode`` alone identifies the merchant)

``payload_in`` says where the payload travels:

* ``"plain"`` - plain JSON body, not encrypted (login, token refresh)
* ``"body"``  - ``{"data": "<hex>"}`` JSON body (POST / PUT / DELETE)
* ``"query"`` - ``?data=<hex>`` query parameter, plain filters beside it (GET)
* ``"none"``  - no payload at all: the path names the record, plain query filters may follow;
  the answer is plain JSON (transaction enquiry, void)

:data:`GATEWAY_PAGES` lists the gateway's browser pages (the hosted payment page and its
variants): they are not API operations, but their paths are facts of the same kind.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import quote, urlencode

__all__ = [
    "GATEWAY_PAGES", "OPERATIONS", "GatewayPage", "Operation", "closest_operation", "get_operation",
    "operation_names", "path_segment_problem", "resolve_operation", "route_siblings",
]

PayloadIn = Literal["plain", "body", "query", "none"]
Kind = Literal["auth", "read", "create", "update", "delete"]
Family = Literal["auth", "invoices", "open_invoices", "bulk_invoices", "refunds", "profile", "checkout",
                 "saved_cards", "reports", "pos"]
Host = Literal["merchant_api", "gateway"]
Auth = Literal["none", "bearer", "access_code"]

_PARAM = re.compile(r"\{(\w+)\}")


@dataclass(frozen=True, slots=True)
class Operation:
    """One Hesabe operation. See the module docstring for ``payload_in``."""

    name: str
    method: str
    path: str
    family: Family
    kind: Kind
    payload_in: PayloadIn
    success_message: str
    #: where the literal message comes from and how sure we are (fidelity register)
    message_source: str
    summary: str
    #: the list filters, by wire name: plain query parameters the docs put beside ``data`` (they
    #: may also travel inside ``data``); the mock reads them and the client's methods take them
    query_filters: tuple[str, ...] = ()
    sends_sms: bool = False
    #: takes, returns, holds or releases a customer's money (a recorder against a real account
    #: refuses it unless told otherwise)
    moves_money: bool = False
    #: accepted for the trailing-slash twin of ``path`` unless another operation owns that form
    slash_twin: bool = True
    host: Host = "merchant_api"
    #: other spellings of ``path`` the server answers the same way (older integrations use them)
    aliases: tuple[str, ...] = ()
    #: methods answered besides ``method`` (older docs pages show them)
    extra_methods: tuple[str, ...] = ()
    #: payload fields that make a request this operation, whichever slash form of its path it
    #: arrived on: Laravel does not route on a trailing slash, so the payload decides (see
    #: :func:`resolve_operation`)
    selected_by: tuple[str, ...] = ()
    #: the message of its refusal of a call the state forbids, where the real one is verified
    #: (a cancel of an invoice that is no longer unpaid)
    refused_message: str | None = None

    @property
    def encrypted(self) -> bool:
        """True when the payload and the response are AES-encrypted."""
        return self.payload_in in ("body", "query")

    @property
    def auth(self) -> Auth:
        """``"bearer"``: ``Authorization: Bearer`` and ``accessCode`` headers; ``"access_code"``: the
        ``accessCode`` header alone (the payment gateway); ``"none"``: neither (login, refresh)."""
        if self.kind == "auth":
            return "none"
        return "access_code" if self.host == "gateway" else "bearer"

    @property
    def path_params(self) -> tuple[str, ...]:
        return tuple(_PARAM.findall(self.path))

    @property
    def replay_safe(self) -> bool:
        """Reads may be retried; creates, sends, cancels and deletes never are."""
        return self.kind == "read"

    @property
    def mutating(self) -> bool:
        return self.kind in ("create", "update", "delete")

    @property
    def request_schema_name(self) -> str:
        return f"{self.name}.request"

    @property
    def response_schema_name(self) -> str:
        return f"{self.name}.response"

    @property
    def methods(self) -> tuple[str, ...]:
        """Every method answered: ``method`` first."""
        return (self.method, *self.extra_methods)

    @property
    def paths(self) -> tuple[str, ...]:
        """Every accepted path form: the canonical one first, then its slash twin if ours, then
        each alias (and its twin)."""
        forms: list[str] = []
        for path in (self.path, *self.aliases):
            forms.append(path)
            if self.slash_twin:
                forms.append(path[:-1] if path.endswith("/") else path + "/")
        return tuple(forms)

    def format_path(self, **params: Any) -> str:
        """The canonical path with its parameters filled in, each ``str()``-ed and percent-encoded
        as one path segment (``INV#12`` -> ``INV%2312``; a ``/`` becomes ``%2F``, which Laravel
        decodes before it matches a route, so no such value can name a record)."""
        missing = [p for p in self.path_params if p not in params]
        if missing:
            raise TypeError(f"{self.name} needs path parameter(s): {', '.join(missing)}")
        return _PARAM.sub(lambda m: quote(str(params[m.group(1)]), safe=""), self.path)


def path_segment_problem(value: str) -> str | None:
    """Why ``value`` cannot name a record as one path parameter (``{token}``, ``{reference}``), or
    None: empty (the path then names another route), holding a ``/`` (the server decodes ``%2F``
    before it matches a route, so the segment splits in two), or a dot segment (normalised away
    on the way)."""
    if value == "":
        return "is empty"
    if "/" in value:
        return "contains '/'"
    if value in (".", ".."):
        return "is a dot segment"
    return None


#: the rows below, checked by mypy like any Operation(...) call (a short name keeps them on one line)
_op = Operation

OPERATIONS: dict[str, Operation] = {
    op.name: op
    for op in (
        _op("login", "POST", "/api/v1/login", "auth", "auth", "plain", "Success",
            "docs post-merchant-login sample (high)", "Log in with the merchant panel username/password."),
        _op("refresh_token", "POST", "/api/v1/token-refresh", "auth", "auth", "plain", "Success",
            "docs post-refresh-token sample (high)", "Exchange a refresh token for a new token pair."),
        _op("create_invoice", "POST", "/api/v1/invoice", "invoices", "create", "body",
            "Invoice generated successfully", "seed 001 ciphertext (verified)",
            "Create a single (quick) invoice.", slash_twin=False),
        _op("create_subscription_invoice", "POST", "/api/v1/invoice/", "invoices", "create", "body",
            "Invoice generated successfully", "inferred from create_invoice (low)",
            "Create a subscription invoice (the docs post it to the trailing-slash path).", slash_twin=False,
            selected_by=("startDate", "frequency", "noofRecurrence", "SubscriptionType")),
        _op("create_split_invoice", "POST", "/api/v1/invoice/split", "invoices", "create", "body",
            "Invoices processed successfully.", "seed 004 ciphertext (verified)",
            "Create a split invoice: several invoices sharing one split link."),
        _op("create_installment_invoice", "POST", "/api/v1/invoice/emi", "invoices", "create", "body",
            "Invoices processed successfully.", "inferred from split, same body shape (low)",
            "Create a HeStallMent (EMI) invoice: one invoice per installment."),
        _op("list_invoices", "GET", "/api/v1/invoice-dashboard", "invoices", "read", "query",
            "Invoice Dashboard", "seed 003 (verified)",
            "Dashboard: stats, order_stats and one page of invoices.",
            query_filters=("fromDate", "toDate", "page", "search", "invoiceType", "status")),
        _op("get_invoice", "GET", "/api/v1/invoice/{id}", "invoices", "read", "query",
            "Invoice details", "not published; chosen (low)", "One invoice by numeric id."),
        _op("resend_invoice", "POST", "/api/v1/invoice/resend", "invoices", "update", "body",
            "Invoice Resent Successfully", "seed 000 ciphertext (verified)",
            "Resend an invoice by SMS to a mobile number.", sends_sms=True),
        _op("send_bulk_invoices", "POST", "/api/v1/invoice/bulk", "invoices", "update", "body",
            "Invoice sent successfully", "seed 002 decrypted sample (high)",
            "Send several invoices by SMS (ids[]).", sends_sms=True),
        _op("cancel_invoice", "PUT", "/api/v1/invoice/{token}", "invoices", "update", "body",
            "Invoice status update successful", "docs put-quick-invoice-cancel ciphertext (verified)",
            "Cancel an invoice by its token (statusId \"3\").",
            refused_message="Invoice status update failed"),
        _op("create_open_invoice", "POST", "/api/v1/open-invoice", "open_invoices", "create", "body",
            "Open invoice created successfully", "not published; chosen (low)",
            "Create an open (payment link) invoice, fixed or min/max amount."),
        _op("list_open_invoices", "GET", "/api/v1/open-invoice/", "open_invoices", "read", "query",
            "Open Invoice List", "docs get-open-invoice-list (high)", "List open invoices.",
            query_filters=("fromDate", "toDate", "page", "search", "paidStatus", "status",
                           "openInvoiceType")),
        _op("get_open_invoice", "GET", "/api/v1/open-invoice/{id}", "open_invoices", "read", "query",
            "Open Invoice Details", "not published; chosen (low)", "One open invoice by id."),
        _op("update_open_invoice", "PUT", "/api/v1/open-invoice/{id}", "open_invoices", "update", "body",
            "Open invoice updated successfully", "docs put-open-invoice-update (high)",
            "Change an open invoice's expiryDate."),
        _op("cancel_open_invoice", "DELETE", "/api/v1/open-invoice/{id}", "open_invoices", "delete", "body",
            "Open Invoice canceled successfully", "docs delete-open-invoice-cancel ciphertext (verified)",
            "Cancel an open invoice."),
        _op("upload_bulk_invoices", "POST", "/api/v1/invoice-bulk-upload", "bulk_invoices", "create", "body",
            "Invoice file uploaded successfully",
            "docs post-bulk-invoice-upload, cut after 'Invoice fil' (low)",
            "Upload a base64 CSV of bulk invoice rows."),
        _op("list_bulk_invoices", "GET", "/api/v1/invoice-bulk-upload/", "bulk_invoices", "read", "query",
            "Bulk invoice list", "docs get-bulk-invoice-list (high)", "List uploaded bulk rows.",
            query_filters=("page", "type")),
        _op("update_bulk_invoice", "PUT", "/api/v1/invoice-bulk-upload/{id}", "bulk_invoices", "update",
            "body",
            "Invoice updated successfully", "docs put-bulk-invoice-sms-edit (high)", "Edit one bulk row."),
        _op("delete_bulk_invoice", "DELETE", "/api/v1/invoice-bulk-upload/{id}", "bulk_invoices", "delete",
            "body",
            "Invoice has been deleted", "docs delete-bulk-invoice-sms ciphertext (verified)",
            "Delete one bulk row."),
        _op("create_refund", "POST", "/api/v1/refund", "refunds", "create", "body",
            "Your refund request is waiting for approval", "guide transaction-refunds sample (medium)",
            "Ask for a refund of a paid transaction, named by its transaction token: refundMethod "
            "\"1\" the remaining amount, \"2\" refundAmount of it.", moves_money=True),
        _op("list_refunds", "GET", "/api/v1/refund/", "refunds", "read", "query",
            "Refund requests", "docs get-refund-list, decrypted ciphertext (high)",
            "Refund stats and one page of refund requests.",
            query_filters=("fromDate", "toDate", "page", "search")),
        _op("get_refund", "GET", "/api/v1/refund/{id}", "refunds", "read", "query",
            "Refund requests", "docs get-refund-details, decrypted ciphertext (high)",
            "One refund request by id."),
        _op("cancel_refund", "DELETE", "/api/v1/refund/{id}", "refunds", "delete", "body",
            "Refund requests", "docs delete-refund-cancel, decrypted ciphertext (high; the prose says "
            "\"Refund cancelled successfully\")", "Cancel a pending refund request."),
        _op("list_open_invoice_customers", "GET", "/api/v1/open-invoice/customers/{id}", "open_invoices",
            "read", "query", "Open Invoice Customers", "not published (the merchant app reads only "
            "response.customer_details); chosen (low)",
            "Who paid an open invoice: one page of its customers' payments.", query_filters=("page",)),
        _op("get_transactions_report", "GET", "/api/v1/report/transactions", "reports", "read", "query",
            "Transaction Report", "not published (a third-party SDK and the merchant app call the path); "
            "chosen (low)",
            "Every payment, whatever took it (invoice, open invoice, checkout, saved card): stats "
            "(unless nostats) and one page of transactions.",
            query_filters=("fromDate", "toDate", "page", "nostats", "search")),
        # -- Smart POS (hesabe-api.md §13 rows 27-28; fields the mock's, sources thin) -------------
        _op("create_pos_invoice", "POST", "/api/v1/merchant/smartpos-transaction", "pos", "create", "body",
            "POS invoice created successfully", "docs post-create-pos-invoice, catalogue (medium)",
            "Send an amount to one of the merchant's card terminals: a POS invoice the customer pays "
            "there."),
        _op("resend_pos_invoice", "POST", "/api/v1/merchant/smartpos-transaction", "pos", "update", "body",
            "POS invoice resent successfully", "docs post-resend-pos-invoice names it; text chosen (low)",
            "Send a pending POS invoice to its terminal again (resend 1, invoice_id).", slash_twin=False,
            selected_by=("resend",)),
        _op("list_pos_invoices", "GET", "/api/v1/merchant/smartpos-invoices", "pos", "read", "query",
            "POS invoices", "third-party SDK wrapper only; text chosen (low)",
            "One page of the merchant's POS invoices, newest first.", query_filters=("page",)),
        _op("get_pos_invoice", "GET", "/api/v1/merchant/smartpos-invoices/{id}", "pos", "read", "query",
            "POS invoice details", "third-party SDK wrapper only; text chosen (low)",
            "One POS invoice by id."),
        _op("list_pos_terminals", "GET", "/api/v1/merchant/smartpos-terminals", "pos", "read", "query",
            "POS terminals", "third-party SDK wrapper only; text chosen (low)",
            "The merchant's Smart POS terminals."),
        _op("get_profile", "GET", "/api/v1/profile", "profile", "read", "query",
            "Profile details", "not published (the docs print only the inner object); chosen (low)",
            "The merchant's profile: business, bank and commission details."),
        # -- the payment gateway (hesabe-checkout-api.md) ---------------------------------------
        _op("create_checkout", "POST", "/checkout", "checkout", "create", "body",
            "Checkout created successfully", "not published; chosen (low)",
            "Open a payment session: the transaction token and the session for the payment page.",
            host="gateway", aliases=("/api/checkout",)),
        _op("transaction_enquiry", "GET", "/api/transaction/{reference}", "checkout", "read", "none",
            "Transaction found", "docs transaction-enquiry sample (high)",
            "A transaction by its token, or every attempt for an order reference (isOrderReference=1).",
            query_filters=("isOrderReference",), host="gateway", extra_methods=("POST",),
            aliases=("/api/transaction/enquire/{reference}",)),
        _op("capture_authorization", "POST", "/api/capture", "checkout", "update", "body",
            "Capture successful.", "subscription-capture guide, same family (low)",
            "Capture an authorized (MPGS) payment, the whole amount or less.", host="gateway",
            moves_money=True),
        _op("cancel_authorization", "DELETE", "/api/cancel/{token}", "checkout", "delete", "none",
            "Authorization cancelled.", "inferred from the subscription-cancel answer (low)",
            "Void an authorized payment that was not captured.", host="gateway", moves_money=True),
        _op("capture_subscription", "POST", "/api/subscription/capture", "checkout", "update", "body",
            "Capture successful.", "guide subscription-capture sample (medium)",
            "Charge one recurrence of an on-demand subscription (recurringFrequency \"0\").", host="gateway",
            moves_money=True),
        _op("cancel_subscription", "DELETE", "/api/subscription/cancel/{token}", "checkout", "delete", "none",
            "Subscription cancelled.", "guide subscription-cancel sample (medium)",
            "Stop a subscription: no recurrence is charged after it.", host="gateway", moves_money=True),
        # -- saved cards ("Direct Payment (MPGS)", hesabe-checkout-api.md §8.3) -------------------
        _op("create_card_customer", "POST", "/api/direct-payment/customer", "saved_cards", "create", "body",
            "Customer created successfully", "docs direct-payments ciphertext (high)",
            "Register a customer whose cards can be saved (a save-card checkout) and charged.",
            host="gateway", aliases=("/api/v2/customer",)),
        _op("list_saved_cards", "GET", "/api/direct-payment/cards", "saved_cards", "read", "query",
            "Customer cards fetched successfully", "docs direct-payments ciphertext (high)",
            "A customer's saved cards (masked number, expiry, brand).", host="gateway"),
        _op("charge_saved_card", "POST", "/api/direct-payment/charge-card", "saved_cards", "create", "body",
            "Payment successful", "docs direct-payments ciphertext (high)",
            "Charge a saved card without the customer: a transaction like a checkout's.", host="gateway",
            moves_money=True),
        _op("delete_saved_card", "DELETE", "/api/direct-payment/cards/{id}", "saved_cards", "delete",
            "body", "Card removed successfully", "docs direct-payments ciphertext (high)",
            "Forget a saved card.", host="gateway"),
    )
}


@dataclass(frozen=True, slots=True)
class GatewayPage:
    """A page of the payment gateway a customer's browser opens (not an API call)."""

    name: str
    path: str
    #: the query parameter carrying the checkout session (``response.data`` of the checkout answer)
    param: str
    summary: str
    #: older paths the same page answers at
    aliases: tuple[str, ...] = ()

    @property
    def paths(self) -> tuple[str, ...]:
        return (self.path, *self.aliases)

    def url(self, base_url: str, session: str) -> str:
        """The page for one session, ``session`` URL-encoded as Hesabe's kits do."""
        return f"{base_url.rstrip('/')}{self.path}?{urlencode({self.param: session})}"


GATEWAY_PAGES: dict[str, GatewayPage] = {
    page.name: page
    for page in (
        GatewayPage("payment_page", "/payment", "data",
                    "The hosted payment page (redirect the customer here).", aliases=("/api/payment",)),
        GatewayPage("webview_page", "/pay/webview", "data",
                    "The same page for a mobile WebView (channel \"mobile\")."),
        GatewayPage("apple_pay_script", "/applepay", "data",
                    "The direct Apple Pay script for a merchant's page."),
    )
}


def operation_names() -> list[str]:
    """All operation names, in table order."""
    return list(OPERATIONS)


def _same_route(a: Operation, b: Operation) -> bool:
    return a.host == b.host and a.method == b.method and a.path.rstrip("/") == b.path.rstrip("/")


def _siblings() -> dict[str, tuple[Operation, ...]]:
    found = {op.name: tuple(o for o in OPERATIONS.values() if o is not op and _same_route(o, op))
             for op in OPERATIONS.values()}
    return {name: others for name, others in found.items() if others}


#: operation name -> the other operations on the same route (only those that have any)
_SIBLINGS = _siblings()


def route_siblings(operation: Operation) -> tuple[Operation, ...]:
    """The other operations on ``operation``'s route (same method, path up to a trailing slash)."""
    return _SIBLINGS.get(operation.name, ())


def resolve_operation(operation: Operation, payload: Any) -> Operation:
    """The operation a request really is, when two operations share a path up to its trailing slash.

    ``POST /api/v1/invoice`` and ``POST /api/v1/invoice/`` are one Laravel route: a payload
    carrying any of a sibling's :attr:`Operation.selected_by` fields is that sibling, one
    carrying none is the sibling without such fields, whichever form the request used. Any
    other operation is returned unchanged.
    """
    siblings = route_siblings(operation)
    if not siblings:
        return operation
    fields = payload.keys() if isinstance(payload, dict) else set()
    candidates = (operation, *siblings)
    for op in candidates:
        if op.selected_by and not fields.isdisjoint(op.selected_by):
            return op
    return next((op for op in candidates if not op.selected_by), operation)


def closest_operation(name: str) -> str | None:
    """The operation name ``name`` was probably meant to be (a misspelling), or None."""
    close = difflib.get_close_matches(name, list(OPERATIONS), n=1)
    return close[0] if close else None


def get_operation(name: str) -> Operation:
    """The operation called ``name``; ``KeyError`` with the known names otherwise."""
    try:
        return OPERATIONS[name]
    except KeyError:
        raise KeyError(f"unknown operation {name!r}; known: {', '.join(OPERATIONS)}") from None
