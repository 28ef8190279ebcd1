"""The main content of each page kind: an invoice, an open invoice, a split group."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from hesabe_spec.enums import OpenInvoiceType, PaymentType
from mock_server.pages.render import (
    PageText,
    banner,
    esc,
    facts,
    items_table,
    layout,
    money_html,
    pay_form,
    status_badge,
)
from mock_server.state.invoices import DEFAULT_PAY_TYPES
from mock_server.state.models import Invoice, OpenInvoice

__all__ = ["OPEN_INVOICE_METHODS", "invoice_page", "method_choices", "open_invoice_page", "split_page"]

#: open invoices carry no allocation; the page offers the two methods every merchant has (mock choice)
OPEN_INVOICE_METHODS = DEFAULT_PAY_TYPES


def method_choices(codes: Sequence[str]) -> list[tuple[str, str]]:
    """(code, display name) for each allocated payment type; unknown codes keep their number."""
    out = []
    for code in codes:
        try:
            name = PaymentType(int(code)).display_name
        except ValueError:
            name = f"Payment type {code}"
        out.append((str(code), name))
    return out


def _header(text: PageText, merchant_name: str, kind_label: str) -> str:
    initial = esc((merchant_name.strip() or "?")[0].upper())
    return (f'<header class="merchant"><div class="logo" aria-hidden="true">{initial}</div><div>'
            f'<div class="merchant-name" data-field="merchant">{esc(merchant_name)}</div>'
            f'<div class="kind">{esc(kind_label)}</div></div></header>')


def _result_banner(text: PageText, result: str | None) -> str:
    return banner(result, text.t[f"result_{result}"]) if result else ""


def _paid_rows(text: PageText, inv: Invoice) -> list[tuple[str, str | None]]:
    """When and how a paid invoice was paid (none for unpaid ones)."""
    if not inv.transaction:
        return []
    txn = inv.transaction
    method = txn.get("payment_type")
    if isinstance(method, dict):
        method = method.get("display_name")
    paid_on = (txn.get("list") or {}).get("paid_on") or txn.get("created_at") or inv.updated_at
    return [(text.t["paid_on"], paid_on), (text.t["payment_method"], method)]


def _state_note(text: PageText, state: str) -> str:
    note = {"paid": "paid_note", "cancelled": "cancelled_note", "expired": "expired_note"}.get(state)
    return banner("state", text.t[note]) if note else ""


def _invoice_core(text: PageText, inv: Invoice, state: str) -> str:
    """Amount, status, facts and items of one invoice (shared by single and split pages)."""
    t = text.t
    return (
        money_html(text, inv.amount)
        + facts([
            (t["status"], status_badge(text, state)),
            (t["reference"], inv.reference_number),
            (t["description"], inv.description),
            (t["customer"], inv.customer.name),
            (t["expires"], inv.expires_at),
            *(_paid_rows(text, inv) if state == "paid" else []),
        ])
        + items_table(text, inv.products)
    )


def invoice_page(text: PageText, merchant_name: str, inv: Invoice, state: str, action_url: str,
                 result: str | None) -> str:
    body = _header(text, merchant_name, text.t["invoice"]) + _result_banner(text, result)
    body += _invoice_core(text, inv, state)
    if result != "success":  # right after paying, the success banner already says it
        body += _state_note(text, state)
    if state == "unpaid":
        body += pay_form(text, action_url, method_choices(inv.payment_method))
    return layout(text, f"{text.t['page_title']} {inv.reference_number}".strip(), body)


def open_invoice_page(text: PageText, merchant_name: str, item: OpenInvoice, state: str, action_url: str,
                      result: str | None) -> str:
    t = text.t
    fixed = item.type == OpenInvoiceType.FIXED
    body = _header(text, merchant_name, t["open_invoice"]) + _result_banner(text, result)
    body += f'<h1 class="title">{esc(item.title)}</h1>'
    if fixed:
        body += money_html(text, item.fixed_amount)
    paid = sum(1 for p in item.payments if p.get("outcome") == "success")
    body += facts([
        (t["status"], status_badge(text, state)),
        (t["amount"], None if fixed else t["amount_range"].format(min=item.min_amount, max=item.max_amount)),
        (t["reference"], item.reference_number),
        (t["description"], item.description),
        (t["expires"], item.expiry_date),
        (t["payments_received"], str(paid) if paid else None),
    ])
    body += _state_note(text, state)
    if state == "active":
        amount_range = None if fixed else (item.min_amount, item.max_amount)
        body += pay_form(text, action_url, method_choices(OPEN_INVOICE_METHODS), amount_range=amount_range)
    return layout(text, f"{t['page_title']} {item.title}".strip(), body)


def split_page(text: PageText, merchant_name: str, parts: Sequence[tuple[Invoice, str]], action_url: str,
               result: str | None, result_part: str | None) -> str:
    """Every part with its own status, and a pay form on each part that can still be paid."""
    t = text.t
    body = _header(text, merchant_name, t["split_invoice"])
    body += f'<h1 class="title">{esc(t["parts"])}</h1>'
    for n, (inv, state) in enumerate(parts, start=1):
        here = result if result_part == inv.access_key else None
        section: list[Any] = [
            f'<section class="part" data-part="{esc(inv.access_key)}" data-state="{esc(state)}">',
            f'<h3><span>{esc(t["part"].format(n=n))}</span></h3>',
            _result_banner(text, here),
            _invoice_core(text, inv, state),
        ]
        if state == "unpaid":
            methods = method_choices(inv.payment_method)
            section.append(pay_form(text, action_url, methods, part=inv.access_key))
        elif state != "paid":  # the badge and paid rows say it; a banner per part would shout
            section.append(_state_note(text, state))
        section.append("</section>")
        body += "".join(section)
    return layout(text, t["page_title"], body)
