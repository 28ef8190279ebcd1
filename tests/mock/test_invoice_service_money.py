"""money(): the shortcut for already-canonical amounts gives exactly what the Decimal round trip gives."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from mock_server.state.invoices import money


def _by_decimal(value: object) -> str:
    return f"{Decimal(str(value)).quantize(Decimal('0.001')):f}"


@given(st.from_regex(r"\A-?[0-9]{1,16}(\.[0-9]{0,4})?\Z") | st.decimals(places=3, allow_nan=False,
       allow_infinity=False, min_value=-10**12, max_value=10**12).map(str)
       | st.integers(-10**9, 10**9) | st.sampled_from(["20.000", "0.000", "020.000", "1.5", "7"]))
def test_money_equals_the_decimal_round_trip(value: object) -> None:
    assert money(value) == _by_decimal(value)
