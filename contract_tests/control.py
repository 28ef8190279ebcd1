"""The mock's ``/_mock/`` control plane as the suite uses it: reset, pay (invoices and checkouts)
and decide refunds, all optional.

Availability is detected, never assumed: a target without the control plane (the real sandbox,
an older mock) answers 404/405 with something that is not the control plane's JSON, and the
feature switches itself off for the rest of the run.

Reset is only ever sent to a mock the suite started itself: a server the user pointed the suite
at may hold state someone cares about.
"""

from __future__ import annotations

from typing import Any

from contract_tests.session import ContractSession

__all__ = ["ControlPlane"]


def _absent(status: int, body: Any) -> bool:
    """Does this answer mean "there is no control plane here"? A 404, 405 or 501 that is not the
    control plane's own refusal (every ``/_mock/`` refusal is JSON ``{"error": ...}``), whatever
    the server's not-found looks like: Hesabe's "Request not found ...", Laravel's "The route ...
    could not be found.", an HTML page."""
    if status not in (404, 405, 501):
        return False
    return not (isinstance(body, dict) and "error" in body)


class ControlPlane:
    """Reset and pay through ``/_mock/``; ``can_reset`` / ``can_pay`` are None until tried."""

    def __init__(self, session: ContractSession) -> None:
        self.session = session
        self.can_reset: bool | None = None if session.target.own else False
        self.can_pay: bool | None = None
        self.can_decide: bool | None = None

    def reset(self) -> bool:
        """Clear the mock's state; False when not allowed or not available."""
        if self.can_reset is False:
            return False
        status, _body = self.session.target.control("POST", "reset", {})
        if 200 <= status < 300:
            self.can_reset = True
            self.session.forget_state()
            return True
        self.can_reset = False
        return False

    def pay(self, invoice_id: int, payment_type: int) -> bool | None:
        """Pay an invoice successfully: True if paid, False if refused, None if there is no control plane."""
        if self.can_pay is False:
            return None
        status, body = self.session.target.control(
            "POST", f"invoices/{invoice_id}/pay", {"payment_type": payment_type, "outcome": "success"}
        )
        if _absent(status, body):
            self.can_pay = False
            return None
        self.can_pay = True
        return 200 <= status < 300

    def pay_checkout(self, token: str, outcome: str, result_code: str | None = None) -> tuple[int,
                                                                                              Any] | None:
        """Complete a checkout as its customer would: ``(status, answer)`` (the answer carries the
        ``callback_url`` a browser would follow), or None when there is no control plane."""
        if self.can_pay is False:
            return None
        body: dict[str, Any] = {"outcome": outcome}
        if result_code is not None:
            body["result_code"] = result_code
        status, answer = self.session.target.control("POST", f"checkouts/{token}/pay", body)
        if _absent(status, answer):
            self.can_pay = False
            return None
        self.can_pay = True
        return status, answer

    def decide_refund(self, refund_id: int, approve: bool) -> bool | None:
        """Approve or reject a refund as Hesabe would: True if done, False if refused (it was not
        pending), None if there is no control plane."""
        if self.can_decide is False:
            return None
        status, body = self.session.target.control(
            "POST", f"refunds/{refund_id}/{'approve' if approve else 'reject'}", {}
        )
        if _absent(status, body):
            self.can_decide = False
            return None
        self.can_decide = True
        return 200 <= status < 300
