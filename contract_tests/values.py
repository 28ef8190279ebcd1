"""Realistic leaf values: KWD amounts, Kuwaiti mobiles, Arabic and English names, boundary dates.

These only choose *nice* values for leaves the schemas already describe; the schemas decide
which fields exist, which are required, and what is legal. Every value drawn here is validated
against its schema by :mod:`contract_tests.schemagen` before use, so a hint can never smuggle an
invalid value into a "valid" payload.

Live-target safety lives here too: e-mail addresses use the reserved ``example.com`` domain and
webhook URLs the reserved ``.invalid`` TLD (RFC 2606: nothing is ever delivered), and a configured test mobile
replaces every generated one when SMS sending is allowed.
"""

from __future__ import annotations

import base64
import calendar
import csv
import io
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

from hypothesis import strategies as st

from hesabe_spec.amounts import format_amount
from hesabe_spec.sandbox import SANDBOX

__all__ = [
    "GenContext",
    "arabic_or_english_names",
    "boundary_dates",
    "bulk_csv_files",
    "descriptions",
    "emails",
    "kuwait_today",
    "kuwaiti_mobiles",
    "kwd_amounts",
    "webhook_urls",
]

_KUWAIT = timezone(timedelta(hours=3))

_FIRST_EN = ("Mohammed", "Fatima", "Abdullah", "Noura", "Khaled", "Maryam", "Yousef", "Sara", "Ali", "Dana")
_LAST_EN = ("Al-Sabah", "Al-Mutairi", "Al-Otaibi", "Al-Kandari", "Al-Ajmi", "Smith", "Haddad", "Rahman")
_FIRST_AR = ("محمد", "فاطمة", "عبدالله", "نورة", "خالد", "مريم", "يوسف", "سارة", "علي", "دانة")
_LAST_AR = ("الصباح", "المطيري", "العتيبي", "الكندري", "العجمي", "الرشيدي")
_WORDS_EN = ("Invoice", "for", "order", "monthly", "service", "rent", "tuition", "delivery", "consulting")
_WORDS_AR = ("فاتورة", "خدمة", "شهرية", "طلب", "توصيل", "إيجار", "رسوم", "دراسية")
_PRODUCTS = ("Laptop", "Coffee beans", "Gym membership", "قهوة عربية", "كتاب", "Dates box", "عطر")


@dataclass(frozen=True, slots=True)
class GenContext:
    """What generation needs to know about the target and the run.

    ``restrict`` narrows enums by property name (values kept in schema order), e.g. no SMS
    invoice types on a live target without ``--hesabe-allow-sms``.
    """

    merchant_code: str = SANDBOX.merchant_code
    #: every reference number starts with this, so a live run's records are recognisable
    reference_prefix: str = "ct000000"
    #: when set, every mobile number sent is this one (live runs with SMS allowed)
    sms_mobile: str | None = None
    restrict: dict[str, frozenset[str]] = field(default_factory=dict)
    #: optional members always sent: the reference number carries the run prefix, so every record
    #: a run creates is recognisable (and searchable) on a shared live account
    always: frozenset[str] = frozenset({"referenceNumber", "reference_number", "orderReferenceNumber"})
    #: optional members never sent: the checkout fields of flows the suite does not exercise
    #: (saved cards, subscriptions, embedded and mobile sessions), whose values the real gateway
    #: checks against account settings no schema states
    never: frozenset[str] = frozenset({"saveCard", "customer_id", "cardId", "subscription",
                                       "numberOfInstallments", "recurringFrequency", "recurringStartDate",
                                       "recurringAmount", "commission", "embeddedPayment", "channel"})
    today: date = field(default_factory=lambda: kuwait_today())


def kuwait_today() -> date:
    """Today in Kuwait (UTC+3): the server's calendar decides what "expired" means."""
    return datetime.now(_KUWAIT).date()


