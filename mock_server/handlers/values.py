"""Request values the schemas let through, read as the domain's types."""

from __future__ import annotations

from typing import Any

__all__ = ["whole_number"]


def whole_number(value: Any) -> int:
    """An integer field the schema accepted: an int, its digits, or a JSON number with an integral
    value (``5.0``: JSON Schema counts it as an integer, and PHP's integer validation reads it as 5)."""
    if isinstance(value, float):
        return int(value)
    return int(str(value).strip())
