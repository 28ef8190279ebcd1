"""Retry policy and adversarial modes of the webhook sender, with JSON (de)serialisation.

Real Hesabe webhooks are unsigned, so a merchant's handler must survive whatever arrives: the
modes make the mock send duplicates, late deliveries, deliveries in the wrong order and forged
SUCCESSFUL bodies, on demand.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields, replace
from typing import Any
from urllib.parse import urlsplit

__all__ = ["DeliverySettings", "WebhookModes", "as_json", "is_http_url", "merge_json"]

#: the longest wait (seconds) a delivery setting may name
DAY = 86_400.0


@dataclass(frozen=True, slots=True)
class DeliverySettings:
    """How hard the sender tries: ``attempts`` in all, waiting ``base_delay * 2**(n-1)`` seconds
    (capped at ``max_delay``) before retry ``n``. A non-2xx answer or a network error is a failure.

    One attempt by default: Hesabe documents no retry (hesabe-checkout-api.md §5, §11), so an
    endpoint that fails once must not pass against the mock by a retry the real server may never
    make; the merchant confirms by enquiry. More attempts are a setting."""

    attempts: int = 1
    base_delay: float = 0.5
    max_delay: float = 30.0
    #: seconds to wait for the merchant's endpoint to answer one POST
    timeout: float = 5.0
    #: where webhooks go when the paid record names no URL (open invoices never do); None = nowhere
    fallback_url: str | None = None

    def delay_before_retry(self, retry: int) -> float:
        """Seconds to wait before retry number ``retry`` (1 = the second attempt)."""
        return float(min(self.max_delay, self.base_delay * 2 ** (retry - 1)))

    def check(self) -> DeliverySettings:
        if self.attempts < 1 or self.attempts > 20:
            raise ValueError("attempts must be between 1 and 20")
        # written as "not within" so that NaN fails too; a day is past any wait a test means
        if not (0 <= self.base_delay <= DAY and 0 <= self.max_delay <= DAY and 0 < self.timeout <= DAY):
            raise ValueError(f"base_delay and max_delay must be from 0 to {DAY:.0f} seconds and timeout "
                             f"more than 0 and at most {DAY:.0f}")
        if self.fallback_url is not None and not is_http_url(self.fallback_url):
            raise ValueError("fallback_url must be an http:// or https:// URL (or null)")
        return self


@dataclass(frozen=True, slots=True)
class WebhookModes:
    """Adversarial behaviour a merchant switches on to harden a webhook handler."""

    #: send every successful-payment webhook twice (the same body)
    duplicate: bool = False
    #: wait this long before the first attempt of every delivery
    delay_ms: int = 0
    #: hold deliveries and release them as a batch, newest first
    out_of_order: bool = False
    #: for a failed or declined payment, send a webhook claiming SUCCESSFUL anyway
    forged_status: bool = False
    #: out_of_order: a batch is released once this many deliveries are held ...
    batch_size: int = 2
    #: ... or this long after the first of them was held
    batch_window_ms: int = 2000

    def check(self) -> WebhookModes:
        if not 0 <= self.delay_ms <= 600_000:
            raise ValueError("delay_ms must be between 0 and 600000")
        if not 1 <= self.batch_size <= 100:
            raise ValueError("batch_size must be between 1 and 100")
        if not 0 <= self.batch_window_ms <= 600_000:
            raise ValueError("batch_window_ms must be between 0 and 600000")
        return self


def merge_json(current: Any, body: Any) -> Any:
    """``current`` (a dataclass) with the fields of a JSON object applied, types checked.

    Unknown keys and wrong types raise ValueError with a message meant for the merchant; a bool
    is never accepted where a number is meant (``True`` is an int in Python, not in JSON).
    """
    if body == []:  # PHP's json_encode([]): no fields, as the rest of the control plane reads it
        body = {}
    if not isinstance(body, dict):
        raise ValueError("expected a JSON object")
    known = {f.name: f for f in fields(current)}
    unknown = sorted(set(body) - set(known))
    if unknown:
        raise ValueError(f"unknown field(s): {', '.join(unknown)}; known: {', '.join(known)}")
    changes: dict[str, Any] = {}
    for name, value in body.items():
        default = known[name].default
        if default is None:  # the only optional field is a URL
            if value is not None and not isinstance(value, str):
                raise ValueError(f"{name} must be a string or null")
        elif isinstance(default, bool):
            if not isinstance(value, bool):
                raise ValueError(f"{name} must be true or false")
        elif isinstance(default, int):
            if isinstance(value, bool) or not isinstance(value, int):
                raise ValueError(f"{name} must be an integer")
        elif isinstance(default, float):
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise ValueError(f"{name} must be a number")
            try:
                value = float(value)
            except OverflowError:  # an integer past any float: out of every range
                raise ValueError(f"{name} is out of range") from None
        changes[name] = value
    return replace(current, **changes).check()


def as_json(obj: Any) -> dict[str, Any]:
    return asdict(obj)


def is_http_url(url: Any) -> bool:
    """An absolute http(s) URL with a host: the only kind of webhook the mock will POST to."""
    if not isinstance(url, str):
        return False
    parts = urlsplit(url.strip())
    return parts.scheme in ("http", "https") and bool(parts.netloc)
