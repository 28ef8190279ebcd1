"""The refund lifecycle as a Hypothesis ``RuleBasedStateMachine``.

Rules: pay a new invoice (the mock's control plane); ask for part of a payment or for all that is
left; ask for a refund of an unpaid or a cancelled invoice (by the only token it has); approve or
reject through the control plane; cancel; read a refund back. The model says, before each call,
whether the target must accept it (``valid``) or refuse it (``refused``), so an over-refund, a
refund of something unpaid, a second decision or a cancel of a decided refund is a violation.

Invariants: after every step the refund stats equal the baseline plus the model's counts and
amounts; at the end, walking every page of the list, the stats equal the sum of the records,
each payment's pending and approved refunds stay within what was paid, and each paid invoice's
details list exactly its approved refunds in ``transaction.refund``.

Needs a target that can pay invoices: without the control plane the test is skipped.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from typing import Any

from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    initialize,
    invariant,
    multiple,
    precondition,
    rule,
)

from contract_tests.control import ControlPlane
from contract_tests.errors import hides_violations
from contract_tests.findings import Finding
from contract_tests.resources import Resources
from contract_tests.session import ContractSession
from hesabe_spec.amounts import from_fils
from hesabe_spec.enums import InvoiceStatus, RefundMethod, RefundStatus

__all__ = ["RefundLifecycle", "RefundModel", "refund_machine"]

#: their frames stay out of a ContractViolation's traceback (contract_tests.errors.hides_violations)
__tracebackhide__ = hides_violations

_STATS = ("count", "total", "pending", "approved", "rejected")
#: the statuses that hold part of a payment
_HOLDING = (RefundStatus.PENDING, RefundStatus.APPROVED)
#: walk at most this many pages of refunds (a live target holds other people's)
MAX_PAGES = 40


def _fils(text: Any) -> int:
    whole, _, frac = str(text or "0.000").partition(".")
    return int(whole) * 1000 + int((frac + "000")[:3])


def _state(refund: ModelRefund) -> str:
    return "cancelled" if refund.status is None else refund.status.name.lower()


@dataclass
class ModelRefund:
    id: int
    token: str
    amount: int  # fils
    #: None once cancelled (the request is gone)
    status: RefundStatus | None = RefundStatus.PENDING


@dataclass
class RefundModel:
    """What the run believes about its payments (token -> fils paid) and refunds."""

    paid: dict[str, int] = field(default_factory=dict)
    invoice_of: dict[str, int] = field(default_factory=dict)
    refunds: dict[int, ModelRefund] = field(default_factory=dict)
    baseline: dict[str, int] = field(default_factory=dict)

    def of(self, token: str, *statuses: RefundStatus) -> int:
        return sum(r.amount for r in self.refunds.values() if r.token == token and r.status in statuses)

    def left(self, token: str) -> int:
        return self.paid[token] - self.of(token, RefundStatus.PENDING, RefundStatus.APPROVED)

    def stats(self) -> dict[str, int]:
        live = [r for r in self.refunds.values() if r.status is not None]

        def amount(status: RefundStatus) -> int:
            return sum(r.amount for r in live if r.status == status)

        return {"count": len(live), "total": sum(r.amount for r in live),
                "pending": amount(RefundStatus.PENDING), "approved": amount(RefundStatus.APPROVED),
                "rejected": amount(RefundStatus.REJECTED)}


def stats_numbers(stats: Any) -> dict[str, int]:
    """The refund stats block as count and fils (null amounts: no refund requests, zero)."""
    stats = stats if isinstance(stats, dict) else {}
    return {"count": int(stats.get("total_refund_request_count") or 0),
            "total": _fils(stats.get("total_refund_request_amount")),
            **{k: _fils(stats.get(f"{k}_total_refund_request_amount"))
               for k in ("pending", "approved", "rejected")}}


def read_stats(session: ContractSession) -> dict[str, int]:
    return stats_numbers(session.call("list_refunds", {}).response.get("stats"))


def _fail(session: ContractSession, findings: list[Finding], what: str) -> None:
    if findings:
        raise session.violation(findings, {"lifecycle check": what})


def _finding(operation: str, rule: str, pointer: str, expected: str, actual: Any) -> Finding:
    return Finding(operation, rule, pointer, expected, str(actual), "lifecycle")


class RefundLifecycle(RuleBasedStateMachine):
    """Bound to a session by :func:`refund_machine`; do not run the base class directly."""

    session: ContractSession
    control: ControlPlane
    resources: Resources
    payments = Bundle("payments")
    refunds = Bundle("refunds")

    def __init__(self) -> None:
        super().__init__()
        self.model = RefundModel()

    @initialize()
    def start(self) -> None:
        self.model.baseline = {} if self.control.reset() else read_stats(self.session)

    # -- payments ------------------------------------------------------------------------------

    @rule(target=payments, fils=st.integers(1, 60_000))
    def pay(self, fils: int) -> str:
        paid = self.resources.paid_transaction(from_fils(fils))
        self.model.paid[paid["token"]] = fils
        self.model.invoice_of[paid["token"]] = int(paid["invoice_id"])
        return str(paid["token"])

    @rule(cancel=st.booleans())
    def refund_unpaid(self, cancel: bool) -> None:
        """An unpaid or cancelled invoice has no payment: a refund of its token is refused."""
        invoice = self.resources.fresh_invoice()
        if cancel:
            self.session.call("cancel_invoice", {"statusId": str(InvoiceStatus.CANCELLED.value)},
                              path_params={"token": invoice["token"]})
        state = "cancelled" if cancel else "unpaid"
        payload = {"token": str(invoice["token"]), "refundMethod": RefundMethod.FULL.value}
        self.session.call("create_refund", payload, intent="refused",
                          context={"why": f"invoice {invoice['id']} is {state}"})

    # -- asking --------------------------------------------------------------------------------

    def _asked(self, token: str, payload: dict[str, Any], amount: int, fits: bool) -> Any:
        left, paid = max(self.model.left(token), 0), self.model.paid[token]
        why = f"{from_fils(amount)} asked, {from_fils(left)} left of {from_fils(paid)}"
        ex = self.session.call("create_refund", {"token": token, **payload},
                               intent="valid" if fits else "refused", context={"why": why})
        if not fits:
            return multiple()  # nothing new to decide, cancel or read
        got = _fils(ex.response.get("amount")) if isinstance(ex.response, dict) else None
        if got != amount:
            _fail(self.session, [_finding("create_refund", "refunds_within_paid", "/response/amount",
                                          from_fils(amount), ex.response.get("amount") if isinstance(
                                              ex.response, dict) else ex.response)], why)
        refund_id = self._id_of(ex.response, token, amount)
        self.model.refunds[refund_id] = ModelRefund(refund_id, token, amount)
        return refund_id

    def _id_of(self, response: Any, token: str, amount: int) -> int:
        """The new refund's id: from the answer if it has one, else the newest of the payment's."""
        if isinstance(response, dict) and isinstance(response.get("id"), int):
            return int(response["id"])
        rows = self.session.call("list_refunds", {"search": token}).response["refund_request_list"]["data"]
        known = set(self.model.refunds)
        return max(int(r["id"]) for r in rows
                   if int(r["id"]) not in known and _fils(r.get("amount")) == amount)

    @rule(target=refunds, token=payments, data=st.data())
    def ask_part(self, token: str, data: st.DataObject) -> Any:
        amount = data.draw(st.integers(1, self.model.paid[token]), label="fils")
        fits = amount <= self.model.left(token)
        payload = {"refundMethod": RefundMethod.PARTIAL.value, "refundAmount": from_fils(amount)}
        return self._asked(token, payload, amount, fits)

    @rule(target=refunds, token=payments)
    def ask_rest(self, token: str) -> Any:
        left = self.model.left(token)
        return self._asked(token, {"refundMethod": RefundMethod.FULL.value}, left, left > 0)

    # -- deciding ------------------------------------------------------------------------------

    @precondition(lambda self: self.control.can_decide is not False)
    @rule(refund_id=refunds, approve=st.booleans())
    def decide(self, refund_id: int, approve: bool) -> None:
        refund = self.model.refunds[refund_id]
        done = self.control.decide_refund(refund.id, approve)
        if done is None:
            return  # no control plane: the rule switches itself off
        pending = refund.status == RefundStatus.PENDING
        if done != pending:
            _fail(self.session, [_finding("_mock/refunds", "refund_status_kept", f"/refunds/{refund.id}",
                                          "decided" if pending else "refused (not pending)",
                                          "decided" if done else "refused")], f"decide refund {refund.id}")
        if pending:
            refund.status = RefundStatus.APPROVED if approve else RefundStatus.REJECTED

    @rule(refund_id=refunds)
    def cancel(self, refund_id: int) -> None:
        refund = self.model.refunds[refund_id]
        pending = refund.status == RefundStatus.PENDING
        self.session.call("cancel_refund", {}, path_params={"id": refund.id},
                          intent="valid" if pending else "refused",
                          context={"why": f"refund {refund.id} is {_state(refund)}"})
        if pending:
            refund.status = None  # gone: its amount is free again

    @rule(refund_id=refunds)
    def read(self, refund_id: int) -> None:
        refund = self.model.refunds[refund_id]
        ex = self.session.call("get_refund", {}, path_params={"id": refund.id}, intent="observe")
        got = ex.response if ex.accepted and isinstance(ex.response, dict) else None
        want = None if refund.status is None else (int(refund.status), from_fils(refund.amount))
        have = None if got is None else (got.get("status"), got.get("amount"))
        if have != want:
            _fail(self.session, [_finding("get_refund", "refund_status_kept", "/response/status",
                                          str(want or "not found (cancelled)"), have or "not found")],
                  f"read refund {refund.id}")

    # -- invariants ----------------------------------------------------------------------------

    @invariant()
    def stats_match(self) -> None:
        now = read_stats(self.session)
        want = {k: self.model.baseline.get(k, 0) + v for k, v in self.model.stats().items()}
        _fail(self.session, [_finding("list_refunds", "refund_stats_match_model", f"/response/stats ({k})",
                                      str(want[k]), now[k]) for k in _STATS if now[k] != want[k]],
              f"refund stats after {len(self.model.refunds)} refund(s)")

    def teardown(self) -> None:
        # Hypothesis runs teardown in a ``finally``: after a failed step, report that step's
        # finding, not the end checks' consequences of it (which would replace it).
        if self.model.paid and sys.exc_info()[0] is None:
            check_records(self.session, self.model)


def _all_rows(session: ContractSession) -> tuple[list[dict[str, Any]], dict[str, int], bool]:
    """Every refund row (newest first), the stats, and whether the walk reached the last page."""
    rows: list[dict[str, Any]] = []
    stats: dict[str, int] = {}
    for page in range(1, MAX_PAGES + 1):
        response = session.call("list_refunds", {"page": page}).response
        stats = stats_numbers(response.get("stats"))
        block = response.get("refund_request_list") or {}
        rows += [r for r in block.get("data") or [] if isinstance(r, dict)]
        if not (block.get("pagination") or {}).get("next_page_url"):
            return rows, stats, True
    return rows, stats, False


def check_records(session: ContractSession, model: RefundModel) -> None:
    """refund_stats_are_records, refunds_within_paid and approved_in_transaction."""
    rows, stats, complete = _all_rows(session)
    findings = []
    if complete:
        summed = {"count": len(rows), "total": sum(_fils(r.get("amount")) for r in rows)}
        for key, status in (("pending", RefundStatus.PENDING), ("approved", RefundStatus.APPROVED)):
            summed[key] = sum(_fils(r.get("amount")) for r in rows if r.get("status") == status)
        summed["rejected"] = summed["total"] - summed["pending"] - summed["approved"]
        findings += [_finding("list_refunds", "refund_stats_are_records", f"/response/stats ({k})",
                              f"{summed[k]} (the listed requests)", stats[k]) for k in _STATS
                     if summed[k] != stats[k]]
    for token, paid in model.paid.items():
        held = sum(_fils(r.get("amount")) for r in rows
                   if r.get("token") == token and r.get("status") in _HOLDING)
        if held > paid:
            findings.append(_finding("list_refunds", "refunds_within_paid", "/response/refund_request_list",
                                     f"at most {from_fils(paid)} pending + approved for {token}",
                                     from_fils(held)))
        details = session.call("get_invoice", {}, path_params={"id": model.invoice_of[token]}).response
        listed = ((details or {}).get("transaction") or {}).get("refund") or []
        have = sorted(_fils(e.get("amount")) for e in listed if isinstance(e, dict))
        want = sorted(r.amount for r in model.refunds.values()
                      if r.token == token and r.status == RefundStatus.APPROVED)
        if have != want:
            findings.append(_finding("get_invoice", "approved_in_transaction", "/response/transaction/refund",
                                     str([from_fils(a) for a in want]), [from_fils(a) for a in have]))
    _fail(session, findings, f"{len(rows)} refund request(s) over {len(model.paid)} payment(s)")


def refund_machine(session: ContractSession, resources: Resources,
                   control: ControlPlane | None = None) -> type[RefundLifecycle]:
    """The refund machine bound to ``session`` (a subclass per session, so runs never share one)."""
    return type("BoundRefundLifecycle", (RefundLifecycle,),
                {"session": session, "resources": resources, "control": control or ControlPlane(session)})
