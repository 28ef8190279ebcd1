"""Invoice tokens: merchant id, epoch seconds, then 6-10 digits with no leading zero, every length
and every digit equally likely."""

from __future__ import annotations

import random
import re
from collections import Counter

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mock_server.state import entropy, keys

_SHAPE = re.compile(r"84(1759657093)([1-9][0-9]{5,9})")


@given(st.lists(st.text("0123456789", min_size=11, max_size=11), min_size=1, max_size=4).filter(
    lambda draws: draws[-1][0] != "0"))
def test_the_suffix_is_the_first_draw_without_a_leading_zero_cut_by_its_last_digit(draws: list[str]) -> None:
    handed = iter(draws)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(entropy, "random_string", lambda alphabet, length: next(handed))
        token = keys.invoice_token(84, 1759657093.9)
    kept = next(d for d in draws if d[0] != "0")
    size = keys.TOKEN_SUFFIX_DIGITS[int(kept[-1]) % 5]
    assert token == "841759657093" + kept[:size]


def test_lengths_and_digits_are_uniform(monkeypatch: pytest.MonkeyPatch) -> None:
    seeded = random.Random(13)
    monkeypatch.setattr(entropy.os, "urandom", seeded.randbytes)
    monkeypatch.setattr(entropy, "_POOL", entropy._Pool())
    suffixes = []
    for _ in range(9000):
        found = _SHAPE.fullmatch(keys.invoice_token(84, 1759657093.0))
        assert found is not None
        suffixes.append(found.group(2))
    lengths = Counter(len(s) for s in suffixes)
    leads = Counter(s[0] for s in suffixes)
    rest = Counter(d for s in suffixes for d in s[1:])
    assert sorted(lengths) == [6, 7, 8, 9, 10] and all(1600 < n < 2000 for n in lengths.values())
    assert sorted(leads) == list("123456789") and all(850 < n < 1150 for n in leads.values())
    total = sum(rest.values())
    assert sorted(rest) == list("0123456789") and all(abs(n / total - 0.1) < 0.01 for n in rest.values())
