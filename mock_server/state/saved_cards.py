"""Saved cards ("Direct Payment (MPGS)", hesabe-checkout-api.md §8.3): customers, their cards, charges.

The life of a saved card::

    create_card_customer -> a checkout with saveCard true and that customer_id (amount 0.000: VERIFY)
        -> the customer pays it on the hosted page -> the card is saved (the callback's cardId)
        -> charge_saved_card (no customer present), any number of times -> delete_saved_card

A charge is a checkout (``source`` ``"saved_card"``) paid at once through
:meth:`~mock_server.state.checkouts.CheckoutService.pay`: the same transaction token, enquiry,
refunds and transactions-report row as a payment on the hosted page (no webhook: a charge names no
``webhookUrl``). Whether it is
approved is the control plane's to say (:mod:`mock_server.state.decisions`: the next charges of a
merchant are declined, or approved, with a chosen result code); by default it is approved.

Refusals are the gateway's 422 with Laravel-style field errors (an unknown customer or card, a
card of another customer); a declined charge is ``status false`` with the result.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from hesabe_spec.enums import GatewayErrorCode
from mock_server.clock import Clock
from mock_server.merchants import Merchant
from mock_server.state.cards import CardEntry, brand, normal_expiry, prefill
from mock_server.state.checkouts import CheckoutService, GatewayRefusal
from mock_server.state.commands import CardCharge, NewCardCustomer, NewCheckout
from mock_server.state.decisions import ChargeDecisions
from mock_server.state.errors import NotFound
from mock_server.state.models import CardCustomer, Checkout, SavedCard
from mock_server.state.store import Store, is_record_id

__all__ = ["SavedCardService", "card_number"]


def card_number(number: str) -> str:
    """The saved card's ``card_number`` as the list shows it: ``****0008``."""
    digits = "".join(ch for ch in number if ch.isdigit())
    return "****" + digits[-4:].rjust(4, "0")


def _invalid(name: str, message: str) -> GatewayRefusal:
    return GatewayRefusal(GatewayErrorCode.INVALID_INPUT, field_errors={name: [message]})


@dataclass
class SavedCardService:
    """Card customers and saved cards on a store; charges through the checkouts."""

    store: Store
    clock: Clock
    checkouts: CheckoutService
    #: the control plane's decisions for off-session charges (shared with subscriptions)
    decisions: ChargeDecisions = field(default_factory=ChargeDecisions)

    # -- customers ---------------------------------------------------------------------------
    def create_customer(self, merchant: Merchant, new: NewCardCustomer) -> CardCustomer:
        draft = CardCustomer(merchant_id=merchant.merchant_id, customer_id=new.external_id, name=new.name,
                             email=new.email, mobile_number=new.mobile_number, created_at=self.clock.stamp())
        stored = self.store.insert_card_customer(draft)
        # Hesabe numbers a customer itself when the merchant sends no id of its own (the sample's
        # "84222861": the merchant code, then digits); the mock uses the code and the record id.
        return stored if stored.customer_id else _numbered(stored, merchant)

    def customer(self, merchant: Merchant, customer_id: int) -> CardCustomer:
        found = None
        if is_record_id(customer_id):
            found = self.store.get_card_customer(merchant.merchant_id, customer_id)
        if found is None:
            raise _invalid("customer_id", "The selected customer id is invalid.")
        return _numbered(found, merchant) if not found.customer_id else found

    # -- cards -------------------------------------------------------------------------------
    def cards(self, merchant: Merchant, customer_id: int) -> list[SavedCard]:
        self.customer(merchant, customer_id)
        return self.store.saved_cards(merchant.merchant_id, customer_id)

    def card(self, merchant: Merchant, card_id: int) -> SavedCard:
        found = self.store.get_saved_card(merchant.merchant_id, card_id) if is_record_id(card_id) else None
        if found is None:
            raise _invalid("card_id", "The selected card id is invalid.")
        return found

    def delete(self, merchant: Merchant, card_id: int) -> None:
        if not (is_record_id(card_id)) or not self.store.delete_saved_card(merchant.merchant_id, card_id):
            raise NotFound("Card not found")

    def save_verified(self, checkout: Checkout, entry: CardEntry | None, method: int) -> int | None:
        """Save the card a save-card checkout was just paid with; its ``card_id`` (None when the
        checkout's customer is gone). The control plane pays without a form: the method's test card."""
        customer_id = checkout.card_customer_id
        if customer_id is None or self.store.get_card_customer(checkout.merchant_id, customer_id) is None:
            return None
        test_card = prefill(method)
        if entry is None and test_card is not None:
            entry = CardEntry(test_card.number, test_card.expiry or "05/39", test_card.cvv)
        number = entry.number if entry is not None else "5123450000000008"
        month, _sep, year = normal_expiry(entry.expiry if entry is not None else "05/39").partition("/")
        card = SavedCard(
            merchant_id=checkout.merchant_id, customer_id=customer_id, card_number=card_number(number),
            expiry_month=month if len(month) == 2 else "01", expiry_year=year if len(year) == 2 else "39",
            brand=brand(number, method).upper(), name_on_card=checkout.customer_name or "",
            payment_type=method, created_at=self.clock.stamp(),
        )
        return self.store.insert_saved_card(card).id

    # -- charges ---------------------------------------------------------------------------
    def charge(self, merchant: Merchant, ask: CardCharge) -> Checkout:
        """Charge a saved card: a checkout opened and paid at once, approved unless the control
        plane queued a decline. Refused (nothing stored) for an unknown card or customer."""
        card = self.card(merchant, ask.card_id)
        if ask.customer_id is not None and ask.customer_id != card.customer_id:
            self.customer(merchant, ask.customer_id)  # an unknown customer reads as such
            raise _invalid("card_id", "The card does not belong to this customer.")
        customer = self.store.get_card_customer(merchant.merchant_id, card.customer_id)
        new = NewCheckout(
            amount=ask.amount, currency="KWD", payment_type=card.payment_type, response_url="",
            failure_url="", order_reference=ask.order_reference, version=None, webhook_url=None,
            variables=(None,) * 5, customer_name=customer.name if customer else None,
            customer_email=customer.email if customer else None,
            customer_mobile=customer.mobile_number if customer else None, authorize=False, channel=None,
            embedded=False, card_customer_id=card.customer_id,
        )
        decision = self.decisions.take(merchant.merchant_id)
        checkout = self.checkouts.create(merchant, new, source="saved_card", card_id=card.id)
        return self.checkouts.pay(checkout.token, decision.outcome, result_code=decision.result_code,
                                  on_file=(card.brand, card.card_number))


def _numbered(customer: CardCustomer, merchant: Merchant) -> CardCustomer:
    return replace(customer, customer_id=f"{merchant.merchant_code}{customer.id:02d}")
