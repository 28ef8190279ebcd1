"""One ledger across every family that takes money, as a Hypothesis ``RuleBasedStateMachine``.

Rules: pay an invoice, pay an open invoice (once or again), pay a checkout or have it declined,
charge a saved card (approved, or declined by a decision queued on the mock's control plane),
send a Smart POS invoice and have its terminal pay or decline it,
subscribe (monthly: months pass on the mock clock and bill it; on demand: capture recurrences),
cancel a subscription, and refund any payment in full (approved through the control plane). The
machine keeps the model of every payment made, whatever made it.

What must hold (docs/contract-suite.md names each rule), checked by the ``audit`` rule and at the
end of every run:

* the transactions report lists exactly the model's payments, each once, with its amount, source
  and status, and its stats are their count and sums; nothing declined is in it;
* the enquiry finds every payment by its token, with the same amount and status;
* a payment can be refunded once in full, a declined one never, and a refunded one reads
  REFUNDED in the report and the enquiry alike;
* invoice and open-invoice payments (only they) show in their records: the dashboard's paid
  counter, the open invoice's payer count and its customers list.

Needs a target that can pay (the mock's control plane): elsewhere the test is skipped.
"""

from __future__ import annotations

import calendar
from collections import Counter
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, precondition, rule

from contract_tests.control import ControlPlane
from contract_tests.errors import hides_violations
from contract_tests.findings import Finding
from contract_tests.resources import Resources
from contract_tests.session import ContractSession
from hesabe_spec.amounts import format_amount
from hesabe_spec.enums import PaymentType, RecurringFrequency, RefundMethod, ResultCode
from hesabe_spec.enums import TransactionStatus as Status

__all__ = ["LedgerLifecycle", "ledger_machine"]

#: their frames stay out of a ContractViolation's traceback (contract_tests.errors.hides_violations)
__tracebackhide__ = hides_violations

_AMOUNTS = st.sampled_from(["0.500", "1.250", "7.000", "12.345", "250.000"])


@dataclass
class Mandate:
    """A subscription: paid once at 0.000, then its recurrences are the payments."""

    token: str
    reference: str
    monthly: bool
    installments: int
    amount: Decimal
    start: str
    #: monthly: the latest mock day the subscription was billed up to while active
    billed_until: str = ""
    cancelled: bool = False
    #: on-demand recurrences captured
    captured: int = 0

    def due(self) -> int:
        """Recurrences charged so far (monthly: one per month from the start, up to
        ``billed_until``)."""
        if not self.monthly:
            return self.captured
        return sum(1 for day in _months(self.start, self.installments) if day <= self.billed_until)

    def active(self) -> bool:
        return not self.cancelled and self.due() < self.installments


def _months(start: str, count: int) -> list[str]:
    """The billing days of a monthly subscription: the start day each month (clamped to the
    month's last day)."""
    first = date.fromisoformat(start)
    days = []
    for n in range(count):
        index = first.month - 1 + n
        year, month = first.year + index // 12, index % 12 + 1
        days.append(first.replace(year=year, month=month,
                                  day=min(first.day, calendar.monthrange(year, month)[1])).isoformat())
    return days


@dataclass
class Payment:
    token: str
    amount: Decimal
    source: str  # invoice | open_invoice | checkout | saved_card | subscription | pos
    status: str = Status.SUCCESSFUL
    #: the record it belongs to (an invoice's or an open invoice's id)
    record: int | None = None


