"""One mock server's live parts, wired together once: settings, merchants, store, clock, services.

Everything a handler, a page, the control plane or the webhook sender needs is a typed field of
:class:`MockRuntime`; nothing is looked up by a string key.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, cast

from hesabe_spec.errors import ConfigurationError
from hesabe_spec.operations import Operation
from mock_server.access import control_allowed
from mock_server.auth import TokenService
from mock_server.clock import Clock, SharedClock
from mock_server.exchange import Exchange, PipelineHook
from mock_server.faults import Faults, SharedFaults
from mock_server.finding_hooks import FindingsRecorder, ReferenceWatch
from mock_server.findings import Finding, FindingsLog, SharedFindingsLog
from mock_server.group_commit import GroupCommit
from mock_server.journal import Journal, SharedJournal
from mock_server.merchants import (
    Merchant,
    MerchantRegistry,
    identity_fields,
    merchant_from_fields,
    new_merchant,
)
from mock_server.settings import MockSettings, answer_settings
from mock_server.state.bulk import BulkService
from mock_server.state.checkouts import CheckoutService
from mock_server.state.decisions import ChargeDecisions
from mock_server.state.invoices import InvoiceService
from mock_server.state.ledger import Ledger
from mock_server.state.open_invoices import OpenInvoiceService
from mock_server.state.payments import PaidHook, PaymentService
from mock_server.state.pos import PosService
from mock_server.state.record import record
from mock_server.state.refundable import invoice_payments
from mock_server.state.refunds import RefundService
from mock_server.state.saved_cards import SavedCardService
from mock_server.state.shared import SharedState
from mock_server.state.store import Store
from mock_server.state.subscriptions import SubscriptionService
from mock_server.timers import Timer
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
    #: saved-card customers, cards and charges (direct payment)
    saved_cards: SavedCardService
    #: every recorded payment, whatever took it (the transactions report, the enquiry)
    ledger: Ledger
    #: subscriptions' recurrences (the mock clock), capture and cancel
    subscriptions: SubscriptionService
    #: Smart POS invoices (transactions paid at a terminal) and the terminals
    pos: PosService


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
        #: where the control plane's state lives when several processes serve this mock
        #: (``settings.shared``); None: in this process
        self.shared: SharedState | None = None
        #: the answer-shaping settings in which this mock differs from the last one started on its
        #: shared store, as ``name: this vs that`` (``hesabe-mock`` warns of them)
        self.settings_differ: list[str] = []
        if settings.shared:
            if not isinstance(store, SharedState):
                raise ConfigurationError(
                    f"a mock shared by several processes needs a store they can all open (SQLite or "
                    f"PostgreSQL), not {type(store).__name__}: the memory store lives in one process")
            self.shared = store
            # one token for every process: the inspector's page served by one posts to any other
            self.control_token = store.change_control(
                "control_token", lambda current: current or self.control_token) or self.control_token
            self.settings_differ = self._compare_settings(store)
        #: the control documents' versions this process applied last (see :meth:`sync`)
        self._synced: dict[str, int] = {}
        self.clock = clock or (SharedClock(self.shared) if self.shared is not None else Clock())
        self.tokens = TokenService(store, self.clock, merchants, settings)
        self.invoices = InvoiceService(store, self.clock)
        self.open_invoices = OpenInvoiceService(store, self.clock)
        self.bulk = BulkService(store, self.clock)
        #: the webhook sender: payments queue deliveries on it, ``/_mock/webhooks`` shows them
        self.webhooks = WebhookService(self.clock, webhook_settings)
        if self.shared is not None:
            self.webhooks.share(self.shared)
        #: refunds of captured payments: paid invoices and captured checkouts, by transaction token
        self.refunds = RefundService(store, self.clock, [invoice_payments(store)],
                                     settings.refund_auto_approve_after)
        #: the payment gateway's checkouts (the hosted page and the control plane pay them); the
        #: enquiry asks the refunds whether a captured one was refunded in full
        self.checkouts = CheckoutService(store, self.clock, merchants, settings.checkout_ttl,
                                         on_change=[self.webhooks.on_checkout], refunds=self.refunds)
        self.refunds.lookups.append(self.checkouts.find_paid)
        #: saved cards: a paid save-card checkout saves its card; charges are checkouts
        #: the control plane's decisions for off-session charges (saved cards, recurrences)
        self.charge_decisions = ChargeDecisions(shared=self.shared)
        self.saved_cards = SavedCardService(store, self.clock, self.checkouts, self.charge_decisions)
        self.checkouts.card_saver = self.saved_cards.save_verified
        self.subscriptions = SubscriptionService(self.checkouts, self.charge_decisions)
        #: the one ledger: every payment read from its record (due recurrences charged first); open
        #: invoices' payments are refunded through it
        self.ledger = Ledger(store, self.refunds, settle=[self.subscriptions.settle])
        self.refunds.lookups.append(self.ledger.find_paid)
        self.domain = Domain(self.tokens, self.invoices, self.open_invoices, self.bulk, self.checkouts,
                             self.refunds, self.saved_cards, self.ledger, self.subscriptions,
                             PosService(self.checkouts))
        #: called as ``(merchant, invoice_or_open_invoice, transaction)`` after a successful
        #: payment; ``on_payment_failed`` after a failure
        self.on_paid: list[PaidHook] = [self.webhooks.on_paid]
        self.on_payment_failed: list[PaidHook] = [self.webhooks.on_failed]
        self.payments = PaymentService(store, self.clock, merchants, self.on_paid, self.on_payment_failed)
        #: commits the writes of requests served together at once, before any of them is answered;
        #: None for a store whose every write is durable at once (the memory store, PostgreSQL)
        self.commits = GroupCommit(store) if store.groups_commits else None
        def header_allowed(ex: Exchange) -> bool:
            """The X-Mock-Fault header is a control-plane action: off with it, from loopback only."""
            return settings.control_plane and control_allowed(settings, ex.client_host)

        if self.shared is not None:
            self.journal: Journal = SharedJournal(self.shared, settings.journal_capacity)
            self.faults: Faults = SharedFaults(self.shared, header_allowed=header_allowed)
            #: integration findings since the last reset (``/_mock/findings``, the pytest fixtures)
            self.findings: FindingsLog = SharedFindingsLog(self.shared)
        else:
            self.journal = Journal(settings.journal_capacity)
            self.faults = Faults(header_allowed=header_allowed)
            self.findings = FindingsLog()
        self.references = ReferenceWatch(self.clock)
        #: run around every Hesabe exchange, in order (see :class:`~mock_server.exchange.PipelineHook`)
        self.hooks: list[PipelineHook] = [self.journal, self.faults, self.references,
                                          FindingsRecorder(self.findings)]
        #: settles what falls due on the mock clock without a read (recurrences, refund
        #: auto-approval); started and stopped with the app, woken when the clock is moved
        self.timer = Timer(self.fire_due)
        #: run after the control plane reset state (the webhook sender forgets its deliveries)
        self.on_reset: list[ResetHook] = [self.webhooks.reset, self._reset_refund_settings,
                                          self.charge_decisions.forget]

    def _compare_settings(self, store: SharedState) -> list[str]:
        """Record this mock's answer-shaping settings on the shared store; the ones in which the
        last mock started on the store differs (whichever host answers decides the answer). That
        mock may have stopped since: the store keeps no record of which hosts still run."""
        mine = json.dumps(answer_settings(self.settings), sort_keys=True, default=list)
        before: list[str | None] = []

        def replace_with_mine(current: str | None) -> str:
            before[:] = [current]
            return mine

        store.change_control("answer_settings", replace_with_mine)
        if not before or before[0] in (None, "", mine):
            return []
        try:
            theirs = json.loads(str(before[0]))
        except ValueError:
            return []
        ours = json.loads(mine)
        return [f"{name}: {ours.get(name)!r} here, {theirs.get(name)!r} there"
                for name in sorted(set(ours) | set(theirs)) if ours.get(name) != theirs.get(name)]

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
            self.set_auto_approve(self.settings.refund_auto_approve_after)

    def add_merchant(self, fields: dict[str, Any]) -> Merchant:
        """A new merchant (``POST /_mock/merchants``), served by every process of a shared mock:
        its identity joins the ``merchants`` control document (the mock's own database holds the
        test keys it generated), and each process adds it to its registry at its next request."""
        if self.shared is None:
            return new_merchant(self.merchants, fields)
        made: list[Merchant] = []

        def change(text: str | None) -> str:
            known = json.loads(text) if text else []
            self._take_merchants(known)  # what others added first, so identifiers stay unique
            made.append(new_merchant(self.merchants, fields))
            return json.dumps([*known, identity_fields(made[0])])

        self.shared.change_control("merchants", change)
        return made[0]

    def _take_merchants(self, known: list[dict[str, Any]]) -> None:
        for fields in known:
            if self.merchants.by_code(str(fields["merchant_code"])) is None:
                self.merchants.add(merchant_from_fields(fields))

    def set_auto_approve(self, seconds: float | None) -> None:
        """Approve pending refunds ``seconds`` of mock clock after they were asked for (None: never)."""
        self.refunds.auto_approve_after = seconds
        if self.shared is not None:
            self.shared.change_control("refunds", lambda _old: json.dumps({"auto_approve_after": seconds}))

    def sync(self) -> None:
        """Take what other processes changed in the shared control documents (one query); called
        at the start of every request of a shared mock. A no-op for a mock of one process."""
        if self.shared is None:
            return
        documents = self.shared.control_documents()
        for key in {*documents, *self._synced}:
            version, text = documents.get(key, (-1, None))
            if self._synced.get(key) == version:
                continue
            self._synced[key] = version
            if key == "clock":
                cast(SharedClock, self.clock).load(text)
            elif key == "faults":
                cast(SharedFaults, self.faults).load(text)
            elif key == "merchants":
                self._take_merchants(json.loads(text) if text else [])
            elif key == "webhooks":
                self.webhooks.load(text)
            elif key == "refunds":
                self.refunds.auto_approve_after = (json.loads(text)["auto_approve_after"] if text
                                                   else self.settings.refund_auto_approve_after)

    def fire_due(self) -> None:
        """Settle, for every merchant, what has come due on the mock clock: pending refunds past
        their auto-approval, monthly recurrences (the timer's round). Each is claimed in the store,
        so with several processes each fires once whichever gets there first."""
        self.sync()
        for merchant in list(self.merchants.merchants):
            self.refunds.settle(merchant.merchant_id)
            self.subscriptions.settle(merchant.merchant_id)

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


@record
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


@record
class PlainCall:
    """A request of an unauthenticated, unencrypted operation (login, refresh): its plain fields
    (a JSON value or form fields; None when the body was unreadable)."""

    domain: Domain
    fields: Any
    operation: Operation


@record
class Reply:
    """What a handler answers: the envelope's ``response`` and, rarely, another message/status.

    ``body`` replaces the whole envelope: the payment gateway's answers are not the Merchant
    API's ``{"status", "message", "response"}`` (a checkout adds ``code`` and ``token``; an enquiry
    has ``data`` and ``results``)."""

    response: Any = None
    message: str | None = None
    status: int = 200
    body: Any = None
    #: a plain call's merchant, once it is known (login, refresh): the journal files the exchange
    #: under it, so a one-merchant reset or filter takes it along
    merchant_code: str | None = None
    #: integration findings only the handler can see (it knows the mock's clock and records)
    findings: tuple[Finding, ...] = ()
