"""Money inside the mock's domain: whole thousandths of a dinar (fils), so sums are exact.

The wire and the records keep Hesabe's 3-decimal strings (``"10.500"``); a store that adds
amounts up (refund totals, what is left of a payment) works in fils, integers both stores can
sum and compare inside one transaction.
"""

from __future__ import annotations

from decimal import Decimal

from hesabe_spec.amounts import format_amount

__all__ = ["from_fils", "to_fils"]


def to_fils(amount: str) -> int:
    """``"10.500"`` -> ``10500``. ``amount`` is a stored 3-decimal string."""
    return int(Decimal(amount).scaleb(3))


def from_fils(fils: int) -> str:
    """``10500`` -> ``"10.500"``."""
    return format_amount(Decimal(fils).scaleb(-3))
