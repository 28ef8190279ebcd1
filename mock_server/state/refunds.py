"""Refund lifecycle: request, approve or reject, cancel; what each payment has left.

States: pending (0) -> approved (1) | rejected (2), or pending -> cancelled (the request is
deleted). Approved and rejected are final. Rules:

* only a captured payment can be refunded, named by its transaction token (see
  :mod:`mock_server.state.refundable`: unpaid, cancelled and other merchants' payments are not);
* pending and approved refunds together never exceed the payment: a full refund takes what is
  left, a partial one any amount up to it. The store decides it in the same transaction as the
  insert (``Store.insert_refund``), so concurrent requests cannot both take the last of it;
* a rejected or cancelled refund gives its amount back;
* Hesabe decides a refund (the control plane here), or it is approved automatically once
  ``auto_approve_after`` seconds of the mock's clock have passed since it was asked for. Due
  ones are settled by the serving process's timer (:mod:`mock_server.timers`) and by every read
  first, stamped with the moment they fell due, so a test moves the clock instead of sleeping;
  ``decide_refund`` applies only while a refund is pending, so each is approved once across
  processes.
"""

from __future__ import annotations

import builtins
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

from hesabe_spec.amounts import from_fils, to_fils
from hesabe_spec.enums import RefundMethod, RefundStatus
from mock_server.clock import Clock
from mock_server.merchants import Merchant
from mock_server.state.commands import RefundRequest
from mock_server.state.errors import NotFound, Refused
from mock_server.state.models import Page, Refund, RefundQuery
from mock_server.state.refundable import PaidLookup, PaidTransaction
from mock_server.state.store import OverRefund, RefundTotals, Store, is_record_id

__all__ = ["APPROVER", "AUTO_APPROVED", "RefundBalance", "RefundService", "balance_of"]

#: who decides refunds, and the remarks of an automatic approval (the sandbox's details sample)
APPROVER = "Admin"
AUTO_APPROVED = "Auto Refund Approved"
APPROVED = "Refund Approved"
REJECTED = "Refund Rejected"
#: Laravel's wording for an ``exists`` rule and a ``max`` rule (the app shows ``response.<field>[0]``)
_UNKNOWN_TOKEN = "The selected token is invalid."
_NOT_CANCELLABLE = "Only a pending refund request can be cancelled."
#: every refund of a merchant in one page (the stores cap nothing)
_EVERY = 2**31


@dataclass(frozen=True, slots=True)
class RefundBalance:
    """One payment's refunds, in fils: what was paid, approved and is still pending."""

    paid: int
    approved: int
    pending: int

    @property
    def left(self) -> int:
        """What a new refund may still take."""
        return self.paid - self.approved - self.pending

    @property
    def fully_refunded(self) -> bool:
        return self.approved >= self.paid


def balance_of(paid_amount: str, refunds: Sequence[Refund]) -> RefundBalance:
    def total(status: RefundStatus) -> int:
        return sum(to_fils(r.amount) for r in refunds if r.status == status)

    return RefundBalance(to_fils(paid_amount), total(RefundStatus.APPROVED), total(RefundStatus.PENDING))


def _amount_error(message: str) -> Refused:
    return Refused(message, {"amount": [message]})


