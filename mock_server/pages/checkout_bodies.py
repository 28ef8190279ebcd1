"""HTML of the payment gateway's hosted page: the order, one form per payment method, cancel.

Plain HTML forms, no script (the page's Content-Security-Policy forbids them): each method of the
checkout's ``paymentType`` is its own form, so each can start with its own test card. A save-card
session says the card will be saved; at 0.000 (VERIFY) its buttons verify and save instead of pay. A card
method's form comes prefilled with the documented test card that succeeds, so one click pays;
a wallet (Apple Pay, Google Pay, ...) only asks to pay. Every form also offers "Decline" (the
bank refuses); one more form cancels (the customer gives up).
"""

from __future__ import annotations

from decimal import Decimal

from hesabe_spec.enums import PaymentType
from mock_server.pages.render import PageText, banner, esc, facts, layout, money_html
from mock_server.state.cards import CARD_METHODS, prefill
from mock_server.state.models import Checkout

__all__ = ["ANY_EXPIRY", "checkout_page", "finished_page", "method_name"]

#: what the expiry field starts with for a test card that has no printed expiry (any approves)
ANY_EXPIRY = "12/30"


def method_name(code: int) -> str:
    try:
        return PaymentType(code).display_name
    except ValueError:
        return f"Payment type {code}"


def _header(text: PageText, merchant_name: str, switch_url: str) -> str:
    initial = esc((merchant_name.strip() or "?")[0].upper())
    other = "ar" if text.lang == "en" else "en"
    return (f'<header class="merchant"><div class="logo" aria-hidden="true">{initial}</div><div>'
            f'<div class="merchant-name" data-field="merchant">{esc(merchant_name)}</div>'
            f'<div class="kind">{esc(text.t["checkout_title"])}</div></div>'
            f'<a class="lang" href="{esc(switch_url)}" lang="{other}" hreflang="{other}">'
            f'{esc(text.t["other_language"])}</a></header>')


def _field(name: str, label: str, value: str, scope: str, autocomplete: str) -> str:
    ident = f"{name}-{scope}"
    return (f'<label for="{ident}">{esc(label)}</label>'
            f'<input type="text" id="{ident}" name="{name}" value="{esc(value)}" required '
            f'inputmode="numeric" autocomplete="{autocomplete}">')


def _method_form(text: PageText, action_url: str, method: int, verify: bool = False) -> str:
    t = text.t
    name = method_name(method)
    scope = str(method)
    card = prefill(method) if method in CARD_METHODS else None
    if card is not None:
        secret = t["pin"] if method == PaymentType.KNET else t["cvv"]
        fields = (_field("card_number", t["card_number"], card.number, scope, "cc-number")
                  + _field("expiry", t["expiry"], card.expiry or ANY_EXPIRY, scope, "cc-exp")
                  + _field("cvv", secret, card.cvv, scope, "cc-csc"))
        if card.expiry is None:  # a card any expiry approves: one click pays with this one
            hint = t["test_card_hint_any_expiry"].format(scheme=card.scheme)
        else:
            hint = t["test_card_hint"].format(scheme=card.scheme, expiry=card.expiry)
        body = f'<fieldset class="card">{fields}</fieldset><p class="hint">{esc(hint)}</p>'
    else:
        body = f'<p class="hint">{esc(t["wallet_hint"])}</p>'
    return (
        f'<section class="method" id="method-{scope}" data-method="{scope}"><h3>{esc(name)}</h3>'
        f'<form method="post" action="{esc(action_url)}" class="pay-form" data-method="{scope}">'
        f'<input type="hidden" name="payment_type" value="{scope}">{body}'
        f'<div class="actions"><button type="submit" name="action" value="pay" class="pay">'
        f'{esc(t["verify_with" if verify else "pay_with"].format(method=name))}</button>'
        f'<button type="submit" name="action" value="decline" class="decline" formnovalidate>'
        f'{esc(t["decline"])}</button></div></form></section>'
    )


def _order(text: PageText, checkout: Checkout) -> str:
    t = text.t
    currency = checkout.currency if checkout.currency != "KWD" else t["currency"]
    amount = (f'<div class="amount"><span class="value" dir="ltr">{esc(checkout.amount)}</span> '
              f'<span class="cur">{esc(currency)}</span></div>')
    return amount + facts([(t["order_reference"], checkout.order_reference), (t["customer"],
                                                                              checkout.customer_name)])


def checkout_page(text: PageText, merchant_name: str, checkout: Checkout, methods: tuple[int, ...],
                  action_url: str, switch_url: str) -> str:
    """The page of a session the customer can still pay."""
    t = text.t
    verify = checkout.save_card and Decimal(checkout.amount) == 0
    forms = "".join(_method_form(text, action_url, m, verify) for m in methods)
    cancel = (f'<form method="post" action="{esc(action_url)}" class="cancel-form">'
              f'<button type="submit" name="action" value="cancel" class="fail" formnovalidate>'
              f'{esc(t["cancel_payment"])}</button></form>')
    note = banner("save-card", t["verify_note" if verify else "save_card_note"]) if checkout.save_card else ""
    body = (_header(text, merchant_name, switch_url) + _order(text, checkout) + note
            + f'<h2>{esc(t["choose_method"])}</h2>{forms}{cancel}')
    return layout(text, t["checkout_title"], body)


def finished_page(text: PageText, merchant_name: str, checkout: Checkout, expired: bool, back_url: str,
                  switch_url: str) -> str:
    """A session already completed or expired: what happened, and the way back to the merchant."""
    t = text.t
    title = t["session_expired_title"] if expired else t["session_done_title"]
    body = (_header(text, merchant_name, switch_url) + money_html(text, checkout.amount)
            + f'<h1>{esc(title)}</h1>' + banner("state", t["session_done_text"])
            + f'<p><a class="back" href="{esc(back_url)}">{esc(t["back_to_merchant"])}</a></p>')
    return layout(text, title, body)
