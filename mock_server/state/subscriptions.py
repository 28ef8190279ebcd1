"""Subscriptions (``paymentType`` 15, hesabe-checkout-api.md §8.2): a checkout the customer pays
once, then recurrences charged without the customer.

::

    POST /checkout {subscription "1", numberOfInstallments, recurringFrequency, recurringStartDate,
                    recurringAmount}  -> the customer pays it -> ACTIVE
      recurringFrequency "1" (monthly): the mock clock bills recurringAmount on the start date and
                                        every month after it, numberOfInstallments times
      recurringFrequency "0" (on demand): POST /api/subscription/capture charges one recurrence
    ACTIVE --cancel (DELETE /api/subscription/cancel/{token})--> CANCELLED
    ACTIVE --the last installment charged--> COMPLETED

Every recurrence is a checkout of its own (``source`` ``"subscription"``, the subscription's
order reference, ``parent_token`` its token), paid at once like a saved card's charge: the same
enquiry, webhook, refunds and transactions-report row. Whether it is approved is the control
plane's to say (:mod:`mock_server.state.decisions`); a declined recurrence still uses up its
installment.

When a monthly recurrence is charged: as soon as its day has come on the mock clock. Every serving
process's timer (:mod:`mock_server.timers`) settles what is due every second and at once when the
clock is moved; anything that reads a merchant's payments (the report, the enquiry, a capture or
a cancel) settles them first too, so a read never misses one. Each is stamped with its due date.

Once across processes: charging recurrence ``k`` is a claim in the store
(:meth:`~mock_server.state.store.Store.claim_checkout`: ``recurrences = k + 1`` only where
``recurrences = k`` and the subscription is still ACTIVE), in the same transaction as the
recurrence's checkout. Of two workers, or two hosts on one PostgreSQL, reaching it at once, one
stores the charge (and sends its webhook); the other stores nothing and goes on.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from hesabe_spec.enums import GATEWAY_BAD_REQUEST, GatewayErrorCode, RecurringFrequency
from mock_server.merchants import Merchant
from mock_server.state.checkouts import CheckoutService, GatewayRefusal
from mock_server.state.commands import NewCheckout
from mock_server.state.decisions import ChargeDecisions
from mock_server.state.models import Checkout, SubscriptionState
from mock_server.state.store import claim

__all__ = ["SubscriptionService"]

ACTIVE, CANCELLED, COMPLETED = (SubscriptionState.ACTIVE, SubscriptionState.CANCELLED,
                                SubscriptionState.COMPLETED)
ON_DEMAND, MONTHLY = RecurringFrequency.ON_DEMAND, RecurringFrequency.MONTHLY


def _refusal(message: str, http_status: int = 400) -> GatewayRefusal:
    """The subscription endpoints' ``{"status":false,"code":400,"message":...}`` (the guide's)."""
    return GatewayRefusal(GATEWAY_BAD_REQUEST, message, http_status=http_status)


@dataclass
class SubscriptionService:
    """Subscriptions on the checkouts: recurrences, capture, cancel."""

    checkouts: CheckoutService
    decisions: ChargeDecisions

    # -- billing -----------------------------------------------------------------------------
    def settle(self, merchant_id: int) -> None:
        """Charge every monthly recurrence of the merchant that is due on the mock clock (those
        another process has not charged first)."""
        today = self.checkouts.clock.today()
        with self.checkouts.lock:
            for mandate in self.checkouts.store.due_subscriptions(merchant_id, today):
                day = mandate.next_billing_day
                while day is not None and day <= today:
                    amount = mandate.recurring_amount or mandate.amount
                    # billed at the start of its due day, or when the customer signed up if that
                    # was later the same day: never before the subscription existed
                    stamp = max(f"{day} 00:00:00", mandate.paid_on or "")
                    recurred = self._recur(mandate, amount, stamp)
                    if recurred is None:  # another process charged it (and goes on with the rest)
                        break
                    mandate = recurred[0]
                    day = mandate.next_billing_day

    def _recur(self, mandate: Checkout, amount: str,
               stamp: str | None = None) -> tuple[Checkout, Checkout] | None:
        """Recurrence ``mandate.recurrences`` of ``mandate`` (under the checkouts' lock), claimed in
        the store: the mandate as now stored and the recurrence's checkout, or None when another
        process charged that recurrence (or cancelled the subscription) first."""
        merchant = self.checkouts.merchant_of(mandate)
        new = NewCheckout(
            amount=amount, currency=mandate.currency, payment_type=mandate.paid_type or mandate.payment_type,
            response_url="", failure_url="", order_reference=mandate.order_reference, version=None,
            webhook_url=mandate.webhook_url, variables=(None,) * 5, customer_name=mandate.customer_name,
            customer_email=mandate.customer_email, customer_mobile=mandate.customer_mobile, authorize=False,
            channel=None, embedded=False,
        )
        count = mandate.recurrences + 1
        status = COMPLETED if count >= mandate.recurring_installments else ACTIVE
        after = replace(mandate, recurrences=count, subscription_status=status)
        decision = self.decisions.take(merchant.merchant_id)
        on_file = (mandate.card_type or "", mandate.card_masked) if mandate.card_masked else None
        charge = self.checkouts.charge_once(
            merchant, new, decision.outcome, result_code=decision.result_code, parent_token=mandate.token,
            on_file=on_file, paid_on=stamp,  # billed for its due day: it reads as paid then
            write=lambda paid: self.checkouts.store.claim_checkout(mandate, after, paid))
        if charge is None:
            self.decisions.give_back(merchant.merchant_id, decision)  # the winner took its own
            return None
        return after, charge

    # -- the merchant's calls ----------------------------------------------------------------
    def _mandate(self, merchant: Merchant, token: str) -> Checkout:
        found = self.checkouts.of_merchant(merchant, token)
        if found is None:
            raise _refusal("Invalid Token", http_status=404)
        if found.recurring_frequency is None or found.subscription_status is None:
            raise _refusal("Subscription Not Found", http_status=404)
        return found

    def capture(self, merchant: Merchant, token: str, amount: str) -> Checkout:
        """Charge one recurrence of an on-demand subscription now: the recurrence's checkout."""
        self.settle(merchant.merchant_id)
        with self.checkouts.lock:
            mandate = self._mandate(merchant, token)
            if mandate.subscription_status != ACTIVE or mandate.recurring_frequency != ON_DEMAND:
                raise GatewayRefusal(GatewayErrorCode.TRANSACTION_ERROR)
            recurred = self._recur(mandate, amount)
            if recurred is None:  # another process took the last installment or cancelled it meanwhile
                raise GatewayRefusal(GatewayErrorCode.TRANSACTION_ERROR)
            return recurred[1]

    def cancel(self, merchant: Merchant, token: str) -> Checkout:
        """Stop a subscription: no recurrence is charged after this."""
        self.settle(merchant.merchant_id)
        def cancelled(mandate: Checkout) -> tuple[Checkout, None]:
            if mandate.subscription_status != ACTIVE:
                raise _refusal("Invalid Request")
            return replace(mandate, subscription_status=CANCELLED), None

        with self.checkouts.lock:
            # until it is cancelled here or found over: each lost claim means another process moved
            # it on (charged a recurrence), at most once per installment
            after, _ = claim(lambda: self._mandate(merchant, token), cancelled,
                             lambda new, old: self.checkouts.store.claim_checkout(old, new) is not None,
                             lambda: _refusal("Invalid Request"))
        return after