class LedgerLifecycle(RuleBasedStateMachine):
    """Bound to a session by :func:`ledger_machine`; do not run the base class directly."""

    session: ContractSession
    control: ControlPlane
    resources: Resources

    def __init__(self) -> None:
        super().__init__()
        self.payments: dict[str, Payment] = {}
        self.declined: list[str] = []
        self.open_invoices: list[int] = []
        self.mandates: dict[str, Mandate] = {}
        self.paid_before = 0

    @initialize()
    def start(self) -> None:
        self.control.reset()
        self.paid_before = self._paid_invoices()
        # the audit compares the whole report: payments of an earlier run (a target never reset)
        # are there already and stay as they are
        self.before = {r["token"] for r in self._report_rows()}

    # -- helpers ---------------------------------------------------------------------------------

    def _violation(self, operation: str, rule: str, expected: Any, actual: Any, where: Any) -> Exception:
        found = Finding(operation, rule, "", str(expected), str(actual), "lifecycle")
        return self.session.violation([found], {"ledger": where})

    def _control(self, method: str, path: str, body: Any) -> Any:
        status, answer = self.session.target.control(method, path, body)
        if not 200 <= status < 300:
            raise self._violation(f"_mock/{path}", "report_is_the_ledger", "the control plane's answer",
                                  f"HTTP {status}: {answer}", path)
        return answer

    def _paid_invoices(self) -> int:
        stats = self.session.call("list_invoices", {}).response["stats"]
        return int(stats.get("invoice_paid") or 0)

    def _report_rows(self) -> list[dict[str, Any]]:
        rows: list[dict[str, Any]] = []
        page = 1
        while True:
            block = self.session.call("get_transactions_report", {"nostats": "1"},
                                      query={"page": str(page)}).response["transactions"]
            rows += block["data"]
            if not block["pagination"]["next_page_url"]:
                return rows
            page += 1

    # -- taking money ----------------------------------------------------------------------------

    @rule(amount=_AMOUNTS)
    def pay_invoice(self, amount: str) -> None:
        invoice = self.resources.fresh_invoice(amount)
        answer = self._control("POST", f"invoices/{invoice['id']}/pay", {"outcome": "success"})
        token = str(answer["transaction"]["token"])
        self.payments[token] = Payment(token, Decimal(amount), "invoice", record=int(invoice["id"]))

    @rule()
    def open_link(self) -> None:
        self.open_invoices.append(int(self.resources.fresh_open_invoice()["id"]))

    @precondition(lambda self: bool(self.open_invoices))
    @rule(data=st.data())
    def pay_open_invoice(self, data: st.DataObject) -> None:
        item = data.draw(st.sampled_from(self.open_invoices), label="open invoice")
        answer = self._control("POST", f"open-invoices/{item}/pay", {"outcome": "success"})
        token = str(answer["transaction"]["token"])
        amount = Decimal(str(answer["open_invoice"]["fixed_amount"]))
        self.payments[token] = Payment(token, amount, "open_invoice", record=item)

    @rule(amount=_AMOUNTS, approve=st.booleans())
    def checkout(self, amount: str, approve: bool) -> None:
        made = self.resources.fresh_checkout(amount=amount)
        token = str(made["token"])
        self._control("POST", f"checkouts/{token}/pay", {"outcome": "success" if approve else "failure"})
        if approve:
            self.payments[token] = Payment(token, Decimal(amount), "checkout")
        else:
            self.declined.append(token)

    @rule(amount=_AMOUNTS, approve=st.booleans())
    def charge_saved_card(self, amount: str, approve: bool) -> None:
        card = self.resources.saved_card()
        if not approve:
            # the decision is the run's own merchant's (a URL target may serve several runs at once)
            self._control("POST", "charges", {"outcome": "failure", "result_code": ResultCode.DECLINED.value,
                                              "merchant_code": self.session.target.config.merchant_code})
        payload = {"card_id": card["card_id"], "amount": amount}
        ex = self.session.call("charge_saved_card", payload, intent="valid" if approve else "refused",
                               context={"why": "approved" if approve else "a decline queued on /_mock/"})
        token = str(ex.envelope["response"]["paymentToken"])
        if approve:
            self.payments[token] = Payment(token, Decimal(amount), "saved_card")
        else:
            self.declined.append(token)

    @rule(approve=st.booleans())
    def pos_invoice(self, approve: bool) -> None:
        """A Smart POS invoice, paid (or declined) at its terminal: a payment, never an invoice."""
        made = self.resources.fresh_pos_invoice()
        token = str(made["token"])
        self._control("POST", f"checkouts/{token}/pay", {"outcome": "success" if approve else "failure"})
        if approve:
            self.payments[token] = Payment(token, Decimal(str(made["amount"])), "pos")
        else:
            self.declined.append(token)

    # -- subscriptions ---------------------------------------------------------------------------

    def _today(self) -> str:
        return str(self._control("GET", "clock", None)["today"])

    @rule(monthly=st.booleans(), installments=st.integers(1, 3))
    def subscribe(self, monthly: bool, installments: int) -> None:
        """A subscription (paymentType 15) paid once at 0.000: its recurrences are the payments."""
        start = self._today()
        made = self.resources.fresh_checkout(
            amount="0.000", paymentType=str(PaymentType.CYBERSOURCE_SUBSCRIPTION.value), subscription="1",
            numberOfInstallments=str(installments),
            recurringFrequency=str(RecurringFrequency.MONTHLY if monthly else RecurringFrequency.ON_DEMAND),
            recurringStartDate=start, recurringAmount="4.500")
        token = str(made["token"])
        self._control("POST", f"checkouts/{token}/pay", {"outcome": "success"})
        self.mandates[token] = Mandate(token, made["sent"]["orderReferenceNumber"], monthly, installments,
                                       Decimal("4.500"), start, billed_until=start)

    def _clock_is_ours(self) -> bool:
        """Moving the clock by months is safe only on a mock no other run shares: a shared one's
        other runs would see their sessions, checkouts and bearer tokens expire."""
        target = self.session.target
        return target.advance_clock is not None or target.own

    @precondition(lambda self: any(m.monthly for m in self.mandates.values()) and self._clock_is_ours())
    @rule(days=st.sampled_from([1, 31, 62]))
    def advance_clock(self, days: int) -> None:
        """Months pass on the mock clock: monthly subscriptions bill what falls due (the enquiry
        reads them); then the clock goes back, so the invoices the other rules make stay payable."""
        self.session.target.clock_forward(days * 86400)
        today = self._today()
        for mandate in self.mandates.values():
            if mandate.monthly and not mandate.cancelled:
                mandate.billed_until = max(mandate.billed_until, today)
        self._sync_recurrences()
        self._control("POST", "clock", {"reset": True})

    @precondition(lambda self: any(not m.monthly for m in self.mandates.values()))
    @rule(data=st.data())
    def capture_recurrence(self, data: st.DataObject) -> None:
        mandate = data.draw(st.sampled_from([m for m in self.mandates.values() if not m.monthly]),
                            label="subscription")
        payload = {"amount": format_amount(mandate.amount), "paymentToken": mandate.token,
                   "orderReferenceNumber": mandate.reference}
        if not mandate.active():
            self.session.call("capture_subscription", payload, intent="refused",
                              context={"why": "cancelled, or every installment charged"})
            return
        ex = self.session.call("capture_subscription", payload, context={"why": "an active on-demand one"})
        token = str(ex.envelope["response"]["token"])
        mandate.captured += 1
        self.payments[token] = Payment(token, mandate.amount, "subscription")

    @precondition(lambda self: bool(self.mandates))
    @rule(data=st.data())
    def cancel_subscription(self, data: st.DataObject) -> None:
        mandate = data.draw(st.sampled_from(sorted(self.mandates.values(), key=lambda m: m.token)),
                            label="subscription")
        if not mandate.active():
            self.session.call("cancel_subscription", {}, path_params={"token": mandate.token},
                              intent="refused", context={"why": "cancelled, or every installment charged"})
            return
        self.session.call("cancel_subscription", {}, path_params={"token": mandate.token})
        mandate.cancelled = True

    def _sync_recurrences(self) -> None:
        """The monthly recurrences the clock has billed, found by the subscription's order
        reference, joined to the model: as many as were due, each approved."""
        for mandate in self.mandates.values():
            if not mandate.monthly:
                continue
            ex = self.session.call("transaction_enquiry", {"isOrderReference": "1"},
                                   path_params={"reference": mandate.reference})
            charged = [r for r in ex.envelope.get("results") or [] if r.get("token") != mandate.token]
            if len(charged) != mandate.due():
                raise self._violation("transaction_enquiry", "report_is_the_ledger",
                                      f"{mandate.due()} recurrences by {mandate.billed_until}", len(charged),
                                      mandate.token)
            for record in charged:
                token = str(record["token"])
                if token not in self.payments:
                    self.payments[token] = Payment(token, mandate.amount, "subscription")

    # -- giving it back --------------------------------------------------------------------------

    @precondition(lambda self: bool(self.payments) or bool(self.declined))
    @rule(data=st.data())
    def refund(self, data: st.DataObject) -> None:
        """A full refund of a payment (or of a declined attempt, which must be refused); approved
        through the control plane, it reads REFUNDED."""
        tokens = [*sorted(self.payments), *self.declined]
        token = data.draw(st.sampled_from(tokens), label="token")
        payload = {"token": token, "refundMethod": RefundMethod.FULL.value}
        payment = self.payments.get(token)
        if payment is None or payment.status == Status.REFUNDED:
            why = "a declined attempt" if payment is None else "refunded in full already"
            self.session.call("create_refund", payload, intent="refused", context={"why": why})
            return
        ex = self.session.call("create_refund", payload, context={"why": f"a {payment.source} payment"})
        if Decimal(str(ex.response["amount"])) != payment.amount:
            raise self._violation("create_refund", "refund_eligibility", payment.amount,
                                  ex.response["amount"], token)
        self._control("POST", f"refunds/{ex.response['id']}/approve", {})
        payment.status = Status.REFUNDED

    # -- what must hold --------------------------------------------------------------------------

    @rule()
    def audit(self) -> None:
        self._sync_recurrences()
        self._audit_report()
        self._audit_enquiry()
        self._audit_records()

    def teardown(self) -> None:
        if self.payments or self.mandates:
            self.audit()

    def _audit_report(self) -> None:
        rows = [r for r in self._report_rows() if r["token"] not in self.before]
        tokens = Counter(r["token"] for r in rows)
        if set(tokens) != set(self.payments) or max(tokens.values(), default=1) > 1:
            missing = sorted(set(self.payments) - set(tokens))
            extra = sorted(set(tokens) - set(self.payments))
            raise self._violation("get_transactions_report", "report_is_the_ledger",
                                  f"{len(self.payments)} payments, each once",
                                  f"missing {missing}, extra {extra}, repeated "
                                  f"{[t for t, n in tokens.items() if n > 1]}", "report")
        for row in rows:
            want = self.payments[row["token"]]
            got = (Decimal(row["amount"]), row["source"], row["status"])
            if got != (want.amount, want.source, want.status):
                raise self._violation("get_transactions_report", "report_is_the_ledger",
                                      (want.amount, want.source, want.status), got, row["token"])
        if not self.before:
            stats = self.session.call("get_transactions_report", {}).response["stats"]
            total = sum((p.amount for p in self.payments.values()), Decimal(0))
            given_back = [p.amount for p in self.payments.values() if p.status == Status.REFUNDED]
            refunded = sum(given_back, Decimal(0))
            got_stats = (stats["total_transactions"], Decimal(stats["total_amount"]),
                         Decimal(stats["refunded_amount"]))
            if got_stats != (len(self.payments), total, refunded):
                raise self._violation("get_transactions_report", "report_is_the_ledger",
                                      (len(self.payments), total, refunded), got_stats, "stats")

    def _audit_enquiry(self) -> None:
        for token, want in self.payments.items():
            ex = self.session.call("transaction_enquiry", {}, path_params={"reference": token})
            record = ex.envelope["data"]
            got = (Decimal(str(record["amount"])), record["status"])
            if got != (want.amount, want.status):
                raise self._violation("transaction_enquiry", "enquiry_is_the_ledger",
                                      (want.amount, want.status), got, token)

    def _audit_records(self) -> None:
        paid = sum(1 for p in self.payments.values() if p.source == "invoice")
        if self._paid_invoices() - self.paid_before != paid:
            raise self._violation("list_invoices", "records_count_their_payments", f"{paid} more paid",
                                  self._paid_invoices() - self.paid_before, "stats.invoice_paid")
        for item in self.open_invoices:
            mine = [p for p in self.payments.values() if p.source == "open_invoice" and p.record == item]
            record = self.session.call("get_open_invoice", {}, path_params={"id": item}).response
            payers = self.session.call("list_open_invoice_customers", {},
                                       path_params={"id": item}).response["customer_details"]
            got = (int(record["total_customer_paid_count"]), payers["pagination"]["total"])
            if got != (len(mine), len(mine)):
                raise self._violation("get_open_invoice", "records_count_their_payments",
                                      f"{len(mine)} payers in the record and the customers list", got, item)


def ledger_machine(session: ContractSession, resources: Resources,
                   control: ControlPlane | None = None) -> type[LedgerLifecycle]:
    """The ledger machine bound to ``session`` (a subclass per session, so runs never share one)."""
    return type("BoundLedgerLifecycle", (LedgerLifecycle,),
                {"session": session, "resources": resources, "control": control or ControlPlane(session)})
