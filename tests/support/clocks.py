"""A mock clock that lives in the future (for the examples-still-work-in-five-years test)."""

from __future__ import annotations

from mock_server.clock import Clock

__all__ = ["FIVE_YEARS", "FutureClock"]

FIVE_YEARS = 5 * 365.25 * 86400


class FutureClock(Clock):
    """The mock's clock, five years ahead, and back there after every reset."""

    def __init__(self) -> None:
        super().__init__()
        self.advance(FIVE_YEARS)

    def reset(self) -> None:
        super().reset()
        self.advance(FIVE_YEARS)
