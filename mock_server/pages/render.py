"""HTML of the hosted payment page. Every value that reaches the page passes through :func:`esc`.

Merchant-supplied text (descriptions, item titles, customer names, references) is untrusted: a
merchant's test data is exactly where ``<script>`` ends up. Nothing is ever interpolated raw, and
the response also carries a Content-Security-Policy that forbids scripts outright.
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from importlib import resources
from string import Template
from typing import Any

from mock_server.pages.i18n import Labels, labels_for

__all__ = [
    "PageText",
    "Safe",
    "banner",
    "esc",
    "facts",
    "items_table",
    "layout",
    "message_page",
    "money_html",
    "pay_form",
    "status_badge",
]


class Safe(str):
    """HTML built by this module (already escaped): :func:`esc` passes it through unchanged."""


def esc(value: Any) -> str:
    """HTML-escape any value (quotes included, so it is safe inside attributes too)."""
    if isinstance(value, Safe):
        return value
    text = html.escape("" if value is None else str(value), quote=True)
    if not text.isascii():
        # a lone surrogate (JSON's "\ud800" decodes to one) has no UTF-8: it shows as U+FFFD
        text = text.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
    return text


@cache
def _template(name: str) -> str:
    return resources.files("mock_server").joinpath("templates", name).read_text(encoding="utf-8")


@dataclass(frozen=True, slots=True)
class PageText:
    """The language of one page and its labels."""

    lang: str

    @property
    def t(self) -> Labels:
        return labels_for(self.lang)

    @property
    def dir(self) -> str:
        return "rtl" if self.lang == "ar" else "ltr"


def layout(text: PageText, title: str, body: str) -> str:
    """The whole document around ``body`` (already-safe HTML)."""
    return Template(_template("page.html")).substitute(
        lang=esc(text.lang), dir=esc(text.dir), title=esc(title), css=_template("page.css"),
        body=body, notice=esc(text.t["mock_notice"]),
    )


def money_html(text: PageText, amount: Any, css: str = "amount") -> str:
    # the number is its own left-to-right island, so "49.000" never reorders inside Arabic text
    return (f'<div class="{css}"><span class="value" dir="ltr">{esc(amount)}</span> '
            f'<span class="cur">{esc(text.t["currency"])}</span></div>')


def status_badge(text: PageText, state: str) -> Safe:
    label = esc(text.t["status_" + state])
    return Safe(f'<span class="badge {esc(state)}" data-state="{esc(state)}">{label}</span>')


def facts(rows: Iterable[tuple[str, str | None]]) -> str:
    """A definition list of (label, value) rows; empty values are left out."""
    cells = "".join(f"<dt>{esc(k)}</dt><dd>{esc(v)}</dd>" for k, v in rows if v not in (None, ""))
    return f'<dl class="facts">{cells}</dl>' if cells else ""


def items_table(text: PageText, products: Sequence[dict[str, Any]]) -> str:
    rows = [p for p in products if isinstance(p, dict)]
    if not rows:
        return ""
    t = text.t
    head = (f'<tr><th>{esc(t["item"])}</th><th class="num">{esc(t["quantity"])}</th>'
            f'<th class="num">{esc(t["unit_price"])}</th><th class="num">{esc(t["line_total"])}</th></tr>')
    body = "".join(
        f'<tr><td>{esc(p.get("name"))}</td><td class="num">{esc(p.get("quantity"))}</td>'
        f'<td class="num">{esc(p.get("amount"))}</td><td class="num">{esc(p.get("final_amount"))}</td></tr>'
        for p in rows
    )
    table = f'<table class="items"><thead>{head}</thead><tbody>{body}</tbody></table>'
    return f'<h2>{esc(t["items"])}</h2>{table}'


def banner(kind: str, message: str) -> str:
    role = "alert" if kind in ("failure", "error") else "status"
    return f'<div class="banner {esc(kind)}" role="{role}" data-result="{esc(kind)}">{esc(message)}</div>'


def pay_form(
    text: PageText,
    action_url: str,
    methods: Sequence[tuple[str, str]],
    *,
    part: str | None = None,
    amount_range: tuple[str, str] | None = None,
) -> str:
    """The pay / decline form: one radio per allocated method, optional amount field, buttons.

    Plain HTML (POST, then a 303 back to the page) so it works with JavaScript off.
    """
    t = text.t
    scope = esc(part or "main")
    radios = "".join(
        f'<label class="method" for="pt-{scope}-{esc(code)}">'
        f'<input type="radio" id="pt-{scope}-{esc(code)}" name="payment_type" value="{esc(code)}"'
        f'{" checked" if i == 0 else ""} required> {esc(name)}</label>'
        for i, (code, name) in enumerate(methods)
    )
    amount_field = ""
    if amount_range is not None:
        hint = t["amount_range"].format(min=amount_range[0], max=amount_range[1])
        amount_field = (
            f'<label for="amount-{scope}">{esc(t["enter_amount"])}</label>'
            f'<input type="text" inputmode="decimal" id="amount-{scope}" name="amount" required '
            f'autocomplete="off" value="{esc(amount_range[0])}">'
            f'<p class="hint">{esc(hint)}</p>'
        )
        amount_field = f"<fieldset>{amount_field}</fieldset>"
    hidden = f'<input type="hidden" name="part" value="{esc(part)}">' if part else ""
    return (
        f'<form method="post" action="{esc(action_url)}" class="pay-form" data-part="{scope}">{hidden}'
        f'{amount_field}<fieldset><legend>{esc(t["choose_method"])}</legend>{radios}</fieldset>'
        f'<div class="actions">'
        f'<button type="submit" name="action" value="pay" class="pay">{esc(t["pay"])}</button>'
        f'<button type="submit" name="action" value="decline" class="decline" formnovalidate>'
        f'{esc(t["decline"])}</button>'
        f'<button type="submit" name="action" value="fail" class="fail">{esc(t["simulate_failure"])}</button>'
        f"</div></form>"
    )


def message_page(text: PageText, title: str, message: str, back_url: str | None = None,
                 back_label: str = "back") -> str:
    """A small page for 404 / 400 / 409: a title, a sentence and a way back (``back_label``: the
    text's key for the link: back to the invoice, or to the payment)."""
    back = f'<p><a href="{esc(back_url)}">{esc(text.t[back_label])}</a></p>' if back_url else ""
    body = f'<h1>{esc(title)}</h1>{banner("error", message)}{back}'
    return layout(text, title, body)
