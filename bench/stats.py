"""The one percentile rule every bench section reports with: nearest rank, ``min(n-1, int(p*n))``."""

from __future__ import annotations

from collections.abc import Sequence

__all__ = ["percentile"]


def percentile(ascending: Sequence[float], p: float) -> float:
    """The ``p`` (0..1) percentile of an already sorted, non-empty sequence."""
    return ascending[min(len(ascending) - 1, int(p * len(ascending)))]
