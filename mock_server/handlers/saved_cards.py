"""Saved-card handlers (direct payment): the payload's wire names (``customer_id``, ``card_id``,
``mobile_number``) end here; the answers are the docs' ciphertexts' shapes (bare hex, no ``code``)."""

from __future__ import annotations

from typing import Any

from hesabe_spec.enums import TransactionStatus
from mock_server.handlers.checkout import gateway_amount
from mock_server.handlers.values import whole_number
from mock_server.runtime import Call, Reply
from mock_server.shapes import ledger as shapes
from mock_server.state.commands import CardCharge, NewCardCustomer

__all__ = ["charge_saved_card", "create_card_customer", "delete_saved_card", "list_saved_cards"]

#: a declined charge's message (a third-party SDK finds declines by "declined" in it; low)
DECLINED = "Payment declined"


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def create_card_customer(call: Call) -> Reply:
    p = call.payload
    new = NewCardCustomer(name=str(p["name"]), email=str(p["email"]), mobile_number=str(p["mobile_number"]),
                          external_id=_text(p.get("customer_id")))
    customer = call.domain.saved_cards.create_customer(call.merchant, new)
    return Reply(body={"status": True, "message": call.operation.success_message,
                       "data": shapes.customer(customer)})


def list_saved_cards(call: Call) -> Reply:
    cards = call.domain.saved_cards.cards(call.merchant, whole_number(call.payload["customer_id"]))
    return Reply(body={"status": True, "message": call.operation.success_message,
                       "response": {"cards": [shapes.card(c) for c in cards]}})


def charge_saved_card(call: Call) -> Reply:
    p = call.payload
    customer = p.get("customer_id")
    reference = p.get("order_reference")
    ask = CardCharge(card_id=whole_number(p["card_id"]), amount=gateway_amount(p["amount"]),
                     customer_id=None if customer in (None, "") else whole_number(customer),
                     order_reference=None if reference in (None, "") else str(reference))
    checkout = call.domain.saved_cards.charge(call.merchant, ask)
    if checkout.status == TransactionStatus.SUCCESSFUL:
        return Reply(body={"status": True, "message": call.operation.success_message,
                           "response": shapes.charge_result(checkout)})
    # declined: the call was understood, the bank said no (400, like the gateway's other refusals)
    return Reply(status=400, body={"status": False, "message": DECLINED,
                                   "response": shapes.charge_result(checkout)})


def delete_saved_card(call: Call) -> Reply:
    call.domain.saved_cards.delete(call.merchant, int(call.params["id"]))
    return Reply(body={"status": True, "message": call.operation.success_message, "response": None})

