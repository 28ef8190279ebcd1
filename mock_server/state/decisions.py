"""How a merchant's next off-session charges end: the control plane's decisions, queued.

An off-session charge has no customer at a page to approve or decline it: a saved card's charge
(:mod:`mock_server.state.saved_cards`) and a subscription's recurrence
(:mod:`mock_server.state.subscriptions`). By default each is approved; ``POST /_mock/charges``
queues a decision (decline with a result code, or approve) that the merchant's next such charge
takes, one decision per charge, in order.
"""

from __future__ import annotations

import threading
from collections import defaultdict, deque
from dataclasses import dataclass, field

from hesabe_spec.enums import ResultCode
from mock_server.state.checkouts import CheckoutRefused

__all__ = ["APPROVE", "ChargeDecision", "ChargeDecisions"]


@dataclass(frozen=True, slots=True)
class ChargeDecision:
    """What the control plane decided for one off-session charge."""

    outcome: str  # "success" | "failure"
    result_code: str | None = None


APPROVE = ChargeDecision("success")


@dataclass
class ChargeDecisions:
    """Per merchant, the queue of decisions the next off-session charges take."""

    _queues: dict[int, deque[ChargeDecision]] = field(default_factory=lambda: defaultdict(deque), repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def queue(self, merchant_id: int, decision: ChargeDecision) -> int:
        """Queue a decision (checked first); how many are queued now. :class:`CheckoutRefused`
        for an outcome or result code that cannot be."""
        if decision.outcome not in ("success", "failure"):
            raise CheckoutRefused("outcome", f"outcome must be success or failure, got {decision.outcome!r}")
        if decision.result_code is not None:
            code = next((c for c in ResultCode if c.value == decision.result_code), None)
            if code is None:
                raise CheckoutRefused("result_code", f"unknown result_code {decision.result_code!r}")
            if code.successful != (decision.outcome == "success") or code == ResultCode.AUTHORIZED:
                raise CheckoutRefused("result_code", f"result_code {code.value} does not fit outcome "
                                                     f"{decision.outcome}")
        with self._lock:
            self._queues[merchant_id].append(decision)
            return len(self._queues[merchant_id])

    def take(self, merchant_id: int) -> ChargeDecision:
        """The decision for the merchant's next charge (approve when none is queued)."""
        with self._lock:
            queued = self._queues.get(merchant_id)
            return queued.popleft() if queued else APPROVE

    def pending(self, merchant_id: int) -> list[ChargeDecision]:
        with self._lock:
            return list(self._queues.get(merchant_id, ()))

    def forget(self, merchant_id: int | None) -> None:
        """Drop queued decisions (a reset)."""
        with self._lock:
            if merchant_id is None:
                self._queues.clear()
            else:
                self._queues.pop(merchant_id, None)
