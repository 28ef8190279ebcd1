"""The one ledger: every payment the mock recorded, whatever took it, read from the records.

A payment is recorded once, by the family that took it: a paid invoice keeps its transaction, an
open invoice its payments, a checkout (the hosted page's, a saved card's charge, a subscription's
recurrence, a Smart POS invoice paid at its terminal) its captured status. The ledger does not
copy any of them; it reads them, so there is nothing to keep in step:

* the transactions report lists :meth:`Ledger.entries` (filters, pages, stats);
* the transaction enquiry answers a token that is not a checkout's from :meth:`Ledger.find`
  (an invoice's or an open invoice's payment), which reads only the records that can hold it
  (by token or by order reference);
* refunds find an open invoice's payment through :meth:`Ledger.find_paid` (invoices and checkouts
  have lookups of their own, :mod:`mock_server.state.refundable`);
* whether a payment reads REFUNDED comes from the refunds, the one record of what was given back.

Each entry is a :class:`~mock_server.state.refundable.PaidTransaction` (what a refund needs to
know of a payment) with the status it reads now. A report costs O(the merchant's records): it
reads the merchant's payments and refunds once each (a back-office read, not the hot path).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from hesabe_spec.amounts import to_fils
from hesabe_spec.enums import InvoiceStatus, ServiceType, TransactionStatus
from mock_server.state.models import Checkout, Invoice, InvoiceQuery, OpenInvoiceQuery, Refund, split_search
from mock_server.state.refundable import PaidTransaction, gateway_ids, invoice_paid
from mock_server.state.refunds import RefundService, balance_of
from mock_server.state.store import Store

__all__ = ["Ledger", "LedgerEntry", "checkout_paid", "is_payment", "service_type_of"]

#: every page of a merchant's records at once (the stores cap nothing)
_ALL = 2**31


@dataclass(frozen=True, slots=True)
class LedgerEntry:
    """One payment as the report and the enquiry show it."""

    paid: PaidTransaction
    #: SUCCESSFUL, or REFUNDED once approved refunds cover it
    status: TransactionStatus
    #: what approved refunds gave back, in fils
    refunded_fils: int
    #: the customer's name where the record keeps one
    customer_name: str | None = None

    @property
    def token(self) -> str:
        return self.paid.token


@dataclass
class Ledger:
    """The merchant's payments, from the store's records and the refunds."""

    store: Store
    refunds: RefundService
    #: run before every read with the merchant's id (subscriptions charge what is due)
    settle: list[Callable[[int], None]] = field(default_factory=list)

    def entries(self, merchant_id: int) -> list[LedgerEntry]:
        """Every payment of the merchant, oldest first (by when it was paid, then by token)."""
        for settle in self.settle:
            settle(merchant_id)
        paid = [*self._invoice_payments(merchant_id), *self._open_invoice_payments(merchant_id),
                *self._checkout_payments(merchant_id)]
        paid.sort(key=lambda e: (e[0].paid_at or "", e[0].token))
        refunds = self.refunds.by_transaction(merchant_id)
        return [self._entry(p, name, refunds.get(p.token, [])) for p, name in paid]

    def find(self, merchant_id: int, key: str, by_reference: bool = False) -> list[LedgerEntry]:
        """The payments with this token (or, ``by_reference``, this order reference), oldest first.

        Only the records that can hold the key are read, from the store's indexes: by token, the
        invoice and the checkout the store finds by it; by order reference, the paid invoices
        whose search terms hold its words and the checkouts with it. The open invoices' payments
        are read whole (they live inside their open invoice)."""
        if by_reference and not key:  # a checkout without one reads as "": any payment may
            return [e for e in self.entries(merchant_id) if e.paid.order_reference == key]
        for settle in self.settle:
            settle(merchant_id)
        paid = self._by_reference(merchant_id, key) if by_reference else self._by_token(merchant_id, key)
        paid.sort(key=lambda e: (e[0].paid_at or "", e[0].token))
        return [self._entry(p, name, self.refunds.of_transaction(merchant_id, p.token)) for p, name in paid]

    def _by_token(self, merchant_id: int, token: str) -> list[tuple[PaidTransaction, str | None]]:
        paid = [p for p in self._open_invoice_payments(merchant_id) if p[0].token == token]
        inv = self.store.find_invoice_by_transaction_token(merchant_id, token)
        if inv is not None:
            paid += [p for p in self._invoice_paid([inv]) if p[0].token == token]
        checkout = self.store.find_checkout(token)
        if checkout is not None and checkout.merchant_id == merchant_id:
            paid += self._checkouts_paid([checkout])
        return paid

    def _by_reference(self, merchant_id: int, reference: str) -> list[tuple[PaidTransaction, str | None]]:
        paid = self._open_invoice_payments(merchant_id)
        words = split_search(reference)
        if words:  # the paid invoices carrying every word of it: those whose reference it may be
            query = InvoiceQuery(kinds=self._paid_kinds(merchant_id), status=InvoiceStatus.PAID, search=words,
                                 limit=_ALL)
            paid += self._invoice_paid(self.store.list_invoices(merchant_id, query).items)
        else:
            paid += self._invoice_payments(merchant_id)
        paid += self._checkouts_paid(self.store.checkouts_by_reference(merchant_id, reference))
        return [p for p in paid if p[0].order_reference == reference]

    def find_paid(self, merchant_id: int, token: str) -> PaidTransaction | None:
        """An open invoice's payment by its transaction token, as a refund needs it (a
        :data:`~mock_server.state.refundable.PaidLookup`; the other families have their own)."""
        return next((p for p, _name in self._open_invoice_payments(merchant_id) if p.token == token), None)

    @staticmethod
    def _entry(paid: PaidTransaction, name: str | None, refunds: Sequence[Refund]) -> LedgerEntry:
        """The payment as the ledger shows it, given its refunds."""
        balance = balance_of(paid.amount, refunds)
        status = TransactionStatus.REFUNDED if balance.fully_refunded else TransactionStatus.SUCCESSFUL
        return LedgerEntry(paid, status, balance.approved, name)

    # -- the families' records ---------------------------------------------------------------
    def _paid_kinds(self, merchant_id: int) -> tuple[int, ...]:
        """The kinds of the merchant's paid invoices, orders and kinds no enum names included (an
        invoice query without ``kinds`` leaves orders out); the stores count them as they write."""
        counts = self.store.invoice_counts(merchant_id)
        return tuple(sorted({kind for (kind, status), n in counts.items()
                             if status == InvoiceStatus.PAID and n}))

    def _invoice_payments(self, merchant_id: int) -> list[tuple[PaidTransaction, str | None]]:
        query = InvoiceQuery(kinds=self._paid_kinds(merchant_id), status=InvoiceStatus.PAID, limit=_ALL)
        return self._invoice_paid(self.store.list_invoices(merchant_id, query).items)

    @staticmethod
    def _invoice_paid(invoices: list[Invoice]) -> list[tuple[PaidTransaction, str | None]]:
        """The payments of those of ``invoices`` that are paid, with a transaction token."""
        found = []
        for inv in invoices:
            paid = invoice_paid(inv)
            if paid is not None:
                found.append((paid, inv.customer.name or None))
        return found

    def _open_invoice_payments(self, merchant_id: int) -> list[tuple[PaidTransaction, str | None]]:
        page = self.store.list_open_invoices(merchant_id, OpenInvoiceQuery(limit=_ALL))
        found = []
        for item in page.items:
            for payment in item.paid_payments:
                if not payment.get("token"):
                    continue
                customer = payment.get("customer") or {}
                found.append((PaidTransaction(
                    merchant_id=merchant_id, token=str(payment["token"]), amount=str(payment["amount"]),
                    kind="open_invoice", record_id=item.id, order_reference=item.reference_number,
                    paid_at=payment.get("created_at"),
                    payment_type_id=int(payment.get("payment_type_id") or 0),
                    service_type_id=ServiceType.OPEN_INVOICE.value, ids=gateway_ids(payment),
                ), customer.get("name") or None))
        return found

    def _checkout_payments(self, merchant_id: int) -> list[tuple[PaidTransaction, str | None]]:
        return self._checkouts_paid(self.store.checkouts_of_merchant(merchant_id))

    @staticmethod
    def _checkouts_paid(checkouts: list[Checkout]) -> list[tuple[PaidTransaction, str | None]]:
        """The payments among ``checkouts``: captured, and a payment (not a card verification)."""
        return [(checkout_paid(c), c.customer_name) for c in checkouts
                if c.status == TransactionStatus.SUCCESSFUL and is_payment(c)]


#: a checkout's ``source`` -> the ledger's
def is_payment(checkout: Checkout) -> bool:
    """False for a save-card session at 0.000 (VERIFY): it saved a card and took no money."""
    return to_fils(checkout.captured_amount or checkout.amount) > 0


def service_type_of(checkout: Checkout) -> ServiceType:
    """The service a transaction went through: POS for a Smart POS invoice, else the gateway."""
    return ServiceType.POS if checkout.source == "pos" else ServiceType.PAYMENT_GATEWAY


def checkout_paid(checkout: Checkout) -> PaidTransaction:
    """A captured checkout (the hosted page's or a saved card's charge) as a payment."""
    return PaidTransaction(
        merchant_id=checkout.merchant_id, token=checkout.token,
        amount=checkout.captured_amount or checkout.amount,
        kind=checkout.source, record_id=checkout.id,
        order_reference=checkout.order_reference or "", paid_at=checkout.paid_on,
        payment_type_id=checkout.paid_type or checkout.payment_type,
        service_type_id=service_type_of(checkout).value,
    )
