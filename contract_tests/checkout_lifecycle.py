"""The payment-gateway checkout lifecycle as a Hypothesis ``RuleBasedStateMachine``.

Rules: open a checkout for a new order or for another attempt at an order already seen (plain or
authorize-only); complete one as the customer would (pay, decline, cancel, let it expire) through
the mock's control plane, which answers the redirect a browser would follow; capture or void an
authorization; refund a captured one in full through the Merchant API (approved through the
control plane); enquire by transaction token and by order reference.

What must hold (each rule is named in docs/contract-suite.md): the callback decrypts with the
merchant's keys, goes to ``responseUrl`` exactly when the payment succeeded, and matches the
enquiry (token, amount, status); a transaction's status never moves backwards; an order with no
paid attempt is never reported paid, and a declined attempt is never captured; the enquiry by
reference lists every attempt, oldest first; only a captured checkout can be refunded, and once
refunded in full it reads REFUNDED. On a target without the control plane (a live gateway) only
opening and enquiring run, and every checkout must stay PENDING. On a server serving part of the
API (``--hesabe-operations``) each rule runs only when its operation is served: with
``create_checkout`` and ``transaction_enquiry`` alone it opens and enquires.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qs, urlsplit

from hypothesis import strategies as st
from hypothesis.stateful import Bundle, RuleBasedStateMachine, initialize, precondition, rule

from contract_tests.control import ControlPlane
from contract_tests.errors import hides_violations
from contract_tests.findings import Finding
from contract_tests.session import ContractSession
from contract_tests.strategies import valid_payloads
from hesabe_spec.amounts import format_amount
from hesabe_spec.enums import PaymentType, RefundMethod, ResultCode
from hesabe_spec.enums import TransactionStatus as Status
from hesabe_spec.errors import HesabeError
from hesabe_spec.validation import validate_outbound
from hesabe_spec.wire import parse_plaintext

__all__ = ["ALLOWED_MOVES", "CheckoutLifecycle", "checkout_machine"]

#: their frames stay out of a ContractViolation's traceback (contract_tests.errors.hides_violations)
__tracebackhide__ = hides_violations

#: status -> the statuses it may be seen in next (itself included)
ALLOWED_MOVES: dict[str, frozenset[str]] = {
    Status.PENDING: frozenset({Status.PENDING, Status.SUCCESSFUL, Status.AUTHORIZED, Status.FAILED}),
    Status.AUTHORIZED: frozenset({Status.AUTHORIZED, Status.SUCCESSFUL, Status.CANCELLED}),
    Status.SUCCESSFUL: frozenset({Status.SUCCESSFUL, Status.REFUNDED}),
    Status.FAILED: frozenset({Status.FAILED}),
    Status.CANCELLED: frozenset({Status.CANCELLED}),
    Status.REFUNDED: frozenset({Status.REFUNDED}),
}
_PAID = frozenset({Status.SUCCESSFUL, Status.AUTHORIZED, Status.REFUNDED})
#: what the customer does, and the status it leads to (an authorize-only success: AUTHORIZED);
#: success first, the simplest draw, so that runs reach capture, void and refund
_OUTCOMES = {"success": Status.SUCCESSFUL, "failure": Status.FAILED, "cancelled": Status.FAILED,
             "expired": Status.FAILED}
_FAILURE_CODES = [None, *(code.value for code in ResultCode
                          if not code.successful and code != ResultCode.CANCELED)]


@dataclass
class ModelCheckout:
    token: str
    reference: str
    amount: Decimal
    authorize: bool
    response_url: str
    failure_url: str
    status: str = Status.PENDING
    #: the statuses the enquiry showed, in order
    seen: list[str] = field(default_factory=list)
    #: a full refund was asked for (approved or not, nothing is left to ask for)
    refund_asked: bool = False


class CheckoutLifecycle(RuleBasedStateMachine):
    """Bound to a session by :func:`checkout_machine`; do not run the base class directly."""

    session: ContractSession
    control: ControlPlane
    checkouts = Bundle("checkouts")
    orders = Bundle("orders")

    def __init__(self) -> None:
        super().__init__()
        self.model: dict[str, ModelCheckout] = {}
        self._orders = 0
        # order references must be new on a target that is never reset (a URL target, parallel
        # workers): the run prefix, this machine's own random tag, a counter
        self._tag = secrets.token_hex(3)

    @initialize()
    def start(self) -> None:
        self.control.reset()

    def _violation(self, operation: str, rule: str, expected: str, actual: Any, where: Any) -> Exception:
        found = Finding(operation, rule, "", expected, str(actual), "lifecycle")
        return self.session.violation([found], {"checkout": where})

    # -- opening ---------------------------------------------------------------------------------

    def _open(self, data: st.DataObject, reference: str, authorize: bool) -> str:
        payload = dict(data.draw(valid_payloads("create_checkout", self.session.gen), label="checkout"))
        payload.pop("authorize", None)
        # where each redirect goes must be told apart (the generated URLs could coincide)
        payload.update(orderReferenceNumber=reference,
                       responseUrl=f"https://webhook.invalid/ok?order={reference}",
                       failureUrl=f"https://webhook.invalid/failed/{reference}")
        if authorize:
            payload.update(paymentType=str(PaymentType.MPGS.value), authorize="1")
        ex = self.session.call("create_checkout", payload)
        token = str(ex.envelope["token"])
        amount = Decimal(str(payload["amount"]))
        if token in self.model:
            raise self._violation("create_checkout", "enquiry_lists_attempts", "a new token",
                                  "a token again", token)
        self.model[token] = ModelCheckout(token, reference, amount, authorize, payload["responseUrl"],
                                          payload["failureUrl"])
        return token

    @rule(target=orders)
    def new_order(self) -> str:
        self._orders += 1
        return f"{self.session.gen.reference_prefix}o{self._tag}{self._orders:03d}"

    @precondition(lambda self: self.session.serves("create_checkout"))
    @rule(target=checkouts, order=orders, authorize=st.booleans(), data=st.data())
    def open_checkout(self, order: str, authorize: bool, data: st.DataObject) -> str:
        return self._open(data, order, authorize)

    # -- the customer ----------------------------------------------------------------------------

    @precondition(lambda self: self.control.can_pay is not False)
    @rule(token=checkouts, outcome=st.sampled_from(list(_OUTCOMES)),
          failure=st.sampled_from(_FAILURE_CODES))
    def complete(self, token: str, outcome: str, failure: str | None) -> None:
        checkout = self.model[token]
        result_code = failure if outcome == "failure" else None
        answer = self.control.pay_checkout(token, outcome, result_code)
        if answer is None:
            return  # no control plane here: this rule switches itself off
        status, body = answer
        if checkout.status != Status.PENDING:
            if 200 <= status < 300:
                raise self._violation("_mock/checkouts/pay", "status_never_backwards",
                                      f"a refusal (the checkout is {checkout.status})", "paid again", token)
            return
        if not 200 <= status < 300:
            raise self._violation("_mock/checkouts/pay", "callback_matches_enquiry", "a completed checkout",
                                  body, token)
        new = _OUTCOMES[outcome]
        if new == Status.SUCCESSFUL and checkout.authorize:
            new = Status.AUTHORIZED
        checkout.status = new
        self._check_callback(checkout, str(body.get("callback_url", "")))

    def _check_callback(self, checkout: ModelCheckout, url: str) -> None:
        """The redirect decrypts, goes to the right URL, and agrees with the enquiry."""
        paid = checkout.status in _PAID
        problems: list[str] = []
        try:
            data = parse_qs(urlsplit(url).query)["data"][-1]
            body = parse_plaintext(self.session.keys.decrypt(data))
        except (KeyError, IndexError, HesabeError) as exc:
            raise self._violation("checkout_callback", "callback_matches_enquiry",
                                  "an encrypted data parameter",
                                  f"{url[:80]} ({exc})", checkout.token) from None
        problems += [f"{v.pointer}: {v.message}" for v in validate_outbound("checkout_callback", body)]
        fields = body.get("response", {}) if isinstance(body, dict) else {}
        if isinstance(fields, dict) and "resultCode" not in fields and isinstance(fields.get("data"), dict):
            fields = fields["data"]
        base = checkout.response_url if paid else checkout.failure_url
        if not url.startswith(base + ("&" if "?" in base else "?") + "data="):
            problems.append(f"went to {url[:80]} instead of {base} plus data")
        if body.get("status") is not paid:
            problems.append(f"status {body.get('status')!r} for a checkout that is {checkout.status}")
        if fields.get("paymentToken") != checkout.token:
            problems.append(f"paymentToken {fields.get('paymentToken')!r}")
        if Decimal(str(fields.get("amount"))) != checkout.amount:
            problems.append(f"amount {fields.get('amount')!r} for {checkout.amount}")
        record = self._enquire_token(checkout)
        if record is not None and Decimal(str(record.get("amount"))) != checkout.amount:
            problems.append(f"the enquiry's amount {record.get('amount')!r} for {checkout.amount}")
        if problems:
            raise self._violation("checkout_callback", "callback_matches_enquiry", "a callback that matches",
                                  "; ".join(problems), checkout.token)

    # -- after the payment -----------------------------------------------------------------------

    @precondition(lambda self: self.session.serves("capture_authorization"))
    @rule(token=checkouts)
    def capture(self, token: str) -> None:
        checkout = self.model[token]
        payload = {"amount": format_amount(checkout.amount), "paymentToken": token}
        if checkout.status == Status.AUTHORIZED:
            self.session.call("capture_authorization", payload)
            checkout.status = Status.SUCCESSFUL
        else:
            self.session.call("capture_authorization", payload, intent="refused",
                              context={"why": f"the checkout is {checkout.status}, not AUTHORIZED"})
        self._enquire_token(checkout)

    @precondition(lambda self: self.session.serves("cancel_authorization"))
    @rule(token=checkouts)
    def void(self, token: str) -> None:
        checkout = self.model[token]
        if checkout.status == Status.AUTHORIZED:
            self.session.call("cancel_authorization", {}, path_params={"token": token})
            checkout.status = Status.CANCELLED
        else:
            self.session.call("cancel_authorization", {}, path_params={"token": token}, intent="refused",
                              context={"why": f"the checkout is {checkout.status}, not AUTHORIZED"})
        self._enquire_token(checkout)

    @precondition(lambda self: self.session.serves("create_refund")
                  and any(c.status != Status.PENDING for c in self.model.values()))
    @rule(data=st.data())
    def refund(self, data: st.DataObject) -> None:
        """A full refund of a completed transaction (the Merchant API's ``create_refund``):
        accepted only for a captured checkout not refunded yet, then approved through the control
        plane. Drawn among completed checkouts (a pending one is refused like a failed one),
        captured ones first: the simplest draw, so runs reach an accepted refund."""
        completed = [c for c in self.model.values() if c.status != Status.PENDING]
        done = [c.token for c in sorted(completed, key=lambda c: (c.status != Status.SUCCESSFUL, c.token))]
        token = data.draw(st.sampled_from(done), label="token")
        checkout = self.model[token]
        payload = {"token": token, "refundMethod": RefundMethod.FULL.value}
        if checkout.status != Status.SUCCESSFUL or checkout.refund_asked:
            why = "asked already" if checkout.refund_asked else f"the checkout is {checkout.status}"
            self.session.call("create_refund", payload, intent="refused", context={"why": why})
            return
        ex = self.session.call("create_refund", payload, context={"why": "a captured checkout"})
        checkout.refund_asked = True
        refund_id = ex.response.get("id") if isinstance(ex.response, dict) else None
        if isinstance(refund_id, int) and self.control.decide_refund(refund_id, approve=True):
            checkout.status = Status.REFUNDED
        self._enquire_token(checkout)

    # -- the enquiry -----------------------------------------------------------------------------

    def _enquire_token(self, checkout: ModelCheckout) -> dict[str, Any] | None:
        """The enquiry's record of ``checkout``, checked against the model; None when the target
        does not serve the enquiry (``--hesabe-operations``)."""
        if not self.session.serves("transaction_enquiry"):
            return None
        ex = self.session.call("transaction_enquiry", {}, path_params={"reference": checkout.token})
        record = ex.envelope["data"]
        self._saw(checkout, str(record.get("status")))
        return dict(record)

    def _saw(self, checkout: ModelCheckout, status: str) -> None:
        previous = checkout.seen[-1] if checkout.seen else Status.PENDING
        checkout.seen.append(status)
        if status not in ALLOWED_MOVES.get(previous, frozenset()):
            raise self._violation("transaction_enquiry", "status_never_backwards",
                                  f"a status after {previous}",
                                  status, checkout.token)
        if status != checkout.status:
            rule = "declined_never_captured" if status in _PAID and checkout.status not in _PAID else \
                "refunded_in_enquiry" if Status.REFUNDED in (status, checkout.status) else \
                "callback_matches_enquiry"
            raise self._violation("transaction_enquiry", rule, checkout.status, status, checkout.token)

    @precondition(lambda self: self.session.serves("transaction_enquiry"))
    @rule(token=checkouts)
    def enquire_token(self, token: str) -> None:
        self._enquire_token(self.model[token])

    @precondition(lambda self: self.session.serves("transaction_enquiry"))
    @rule(order=orders)
    def enquire_order(self, order: str) -> None:
        attempts = [c for c in self.model.values() if c.reference == order]
        if not attempts:
            self.session.call("transaction_enquiry", {"isOrderReference": "1"},
                              path_params={"reference": order},
                              intent="refused", context={"why": "no checkout has this order reference"})
            return
        ex = self.session.call("transaction_enquiry", {"isOrderReference": "1"},
                               path_params={"reference": order})
        results = ex.envelope.get("results") or []
        if [r.get("token") for r in results] != [c.token for c in attempts]:
            expected = ", ".join(c.token for c in attempts)
            raise self._violation("transaction_enquiry", "enquiry_lists_attempts", expected,
                                  [r.get("token") for r in results], order)
        for checkout, record in zip(attempts, results, strict=True):
            self._saw(checkout, str(record.get("status")))
        named = ex.envelope["data"]
        if named.get("status") in _PAID and not any(c.status in _PAID for c in attempts):
            raise self._violation("transaction_enquiry", "declined_never_captured", "an unpaid order",
                                  named.get("status"), order)


def checkout_machine(session: ContractSession,
                     control: ControlPlane | None = None) -> type[CheckoutLifecycle]:
    """The checkout machine bound to ``session`` (a subclass per session, so runs never share one)."""
    return type("BoundCheckoutLifecycle", (CheckoutLifecycle,),
                {"session": session, "control": control or ControlPlane(session)})