def kwd_amounts(*, positive: bool = True) -> st.SearchStrategy[str]:
    """3-decimal KWD strings: fils edge cases (0.001), round dinars, and arbitrary amounts."""
    low = 1 if positive else 0
    fils = st.integers(min_value=low, max_value=99_999_999)
    edges = st.sampled_from(["0.001", "0.100", "1.000", "20.000", "999.999", "12345.678"])
    drawn = fils.map(lambda n: format_amount(Decimal(n) / 1000))
    return st.one_of(edges, drawn) if positive else st.one_of(st.just("0.000"), edges, drawn)


def kuwaiti_mobiles(override: str | None = None) -> st.SearchStrategy[str]:
    """8-digit Kuwaiti mobiles (5x, 6x, 9x), or the one configured test number."""
    if override:
        return st.just(override)
    return st.tuples(st.sampled_from("569"), st.integers(0, 9_999_999)).map(lambda t: f"{t[0]}{t[1]:07d}")


def arabic_or_english_names() -> st.SearchStrategy[str]:
    """Full names in English or Arabic script."""
    en = st.tuples(st.sampled_from(_FIRST_EN), st.sampled_from(_LAST_EN)).map(" ".join)
    ar = st.tuples(st.sampled_from(_FIRST_AR), st.sampled_from(_LAST_AR)).map(" ".join)
    return st.one_of(en, ar)


def descriptions() -> st.SearchStrategy[str]:
    """Short English or Arabic phrases (and the empty description)."""
    en = st.lists(st.sampled_from(_WORDS_EN), min_size=1, max_size=5).map(" ".join)
    ar = st.lists(st.sampled_from(_WORDS_AR), min_size=1, max_size=5).map(" ".join)
    return st.one_of(st.just(""), en, ar)


def product_names() -> st.SearchStrategy[str]:
    return st.sampled_from(_PRODUCTS)


def emails() -> st.SearchStrategy[str]:
    """Addresses at the reserved example.com domain: syntactically real, never delivered."""
    local = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789", min_size=1, max_size=12)
    return local.map(lambda s: f"{s}@example.com")


def webhook_urls() -> st.SearchStrategy[str]:
    """Webhook URLs under the reserved ``.invalid`` TLD (RFC 2606): they never resolve, so neither a
    mock nor Hesabe can deliver a callback anywhere when a generated invoice is paid."""
    return st.text(alphabet="abcdefghij0123456789", min_size=1, max_size=8).map(
        lambda s: f"https://webhook.invalid/hesabe/{s}"
    )


def _last_of_month(d: date) -> date:
    return d.replace(day=calendar.monthrange(d.year, d.month)[1])


def _next_leap_day(d: date) -> date:
    year = d.year
    while not (calendar.isleap(year) and date(year, 2, 29) >= d):
        year += 1
    return date(year, 2, 29)


def boundary_dates(today: date, *, past_days: int = 0) -> st.SearchStrategy[str]:
    """YYYY-MM-DD dates from ``today`` on (or ``past_days`` before): today itself, tomorrow, month
    and year ends, the next 29 February, far future, and anything in between."""
    edges = [
        today,
        today + timedelta(days=1),
        _last_of_month(today),
        date(today.year, 12, 31),
        _next_leap_day(today),
        today + timedelta(days=365),
        date(2099, 12, 31),
    ]
    if past_days:
        edges.append(today - timedelta(days=past_days))
    offsets = st.integers(-past_days, 3650).map(lambda n: today + timedelta(days=n))
    return st.one_of(st.sampled_from(edges), offsets).map(lambda d: d.isoformat())


def bulk_csv_files(
    mobiles: st.SearchStrategy[str], references: st.SearchStrategy[str]
) -> st.SearchStrategy[str]:
    """A base64 CSV the bulk upload reads: the §C header row, then 1-3 rows."""
    row = st.fixed_dictionaries(
        {
            "name": arabic_or_english_names(),
            "phone": mobiles,
            "email": emails(),
            "amount": kwd_amounts(),
            "reference_number": references,
            "description": descriptions(),
        }
    )

    def encode(rows: list[dict[str, str]]) -> str:
        out = io.StringIO()
        writer = csv.DictWriter(out, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
        return base64.b64encode(out.getvalue().encode("utf-8")).decode("ascii")

    return st.lists(row, min_size=1, max_size=3).map(encode)
