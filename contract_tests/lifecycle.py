"""The invoice lifecycle as a Hypothesis ``RuleBasedStateMachine``.

Rules: create each kind (single, subscription, split, installment), get, search by reference,
list a page, walk every page, resend and bulk send (SMS: only where allowed), cancel, and, where
the mock's control plane offers it, pay. Invariant after every step: dashboard stats equal the
baseline plus the model's counts. At the end every created invoice must be found by get, by
search and on some list page, with unique ids and tokens.

State per run: on a mock the suite started, ``POST /_mock/reset`` clears it when the control
plane has it; otherwise (always on a live target) stats are compared as deltas against a
baseline read at the start, and every reference number carries the run prefix.
"""

from __future__ import annotations

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

from contract_tests import lifecycle_checks as checks
from contract_tests.control import ControlPlane
from contract_tests.errors import ContractViolation, hides_violations
from contract_tests.exchange import Intent
from contract_tests.findings import Finding
from contract_tests.lifecycle_checks import Model, ModelInvoice
from contract_tests.session import ContractSession
from contract_tests.strategies import valid_payloads
from hesabe_spec.enums import InvoiceKind, InvoiceStatus, PaymentType

__all__ = ["InvoiceLifecycle", "lifecycle_machine"]

#: their frames stay out of a ContractViolation's traceback (contract_tests.errors.hides_violations)
__tracebackhide__ = hides_violations

_KINDS = {
    "create_invoice": InvoiceKind.SINGLE,
    "create_subscription_invoice": InvoiceKind.SUBSCRIPTION,
    "create_split_invoice": InvoiceKind.SPLIT,
    "create_installment_invoice": InvoiceKind.INSTALLMENT,
}
#: the cancel request's body: the status to move to
_CANCEL = {"statusId": str(InvoiceStatus.CANCELLED.value)}


def _pay_types(value: Any) -> tuple[int, ...]:
    items = value.split(",") if isinstance(value, str) else (value or [PaymentType.KNET])
    return tuple(int(str(v)) for v in items) or (PaymentType.KNET,)