@dataclass
class RefundService:
    store: Store
    clock: Clock
    #: where paid transactions are looked up, in order (invoices; checkout appends its own)
    lookups: list[PaidLookup] = field(default_factory=list)
    #: approve a pending refund this many seconds (mock clock) after it was asked for; None: never
    auto_approve_after: float | None = None

    # -- requests ----------------------------------------------------------------------------
    def paid_transaction(self, merchant: Merchant, token: str) -> PaidTransaction | None:
        for lookup in self.lookups:
            found = lookup(merchant.merchant_id, token)
            if found is not None:
                return found
        return None

    def request(self, merchant: Merchant, ask: RefundRequest) -> Refund:
        """A new pending refund, or :class:`Refused` with the field error; nothing stored then."""
        paid = self.paid_transaction(merchant, ask.token)
        if paid is None:
            raise Refused(_UNKNOWN_TOKEN, {"token": [_UNKNOWN_TOKEN]})
        if ask.full and ask.amount is not None:
            # A full refund may name the payment's amount or what is left of it, nothing else.
            left = self.balance(merchant.merchant_id, paid.token, paid.amount).left
            if to_fils(ask.amount) not in (to_fils(paid.amount), left):
                raise _amount_error(f"The refund amount of a full refund must be {from_fils(max(left, 0))}.")
        now = self.clock.stamp()
        draft = Refund(
            merchant_id=merchant.merchant_id,
            token=paid.token,
            amount=ask.amount or paid.amount,  # a full refund's amount is set by the store
            refund_method=RefundMethod.FULL.value if ask.full else RefundMethod.PARTIAL.value,
            created_at=now,
            updated_at=now,
            requested_at=self.clock.time(),
            source=paid.kind,
            source_id=paid.record_id,
            paid_amount=paid.amount,
            order_reference_number=paid.order_reference,
            transaction_date=paid.paid_at,
            payment_type_id=paid.payment_type_id,
            service_type_id=paid.service_type_id,
        )
        try:
            return self.store.insert_refund(draft, to_fils(paid.amount), take_rest=ask.full)
        except OverRefund as exc:
            raise _amount_error(f"The refund amount may not be greater than {from_fils(exc.left)}.") from None

    # -- reads -------------------------------------------------------------------------------
    def list(self, merchant: Merchant, query: RefundQuery) -> tuple[Page, RefundTotals]:
        """One page of the merchant's refunds and the counters over all of them."""
        self.settle(merchant.merchant_id)
        return (self.store.list_refunds(merchant.merchant_id, query),
                self.store.refund_totals(merchant.merchant_id))

    def get(self, merchant_id: int, refund_id: int) -> Refund:
        if not is_record_id(refund_id):
            raise NotFound()
        self.settle(merchant_id)
        refund = self.store.get_refund(merchant_id, refund_id)
        if refund is None:
            raise NotFound()
        return refund

    # builtins.list: inside this class ``list`` names the method above
    def of_transaction(self, merchant_id: int, token: str) -> builtins.list[Refund]:
        """Every refund of one payment, oldest first, due ones settled."""
        self.settle(merchant_id)
        return self.store.refunds_of_transaction(merchant_id, token)

    def balance(self, merchant_id: int, token: str, paid_amount: str) -> RefundBalance:
        return balance_of(paid_amount, self.of_transaction(merchant_id, token))

    def by_transaction(self, merchant_id: int) -> dict[str, builtins.list[Refund]]:
        """Every refund of the merchant by its payment's token, oldest first, due ones settled:
        one read for a whole ledger, where :meth:`of_transaction` is one read per payment."""
        self.settle(merchant_id)
        every = self.store.list_refunds(merchant_id, RefundQuery(limit=_EVERY)).items
        found: dict[str, builtins.list[Refund]] = {}
        for refund in reversed(every):  # the list is newest first
            found.setdefault(refund.token, []).append(refund)
        return found

    # -- decisions ---------------------------------------------------------------------------
    def cancel(self, merchant: Merchant, refund_id: int) -> Refund:
        """Withdraw a pending refund (it is deleted, its amount free again)."""
        refund = self.get(merchant.merchant_id, refund_id)
        if refund.status != RefundStatus.PENDING or not self.store.cancel_pending_refund(
                merchant.merchant_id, refund_id):
            raise Refused(_NOT_CANCELLABLE)
        return refund

    def approve(self, merchant_id: int, refund_id: int, remarks: str | None = None) -> Refund:
        return self._decide(merchant_id, refund_id, RefundStatus.APPROVED, remarks or APPROVED)

    def reject(self, merchant_id: int, refund_id: int, remarks: str | None = None) -> Refund:
        return self._decide(merchant_id, refund_id, RefundStatus.REJECTED, remarks or REJECTED)

    def _decide(self, merchant_id: int, refund_id: int, status: RefundStatus, remarks: str) -> Refund:
        refund = self.get(merchant_id, refund_id)
        decided = self._decided(refund, status, remarks, self.clock.time())
        if refund.status != RefundStatus.PENDING or not self.store.decide_refund(decided):
            current = self.store.get_refund(merchant_id, refund_id)
            state = RefundStatus(current.status).name.lower() if current is not None else "cancelled"
            raise Refused(f"Refund {refund_id} is already {state}")
        return decided

    def _decided(self, refund: Refund, status: RefundStatus, remarks: str, at: float) -> Refund:
        stamp = self.clock.stamp_at(at)
        return replace(refund, status=status, remarks=remarks, approved_by=APPROVER, updated_at=stamp,
                       refund_at=stamp[:10] if status == RefundStatus.APPROVED else None)

    def settle(self, merchant_id: int) -> None:
        """Approve the merchant's pending refunds whose auto-approval time has come."""
        after = self.auto_approve_after
        if after is None:
            return
        now = self.clock.time()
        for refund in self.store.pending_refunds(merchant_id):
            due = refund.requested_at + after
            if due <= now:  # decide_refund is a no-op if someone decided it meanwhile
                self.store.decide_refund(self._decided(refund, RefundStatus.APPROVED, AUTO_APPROVED, due))
