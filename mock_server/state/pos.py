"""Smart POS (hesabe-api.md §13 rows 27-28): invoices sent to a merchant's card terminal.

A POS invoice asks the customer at a terminal to pay an amount. It is a transaction like a
checkout (``source`` ``"pos"``, service type 6 POS): the terminal completes it as the hosted page
completes a checkout, so ``POST /_mock/checkouts/{token}/pay`` pays or declines it, and the enquiry,
refunds and the transactions report see it (no webhook: a POS invoice names no ``webhookUrl``). It
is not an invoice: the invoice dashboard never counts it.

The sources print no field of these calls (a third-party SDK's wrappers and the docs' page names
only): the fields, the terminals and the answers are the mock's, recorded in docs/fidelity.md.
Every merchant has two terminals, numbered from its merchant code.
"""

from __future__ import annotations

from dataclasses import dataclass

from hesabe_spec.enums import PaymentType, TransactionStatus
from mock_server.merchants import Merchant
from mock_server.state.checkouts import CheckoutService
from mock_server.state.commands import NewCheckout
from mock_server.state.errors import NotFound, Refused
from mock_server.state.models import Checkout

__all__ = ["PosService", "Terminal", "terminals"]


@dataclass(frozen=True, slots=True)
class Terminal:
    id: int
    terminal_id: str
    name: str
    status: int  # 1 active


def terminals(merchant: Merchant) -> list[Terminal]:
    """The merchant's card terminals (every merchant of the mock has these two)."""
    return [Terminal(n, f"{merchant.merchant_code}{n:02d}", f"Counter {n}", 1) for n in (1, 2)]


def _invalid(name: str, message: str) -> Refused:
    return Refused(message, {name: [message]})


@dataclass
class PosService:
    checkouts: CheckoutService

    def create(self, merchant: Merchant, amount: str, terminal_id: str, reference: str | None,
               customer_name: str | None, mobile_number: str | None) -> Checkout:
        """A POS invoice waiting at the terminal (PENDING until the terminal completes it)."""
        if terminal_id not in {t.terminal_id for t in terminals(merchant)}:
            raise _invalid("terminal_id", "The selected terminal id is invalid.")
        new = NewCheckout(
            amount=amount, currency="KWD", payment_type=PaymentType.HOSTED, response_url="", failure_url="",
            order_reference=reference, version=None, webhook_url=None, variables=(None,) * 5,
            customer_name=customer_name, customer_email=None, customer_mobile=mobile_number, authorize=False,
            channel=None, embedded=False,
        )
        return self.checkouts.create(merchant, new, source="pos", pos_terminal=terminal_id)

    def invoices(self, merchant: Merchant) -> list[Checkout]:
        """The merchant's POS invoices, newest first."""
        found = self.checkouts.store.checkouts_of_merchant(merchant.merchant_id, source="pos")
        return [self.checkouts.reported(self.checkouts.of_merchant(merchant, c.token) or c)
                for c in reversed(found)]

    def get(self, merchant: Merchant, invoice_id: int) -> Checkout:
        found = next((c for c in self.invoices(merchant) if c.id == invoice_id), None)
        if found is None:
            raise NotFound()
        return found

    def resend(self, merchant: Merchant, invoice_id: int) -> Checkout:
        """Send a pending POS invoice to its terminal again (nothing changes on the mock)."""
        found = next((c for c in self.invoices(merchant) if c.id == invoice_id), None)
        if found is None:
            raise _invalid("invoice_id", "The selected invoice id is invalid.")
        if found.status != TransactionStatus.PENDING:
            raise Refused("Only a pending POS invoice can be resent.")
        return found