class InvoiceLifecycle(RuleBasedStateMachine):
    """Bound to a session by :func:`lifecycle_machine`; do not run the base class directly."""

    session: ContractSession
    control: ControlPlane
    invoices = Bundle("invoices")

    def __init__(self) -> None:
        super().__init__()
        self.model = Model()

    @initialize()
    def start(self) -> None:
        if self.control.reset():
            self.model.baseline = {}
        elif self.session.serves("list_invoices"):
            self.model.baseline = checks.read_stats(self.session)

    # -- creating ------------------------------------------------------------------------------

    def _created(self, operation: str, payload: dict[str, Any]) -> list[int]:
        ex = self.session.call(operation, payload)
        rows = ex.response if isinstance(ex.response, list) else [ex.response]
        entries = payload.get("invoices") or [payload]
        ids = []
        for row, sent in zip(rows, entries, strict=False):
            inv = ModelInvoice(
                row["id"],
                str(row["token"]),
                str(sent.get("referenceNumber") or row["id"]),
                _KINDS[operation],
                InvoiceStatus.UNPAID,
                _pay_types(sent.get("allocatePayType")),
            )
            if inv.id in self.model.invoices:
                raise self.session.violation(
                    [
                        Finding(
                            operation,
                            "ids_tokens_unique",
                            "/response/id",
                            "a new id",
                            f"id {inv.id} again",
                            "lifecycle",
                        )
                    ],
                    {"payload": payload},
                )
            self.model.invoices[inv.id] = inv
            ids.append(inv.id)
        return ids

    @precondition(lambda self: self.session.serves("create_invoice"))
    @rule(target=invoices, data=st.data())
    def create_single(self, data: st.DataObject) -> Any:
        return multiple(
            *self._created("create_invoice", data.draw(valid_payloads("create_invoice", self.session.gen)))
        )

    @precondition(lambda self: self.session.serves("create_subscription_invoice"))
    @rule(target=invoices, data=st.data())
    def create_subscription(self, data: st.DataObject) -> Any:
        payload = data.draw(valid_payloads("create_subscription_invoice", self.session.gen))
        return multiple(*self._created("create_subscription_invoice", payload))

    @precondition(lambda self: self.session.serves("create_split_invoice"))
    @rule(target=invoices, data=st.data())
    def create_split(self, data: st.DataObject) -> Any:
        payload = data.draw(valid_payloads("create_split_invoice", self.session.gen))
        return multiple(*self._created("create_split_invoice", payload))

    @precondition(lambda self: self.session.serves("create_installment_invoice"))
    @rule(target=invoices, data=st.data())
    def create_installment(self, data: st.DataObject) -> Any:
        payload = data.draw(valid_payloads("create_installment_invoice", self.session.gen))
        return multiple(*self._created("create_installment_invoice", payload))

    # -- reading -------------------------------------------------------------------------------

    @precondition(lambda self: self.session.serves("get_invoice"))
    @rule(invoice_id=invoices)
    def get(self, invoice_id: int) -> None:
        checks.check_get(self.session, self.model.invoices[invoice_id])

    @precondition(lambda self: self.session.serves("list_invoices"))
    @rule(invoice_id=invoices)
    def search(self, invoice_id: int) -> None:
        checks.check_search(self.session, self.model.invoices[invoice_id])

    @precondition(lambda self: self.session.serves("list_invoices"))
    @rule(invoice_id=invoices)
    def filter_by_status(self, invoice_id: int) -> None:
        checks.check_status_filter(self.session, self.model.invoices[invoice_id])

    @precondition(lambda self: self.session.serves("list_invoices") and self.session.serves("get_invoice"))
    @rule(page=st.integers(1, 3))
    def list_page(self, page: int) -> None:
        ex = self.session.call("list_invoices", {"page": page})
        rows = ((ex.response or {}).get("invoices") or {}).get("data") or []
        checks.check_details_match_rows(self.session, rows)

    @precondition(lambda self: self.session.serves("list_invoices"))
    @rule()
    def walk_pages(self) -> None:
        checks.check_pages(self.session, self.model)

    # -- sending (SMS) -------------------------------------------------------------------------

    @precondition(lambda self: self.session.sms_allowed and self.session.serves("resend_invoice"))
    @rule(invoice_id=invoices, data=st.data())
    def resend(self, invoice_id: int, data: st.DataObject) -> None:
        inv = self.model.invoices[invoice_id]
        payload = dict(data.draw(valid_payloads("resend_invoice", self.session.gen)), resendId=str(inv.id))
        # Resending a paid or cancelled invoice is refused by the mock; Hesabe's answer is not documented.
        self.session.call("resend_invoice", payload, intent=self._send_intent([invoice_id]))

    @precondition(lambda self: self.session.sms_allowed and self.session.serves("send_bulk_invoices"))
    @rule(invoice_ids=st.lists(invoices, min_size=1, max_size=3, unique=True))
    def bulk_send(self, invoice_ids: list[int]) -> None:
        ids = [str(i) for i in invoice_ids]
        # An id that also names an uploaded bulk row may send the row (the mock's reading of
        # hesabe-api.md 4.9, low confidence): what such a call should answer is not modelled.
        ambiguous = not self.session.created_bulk_rows.isdisjoint(invoice_ids)
        intent: Intent = "observe" if ambiguous else self._send_intent(invoice_ids)
        self.session.call("send_bulk_invoices", {"ids": ids}, intent=intent)

    def _send_intent(self, invoice_ids: list[int]) -> Intent:
        unpaid = all(self.model.invoices[i].status == InvoiceStatus.UNPAID for i in invoice_ids)
        return "valid" if unpaid else "observe"

    # -- changing state ------------------------------------------------------------------------

    @precondition(lambda self: self.session.serves("cancel_invoice"))
    @rule(invoice_id=invoices)
    def cancel(self, invoice_id: int) -> None:
        inv = self.model.invoices[invoice_id]
        if inv.status == InvoiceStatus.UNPAID:
            self.session.call("cancel_invoice", dict(_CANCEL), path_params={"token": inv.token})
            inv.status = InvoiceStatus.CANCELLED
            return
        ex, findings = self.session.judged(
            "cancel_invoice",
            dict(_CANCEL),
            path_params={"token": inv.token},
            intent="refused",
            context={"why": f"invoice is {'paid' if inv.status == InvoiceStatus.PAID else 'cancelled'}"},
        )
        if ex.accepted and inv.status == InvoiceStatus.PAID:
            raise self.session.violation(
                [
                    Finding(
                        "cancel_invoice",
                        "paid_not_cancellable",
                        "/status",
                        "false (a paid invoice cannot be cancelled)",
                        "true",
                        "lifecycle",
                    )
                ],
                ex.request_view(),
            )
        if ex.accepted:
            raise self.session.violation(
                [
                    Finding(
                        "cancel_invoice",
                        "refusal_honoured",
                        "/status",
                        "false (already cancelled)",
                        "true",
                        "lifecycle",
                    )
                ],
                ex.request_view(),
            )
        if findings:  # refused, but not as the API refuses (its message, a 500, the envelope ...)
            raise ContractViolation(findings, ex.request_view())

    @precondition(lambda self: self.control.can_pay is not False and self.session.serves("get_invoice"))
    @rule(invoice_id=invoices)
    def pay(self, invoice_id: int) -> None:
        inv = self.model.invoices[invoice_id]
        outcome = self.control.pay(inv.id, inv.pay_types[0])
        if outcome is None:
            return  # no control plane on this target: the rule switches itself off
        if inv.status == InvoiceStatus.UNPAID:
            if not outcome:
                raise self.session.violation(
                    [
                        Finding(
                            "_mock/pay",
                            "control_plane_pay",
                            "",
                            "an unpaid invoice can be paid",
                            "refused",
                            "lifecycle",
                        )
                    ],
                    {"pay": inv.id},
                )
            inv.status = InvoiceStatus.PAID
        # Paying a cancelled or paid invoice must change nothing; get proves it.
        checks.check_get(self.session, inv)

    # -- invariants ----------------------------------------------------------------------------

    @precondition(lambda self: self.session.serves("list_invoices"))
    @invariant()
    def stats_match(self) -> None:
        checks.check_stats(self.session, self.model)

    def teardown(self) -> None:
        readable = self.session.serves("list_invoices") and self.session.serves("get_invoice")
        if self.model.invoices and readable:
            checks.check_findable(self.session, self.model)


def lifecycle_machine(
    session: ContractSession, control: ControlPlane | None = None
) -> type[InvoiceLifecycle]:
    """The lifecycle machine bound to ``session`` (a subclass per session, so runs never share one)."""
    return type(
        "BoundInvoiceLifecycle",
        (InvoiceLifecycle,),
        {"session": session, "control": control or ControlPlane(session)},
    )
