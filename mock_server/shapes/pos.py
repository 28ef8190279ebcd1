"""Wire shapes of Smart POS: a POS invoice (a checkout at a terminal) and a terminal. No source prints
either; the keys are the docs' snake_case POS fields (docs/fidelity.md)."""

from __future__ import annotations

from typing import Any

from hesabe_spec.enums import TransactionStatus
from mock_server.state.models import Checkout
from mock_server.state.pos import Terminal

__all__ = ["pos_invoice", "terminal"]

#: the statuses of a sale the customer paid (a refunded one was paid too)
_PAID = frozenset({TransactionStatus.SUCCESSFUL, TransactionStatus.REFUNDED})


def pos_invoice(c: Checkout) -> dict[str, Any]:
    """A POS invoice on the wire (the mock's shape: no source prints one)."""
    return {"id": c.id, "token": c.token, "terminal_id": c.pos_terminal or "", "amount": c.amount,
            "reference_number": c.order_reference, "status": c.status, "customer_name": c.customer_name,
            "mobile_number": c.customer_mobile, "created_at": c.created_at,
            "paid_at": c.paid_on if c.status in _PAID else None}  # a declined sale was never paid


def terminal(t: Terminal) -> dict[str, Any]:
    """A terminal of the merchant's, as the terminals list shows it."""
    return {"id": t.id, "terminal_id": t.terminal_id, "name": t.name, "status": t.status}
