"""Payment-gateway checkouts: a session the customer pays through, and the transaction it becomes.

One checkout is one attempt: the customer pays, is declined, cancels, or lets the session expire;
a merchant retrying an order opens a new checkout with the same order reference, and the enquiry
by reference lists every attempt. Statuses (:class:`~hesabe_spec.enums.TransactionStatus`) only
move forward::

    PENDING --pay--> SUCCESSFUL --refunds approved for all of it--> REFUNDED (as the enquiry shows it)
       |  \\--pay (authorize)--> AUTHORIZED --capture--> SUCCESSFUL
       |                            \\--void--> CANCELLED
       \\--decline / cancel / fail / session expired--> FAILED

The hosted page and the control plane pay through :meth:`CheckoutService.pay`, so a payment looks
the same however it was made; capture and void are the only other ways a stored status moves.
Every transition runs the ``on_change`` hooks (the webhook sender) after it is stored.

Refunds are the Merchant API's (:mod:`mock_server.state.refunds`): :meth:`CheckoutService.find_paid`
is the checkout family's :data:`~mock_server.state.refundable.PaidLookup`, so a captured checkout
is refunded by its transaction token like a paid invoice, and the refunds stay the one record of
what was given back. :meth:`CheckoutService.reported` reads them: a SUCCESSFUL checkout whose
approved refunds cover what was captured is reported REFUNDED (the enquiry, the control plane).

Magic values, so a merchant can reach every branch without a browser (docs/checkout.md):

* an amount of ``999.<code>`` (``999.000``, ``999.422`` ... ``999.507``) makes ``POST /checkout``
  answer that error code;
* a customer ``name`` equal to a result code (``NOT CAPTURED``, ``EXPIRED_CARD``, ``CANCELED``,
  ``ACCEPT`` ...) gives that result when the checkout is paid, unless the payment itself names
  another (a declining test card, the control plane's ``result_code``).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from decimal import Decimal
from typing import Any, Protocol, TypeVar

from hesabe_spec.amounts import format_amount
from hesabe_spec.enums import (
    GATEWAY_BAD_REQUEST,
    KNET_RAILS,
    CallbackMethod,
    GatewayErrorCode,
    PaymentType,
    ResultCode,
    TransactionStatus,
)
from mock_server.clock import KUWAIT, Clock
from mock_server.merchants import Merchant, MerchantRegistry
from mock_server.state import keys
from mock_server.state.cards import CARD_METHODS, CardEntry, brand, card_result, carries, masked
from mock_server.state.commands import NewCheckout
from mock_server.state.errors import DomainError, FieldErrors, NotFound
from mock_server.state.ledger import checkout_paid, is_payment
from mock_server.state.models import Checkout, CheckoutSource, Outcome, SubscriptionState
from mock_server.state.payments import PaymentRefused
from mock_server.state.refundable import PaidTransaction
from mock_server.state.refunds import RefundService
from mock_server.state.store import KeyConflict, Store

__all__ = [
    "CAPTURE_WINDOW",
    "DEFAULT_TTL",
    "HOSTED_METHODS",
    "OUTCOMES",
    "CardSaver",
    "CheckoutHook",
    "CheckoutRefused",
    "CheckoutService",
    "GatewayRefusal",
    "callback_method",
    "magic_error",
    "methods_for",
    "settling",
]

log = logging.getLogger("hesabe_mock.checkouts")

OUTCOMES: tuple[Outcome, ...] = tuple(Outcome)
#: ``(merchant, checkout as now stored, its status before)`` after every change
CheckoutHook = Callable[[Merchant, Checkout, str], None]
#: ``(save-card checkout just paid, the card typed or None, payment type) -> saved card_id or None``
CardSaver = Callable[[Checkout, CardEntry | None, int], int | None]

#: how long a session can be paid: not documented; KNET's own pages time out in minutes
DEFAULT_TTL = 30 * 60
#: how long an authorization stays capturable (merchant profile ``capture_duration``; mock: 7 days)
CAPTURE_WINDOW = 7 * 24 * 3600
#: what the hosted page offers for ``paymentType`` 0 (the customer chooses; mock's choice)
HOSTED_METHODS: tuple[int, ...] = (PaymentType.KNET, PaymentType.MPGS, PaymentType.APPLE_PAY)
#: the attempts that hold an order's money: taken, or reserved
_HOLDING = frozenset({TransactionStatus.SUCCESSFUL, TransactionStatus.AUTHORIZED})
_MAGIC_WHOLE = Decimal(999)
_KEY_RETRIES = 8


class GatewayRefusal(DomainError):
    """A refusal carrying one of the gateway's codes (``message`` defaults to the code's text).

    ``plain``: answered in plain JSON even on an encrypted operation (as when the merchant is not
    known). ``http_status`` is the mock's choice; no source states Hesabe's.
    """

    def __init__(self, code: int, message: str | None = None,
                 field_errors: FieldErrors | None = None, *, http_status: int | None = None,
                 plain: bool = False) -> None:
        text = message or (GatewayErrorCode(code).text if code in GatewayErrorCode._value2member_map_ else "")
        super().__init__(text, field_errors)
        self.code = code
        self.plain = plain
        self.http_status = http_status or _HTTP_STATUS.get(code) or 400


#: HTTP status of each code (the mock's choice): 422 for field errors, 401 for an unknown
#: merchant, 403 for a service not enabled, 400 for the rest; never 5xx, which would read as an
#: outage (and make clients retry) although nothing failed
_HTTP_STATUS: dict[int, int] = {GatewayErrorCode.INVALID_INPUT: 422, GatewayErrorCode.INVALID_MERCHANT: 401,
                GatewayErrorCode.INVALID_MERCHANT_LOGIN: 401, GatewayErrorCode.INVALID_MERCHANT_SERVICE: 403}


class CheckoutRefused(PaymentRefused):
    """The control plane or the page asked for something the checkout cannot do now. ``reason``:
    ``completed``, ``expired``, ``payment_type``, ``outcome``, ``result_code``."""


def _recurring_fields(new: NewCheckout) -> dict[str, Any]:
    terms = new.recurring
    if terms is None:
        return {}
    return {"recurring_frequency": terms.frequency, "recurring_installments": terms.installments,
            "recurring_start": terms.start_date, "recurring_amount": terms.amount}


class _Attempt(Protocol):
    @property
    def status(self) -> TransactionStatus: ...


_A = TypeVar("_A", bound=_Attempt)


def settling(attempts: Sequence[_A]) -> _A:
    """The attempt an enquiry by order reference answers with (``data``), of an order's
    attempts (checkouts, or an invoice's payments in the ledger) oldest first: the latest that
    holds the order's money (paid or reserved); else, when every payment of it was refunded, the
    latest refunded; else the latest attempt. An order paid twice whose second payment was
    refunded still reads as paid: its money is still held."""
    for wanted in (_HOLDING, {TransactionStatus.REFUNDED}):
        held = [c for c in attempts if c.status in wanted]
        if held:
            return held[-1]
    return attempts[-1]


def magic_error(amount: str) -> GatewayRefusal | None:
    """The refusal a magic amount (``999.<code>``) asks for, or None."""
    value = Decimal(amount)
    if value.to_integral_value(rounding="ROUND_FLOOR") != _MAGIC_WHOLE:
        return None
    code = int((value - _MAGIC_WHOLE) * 1000)
    if code not in GatewayErrorCode._value2member_map_:
        return None
    if code == GatewayErrorCode.INVALID_INPUT:
        errors: FieldErrors = {"amount": ["The amount is invalid (magic amount 999.422)."]}
        return GatewayRefusal(code, field_errors=errors)
    # an unknown merchant cannot be answered encrypted: 501 comes back in plain JSON, as the real one
    return GatewayRefusal(code, plain=code == GatewayErrorCode.INVALID_MERCHANT)


def methods_for(payment_type: int) -> tuple[int, ...]:
    """The methods the page offers for a checkout's ``paymentType``."""
    return HOSTED_METHODS if payment_type == PaymentType.HOSTED else (payment_type,)


def callback_method(payment_type: int | None) -> int:
    """The callback's ``method``: 1 for the KNET rails, 2 (MPGS) for everything else."""
    return CallbackMethod.KNET if payment_type in KNET_RAILS else CallbackMethod.MPGS


def _magic_result(name: str | None) -> ResultCode | None:
    wanted = (name or "").strip().upper()
    return next((code for code in ResultCode if code.value == wanted), None)


@dataclass
class CheckoutService:
    """Checkouts on a store, changed under one lock so a page and the control plane cannot race."""

    store: Store
    clock: Clock
    merchants: MerchantRegistry
    ttl: float = DEFAULT_TTL
    on_change: list[CheckoutHook] = field(default_factory=list)
    #: the Merchant API's refunds: what they gave back decides whether a checkout reads REFUNDED
    refunds: RefundService | None = None
    #: saves the card of a paid save-card checkout (saved cards plug in here)
    card_saver: CardSaver | None = None
    #: every change of a checkout is made under it (re-entrant: subscriptions bill under it too)
    lock: threading.RLock = field(default_factory=threading.RLock, repr=False)

    # -- create ------------------------------------------------------------------------------
    def create(self, merchant: Merchant, new: NewCheckout, *, source: CheckoutSource = "checkout",
               card_id: int | None = None, parent_token: str | None = None,
               pos_terminal: str | None = None) -> Checkout:
        """A new PENDING checkout; ``source`` ``"saved_card"`` for a saved card's charge (``card_id``),
        ``"subscription"`` for a recurrence of the subscription ``parent_token``. A subscription
        cannot start before today (Laravel's ``after_or_equal:today``): its first recurrences would be
        dated before it existed."""
        if new.recurring is not None and new.recurring.start_date < self.clock.today():
            raise GatewayRefusal(GatewayErrorCode.INVALID_INPUT, field_errors={
                "recurring.start_date": ["The recurring start date must be a date after or equal to today."]})
        for _attempt in range(_KEY_RETRIES):
            checkout = self._draft(merchant, new, source=source, card_id=card_id, parent_token=parent_token,
                                   pos_terminal=pos_terminal)
            try:
                return self.store.insert_checkout(checkout)
            except KeyConflict:
                continue
        raise RuntimeError("could not draw a unique checkout token")  # pragma: no cover - 10^12 space

    def _draft(self, merchant: Merchant, new: NewCheckout, *, source: CheckoutSource,
               card_id: int | None = None, parent_token: str | None = None, pos_terminal: str | None = None,
               at: float | None = None) -> Checkout:
        """A new PENDING checkout as it would be stored, with a freshly drawn token and session, made
        now or ``at`` (epoch seconds: a recurrence billed for its due day); its token carries the
        same instant as its stamp (hesabe-checkout-api.md §4.5)."""
        now = self.clock.time() if at is None else at
        return Checkout(
            merchant_id=merchant.merchant_id, token=keys.transaction_token(merchant.merchant_code, now),
            session=keys.checkout_session(), amount=new.amount, currency=new.currency,
            payment_type=new.payment_type, response_url=new.response_url, failure_url=new.failure_url,
            created_at=self.clock.stamp() if at is None else self.clock.stamp_at(at),
            expires_at=now + self.ttl, order_reference=new.order_reference,
            version=new.version, webhook_url=new.webhook_url, variables=new.variables,
            customer_name=new.customer_name, customer_email=new.customer_email,
            customer_mobile=new.customer_mobile, authorize=new.authorize, channel=new.channel,
            embedded=new.embedded, notes=new.notes, source=source, save_card=new.save_card,
            card_customer_id=new.card_customer_id, card_id=card_id, parent_token=parent_token,
            pos_terminal=pos_terminal,
            **_recurring_fields(new),
        )

    def charge_once(self, merchant: Merchant, new: NewCheckout, outcome: str, *, result_code: str | None,
                    parent_token: str, on_file: tuple[str, str] | None, paid_on: str | None,
                    write: Callable[[Checkout], Checkout | None]) -> Checkout | None:
        """An off-session charge that only one writer may make: a recurrence of the subscription
        ``parent_token``, made and paid at once (no page) and stored by ``write`` (the store's claim,
        which stores it with the change that makes it the one). The charge as stored, its hooks
        told; None when ``write`` stored nothing (another process made it first). ``paid_on``: the
        stamp it reads as paid (its due day), else now."""
        for _attempt in range(_KEY_RETRIES):
            draft = self._draft(merchant, new, source="subscription", parent_token=parent_token,
                                at=self._epoch(paid_on) if paid_on is not None else None)
            method = self._method(draft, None, result_code)
            paid, _result = self._paid(draft, outcome, result_code, method, None, on_file)
            try:
                stored = write(replace(paid, paid_on=paid_on) if paid_on is not None else paid)
            except KeyConflict:
                continue
            if stored is not None:
                self._told(merchant, stored, draft.status)
            return stored
        raise RuntimeError("could not draw a unique checkout token")  # pragma: no cover - 10^12 space

    # -- look-ups ----------------------------------------------------------------------------
    def merchant_of(self, checkout: Checkout) -> Merchant:
        merchant = self.merchants.by_id(checkout.merchant_id)
        if merchant is None:  # pragma: no cover - checkouts are only created for known merchants
            raise NotFound(f"No merchant with id {checkout.merchant_id}")
        return merchant

    def find(self, token: str) -> Checkout:
        """Any merchant's checkout by its transaction token (the control plane), else NotFound."""
        with self.lock:
            found = self.store.find_checkout(token)
            if found is None:
                raise NotFound(f"No checkout with token {token}")
            return self._settled(found)

    def by_session(self, session: str) -> Checkout | None:
        """The checkout a payment page is for (any merchant: the page is public)."""
        with self.lock:
            found = self.store.find_checkout_by_session(session)
            return None if found is None else self._settled(found)

    def of_merchant(self, merchant: Merchant, token: str) -> Checkout | None:
        """The merchant's checkout with this token; None for another merchant's or an unknown one."""
        with self.lock:
            found = self.store.find_checkout(token)
            if found is None or found.merchant_id != merchant.merchant_id:
                return None
            return self._settled(found)

    def attempts(self, merchant: Merchant, order_reference: str) -> list[Checkout]:
        """Every checkout of the merchant for an order reference, oldest first."""
        with self.lock:
            return [self._settled(c) for c in self.store.checkouts_by_reference(merchant.merchant_id,
                                                                                order_reference)]

    def enquire(self, merchant: Merchant, key: str,
                by_reference: bool) -> tuple[Checkout, list[Checkout]] | None:
        """The enquiry: the transaction named and every attempt of its order reference (oldest
        first); by reference, the one that settled the order (:func:`settling`). None when
        nothing matches."""
        if by_reference:
            found = [self.reported(c) for c in self.attempts(merchant, key)]
            if not found:
                return None
            return settling(found), found
        checkout = self.of_merchant(merchant, key)
        if checkout is None:
            return None
        if not checkout.order_reference:
            return self.reported(checkout), [self.reported(checkout)]
        attempts = self.attempts(merchant, checkout.order_reference)
        return self.reported(checkout), [self.reported(c) for c in attempts]

    def is_expired(self, checkout: Checkout) -> bool:
        return checkout.status == TransactionStatus.PENDING and self.clock.time() >= checkout.expires_at

    def _settled(self, checkout: Checkout) -> Checkout:
        """``checkout``, failed and stored as such if its session ran out while pending (under the lock)."""
        if not self.is_expired(checkout):
            return checkout
        failed = self._store(checkout, replace(checkout, status=TransactionStatus.FAILED,
                                               result_code=ResultCode.NOT_CAPTURED.value))
        # None: another process moved it first (expired or paid it): as it is now
        return failed or self.store.find_checkout(checkout.token) or checkout

    def _store(self, before: Checkout, after: Checkout) -> Checkout | None:
        """Move ``before`` on to ``after`` (a claim: only from the state it was read in), then tell
        the hooks; None, nothing stored and nobody told, when another process moved it first."""
        if self.store.claim_checkout(before, after) is None:
            return None
        self._told(self.merchant_of(after), after, before.status)
        return after

    def _completed_elsewhere(self, token: str) -> CheckoutRefused:
        """What a payment that lost its claim is refused with: what it would meet now."""
        current = self.store.find_checkout(token)
        state = current.status if current is not None else "gone"
        return CheckoutRefused("completed", f"Checkout {token} is already {state}")

    def _told(self, merchant: Merchant, after: Checkout, status_before: str) -> None:
        """Run the ``on_change`` hooks for a change already stored."""
        for hook in list(self.on_change):
            try:
                hook(merchant, after, status_before)
            except Exception:  # a broken webhook sender must never undo or fail a payment
                log.exception("checkout hook %r failed", hook)

    # -- paying ------------------------------------------------------------------------------
    def pay(self, token: str, outcome: str = Outcome.SUCCESS, *, result_code: str | None = None,
            payment_type: int | str | None = None, card: CardEntry | None = None,
            on_file: tuple[str, str] | None = None) -> Checkout:
        """The customer completes the page: ``success``, ``failure`` (declined by the bank),
        ``cancelled`` (by the customer) or ``expired`` (the session ends now).

        ``result_code`` names the result (it must agree with the outcome); ``payment_type`` the
        method used (default: the requested one, or the first the page offers); ``card`` the test
        card typed into the form, whose documented outcome decides a success; ``on_file`` the
        ``(brand, masked number)`` of a saved card a charge uses (no form).
        """
        if outcome not in OUTCOMES:
            raise CheckoutRefused("outcome", f"outcome must be one of {', '.join(OUTCOMES)}, got {outcome!r}")
        with self.lock:
            checkout = self.find(token)
            if checkout.status != TransactionStatus.PENDING:
                raise CheckoutRefused("completed", f"Checkout {token} is already {checkout.status}")
            if outcome == Outcome.EXPIRED:
                if result_code is not None:
                    raise CheckoutRefused("result_code", "an expired session has no result code to choose")
                completed = replace(checkout, expires_at=self.clock.time(), status=TransactionStatus.FAILED,
                                    result_code=Outcome.EXPIRED.result_code.value)
            else:
                method = self._method(checkout, payment_type, result_code)
                completed, result = self._paid(checkout, outcome, result_code, method, card, on_file)
                if completed.save_card and result.successful and self.card_saver is not None:
                    completed = replace(completed, card_id=self.card_saver(completed, card, method))
            stored = self._store(checkout, completed)
            if stored is None:  # paid, failed or expired by another process meanwhile
                raise self._completed_elsewhere(token)
            return stored

    def _paid(self, checkout: Checkout, outcome: str, result_code: str | None, method: int,
              card: CardEntry | None, on_file: tuple[str, str] | None) -> tuple[Checkout, ResultCode]:
        """The PENDING ``checkout`` paid with ``method`` (not stored: its result, card and ids)
        and its result."""
        result = self._result(checkout, outcome, result_code, method, card)
        completed = self._completed(checkout, method, result, card)
        if on_file is not None:
            completed = replace(completed, card_type=on_file[0], card_masked=on_file[1])
        if completed.recurring_frequency is not None and result.successful:
            completed = replace(completed, subscription_status=SubscriptionState.ACTIVE)
        return completed, result

    def _method(self, checkout: Checkout, payment_type: int | str | None, result_code: str | None) -> int:
        """The method paid with: the one named, else the first offered that can end with
        ``result_code`` (an MPGS outcome picks an MPGS rail), else the first offered."""
        offered = methods_for(checkout.payment_type)
        result = ResultCode(result_code) if result_code in set(ResultCode) else None
        if payment_type is None or payment_type == "":
            fitting = [m for m in offered if result is None or carries(m, result)]
            return (fitting or offered)[0]
        try:
            method = int(str(payment_type).strip())
        except ValueError:
            why = f"payment_type must be a number, got {payment_type!r}"
            raise CheckoutRefused("payment_type", why) from None
        if method not in offered:
            shown = ", ".join(str(m) for m in offered)
            raise CheckoutRefused("payment_type", f"Payment type {method} is not offered for this checkout "
                                                  f"(offered: {shown})")
        if result is not None and not carries(method, result):
            raise CheckoutRefused("result_code", f"result_code {result.value} is not an outcome of payment "
                                                 f"type {method} (a KNET decline reads NOT CAPTURED; "
                                                 "EXPIRED_CARD, TIMED_OUT ... are MPGS outcomes)")
        return method

    def _result(self, checkout: Checkout, outcome: str, result_code: str | None, method: int,
                card: CardEntry | None) -> ResultCode:
        if result_code is not None:
            try:
                chosen = ResultCode(result_code)
            except ValueError:
                known = ", ".join(code.value for code in ResultCode)
                why = f"unknown result_code {result_code!r}; known: {known}"
                raise CheckoutRefused("result_code", why) from None
            if chosen.successful != (outcome == Outcome.SUCCESS):
                why = f"result_code {chosen.value} does not fit outcome {outcome}"
                raise CheckoutRefused("result_code", why)
            return self._authorized(checkout, chosen)
        if outcome != Outcome.SUCCESS:
            return Outcome(outcome).result_code
        if card is not None and method in CARD_METHODS:
            from_card = card_result(method, card)
            if not from_card.successful:
                return from_card
        return self._authorized(checkout, _magic_result(checkout.customer_name) or ResultCode.CAPTURED)

    @staticmethod
    def _authorized(checkout: Checkout, result: ResultCode) -> ResultCode:
        """An authorize-only checkout that succeeds is AUTHORIZED, whatever success was named."""
        return ResultCode.AUTHORIZED if checkout.authorize and result.successful else result

    def _completed(self, checkout: Checkout, method: int, result: ResultCode,
                   card: CardEntry | None) -> Checkout:
        knet = callback_method(method) == CallbackMethod.KNET
        if result == ResultCode.AUTHORIZED:
            status = TransactionStatus.AUTHORIZED
        else:
            status = TransactionStatus.SUCCESSFUL if result.successful else TransactionStatus.FAILED
        number = card.number if card is not None and method in CARD_METHODS else ""
        now = self.clock.stamp()
        payment_id, transaction_id = keys.payment_ids(now, knet)
        return replace(
            checkout, status=status, result_code=result.value, paid_type=method,
            paid_on=now, payment_id=payment_id, transaction_id=transaction_id,
            track_id=keys.digits(8) if knet else None, terminal=keys.digits(6) if knet else None,
            auth_code=keys.digits(6) if result.successful else None,
            card_type=brand(number, method) if number or knet else None,
            card_masked=masked(number) if number else None,
            captured_amount=checkout.amount if status == TransactionStatus.SUCCESSFUL else None,
        )

    # -- after the payment -------------------------------------------------------------------
    def capture(self, merchant: Merchant, token: str, amount: str) -> Checkout:
        """Take ``amount`` (at most what was authorized) of an AUTHORIZED checkout."""
        with self.lock:
            checkout = self.of_merchant(merchant, token)
            if checkout is None:
                raise GatewayRefusal(GatewayErrorCode.INVALID_PAYMENT_TOKEN)
            if checkout.status != TransactionStatus.AUTHORIZED:
                raise GatewayRefusal(GatewayErrorCode.TRANSACTION_ERROR)
            authorized_on = self._epoch(checkout.paid_on)
            if authorized_on is not None and self.clock.time() > authorized_on + CAPTURE_WINDOW:
                raise GatewayRefusal(GatewayErrorCode.TRANSACTION_ERROR)
            if Decimal(amount) > Decimal(checkout.amount):
                raise GatewayRefusal(GatewayErrorCode.INVALID_INPUT, field_errors={
                    "amount": [f"The amount may not be greater than the authorized {checkout.amount}."]})
            partial = Decimal(amount) < Decimal(checkout.amount)
            result = ResultCode.PARTIALLY_CAPTURED if partial else ResultCode.CAPTURED
            captured = replace(checkout, status=TransactionStatus.SUCCESSFUL, result_code=result.value,
                               captured_amount=format_amount(amount))
            stored = self._store(checkout, captured)
            if stored is None:  # captured or voided by another process meanwhile
                raise GatewayRefusal(GatewayErrorCode.TRANSACTION_ERROR)
            return stored

    def void(self, merchant: Merchant, token: str) -> Checkout:
        """Cancel an AUTHORIZED checkout that was not captured (the reservation is released)."""
        with self.lock:
            checkout = self.of_merchant(merchant, token)
            if checkout is None:
                raise GatewayRefusal(GATEWAY_BAD_REQUEST, "Invalid Token", http_status=404)
            voided = None
            if checkout.status == TransactionStatus.AUTHORIZED:  # None: captured or voided elsewhere first
                voided = self._store(checkout, replace(checkout, status=TransactionStatus.CANCELLED))
            if voided is None:
                raise GatewayRefusal(GATEWAY_BAD_REQUEST, "Invalid Request")
            return voided

    # -- refunds (the Merchant API's; see the module docstring) ---------------------------------
    def find_paid(self, merchant_id: int, token: str) -> PaidTransaction | None:
        """The merchant's captured (SUCCESSFUL) checkout by its transaction token, as a refund
        needs it; None for anything else (unknown, another merchant's, pending, failed,
        authorized only, voided). A :data:`~mock_server.state.refundable.PaidLookup`."""
        with self.lock:
            found = self.store.find_checkout(token)
            if found is None or found.merchant_id != merchant_id:
                return None
            checkout = self._settled(found)
        if checkout.status != TransactionStatus.SUCCESSFUL or not is_payment(checkout):
            return None
        return checkout_paid(checkout)

    def reported(self, checkout: Checkout) -> Checkout:
        """``checkout`` as the enquiry reports it: a SUCCESSFUL one whose approved refunds cover what
        was captured reads REFUNDED (a view; the stored record keeps SUCCESSFUL)."""
        if checkout.status != TransactionStatus.SUCCESSFUL or self.refunds is None:
            return checkout
        if not is_payment(checkout):
            return checkout  # a VERIFY or a subscription at 0.000 took nothing to give back
        captured = checkout.captured_amount or checkout.amount
        if not self.refunds.balance(checkout.merchant_id, checkout.token, captured).fully_refunded:
            return checkout
        return replace(checkout, status=TransactionStatus.REFUNDED)

    @staticmethod
    def _epoch(stamp: str | None) -> float | None:
        """A Kuwait ``YYYY-MM-DD HH:MM:SS`` stamp as epoch seconds."""
        if not stamp:
            return None
        return datetime.strptime(stamp, "%Y-%m-%d %H:%M:%S").replace(tzinfo=KUWAIT).timestamp()
