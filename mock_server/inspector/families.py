"""The records view's families: one :class:`Family` row per kind of record the mock keeps.

A family says how to fetch a merchant's newest records, which columns to show, and which
control-plane actions each record offers (as buttons). Adding a family (saved cards,
subscriptions, POS...) is one more row in :data:`FAMILIES`; the view renders whatever is there.
Reading the records view never changes state: a due expiry or auto-approval is shown, not stored.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from hesabe_spec.enums import (
    InvoiceStatus,
    OpenInvoiceStatus,
    OpenInvoiceType,
    RefundStatus,
    TransactionStatus,
)
from mock_server.clock import Clock
from mock_server.merchants import Merchant
from mock_server.runtime import MockRuntime
from mock_server.state.models import (
    Checkout,
    Invoice,
    InvoiceQuery,
    OpenInvoice,
    OpenInvoiceQuery,
    Refund,
    RefundQuery,
)

__all__ = ["FAMILIES", "Action", "Family", "Row"]

#: how many records of each family the view shows per merchant (newest first)
SHOWN = 50


@dataclass(frozen=True, slots=True)
class Action:
    """A button: a control-plane request (``/_mock`` + ``path``) and its JSON body."""

    label: str  # a key of mock_server.inspector.labels
    path: str
    body: dict[str, Any] = field(default_factory=dict)
    method: str = "POST"
    #: asked before the request is sent (the page's confirm dialog), for an action that changes
    #: more than its record: moving the whole mock's clock
    confirm: str | None = None


@dataclass(frozen=True, slots=True)
class Row:
    """One record as the view shows it: cells by column key, and its actions."""

    key: str  # what identifies it in the page (data-record)
    cells: dict[str, str]
    actions: tuple[Action, ...] = ()


@dataclass(frozen=True, slots=True)
class Family:
    name: str  # the section's label key and id
    columns: tuple[str, ...]  # label keys, also the keys of Row.cells
    rows: Callable[[MockRuntime, Merchant], Sequence[Row]]


def _moving_the_clock(to: str) -> str:
    return (f"Move the whole mock's clock to {to} (Kuwait time)? Every invoice, checkout and token "
            "that expires before then expires too, for every merchant.")


def _expire_at_day_end(day: str | None, clock: Clock) -> Action | None:
    """"Expire": the clock moved to the first second after ``day`` (Kuwait), if it is not past yet."""
    if not day:
        return None
    try:
        after = date.fromisoformat(str(day)[:10]) + timedelta(days=1)
    except ValueError:
        return None
    if after.isoformat() <= clock.today():
        return None
    return Action("expire", "/clock", {"set": f"{after.isoformat()}T00:00:00"},
                  confirm=_moving_the_clock(f"{after.isoformat()} 00:00"))


def _actions(*found: Action | None) -> tuple[Action, ...]:
    return tuple(a for a in found if a is not None)


def _invoices(mock: MockRuntime, merchant: Merchant) -> list[Row]:
    page = mock.store.list_invoices(merchant.merchant_id, InvoiceQuery(limit=SHOWN))
    rows = []
    for inv in page.items:
        assert isinstance(inv, Invoice)
        expired = mock.payments.is_expired(inv)
        known = inv.invoice_status in tuple(InvoiceStatus)
        status = InvoiceStatus(inv.invoice_status).name.lower() if known else str(inv.invoice_status)
        unpaid = inv.invoice_status == InvoiceStatus.UNPAID
        open_ = unpaid and not expired
        pay = f"/invoices/{inv.id}/pay"
        actions = _actions(
            Action("pay", pay, {"outcome": "success"}), Action("decline", pay, {"outcome": "cancelled"}),
            Action("fail", pay, {"outcome": "failure"}), _expire_at_day_end(inv.expires_at, mock.clock),
        ) if open_ else ()
        rows.append(Row(f"invoice-{inv.id}", {
            "id": str(inv.id), "reference": inv.reference_number, "amount": inv.amount,
            "status": status + (" (expired)" if expired and unpaid else ""),
            "expires": inv.expires_at or ""}, actions))
    return rows


_OPEN_STATUS: dict[int, str] = {OpenInvoiceStatus.ACTIVE: "active", OpenInvoiceStatus.EXPIRED: "expired",
                                 OpenInvoiceStatus.CANCELLED: "cancelled"}


def _open_invoices(mock: MockRuntime, merchant: Merchant) -> list[Row]:
    today = mock.clock.today()
    page = mock.store.list_open_invoices(merchant.merchant_id, OpenInvoiceQuery(limit=SHOWN, today=today))
    rows = []
    for item in page.items:
        assert isinstance(item, OpenInvoice)
        expired = bool(item.expiry_date) and str(item.expiry_date)[:10] < today
        status = _OPEN_STATUS.get(item.status, str(item.status))
        status = "expired" if expired and item.status == OpenInvoiceStatus.ACTIVE else status
        fixed = item.type == OpenInvoiceType.FIXED
        amount = item.fixed_amount if fixed else f"{item.min_amount}-{item.max_amount}"
        pay = f"/open-invoices/{item.id}/pay"
        payable = item.status == OpenInvoiceStatus.ACTIVE and not expired
        actions = _actions(
            Action("pay", pay, {"outcome": "success", **({} if fixed else {"amount": item.min_amount})}),
            Action("fail", pay, {"outcome": "failure", **({} if fixed else {"amount": item.min_amount})}),
            _expire_at_day_end(item.expiry_date, mock.clock),
        ) if payable else ()
        rows.append(Row(f"open-invoice-{item.id}", {
            "id": str(item.id), "reference": item.reference_number, "amount": amount,
            "status": status + (", paid" if item.paid_status else ""), "expires": item.expiry_date or ""},
            actions))
    return rows


def _checkouts(mock: MockRuntime, merchant: Merchant) -> list[Row]:
    rows = []
    try:
        recent = mock.store.recent_checkouts(merchant.merchant_id, SHOWN)
    except NotImplementedError:  # an optional Store method; the section then shows none
        return []
    for stored in recent:
        checkout: Checkout = mock.checkouts.reported(stored)
        expired = mock.checkouts.is_expired(checkout)
        pay = f"/checkouts/{checkout.token}/pay"
        actions = () if checkout.status != TransactionStatus.PENDING or expired else (
            Action("pay", pay, {"outcome": "success"}), Action("decline", pay, {"outcome": "failure"}),
            Action("cancel", pay, {"outcome": "cancelled"}),
            Action("expire", "/clock", {"set": checkout.expires_at + 1},
                   confirm=_moving_the_clock(Clock.stamp_at(checkout.expires_at + 1))))
        rows.append(Row(f"checkout-{checkout.token}", {
            "token": checkout.token, "reference": checkout.order_reference or "", "amount": checkout.amount,
            "status": checkout.status + (" (expired)" if expired else ""),
            "expires": Clock.stamp_at(checkout.expires_at)}, actions))
    return rows


def _refunds(mock: MockRuntime, merchant: Merchant) -> list[Row]:
    page = mock.store.list_refunds(merchant.merchant_id, RefundQuery(limit=SHOWN))
    rows = []
    for refund in page.items:
        assert isinstance(refund, Refund)
        pending = refund.status == RefundStatus.PENDING
        actions = (Action("approve", f"/refunds/{refund.id}/approve"),
                   Action("reject", f"/refunds/{refund.id}/reject")) if pending else ()
        known = refund.status in tuple(RefundStatus)
        status = RefundStatus(refund.status).name.lower() if known else "rejected"
        rows.append(Row(f"refund-{refund.id}", {
            "id": str(refund.id), "token": refund.token, "reference": refund.order_reference_number,
            "amount": refund.amount, "status": status}, actions))
    return rows


#: every family the records view shows, in order
FAMILIES: tuple[Family, ...] = (
    Family("invoices", ("id", "reference", "amount", "status", "expires"), _invoices),
    Family("open_invoices", ("id", "reference", "amount", "status", "expires"), _open_invoices),
    Family("checkouts", ("token", "reference", "amount", "status", "expires"), _checkouts),
    Family("refunds", ("id", "token", "reference", "amount", "status"), _refunds),
)
