"""Saved cards in the reference client ("Direct Payment (MPGS)", hesabe-checkout-api.md §8.3).

The flow::

    customer = client.create_card_customer("Sara", "sara@example.com", "66666666")
    session = client.checkout(0, response_url=..., payment_type=2, save_card=True,
                              customer_id=customer["id"], version="3.0")   # VERIFY: 0.000
    # the customer pays on session.payment_url once; the callback's cardId names the saved card
    cards = client.list_saved_cards(customer["id"])
    charge = client.charge_saved_card(cards[0]["card_id"], "9.900", order_reference="ORD-9")
    charge.paid, charge.payment_token   # confirm with client.get_transaction(charge.payment_token)
    client.delete_saved_card(cards[0]["card_id"])

A declined charge is an answer, not an error: :class:`SavedCardCharge` with ``paid`` False and
the bank's ``result_code``. A charge is never replayed after a timeout or a 5xx (it would take the
money twice); enquire by its order reference first.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Literal, overload

from hesabe_spec.amounts import format_amount
from hesabe_spec.client.fields import text
from hesabe_spec.client.params import Amount, Text
from hesabe_spec.client.responses import CreateCardCustomerBodyData, ListSavedCardsBodyCardsItem
from hesabe_spec.errors import EnvelopeError

if TYPE_CHECKING:
    from hesabe_spec.client.config import ClientConfig
    from hesabe_spec.client.request import Result

__all__ = ["SavedCardCharge", "SavedCardMethods"]


@dataclass(frozen=True, slots=True)
class SavedCardCharge:
    """The answer to a saved card's charge: approved (``paid``) or declined, with its token."""

    paid: bool
    result_code: str
    amount: Decimal
    currency: str
    payment_token: str
    payment_id: str | None
    paid_on: str | None
    order_reference: str | None
    message: str
    raw: Mapping[str, Any] = field(repr=False)

    @classmethod
    def from_envelope(cls, envelope: Mapping[str, Any]) -> SavedCardCharge:
        response = envelope.get("response")
        if not isinstance(response, Mapping) or not response.get("paymentToken"):
            raise EnvelopeError("a charge answer without response.paymentToken")
        reference = response.get("orderReferenceNumber")
        payment_id = response.get("paymentId")
        return cls(
            paid=envelope.get("status") is True, result_code=str(response.get("resultCode")),
            amount=Decimal(str(response.get("amount"))), currency=str(response.get("currency") or "KWD"),
            payment_token=str(response["paymentToken"]),
            payment_id=None if payment_id is None else str(payment_id),
            paid_on=None if response.get("paidOn") is None else str(response["paidOn"]),
            order_reference=None if reference is None else str(reference),
            message=str(envelope.get("message") or ""), raw=envelope,
        )


class SavedCardMethods:
    """Mixin: the saved-card operations. Needs ``call`` and ``config`` from the client."""

    config: ClientConfig
    call: Callable[..., Result]  # HesabeClient.call

    @overload
    def create_card_customer(self, name: str, email: str, mobile_number: Text, *,
                             customer_id: Text | None = None, extra: Mapping[str, Any] | None = None,
                             return_result: Literal[False] = False) -> CreateCardCustomerBodyData: ...
    @overload
    def create_card_customer(self, name: str, email: str, mobile_number: Text, *,
                             customer_id: Text | None = None, extra: Mapping[str, Any] | None = None,
                             return_result: Literal[True]) -> Result: ...
    def create_card_customer(self, name: str, email: str, mobile_number: Text, *,
                             customer_id: Text | None = None, extra: Mapping[str, Any] | None = None,
                             return_result: bool = False) -> CreateCardCustomerBodyData | Result:
        """Register a customer whose cards can be saved; its ``id`` is the ``customer_id`` of a
        save-card checkout, of :meth:`list_saved_cards` and of a charge. ``customer_id`` here is
        your own id for the customer (optional)."""
        payload: dict[str, Any] = {"name": name, "email": email, "mobile_number": text(mobile_number)}
        if customer_id is not None:
            payload["customer_id"] = text(customer_id)
        result = self.call("create_card_customer", {**payload, **(extra or {})})
        if return_result:
            return result
        data: CreateCardCustomerBodyData = result.envelope["data"]
        return data

    @overload
    def list_saved_cards(self, customer_id: int | str, *, return_result: Literal[False] = False
                         ) -> list[ListSavedCardsBodyCardsItem]: ...
    @overload
    def list_saved_cards(self, customer_id: int | str, *, return_result: Literal[True]) -> Result: ...
    def list_saved_cards(self, customer_id: int | str, *, return_result: bool = False
                         ) -> list[ListSavedCardsBodyCardsItem] | Result:
        """The customer's saved cards (``card_id``, masked ``card_number``, expiry, brand)."""
        result = self.call("list_saved_cards", {"customer_id": _id(customer_id)})
        if return_result:
            return result
        cards: list[ListSavedCardsBodyCardsItem] = result.envelope["response"]["cards"]
        return cards

    @overload
    def charge_saved_card(self, card_id: int | str, amount: Amount, *, customer_id: int | str | None = None,
                          order_reference: Text | None = None, extra: Mapping[str, Any] | None = None,
                          return_result: Literal[False] = False) -> SavedCardCharge: ...
    @overload
    def charge_saved_card(self, card_id: int | str, amount: Amount, *, customer_id: int | str | None = None,
                          order_reference: Text | None = None, extra: Mapping[str, Any] | None = None,
                          return_result: Literal[True]) -> Result: ...
    def charge_saved_card(self, card_id: int | str, amount: Amount, *, customer_id: int | str | None = None,
                          order_reference: Text | None = None, extra: Mapping[str, Any] | None = None,
                          return_result: bool = False) -> SavedCardCharge | Result:
        """Charge a saved card: a :class:`SavedCardCharge`, ``paid`` False when the bank declined
        (that is an answer, not an error). ``customer_id``, when given, must own the card."""
        money = format_amount(amount, field="amount", operation="charge_saved_card")
        payload: dict[str, Any] = {"card_id": _id(card_id), "amount": money}
        if customer_id is not None:
            payload["customer_id"] = _id(customer_id)
        if order_reference is not None:
            payload["order_reference"] = text(order_reference)
        result = self.call("charge_saved_card", {**payload, **(extra or {})}, raise_errors=False)
        if return_result:
            return result
        envelope = result.envelope
        declined = isinstance(envelope, Mapping) and envelope.get("status") is False and isinstance(
            envelope.get("response"), Mapping) and "resultCode" in envelope["response"]
        if result.error is not None and not declined:
            raise result.error
        return SavedCardCharge.from_envelope(envelope)

    @overload
    def delete_saved_card(self, card_id: int | str, *, return_result: Literal[False] = False) -> None: ...
    @overload
    def delete_saved_card(self, card_id: int | str, *, return_result: Literal[True]) -> Result: ...
    def delete_saved_card(self, card_id: int | str, *, return_result: bool = False) -> Result | None:
        """Forget a saved card."""
        result = self.call("delete_saved_card", {}, path_params={"id": _id(card_id)})
        return result if return_result else None


def _id(value: int | str) -> int | str:
    """An id as the docs send it: a number (a digit string is sent as given)."""
    return value if isinstance(value, int) and not isinstance(value, bool) else str(value)
