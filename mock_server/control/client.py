"""``MockControl``: the ``/_mock/`` control plane from Python, one method per endpoint.

    from mock_server.control import MockControl

    with MockControl("http://127.0.0.1:8000") as mock:
        mock.reset()
        mock.pay_invoice(14697, payment_type=1, outcome="success")
        mock.add_fault("rate_limit", operation="get_invoice", times=1, retry_after=2)
        mock.approve_refund(3)

``session`` may be any ``requests.Session``-compatible object (e.g. ``hesabe_spec.client.ASGITransport``
to drive an app in-process); a session passed in is not closed by :meth:`close`.
"""

from __future__ import annotations

from typing import Any, TypedDict

__all__ = ["MockControl", "MockControlError"]


class MockControlError(Exception):
    """The control plane refused a request; ``status`` and the JSON ``body`` say why."""

    def __init__(self, status: int, body: Any) -> None:
        message = body.get("error") if isinstance(body, dict) else body
        super().__init__(f"HTTP {status}: {message}")
        self.status, self.body = status, body

    @property
    def reason(self) -> str | None:
        """The machine-readable refusal reason of a payment (``expired``, ``already_paid``, ...)."""
        return self.body.get("reason") if isinstance(self.body, dict) else None


class _Seeded(TypedDict):
    seeded: dict[str, list[int]]  # "invoices", "open_invoices", "bulk_rows" -> stored ids


class _Journal(TypedDict):
    capacity: int
    recorded: int
    entries: list[dict[str, Any]]


class _Rules(TypedDict):
    rules: list[dict[str, Any]]


