"""The handler of every operation in the table, by operation name: one explicit registry.

Two kinds of handler, as the operation table has two kinds of operation: :class:`PlainHandler`
for the unauthenticated plain-JSON ones (login, refresh) and :class:`MerchantHandler` for every
operation of an identified merchant (by bearer token on the Merchant API, by ``accessCode`` on the
payment gateway). ``tests/mock/test_handlers.py`` checks that the registry names exactly the
operations of the table, each with the kind its ``auth`` needs.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from mock_server.handlers import (
    auth,
    bulk_invoices,
    checkout,
    invoices,
    open_invoices,
    pos,
    profile,
    refunds,
    reports,
    saved_cards,
)
from mock_server.runtime import Call, PlainCall, Reply
from mock_server.state.errors import DomainError, FieldRef

__all__ = ["HANDLERS", "Handler", "MerchantHandler", "PlainHandler"]


@dataclass(frozen=True, slots=True)
class PlainHandler:
    """Handles an unencrypted operation from its plain fields (no merchant yet)."""

    run: Callable[[PlainCall], Reply]


@dataclass(frozen=True, slots=True)
class MerchantHandler:
    """Handles an authenticated, decrypted (where encrypted) and validated request of one merchant.

    ``wire_names``: the wire name of each command attribute a domain refusal may name, where the
    two are spelled differently (``products`` is ``itemsList``); ``parts``: the wire list a group
    command's parts come from (``invoices``), which prefixes a part's fields (``invoices.1.itemsList``).
    """

    run: Callable[[Call], Reply]
    wire_names: Mapping[str, str] = field(default_factory=dict)
    parts: str | None = None

    def field_errors(self, refusal: DomainError) -> dict[str, list[str]] | None:
        """The refusal's field errors under their wire names."""
        if refusal.field_errors is None:
            return None
        return {self.wire_name(field): messages for field, messages in refusal.field_errors.items()}

    def wire_name(self, field: FieldRef) -> str:
        """``products`` -> ``itemsList``; ``(1, "products")`` -> ``invoices.1.itemsList``."""
        if isinstance(field, str):
            return self.wire_names.get(field, field)
        part, name = field
        return f"{self.parts or 'parts'}.{part}.{self.wire_names.get(name, name)}"


Handler = PlainHandler | MerchantHandler

HANDLERS: dict[str, Handler] = {
    "login": PlainHandler(auth.login),
    "refresh_token": PlainHandler(auth.refresh_token),
    "create_invoice": MerchantHandler(invoices.create_invoice, invoices.NEW_INVOICE_NAMES),
    "create_subscription_invoice": MerchantHandler(invoices.create_subscription_invoice,
                                                   invoices.NEW_INVOICE_NAMES),
    "create_split_invoice": MerchantHandler(invoices.create_split_invoice, invoices.NEW_INVOICE_NAMES,
                                            parts="invoices"),
    "create_installment_invoice": MerchantHandler(invoices.create_installment_invoice,
                                                  invoices.NEW_INVOICE_NAMES, parts="invoices"),
    "list_invoices": MerchantHandler(invoices.list_invoices),
    "get_invoice": MerchantHandler(invoices.get_invoice),
    "resend_invoice": MerchantHandler(invoices.resend_invoice),
    "send_bulk_invoices": MerchantHandler(invoices.send_bulk_invoices),
    "cancel_invoice": MerchantHandler(invoices.cancel_invoice),
    "create_open_invoice": MerchantHandler(open_invoices.create_open_invoice,
                                           open_invoices.NEW_OPEN_INVOICE_NAMES),
    "list_open_invoices": MerchantHandler(open_invoices.list_open_invoices),
    "get_open_invoice": MerchantHandler(open_invoices.get_open_invoice),
    "update_open_invoice": MerchantHandler(open_invoices.update_open_invoice),
    "cancel_open_invoice": MerchantHandler(open_invoices.cancel_open_invoice),
    "upload_bulk_invoices": MerchantHandler(bulk_invoices.upload_bulk_invoices),
    "list_bulk_invoices": MerchantHandler(bulk_invoices.list_bulk_invoices),
    "update_bulk_invoice": MerchantHandler(bulk_invoices.update_bulk_invoice),
    "delete_bulk_invoice": MerchantHandler(bulk_invoices.delete_bulk_invoice),
    "create_refund": MerchantHandler(refunds.create_refund, refunds.REFUND_REQUEST_NAMES),
    "list_refunds": MerchantHandler(refunds.list_refunds),
    "get_refund": MerchantHandler(refunds.get_refund),
    "cancel_refund": MerchantHandler(refunds.cancel_refund),
    "get_profile": MerchantHandler(profile.get_profile),
    "create_checkout": MerchantHandler(checkout.create_checkout, checkout.NEW_CHECKOUT_NAMES),
    "transaction_enquiry": MerchantHandler(checkout.transaction_enquiry),
    "capture_authorization": MerchantHandler(checkout.capture_authorization),
    "cancel_authorization": MerchantHandler(checkout.cancel_authorization),
    "capture_subscription": MerchantHandler(checkout.capture_subscription),
    "cancel_subscription": MerchantHandler(checkout.cancel_subscription),
    "list_open_invoice_customers": MerchantHandler(open_invoices.list_open_invoice_customers),
    "get_transactions_report": MerchantHandler(reports.get_transactions_report),
    "create_pos_invoice": MerchantHandler(pos.create_pos_invoice),
    "resend_pos_invoice": MerchantHandler(pos.resend_pos_invoice),
    "list_pos_invoices": MerchantHandler(pos.list_pos_invoices),
    "get_pos_invoice": MerchantHandler(pos.get_pos_invoice),
    "list_pos_terminals": MerchantHandler(pos.list_pos_terminals),
    "create_card_customer": MerchantHandler(saved_cards.create_card_customer),
    "list_saved_cards": MerchantHandler(saved_cards.list_saved_cards),
    "charge_saved_card": MerchantHandler(saved_cards.charge_saved_card),
    "delete_saved_card": MerchantHandler(saved_cards.delete_saved_card),
}
