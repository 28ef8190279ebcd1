"""Invoice tokens: merchant id, epoch seconds, then 6-10 digits with no leading zero, every length
and every digit equally likely; and the uniform draw they are made from."""

from __future__ import annotations

import random
import re
from collections import Counter

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mock_server.state import entropy, keys

_SHAPE = re.compile(r"84(1759657093)([1-9][0-9]{5,9})")


_SPAN = 1 << 64


@given(st.integers(1, _SPAN), st.lists(st.binary(min_size=8, max_size=8), max_size=4))
def test_randbelow_keeps_the_first_draw_below_the_last_whole_run_of_n(n: int, draws: list[bytes]) -> None:
    """Rejection sampling: a draw in the incomplete last run of n values is drawn again, so each
    result in [0, n) comes from equally many draws."""
    handed = [*draws, bytes(8)]  # a zero draw always counts
    remaining = iter(handed)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(entropy._POOL, "take", lambda size: next(remaining))
        result = entropy.randbelow(n)
    limit = _SPAN - _SPAN % n
    kept = next(v for v in (int.from_bytes(d, "big") for d in handed) if v < limit)
    assert result == kept % n and 0 <= result < n


@pytest.mark.parametrize("n", [0, -1, _SPAN + 1])
def test_randbelow_refuses_what_it_cannot_draw_uniformly(n: int) -> None:
    with pytest.raises(ValueError):
        entropy.randbelow(n)


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
