"""The one interface every store implements (memory and SQLite), so the domain never knows which.

Contract shared by all stores (tests/mock/test_store_contract.py runs it against each):

* ids are assigned by the store, increase, and are never reused (not even after reset of one merchant);
  the one exception is ``insert_with_ids`` (seeding), which keeps the ids it is given;
* ``insert_*`` of several records is all-or-nothing; a duplicate token or access key raises
  :class:`KeyConflict` and stores nothing;
* every read is scoped by ``merchant_id`` except the payment-page look-ups by access key or
  checkout session, and the look-up of a checkout by its (globally unique) token;
* list/search/stats never scan every record: they walk an index sized by the answer;
* a refund is stored only if it fits what is left of its payment, decided inside the store's own
  transaction (``insert_refund``), and it is decided (approved, rejected) or cancelled only while
  pending (``decide_refund``, ``cancel_pending_refund``): two writers, even two processes on one
  SQLite file, can never both take the last of a payment or both decide one refund;
* a checkout moves on only from the state it was read in (``claim_checkout``): of two processes
  paying one checkout, or charging the same recurrence of a subscription, at once, one does it
  and the other stores nothing;
* an invoice or open invoice is rewritten over what was read (``update_invoice`` /
  ``update_open_invoice`` with ``expected``): a change decided on a stale read writes nothing,
  and :func:`claim` reads again and decides again.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import replace
from itertools import repeat
from typing import ClassVar, TypeVar

from hesabe_spec.amounts import from_fils, to_fils
from mock_server.state.models import (
    BulkRow,
    CardCustomer,
    Checkout,
    Invoice,
    InvoiceQuery,
    OpenInvoice,
    OpenInvoiceQuery,
    Page,
    Refund,
    RefundQuery,
    SavedCard,
)

__all__ = ["BIGINT_MAX", "BIGINT_MIN", "CLAIM_ATTEMPTS", "KeyConflict", "OverRefund", "RefundTotals",
           "StatusCounts", "Store", "claim", "fit_refund", "fits_bigint", "is_record_id"]

#: the SQL stores' BIGINT (SQLite's INTEGER holds the same): every id and count fits in it
BIGINT_MIN, BIGINT_MAX = -(2**63), 2**63 - 1


def fits_bigint(n: int) -> bool:
    """Whether a SQL store can bind ``n`` (a larger int is an overflow there, and names nothing)."""
    return BIGINT_MIN <= n <= BIGINT_MAX


def is_record_id(n: int) -> bool:
    """Whether ``n`` can name a stored record: ids are positive and fit a BIGINT."""
    return 0 < n <= BIGINT_MAX


#: {(invoice_type, invoice_status): count} for one merchant
StatusCounts = dict[tuple[int, int], int]
#: {refund status: (count, amount in fils)} for one merchant
RefundTotals = dict[int, tuple[int, int]]

#: how many times :func:`claim` reads again after another writer changed the record first
CLAIM_ATTEMPTS = 64

R = TypeVar("R")
T = TypeVar("T")


def claim(read: Callable[[], R], decide: Callable[[R], tuple[R, T]], write: Callable[[R, R], bool],
          busy: Callable[[], Exception]) -> tuple[R, T]:
    """Read a record, decide its new value (and what goes with it), and ``write(new, read)``,
    which stores ``new`` only if the record is still what was read. When another writer came
    first (another thread, worker or host on the same store), read again and decide again, so
    every writer's change lands on the one before it: none lost, none twice. ``decide`` raises
    to refuse; after :data:`CLAIM_ATTEMPTS` lost claims ``busy()`` is raised."""
    for _attempt in range(CLAIM_ATTEMPTS):
        current = read()
        new, extra = decide(current)
        if write(new, current):
            return new, extra
    raise busy()


class KeyConflict(Exception):
    """A generated token or access key collided; the caller draws a new one and retries."""


class OverRefund(Exception):
    """A refund would take more than is left of its payment; nothing was stored.

    ``left`` is what pending and approved refunds leave of the payment, in fils.
    """

    def __init__(self, left: int) -> None:
        super().__init__(f"only {left} fils left to refund")
        self.left = left


def fit_refund(refund: Refund, paid: int, taken: int, take_rest: bool) -> Refund:
    """``refund`` as it may be stored when ``taken`` fils of a ``paid`` payment are held already:
    a full refund (``take_rest``) gets all that is left; otherwise its amount must fit.
    :class:`OverRefund` when nothing is left or it does not fit. Each store calls this inside the
    transaction in which it read ``taken`` and will insert the result."""
    left = paid - taken
    amount = left if take_rest else to_fils(refund.amount)
    if left <= 0 or amount > left:
        raise OverRefund(max(left, 0))
    return replace(refund, amount=from_fils(amount)) if take_rest else refund


class Store(ABC):
    """Persistence for one mock server (all merchants)."""

    # -- lifecycle -------------------------------------------------------------------------
    @abstractmethod
    def reset(self, merchant_id: int | None = None) -> None:
        """Forget every record (of one merchant, or of all). Id counters keep increasing."""

    def close(self) -> None:  # noqa: B027 - optional hook
        """Release resources (files, connections)."""

    # -- group commit (optional: a store whose writes are durable at once ignores it) -----------
    #: True when :meth:`deferred_commit` can defer writes: the runtime then runs a GroupCommit
    groups_commits: ClassVar[bool] = False

    def deferred_commit(self) -> AbstractContextManager[None]:
        """Writes made by this thread inside the block may stay uncommitted, joined with other
        writes into one transaction, until :meth:`commit_deferred`. Whoever defers must call it
        before telling anyone about those writes (the pipeline does, before every reply)."""
        return nullcontext()

    def has_deferred(self) -> bool:
        """True while deferred writes wait for :meth:`commit_deferred`."""
        return False

    def commit_deferred(self) -> None:  # noqa: B027 - optional hook
        """Make every deferred write durable (one commit for all of them); nothing when none wait."""

    def insert_with_ids(
        self,
        invoices: Sequence[Invoice] = (),
        open_invoices: Sequence[OpenInvoice] = (),
        bulk_rows: Sequence[BulkRow] = (),
    ) -> None:
        """Store records under the ids they carry (seeding real fixtures), all or nothing.

        An id that is not positive or already used, or a token/access key in use, raises
        :class:`KeyConflict` and stores nothing. Ids assigned later stay above every seeded id.
        Optional: a store that cannot do it raises ``NotImplementedError``.
        """
        raise NotImplementedError(f"{type(self).__name__} cannot store records under explicit ids")

    # -- invoices ----------------------------------------------------------------------------
    @abstractmethod
    def insert_invoices(self, invoices: Sequence[Invoice]) -> list[Invoice]:
        """Store new invoices atomically and return them with ids assigned, in order."""

    def create_invoices(self, build: Callable[[Iterator[int]], Sequence[Invoice]]) -> list[Invoice]:
        """Build new invoices with the ids this store hands out (``build`` takes them in order from
        the iterator it is given) and store them atomically; KeyConflict as ``insert_invoices``.

        The default builds with placeholder ids and lets ``insert_invoices`` assign the real ones
        (one copy of each record); a store that can hand out ids first overrides it and keeps the
        records as built.
        """
        return self.insert_invoices(build(repeat(0)))

    @abstractmethod
    def update_invoice(self, invoice: Invoice, expected: Invoice | None = None) -> bool:
        """Replace a stored invoice (same id) and keep indexes and counters right: True.

        With ``expected`` the replacement is a claim: it is written only if the stored invoice
        still equals ``expected`` (as read before deciding), else nothing is written and the
        answer is False. Two processes sharing the store (``--workers``, hosts on one
        PostgreSQL) paying one invoice at once: the first write wins, the other reads again."""

    @abstractmethod
    def get_invoice(self, merchant_id: int, invoice_id: int) -> Invoice | None: ...

    @abstractmethod
    def get_invoice_by_token(self, merchant_id: int, token: str) -> Invoice | None: ...

    @abstractmethod
    def find_invoice_by_access_key(self, access_key: str) -> Invoice | None:
        """Any merchant's invoice by its payment-link key (the hosted page is public)."""

    @abstractmethod
    def find_split_group(self, split_access_key: str) -> list[Invoice]:
        """All invoices sharing a split/installment link key, by id."""

    @abstractmethod
    def list_invoices(self, merchant_id: int, query: InvoiceQuery) -> Page:
        """One page, newest (highest id) first, and the number of matches."""

    @abstractmethod
    def invoice_counts(self, merchant_id: int) -> StatusCounts:
        """Counts by (invoice_type, invoice_status), maintained incrementally."""

    # -- open invoices -----------------------------------------------------------------------
    @abstractmethod
    def insert_open_invoice(self, item: OpenInvoice) -> OpenInvoice: ...

    @abstractmethod
    def update_open_invoice(self, item: OpenInvoice, expected: OpenInvoice | None = None) -> bool:
        """Replace a stored open invoice (same id): True.

        With ``expected`` the replacement is a claim, as for ``update_invoice``: written only if
        the stored open invoice still equals ``expected``, else nothing is written and the answer
        is False. Customers paying one open invoice at once through several processes: each
        payment is appended to what the previous one stored, never over it."""

    @abstractmethod
    def get_open_invoice(self, merchant_id: int, item_id: int) -> OpenInvoice | None: ...

    @abstractmethod
    def find_open_invoice_by_access_key(self, access_key: str) -> OpenInvoice | None: ...

    @abstractmethod
    def list_open_invoices(self, merchant_id: int, query: OpenInvoiceQuery) -> Page: ...

    # -- bulk-upload rows --------------------------------------------------------------------
    @abstractmethod
    def insert_bulk_rows(self, rows: Sequence[BulkRow]) -> list[BulkRow]: ...

    @abstractmethod
    def update_bulk_row(self, row: BulkRow) -> None: ...

    @abstractmethod
    def delete_bulk_row(self, merchant_id: int, row_id: int) -> bool: ...

    @abstractmethod
    def get_bulk_row(self, merchant_id: int, row_id: int) -> BulkRow | None: ...

    @abstractmethod
    def list_bulk_rows(self, merchant_id: int, scheduled: bool, offset: int, limit: int) -> Page: ...

    # -- checkouts (the payment gateway) ----------------------------------------------------
    @abstractmethod
    def insert_checkout(self, checkout: Checkout) -> Checkout:
        """Store a new checkout and return it with its id; a token or session in use raises
        :class:`KeyConflict` and stores nothing."""

    @abstractmethod
    def update_checkout(self, checkout: Checkout) -> None:
        """Replace a stored checkout (same id and merchant); token and session never change."""

    @abstractmethod
    def find_checkout(self, token: str) -> Checkout | None:
        """Any merchant's checkout by its transaction token (tokens are unique across merchants)."""

    @abstractmethod
    def find_checkout_by_session(self, session: str) -> Checkout | None:
        """Any merchant's checkout by its payment-page session (the hosted page is public)."""

    @abstractmethod
    def checkouts_by_reference(self, merchant_id: int, order_reference: str) -> list[Checkout]:
        """Every checkout of the merchant with this order reference, oldest first."""

    def recent_checkouts(self, merchant_id: int, limit: int) -> list[Checkout]:
        """The merchant's newest ``limit`` checkouts, newest first (the inspector's records view;
        the API never lists checkouts). Optional: a store that cannot raises ``NotImplementedError``
        and the view shows no checkouts."""
        raise NotImplementedError(f"{type(self).__name__} cannot list checkouts")

    @abstractmethod
    def checkouts_of_merchant(self, merchant_id: int, source: str | None = None) -> list[Checkout]:
        """Every checkout of the merchant (the hosted page's and saved-card charges), oldest
        first: the transactions report reads the paid ones (an index by merchant, never a scan).
        With ``source`` (``Checkout.source``), only those, through an index: the Smart POS list
        reads its own, whatever else the merchant has."""

    @abstractmethod
    def due_subscriptions(self, merchant_id: int, today: str) -> list[Checkout]:
        """The merchant's monthly subscriptions with a recurrence to bill on or before ``today``
        (YYYY-MM-DD: their :attr:`~mock_server.state.models.Checkout.next_billing_day`), oldest
        first: what the recurrence timer and every read of the payments settle. Read from an index
        of the next billing day, so its cost is that of the ones due, never a walk of every
        subscription."""

    @abstractmethod
    def claim_checkout(self, before: Checkout, after: Checkout,
                       new: Checkout | None = None) -> Checkout | None:
        """Move a checkout on from ``before`` (as it was read) to ``after``, once across every writer.

        In one transaction: replace the stored checkout with ``after`` if, and only if, it still
        has ``before``'s ``status``, ``subscription_status`` and ``recurrences`` (a payment moves
        it from PENDING once; recurrence ``k`` of a subscription is charged by ``recurrences = k + 1
        WHERE recurrences = k``), and store ``new`` with it (the checkout of that recurrence).
        ``new`` as stored (with its id), or ``after`` when there is none; None, and nothing
        stored, when another writer moved the checkout first (paid or expired it, charged that
        recurrence, cancelled the subscription). A ``new`` whose token or session is taken raises
        :class:`KeyConflict` and stores nothing.
        """

    # -- saved cards (direct payment) --------------------------------------------------------
    @abstractmethod
    def insert_card_customer(self, customer: CardCustomer) -> CardCustomer:
        """Store a new saved-card customer and return it with its id."""

    @abstractmethod
    def get_card_customer(self, merchant_id: int, customer_id: int) -> CardCustomer | None: ...

    @abstractmethod
    def insert_saved_card(self, card: SavedCard) -> SavedCard:
        """Store a new saved card and return it with its id (the ``card_id``)."""

    @abstractmethod
    def get_saved_card(self, merchant_id: int, card_id: int) -> SavedCard | None: ...

    @abstractmethod
    def saved_cards(self, merchant_id: int, customer_id: int) -> list[SavedCard]:
        """The customer's saved cards, oldest first."""

    @abstractmethod
    def delete_saved_card(self, merchant_id: int, card_id: int) -> bool:
        """Forget a saved card; False when the merchant has no card with that id."""

    # -- refunds -----------------------------------------------------------------------------
    @abstractmethod
    def find_invoice_by_transaction_token(self, merchant_id: int, token: str) -> Invoice | None:
        """The merchant's invoice whose payment has this transaction token (an index, never a scan)."""

    @abstractmethod
    def insert_refund(self, refund: Refund, paid: int, take_rest: bool) -> Refund:
        """Store a pending refund of a payment of ``paid`` fils, in one transaction with the check.

        What is left is ``paid`` minus the pending and approved refunds with the same merchant and
        token. ``take_rest``: the refund's amount becomes all of it (a full refund). Otherwise its
        own amount must be at most what is left. Raises :class:`OverRefund` (nothing stored) when
        nothing is left or the amount is larger.
        """

    @abstractmethod
    def get_refund(self, merchant_id: int, refund_id: int) -> Refund | None: ...

    @abstractmethod
    def decide_refund(self, refund: Refund) -> bool:
        """Replace the stored refund with the same id if, and only if, it is still pending."""

    @abstractmethod
    def cancel_pending_refund(self, merchant_id: int, refund_id: int) -> bool:
        """Delete the refund if, and only if, it is still pending; False otherwise."""

    @abstractmethod
    def refunds_of_transaction(self, merchant_id: int, token: str) -> list[Refund]:
        """Every refund of one payment, oldest first."""

    @abstractmethod
    def pending_refunds(self, merchant_id: int) -> list[Refund]:
        """The merchant's pending refunds, oldest first (auto-approval walks them)."""

    @abstractmethod
    def list_refunds(self, merchant_id: int, query: RefundQuery) -> Page:
        """One page, newest (highest id) first, and the number of matches."""

    @abstractmethod
    def refund_totals(self, merchant_id: int) -> RefundTotals:
        """Count and amount by status, maintained incrementally."""

    # -- auth tokens -------------------------------------------------------------------------
    @abstractmethod
    def put_token(self, kind: str, token: str, merchant_id: int, expires_at: float) -> None:
        """Remember an issued ``"access"`` or ``"refresh"`` token (expiry in epoch seconds)."""

    @abstractmethod
    def get_token(self, kind: str, token: str) -> tuple[int, float] | None:
        """``(merchant_id, expires_at)`` of a live token, or None if unknown or revoked."""

    @abstractmethod
    def revoke_token(self, kind: str, token: str) -> None: ...

    @abstractmethod
    def purge_expired_tokens(self, now: float) -> int:
        """Forget every token that expired before ``now``; return how many went."""

    # -- diagnostics -------------------------------------------------------------------------
    @abstractmethod
    def fingerprint(self) -> str:
        """A digest of every stored record: equal before and after means nothing changed."""
