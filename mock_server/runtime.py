"""One mock server's live parts, wired together once: settings, merchants, store, clock, services.

Everything a handler, a page, the control plane or the webhook sender needs is a typed field of
:class:`MockRuntime`; nothing is looked up by a string key.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from hesabe_spec.operations import Operation
from mock_server.access import control_allowed
from mock_server.auth import TokenService
from mock_server.clock import Clock
from mock_server.exchange import PipelineHook
from mock_server.faults import Faults
from mock_server.finding_hooks import FindingsRecorder, ReferenceWatch
from mock_server.findings import FindingsLog
from mock_server.group_commit import GroupCommit
from mock_server.journal import Journal
from mock_server.merchants import Merchant, MerchantRegistry
from mock_server.settings import MockSettings
from mock_server.state.bulk import BulkService
from mock_server.state.checkouts import CheckoutService
from mock_server.state.invoices import InvoiceService
from mock_server.state.open_invoices import OpenInvoiceService
from mock_server.state.payments import PaidHook, PaymentService
from mock_server.state.refundable import invoice_payments
from mock_server.state.refunds import RefundService
from mock_server.state.store import Store
from mock_server.webhooks.config import DeliverySettings
from mock_server.webhooks.service import WebhookService

__all__ = ["Call", "Domain", "MockRuntime", "PlainCall", "Reply", "ResetHook", "runtime_of"]

#: called with the merchant id whose state was reset (None: everything)
ResetHook = Callable[[int | None], None]


@dataclass(frozen=True, slots=True)
class Domain:
    """The lifecycle services: everything a Hesabe operation's handler may ask for."""

    tokens: TokenService
    invoices: InvoiceService
    open_invoices: OpenInvoiceService
    bulk: BulkService
    checkouts: CheckoutService
    refunds: RefundService


class MockRuntime:
    """One mock server's parts. Built by :func:`mock_server.app.create_app`; handlers see only its
    :class:`Domain`, pages and the control plane the whole of it."""

    def __init__(self, settings: MockSettings, store: Store, merchants: MerchantRegistry,
                 clock: Clock | None = None, *, webhook_settings: DeliverySettings | None = None) -> None:
        self.settings = settings
        #: the control token a browser's state-changing ``/_mock/`` request must carry (the
        #: inspector's page hands it to its scripts); made once per server, never logged
        self.control_token = secrets.token_urlsafe(32)
        self.store = store
        self.merchants = merchants
        self.clock = clock or Clock()
        self.tokens = TokenService(store, self.clock, merchants, settings)
        self.invoices = InvoiceService(store, self.clock)
        self.open_invoices = OpenInvoiceService(store, self.clock)
        self.bulk = BulkService(store, self.clock)
        #: the webhook sender: payments queue deliveries on it, ``/_mock/webhooks`` shows them
        self.webhooks = WebhookService(self.clock, webhook_settings)
        #: refunds of captured payments: paid invoices and captured checkouts, by transaction token
        self.refunds = RefundService(store, self.clock, [invoice_payments(store)],
                                     settings.refund_auto_approve_after)
        #: the payment gateway's checkouts (the hosted page and the control plane pay them); the
        #: enquiry asks the refunds whether a captured one was refunded in full
        self.checkouts = CheckoutService(store, self.clock, merchants, settings.checkout_ttl,
                                         on_change=[self.webhooks.on_checkout], refunds=self.refunds)
        self.refunds.lookups.append(self.checkouts.find_paid)
        self.domain = Domain(self.tokens, self.invoices, self.open_invoices, self.bulk, self.checkouts,
                             self.refunds)
        #: called as ``(merchant, invoice_or_open_invoice, transaction)`` after a successful
        #: payment; ``on_payment_failed`` after a failure
        self.on_paid: list[PaidHook] = [self.webhooks.on_paid]
        self.on_payment_failed: list[PaidHook] = [self.webhooks.on_failed]
        self.payments = PaymentService(store, self.clock, merchants, self.on_paid, self.on_payment_failed)
        #: commits the writes of requests served together at once, before any of them is answered
        self.commits = GroupCommit(store)
        self.journal = Journal(settings.journal_capacity, settings.envelope)
        self.faults = Faults(header_allowed=lambda ex: control_allowed(settings, ex.client_host))
        #: integration findings since the last reset (``/_mock/findings``, the pytest fixtures)
        self.findings = FindingsLog()
        self.references = ReferenceWatch(self.clock)
        #: run around every Hesabe exchange, in order (see :class:`~mock_server.exchange.PipelineHook`)
        self.hooks: list[PipelineHook] = [self.journal, self.faults, self.references,
                                          FindingsRecorder(self.findings)]
        #: run after the control plane reset state (the webhook sender forgets its deliveries)
        self.on_reset: list[ResetHook] = [self.webhooks.reset, self._reset_refund_settings]

    def reset(self, merchant: Merchant | None = None) -> None:
        """Forget one merchant's records, or everything (store, journal, faults, clock, webhooks)."""
        merchant_id = merchant.merchant_id if merchant is not None else None
        self.store.reset(merchant_id)
        if merchant is None:
            self.journal.clear()
            self.faults.clear()
            self.clock.reset()
            self.findings.clear()
            self.references.clear()
        else:
            self.journal.clear(merchant.merchant_code)
            self.findings.clear(merchant.merchant_code)
        for hook in list(self.on_reset):
            hook(merchant_id)

    def _reset_refund_settings(self, merchant_id: int | None) -> None:
        if merchant_id is None:  # a full reset also undoes a changed auto-approval delay
            self.refunds.auto_approve_after = self.settings.refund_auto_approve_after

    def close(self) -> None:
        """Stop the background parts (the webhook sender's worker). Idempotent; the runtime stays
        usable, since an app may be started and stopped more than once."""
        self.webhooks.close()


def runtime_of(app: Any) -> MockRuntime:
    """The runtime of a mock app (``create_app`` keeps it in ``app.state.mock``): the one typed way
    in for pages, the control plane and the pipeline, which get the app from Starlette."""
    mock = app.state.mock
    if not isinstance(mock, MockRuntime):
        raise TypeError(f"{app!r} is not a Hesabe mock app")
    return mock


@dataclass(frozen=True, slots=True)
class Call:
    """One authenticated, decrypted, validated request, ready for a handler."""

    domain: Domain
    merchant: Merchant
    payload: dict[str, Any]
    params: dict[str, str]
    base_url: str
    operation: Operation
    #: rows per page of the list operations
    per_page: int

    @property
    def page_url(self) -> str:
        """The list's own URL, the base of its pagination links (from the operation table)."""
        return self.base_url + self.operation.path.rstrip("/")


@dataclass(frozen=True, slots=True)
class PlainCall:
    """A request of an unauthenticated, unencrypted operation (login, refresh): its plain fields
    (a JSON value or form fields; None when the body was unreadable)."""

    domain: Domain
    fields: Any
    operation: Operation


@dataclass(frozen=True, slots=True)
class Reply:
    """What a handler answers: the envelope's ``response`` and, rarely, another message/status.

    ``body`` replaces the whole envelope: the payment gateway's answers are not the Merchant
    API's ``{"status", "message", "response"}`` (a checkout adds ``code`` and ``token``; an enquiry
    has ``data`` and ``results``)."""

    response: Any = None
    message: str | None = None
    status: int = 200
    body: Any = None
