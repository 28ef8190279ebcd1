"""The terms an invoice is indexed by, against their plain definition (every text's words,
case-folded, plus each whole text and the phone with and without Kuwait's code)."""

from __future__ import annotations

import re

from hypothesis import given
from hypothesis import strategies as st

from mock_server.state.models import Customer, Invoice, search_terms

_WORD = re.compile(r"[^\W_]+", re.UNICODE)

#: words, separators and the characters whose case folding or word class is unusual
_UNUSUAL = "aZ09_-@. \u0130\u00df\u0661\u00b2\u0645\u2028\U0001d7d8\u0307"
_TEXT = st.text(st.sampled_from(_UNUSUAL) | st.characters(), max_size=12)


def _plain_terms(inv: Invoice) -> set[str]:
    texts = (inv.reference_number, inv.token, inv.customer.name, inv.customer.email, inv.description)
    terms = {w.casefold() for w in _WORD.findall(" ".join(texts))}
    terms.update(text.casefold() for text in texts if text)
    phone = inv.customer.phone_number or ""
    if phone:
        terms.add(phone)
        if phone.startswith("965"):
            terms.add(phone[3:])
    return terms


@given(_TEXT, _TEXT, _TEXT, _TEXT, _TEXT, st.none() | st.sampled_from(["96566666666", "15551234"]))
def test_search_terms_are_each_texts_words_and_the_whole_texts(
        reference: str, token: str, name: str, email: str, description: str, phone: str | None) -> None:
    inv = Invoice(84, 1, 3, token, "9Q6EE769", reference, "1.000", "2026-01-01 10:00:00",
                  "2026-01-01 10:00:00", description=description, customer=Customer(name, email, phone))
    assert search_terms(inv) == _plain_terms(inv)


def test_a_text_of_letters_and_digits_is_one_word_for_every_character() -> None:
    """What lets search_terms skip the word split: str.isalnum() is the word class minus "_"."""
    assert all(chr(c).isalnum() == bool(_WORD.fullmatch(chr(c))) for c in range(0x110000))
