"""One mock server's live parts, wired together once: settings, merchants, store, clock, services."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from hesabe_spec.operations import Operation
from mock_server.auth import TokenService
from mock_server.clock import Clock
from mock_server.control.access import control_allowed
from mock_server.exchange import PipelineHook
from mock_server.faults import Faults
from mock_server.fragments import FragmentCache
from mock_server.journal import Journal
from mock_server.merchants import Merchant, MerchantRegistry
from mock_server.settings import MockSettings
from mock_server.state.bulk import BulkService
from mock_server.state.invoices import InvoiceService
from mock_server.state.open_invoices import OpenInvoiceService
from mock_server.state.payments import PaidHook, PaymentService
from mock_server.state.store import Store

__all__ = ["Call", "MockRuntime", "Reply"]


class MockRuntime:
    """Everything a request handler may touch. Built by :func:`mock_server.app.create_app`."""

    def __init__(self, settings: MockSettings, store: Store, merchants: MerchantRegistry,
                 clock: Clock | None = None) -> None:
        self.settings = settings
        self.store = store
        self.merchants = merchants
        self.clock = clock or Clock()
        self.tokens = TokenService(store, self.clock, merchants, settings)
        self.invoices = InvoiceService(store, self.clock)
        self.open_invoices = OpenInvoiceService(store, self.clock)
        self.bulk = BulkService(store, self.clock)
        #: called as ``(merchant, invoice_or_open_invoice, transaction)`` after a successful
        #: payment (the webhook sender registers here); ``on_payment_failed`` after a failure
        self.on_paid: list[PaidHook] = []
        self.on_payment_failed: list[PaidHook] = []
        self.payments = PaymentService(store, self.clock, merchants, self.on_paid, self.on_payment_failed)
        self.journal = Journal(settings.journal_capacity)
        #: encoded dashboard rows of recently listed invoices (records are immutable: never stale)
        self.fragments = FragmentCache()
        self.faults = Faults(header_allowed=lambda ex: control_allowed(settings, ex.client_host))
        #: run around every Hesabe exchange, in order (see :class:`~mock_server.exchange.PipelineHook`)
        self.hooks: list[PipelineHook] = [self.journal, self.faults]
        #: called with the merchant id (None = everything) when the control plane resets state
        self.on_reset: list[Any] = [lambda _merchant: self.fragments.clear()]
        #: extension points filled by the control plane (journal, faults, webhooks)
        self.extensions: dict[str, Any] = {}


@dataclass(frozen=True, slots=True)
class Call:
    """One authenticated, decrypted, validated request, ready for a handler."""

    mock: MockRuntime
    merchant: Merchant
    payload: dict[str, Any]
    params: dict[str, str]
    base_url: str
    operation: Operation

    @property
    def per_page(self) -> int:
        return self.mock.settings.per_page

    @property
    def page_url(self) -> str:
        """The list's own URL, the base of its pagination links (from the operation table)."""
        return self.base_url + self.operation.path.rstrip("/")


@dataclass(frozen=True, slots=True)
class Reply:
    """What a handler answers: the envelope's ``response`` and, rarely, another message/status."""

    response: Any = None
    message: str | None = None
    status: int = 200
    extra: dict[str, Any] = field(default_factory=dict)
