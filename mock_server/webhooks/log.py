"""The delivery log behind ``GET /_mock/webhooks``: every webhook the mock sent or will send.

Bounded (oldest dropped first) because a long-running mock must not grow without end. Records are
mutated only by the dispatcher's worker and read under the same lock, so a reader never sees a
half-written attempt.
"""

from __future__ import annotations

import itertools
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from hesabe_spec.wire import without_url_password

__all__ = ["DEFAULT_LOG_CAP", "Attempt", "Delivery", "DeliveryLog", "without_secrets"]

DEFAULT_LOG_CAP = 1000

#: states a delivery passes through; the last three are final
STATES = ("held", "pending", "delivered", "failed", "abandoned")


def utc_stamp(epoch: float) -> str:
    """ISO 8601 with milliseconds, UTC: attempts are real network events, not mock-clock ones."""
    return datetime.fromtimestamp(epoch, UTC).isoformat(timespec="milliseconds")


@dataclass(slots=True)
class Attempt:
    number: int
    at: float
    status: int | None = None
    error: str | None = None
    duration_ms: float = 0.0

    def to_json(self) -> dict[str, Any]:
        return {"attempt": self.number, "at": utc_stamp(self.at), "status": self.status,
                "error": self.error, "duration_ms": round(self.duration_ms, 1)}


@dataclass(slots=True)
class Delivery:
    """One POST to one URL, with its attempts. ``kind`` says why it exists."""

    id: int
    url: str
    payload: dict[str, Any]
    #: "payment" (the real one), "duplicate" (adversarial copy), "forged" (false SUCCESSFUL)
    kind: str
    created_at: float
    #: what the payment behind it was: invoice/open-invoice id, reference, outcome
    source: dict[str, Any] = field(default_factory=dict)
    state: str = "pending"
    #: adversarial modes that shaped this delivery (delay_ms, out_of_order)
    modes: dict[str, Any] = field(default_factory=dict)
    attempts: list[Attempt] = field(default_factory=list)

    @property
    def final(self) -> bool:
        return self.state in ("delivered", "failed", "abandoned")

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "url": self.url,
            "kind": self.kind,
            "state": self.state,
            "created_at": utc_stamp(self.created_at),
            "source": dict(self.source),
            "modes": dict(self.modes),
            "payload": self.payload,
            "attempts": [a.to_json() for a in self.attempts],
        }


class DeliveryLog:
    """Deliveries by id, insertion ordered, at most ``cap`` kept."""

    def __init__(self, cap: int = DEFAULT_LOG_CAP) -> None:
        if cap < 1:
            raise ValueError("the webhook log cap must be at least 1")
        self.cap = cap
        self.lock = threading.RLock()
        self._items: OrderedDict[int, Delivery] = OrderedDict()
        self._ids = itertools.count(1)
        self.dropped = 0
        #: told of every delivery added or changed (a shared mock publishes it for every process)
        self.on_change: Callable[[Delivery], None] | None = None

    def changed(self, delivery: Delivery) -> None:
        """A delivery was added or its state or attempts changed (called under ``lock``)."""
        if self.on_change is not None:
            self.on_change(delivery)

    def add(self, **fields: Any) -> Delivery:
        with self.lock:
            delivery = Delivery(id=next(self._ids), **fields)
            self._items[delivery.id] = delivery
            while len(self._items) > self.cap:
                self._items.popitem(last=False)
                self.dropped += 1
            return delivery

    def get(self, delivery_id: int) -> Delivery | None:
        with self.lock:
            return self._items.get(delivery_id)

    def clear(self) -> None:
        with self.lock:
            self._items.clear()

    def remove(self, where: Callable[[Delivery], bool]) -> list[int]:
        """Drop the deliveries ``where`` picks; their ids."""
        with self.lock:
            ids = [i for i, d in self._items.items() if where(d)]
            for i in ids:
                del self._items[i]
            return ids

    def snapshot(self, *, state: str | None = None, limit: int | None = None) -> list[dict[str, Any]]:
        """JSON of the deliveries, oldest first (``limit`` keeps the newest ``limit``)."""
        with self.lock:
            items = [d for d in self._items.values() if state is None or d.state == state]
            if limit is not None:
                items = items[-limit:] if limit else []
            return [d.to_json() for d in items]

    def __len__(self) -> int:
        with self.lock:
            return len(self._items)


def without_secrets(delivery: dict[str, Any]) -> dict[str, Any]:
    """A delivery (its ``to_json``) as it is shown, in the control plane's answers and the
    inspector: its URL without a password, there and in every attempt's error that quotes it.
    What is stored and sent keeps the URL as given."""
    raw = str(delivery.get("url") or "")
    shown = without_url_password(raw)
    if shown == raw:
        return delivery
    attempts = [{**a, "error": a["error"].replace(raw, shown)} if isinstance(a.get("error"), str) else a
                for a in delivery.get("attempts") or []]
    return {**delivery, "url": shown, "attempts": attempts}
