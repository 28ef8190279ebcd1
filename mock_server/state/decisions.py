"""How a merchant's next off-session charges end: the control plane's decisions, queued.

An off-session charge has no customer at a page to approve or decline it: a saved card's charge
(:mod:`mock_server.state.saved_cards`) and a subscription's recurrence
(:mod:`mock_server.state.subscriptions`). By default each is approved; ``POST /_mock/charges``
queues a decision (decline with a result code, or approve) that the merchant's next such charge
takes, one decision per charge, in order. A mock served by several processes keeps the queues in
the shared control document ``charges`` (:mod:`mock_server.state.shared`), changed in one
transaction each, so a decision queued through one process is taken exactly once by whichever
process answers the charge.
"""

from __future__ import annotations

import json
import threading
from collections import defaultdict, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from hesabe_spec.enums import ResultCode
from mock_server.state.checkouts import CheckoutRefused
from mock_server.state.models import Outcome
from mock_server.state.shared import SharedState

__all__ = ["APPROVE", "ChargeDecision", "ChargeDecisions"]

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class ChargeDecision:
    """What the control plane decided for one off-session charge."""

    outcome: str  # Outcome.SUCCESS or Outcome.FAILURE
    result_code: str | None = None


#: the decision of a charge when none is queued (:meth:`ChargeDecisions.take` answers this object)
APPROVE = ChargeDecision(Outcome.SUCCESS)


@dataclass
class ChargeDecisions:
    """Per merchant, the queue of decisions the next off-session charges take."""

    _queues: dict[int, deque[ChargeDecision]] = field(default_factory=lambda: defaultdict(deque), repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    #: where the queues live when several processes serve the mock (None: in this process)
    shared: SharedState | None = None

    def _edit(self, merchant_id: int, edit: Callable[[list[list[Any]]], T]) -> T:
        """``edit(queue) -> result`` on the merchant's shared queue (a list of [outcome, code]),
        in one transaction."""
        assert self.shared is not None
        out: list[T] = []

        def change(text: str | None) -> str:
            doc = json.loads(text) if text else {}
            queue = doc.get(str(merchant_id)) or []
            out.append(edit(queue))
            if queue:
                doc[str(merchant_id)] = queue
            else:
                doc.pop(str(merchant_id), None)
            return json.dumps(doc)

        self.shared.change_control("charges", change)
        return out[0]

    def _shared_queue(self, merchant_id: int) -> list[list[Any]]:
        assert self.shared is not None
        text = self.shared.control_documents().get("charges", (0, None))[1]
        queue: list[list[Any]] = (json.loads(text) if text else {}).get(str(merchant_id)) or []
        return queue

    def queue(self, merchant_id: int, decision: ChargeDecision) -> int:
        """Queue a decision (checked first); how many are queued now. :class:`CheckoutRefused`
        for an outcome or result code that cannot be."""
        if decision.outcome not in (Outcome.SUCCESS, Outcome.FAILURE):
            raise CheckoutRefused("outcome", f"outcome must be success or failure, got {decision.outcome!r}")
        if decision.result_code is not None:
            code = next((c for c in ResultCode if c.value == decision.result_code), None)
            if code is None:
                raise CheckoutRefused("result_code", f"unknown result_code {decision.result_code!r}")
            if code.successful != (decision.outcome == Outcome.SUCCESS) or code == ResultCode.AUTHORIZED:
                raise CheckoutRefused("result_code", f"result_code {code.value} does not fit outcome "
                                                     f"{decision.outcome}")
        if self.shared is not None:
            def append(queue: list[list[Any]]) -> int:
                queue.append([decision.outcome, decision.result_code])
                return len(queue)

            count: int = self._edit(merchant_id, append)
            return count
        with self._lock:
            self._queues[merchant_id].append(decision)
            return len(self._queues[merchant_id])

    def take(self, merchant_id: int) -> ChargeDecision:
        """The decision for the merchant's next charge (approve when none is queued)."""
        if self.shared is not None:
            if not self._shared_queue(merchant_id):  # the usual case: read, never write
                return APPROVE
            taken = self._edit(merchant_id, lambda queue: queue.pop(0) if queue else None)
            return ChargeDecision(*taken) if taken else APPROVE
        with self._lock:
            queued = self._queues.get(merchant_id)
            return queued.popleft() if queued else APPROVE

    def give_back(self, merchant_id: int, decision: ChargeDecision) -> None:
        """Put a taken decision back at the head of the queue: the charge that took it was not
        made (another process made it first, with a decision of its own). :data:`APPROVE` itself,
        what :meth:`take` answers when none is queued, goes back as nothing."""
        if decision is APPROVE:
            return
        if self.shared is not None:
            self._edit(merchant_id, lambda queue: queue.insert(0, [decision.outcome, decision.result_code]))
            return
        with self._lock:
            self._queues[merchant_id].appendleft(decision)

    def pending(self, merchant_id: int) -> list[ChargeDecision]:
        if self.shared is not None:
            return [ChargeDecision(*d) for d in self._shared_queue(merchant_id)]
        with self._lock:
            return list(self._queues.get(merchant_id, ()))

    def forget(self, merchant_id: int | None) -> None:
        """Drop queued decisions (a reset)."""
        if self.shared is not None:
            if merchant_id is None:
                self.shared.change_control("charges", lambda _text: None)
            else:
                self._edit(merchant_id, lambda queue: queue.clear())
        with self._lock:
            if merchant_id is None:
                self._queues.clear()
            else:
                self._queues.pop(merchant_id, None)