class MockControl:
    """A thin client for one mock server's control plane."""

    def __init__(self, base_url: str, *, session: Any = None, timeout: float = 10.0) -> None:
        self.base_url = base_url.rstrip("/")
        self._owns_session = session is None
        if session is None:
            import requests  # here, so that serving the mock never loads the HTTP client library

            session = requests.Session()
        self.session = session
        self.timeout = timeout

    def __enter__(self) -> MockControl:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"MockControl({self.base_url!r})"

    def close(self) -> None:
        if self._owns_session:
            self.session.close()

    def request(self, method: str, path: str, body: Any = None, params: dict[str, Any] | None = None) -> Any:
        """Call ``/_mock{path}``; the decoded JSON answer, or :class:`MockControlError`."""
        kwargs: dict[str, Any] = {"params": params, "timeout": self.timeout}
        if body is not None:
            kwargs["json"] = body
        response = self.session.request(method, f"{self.base_url}/_mock{path}", **kwargs)
        try:
            data = response.json()
        except ValueError:
            data = response.text
        if response.status_code >= 400:
            raise MockControlError(response.status_code, data)
        return data

    def _object(self, method: str, path: str, body: Any = None,
                params: dict[str, Any] | None = None) -> dict[str, Any]:
        """:meth:`request` for an endpoint of this client: each answers a JSON object."""
        answer: dict[str, Any] = self.request(method, path, body, params)
        return answer

    # -- state -------------------------------------------------------------------------------
    def reset(self, merchant_code: str | None = None) -> Any:
        """Forget everything, or one merchant's records."""
        return self.request("POST", "/reset", {"merchant_code": merchant_code} if merchant_code else {})

    def seed(self, data: dict[str, Any] | None = None, *, path: str | None = None) -> dict[str, list[int]]:
        """Load a seed document (or a seed file on the server's disk); returns the stored ids."""
        if (data is None) == (path is None):
            raise ValueError("pass either data or path")
        answer: _Seeded = self.request("POST", "/seed", data if path is None else {"path": path})
        return answer["seeded"]

    def seed_fixture(self, name: str = "seed-pages") -> dict[str, list[int]]:
        """Load a seed document shipped with the mock (``seed-pages``); returns the stored ids."""
        answer: _Seeded = self.request("POST", "/seed", {"fixture": name})
        return answer["seeded"]

    def create_merchant(self, **fields: Any) -> dict[str, Any]:
        """A new merchant on the mock: ``{"merchant": {...credentials...}, "env": {HESABE_*: ...}}``.

        ``fields`` (merchants-file names: ``merchant_code``, ``name``...) fix some of its values.
        """
        return self._object("POST", "/merchants", fields)

    def invoice(self, invoice_id: int) -> dict[str, Any]:
        """An invoice's raw state, including failed payment attempts."""
        return self._object("GET", f"/invoices/{int(invoice_id)}")

    def open_invoice(self, item_id: int) -> dict[str, Any]:
        return self._object("GET", f"/open-invoices/{int(item_id)}")

    # -- payments ----------------------------------------------------------------------------
    def pay_invoice(self, invoice_id: int, payment_type: int | str | None = None,
                    outcome: str = "success") -> dict[str, Any]:
        """Pay (or fail to pay) an invoice; the type defaults to its first allocated one."""
        body: dict[str, Any] = {"outcome": outcome}
        if payment_type is not None:
            body["payment_type"] = payment_type
        return self._object("POST", f"/invoices/{int(invoice_id)}/pay", body)

    def pay_open_invoice(self, item_id: int, amount: str | None = None, payment_type: int | str = 1,
                         outcome: str = "success", customer: dict[str, Any] | None = None) -> dict[str, Any]:
        body: dict[str, Any] = {"payment_type": payment_type, "outcome": outcome}
        if amount is not None:
            body["amount"] = amount
        if customer is not None:
            body["customer"] = customer
        return self._object("POST", f"/open-invoices/{int(item_id)}/pay", body)

    # -- checkouts (the payment gateway) -----------------------------------------------------
    def checkout(self, token: str) -> dict[str, Any]:
        """A checkout's raw state by its transaction token (status, result, page URL, callback)."""
        return self._object("GET", f"/checkouts/{token}")

    def pay_checkout(self, token: str, outcome: str = "success", *, result_code: str | None = None,
                     payment_type: int | str | None = None,
                     card: dict[str, str] | None = None) -> dict[str, Any]:
        """The customer completes the page: ``success``, ``failure``, ``cancelled`` or ``expired``.

        The answer carries ``callback_url``: where the browser would be redirected (GET it to
        deliver the callback to your responseUrl / failureUrl)."""
        body: dict[str, Any] = {"outcome": outcome}
        for key, value in (("result_code", result_code), ("payment_type", payment_type), ("card", card)):
            if value is not None:
                body[key] = value
        return self._object("POST", f"/checkouts/{token}/pay", body)
    # -- refunds -----------------------------------------------------------------------------
    def refund(self, refund_id: int) -> dict[str, Any]:
        """A refund's raw state (status, amount, the payment it refunds)."""
        return self._object("GET", f"/refunds/{int(refund_id)}")

    def approve_refund(self, refund_id: int, remarks: str | None = None) -> dict[str, Any]:
        """Approve a pending refund, as Hesabe's staff would."""
        return self._decide_refund(refund_id, "approve", remarks)

    def reject_refund(self, refund_id: int, remarks: str | None = None) -> dict[str, Any]:
        """Reject a pending refund: its amount can be refunded again."""
        return self._decide_refund(refund_id, "reject", remarks)

    def _decide_refund(self, refund_id: int, decision: str, remarks: str | None) -> dict[str, Any]:
        body = {"remarks": remarks} if remarks else {}
        return self._object("POST", f"/refunds/{int(refund_id)}/{decision}", body)

    def auto_approve_refunds(self, seconds: float | None) -> dict[str, Any]:
        """Approve pending refunds ``seconds`` of mock clock after they were asked for (None: never)."""
        return self._object("POST", "/refunds/auto-approve", {"seconds": seconds})

    # -- journal -----------------------------------------------------------------------------
    def journal(self, limit: int | None = None, operation: str | None = None) -> list[dict[str, Any]]:
        """The last ``limit`` exchanges, oldest first, decrypted both ways."""
        params = {k: v for k, v in (("limit", limit), ("operation", operation)) if v is not None}
        answer: _Journal = self.request("GET", "/journal", params=params)
        return answer["entries"]

    def clear_journal(self) -> None:
        self.request("DELETE", "/journal")

    # -- findings ----------------------------------------------------------------------------
    def findings(self, severity: str | None = None) -> dict[str, Any]:
        """Integration findings since the last reset, per rule (``severity``: "error" or "warning")."""
        return self._object("GET", "/findings", params={"severity": severity} if severity else None)

    def clear_findings(self) -> None:
        self.request("DELETE", "/findings")

    # -- clock -------------------------------------------------------------------------------
    def clock(self) -> dict[str, Any]:
        return self._object("GET", "/clock")

    def set_clock(self, at: str | float | None = None, *, freeze: bool | None = None,
                  advance: float | None = None, reset: bool = False) -> dict[str, Any]:
        body: dict[str, Any] = {}
        if reset:
            body["reset"] = True
        if at is not None:
            body["set"] = at
        if freeze is not None:
            body["freeze"] = freeze
        if advance is not None:
            body["advance"] = advance
        return self._object("POST", "/clock", body)

    def freeze(self, at: str | float | None = None) -> dict[str, Any]:
        return self.set_clock(at, freeze=True)

    def advance(self, seconds: float) -> dict[str, Any]:
        return self.set_clock(advance=seconds)

    # -- faults ------------------------------------------------------------------------------
    def faults(self) -> list[dict[str, Any]]:
        answer: _Rules = self.request("GET", "/faults")
        return answer["rules"]

    def add_fault(self, kind: str, operation: str = "*", **options: Any) -> dict[str, Any]:
        """Add one rule (options: probability, seed, times, latency_ms, retry_after; a mutate_reply
        rule's patch and http_status)."""
        answer: _Rules = self.request("POST", "/faults", {"kind": kind, "operation": operation, **options})
        return answer["rules"][0]

    def add_faults(self, rules: list[dict[str, Any]]) -> list[dict[str, Any]]:
        answer: _Rules = self.request("POST", "/faults", {"rules": rules})
        return answer["rules"]

    def remove_fault(self, rule_id: int) -> None:
        self.request("DELETE", f"/faults/{int(rule_id)}")

    def clear_faults(self) -> None:
        self.request("DELETE", "/faults")

    # -- webhooks ----------------------------------------------------------------------------
    def webhooks(self, state: str | None = None) -> list[dict[str, Any]]:
        """The webhook delivery log, oldest first (``state``: delivered, failed, pending, ...)."""
        found: list[dict[str, Any]] = self._object("GET", "/webhooks",
                                                   params={"state": state} if state else None)["deliveries"]
        return found

    def redeliver_webhook(self, delivery_id: int) -> dict[str, Any]:
        """Send a logged delivery's body to its URL again; the new delivery."""
        again: dict[str, Any] = self._object("POST", f"/webhooks/{delivery_id}/redeliver")["delivery"]
        return again
