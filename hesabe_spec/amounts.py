"""Money on the wire: Hesabe wants 3-decimal strings ("20.000"); a float drift gives a 506.

:func:`format_amount` is the one formatter of a wire amount. A value that would need rounding is
refused rather than rounded: silently charging 10.000 for 9.9995 is worse than an error. The
client formats every amount it sends with it, before the request leaves.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from hesabe_spec.errors import RequestValidationError

__all__ = ["FILS", "MAX_AMOUNT", "LocalViolation", "amount_range_ordered", "format_amount", "from_fils",
           "items_cover_amount", "to_fils"]

#: one fils, the smallest amount of Kuwaiti dinars (amounts carry 3 decimals)
FILS = Decimal("0.001")
#: the largest amount the schemas take (``Money3`` in schemas/defs.json: nine digits before the point)
MAX_AMOUNT = Decimal("999999999.999")


@dataclass(frozen=True, slots=True)
class LocalViolation:
    """A request rule broken before sending; the same fields as ``validation.Violation``."""

    operation: str | None
    rule: str
    pointer: str
    field: str
    expected: str
    actual: Any
    message: str


def _reject(value: Any, field: str, operation: str | None, why: str) -> RequestValidationError:
    violation = LocalViolation(
        operation=operation,
        rule="amount",
        pointer=f"/{field}",
        field=field,
        expected="a non-negative amount with at most 3 decimals",
        actual=value,
        message=f"{field} {why} (got {value!r})",
    )
    return RequestValidationError(violation.message, violations=[violation], operation=operation)


def format_amount(value: Any, *, field: str = "amount", operation: str | None = None) -> str:
    """``value`` as Hesabe's 3-decimal string, or :class:`RequestValidationError`.

    Accepts ``int``, ``str`` and ``Decimal``; a ``float`` goes through ``Decimal(repr(f))`` so
    ``0.1`` means 0.100, not 0.1000000000000000055... Booleans, negatives, NaN, infinities and
    values with more than 3 decimals are refused.
    """
    if isinstance(value, bool):
        raise _reject(value, field, operation, "must be a number, not a boolean")
    if isinstance(value, float):
        value_dec = Decimal(repr(value))
    elif isinstance(value, (int, Decimal)):
        value_dec = Decimal(value)
    elif isinstance(value, str):
        try:
            value_dec = Decimal(value.strip())
        except InvalidOperation:
            raise _reject(value, field, operation, "is not a number") from None
    else:
        raise _reject(value, field, operation, f"must be int, str or Decimal, not {type(value).__name__}")
    if not value_dec.is_finite():
        raise _reject(value, field, operation, "must be finite")
    if value_dec < 0:
        raise _reject(value, field, operation, "must not be negative")
    try:
        quantised = value_dec.quantize(FILS)
    except InvalidOperation:
        raise _reject(value, field, operation, "is too large") from None
    if quantised != value_dec:
        raise _reject(value, field, operation, "has more than 3 decimals")
    # "-0.000" would survive quantize; normalise the sign of zero.
    return f"{abs(quantised):.3f}"


def items_cover_amount(amount: Any, item_amounts: Iterable[Any]) -> bool:
    """Whether an invoice's items add up to at least its amount: seed 001's rule for ``itemsList``,
    "products total amount should not be less than total invoice amount". No items cover anything.
    The values are wire amounts (``"20.000"``, numbers)."""
    given = [Decimal(str(a)) for a in item_amounts]
    return not given or sum(given) >= Decimal(str(amount))


def amount_range_ordered(minimum: Any, maximum: Any) -> bool:
    """Whether an open invoice's ``minAmount`` is not above its ``maxAmount`` (wire amounts)."""
    return Decimal(str(minimum)) <= Decimal(str(maximum))


def to_fils(amount: str) -> int:
    """A 3-decimal amount as whole fils, for exact sums: ``"10.500"`` -> ``10500``."""
    return int(Decimal(amount).scaleb(3))


def from_fils(fils: int) -> str:
    """Whole fils as the wire's 3-decimal amount: ``10500`` -> ``"10.500"``."""
    return format_amount(Decimal(fils).scaleb(-3))
