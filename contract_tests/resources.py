"""Real records for payloads and paths that must point at something: ids, tokens, bulk rows,
checkouts, paid transactions, refunds, saved cards and paid open invoices.

A generated ``resendId`` or path ``{id}`` would name nothing, and "not found" says little about
the contract. :class:`Resources` creates the records a test needs through the same judged
calls as everything else: *anchors* (made once, reused by reads and edits) and *fresh* records
for destructive calls (cancel, delete), so one test never consumes another's record.

Anchor payloads are fixed here and validated against the request schemas when first used, so
they cannot drift from the spec unnoticed.

A refund needs a paid transaction, and an authorized checkout (what capture and void need) a
payment; only the mock's control plane can make either without a browser. Where the target has
none (the real sandbox), :meth:`Resources.paid_transaction` and
:meth:`Resources.authorized_checkout` raise :class:`~contract_tests.errors.CapabilityMissing` and
those checks are skipped.
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from contract_tests.errors import CapabilityMissing, ContractSuiteError, hides_violations
from contract_tests.session import ContractSession
from hesabe_spec.enums import (
    AmountType,
    CreateInvoiceType,
    InvoiceSubType,
    PaymentType,
    RecurringFrequency,
    RefundMethod,
)
from hesabe_spec.operations import OPERATIONS
from hesabe_spec.validation import validate_request

__all__ = ["Resources"]

#: their frames stay out of a ContractViolation's traceback (contract_tests.errors.hides_violations)
__tracebackhide__ = hides_violations


class Resources:
    """Anchors and fresh records on one session's target."""

    def __init__(self, session: ContractSession) -> None:
        self.session = session
        self._seq = 0
        self._anchors: dict[str, dict[str, Any]] = {}
        session.reset_hooks.append(self.forget)

    def forget(self) -> None:
        """Drop anchors (after the target's state was reset)."""
        self._anchors.clear()

    # -- payloads ------------------------------------------------------------------------------

    def _reference(self) -> str:
        self._seq += 1
        return f"{self.session.gen.reference_prefix}a{self._seq:06d}"

    def _expiry(self) -> str:
        return (self.session.gen.today + timedelta(days=30)).isoformat()

    def invoice_payload(self, amount: str = "1.250") -> dict[str, Any]:
        """A URL invoice (no SMS is ever sent for it)."""
        return self._checked(
            "create_invoice",
            {
                "merchantCode": self.session.gen.merchant_code,
                "customerName": "Contract Anchor",
                "amount": amount,
                "invoiceType": CreateInvoiceType.URL.value,
                "invoiceSubType": InvoiceSubType.URL.value,
                "allocatePayType": f"{PaymentType.KNET.value},{PaymentType.MPGS.value}",
                "expiresAt": self._expiry(),
                "referenceNumber": self._reference(),
                "description": "contract suite",
            },
        )

    def open_invoice_payload(self) -> dict[str, Any]:
        return self._checked(
            "create_open_invoice",
            {
                "merchantCode": self.session.gen.merchant_code,
                "title": "Contract Anchor",
                "amountType": AmountType.FIXED.value,
                "fixAmount": "2.500",
                "expiryDate": self._expiry(),
                "description": "contract suite",
            },
        )

    def bulk_payload(self) -> dict[str, Any]:
        mobile = self.session.gen.sms_mobile or "66666666"
        csv = (
            "name,phone,email,amount,reference_number,description\n"
            f"Contract Anchor,965{mobile},anchor@example.com,3.000,{self._reference()},contract suite\n"
        )
        return self._checked(
            "upload_bulk_invoices",
            {
                "merchantCode": self.session.gen.merchant_code,
                "isScheduled": "false",
                "fileType": "csv",
                "invoices": base64.b64encode(csv.encode()).decode(),
            },
        )

    def checkout_payload(self, **fields: Any) -> dict[str, Any]:
        """A hosted checkout whose redirects and webhook go nowhere (``.invalid``)."""
        return self._checked(
            "create_checkout",
            {
                "merchantCode": self.session.gen.merchant_code,
                "amount": "2.750",
                "currency": "KWD",
                "paymentType": str(PaymentType.HOSTED.value),
                "version": "2.0",
                "orderReferenceNumber": self._reference(),
                "responseUrl": "https://webhook.invalid/hesabe/ok",
                "failureUrl": "https://webhook.invalid/hesabe/failed",
                **fields,
            },
        )

    @staticmethod
    def _checked(operation: str, payload: dict[str, Any]) -> dict[str, Any]:
        problems = validate_request(operation, payload)
        if problems:
            raise ContractSuiteError(
                f"anchor payload for {operation} no longer matches its schema: {problems}"
            )
        return payload

    # -- records -------------------------------------------------------------------------------

    def fresh_invoice(self, amount: str = "1.250") -> dict[str, Any]:
        return dict(self.session.call("create_invoice", self.invoice_payload(amount)).response)

    def fresh_open_invoice(self) -> dict[str, Any]:
        return dict(self.session.call("create_open_invoice", self.open_invoice_payload()).response)

    def fresh_bulk_row(self) -> dict[str, Any]:
        return dict(self.session.call("upload_bulk_invoices", self.bulk_payload()).response[0])

    def fresh_checkout(self, **fields: Any) -> dict[str, Any]:
        """A new checkout: its answer plus the payload it was made from (``"sent"``)."""
        payload = self.checkout_payload(**fields)
        return {**self.session.call("create_checkout", payload).envelope, "sent": payload}

    def authorized_checkout(self) -> dict[str, Any]:
        """A checkout authorized (MPGS, not captured) through the mock's control plane."""
        made = self.fresh_checkout(paymentType=str(PaymentType.MPGS.value), authorize="1")
        status, _body = self.session.target.control("POST", f"checkouts/{made['token']}/pay",
                                                    {"outcome": "success"})
        if not 200 <= status < 300:
            raise CapabilityMissing("an authorized checkout needs the mock's control plane "
                                    f"(POST /_mock/checkouts/{{token}}/pay answered HTTP {status})")
        return made

    def paid_transaction(self, amount: str = "1.250") -> dict[str, Any]:
        """A new invoice of ``amount``, paid through the control plane: ``{"invoice_id", "token"
        (the transaction token a refund names), "amount"}``."""
        invoice = self.fresh_invoice(amount)
        status, _body = self.session.target.control("POST", f"invoices/{invoice['id']}/pay",
                                                    {"outcome": "success"})
        if not 200 <= status < 300:
            raise CapabilityMissing("refunds need a paid transaction, and this target cannot pay an invoice "
                                    f"(POST /_mock/invoices/{{id}}/pay answered HTTP {status})")
        paid = self.session.call("get_invoice", {}, path_params={"id": invoice["id"]}).response
        return {"invoice_id": invoice["id"], "token": str(paid["transaction"]["token"]), "amount": amount}

    def card_customer(self) -> dict[str, Any]:
        """A saved-card customer (create_card_customer's ``data``)."""
        payload = self._checked("create_card_customer", {
            "merchantCode": self.session.gen.merchant_code, "name": "Contract Anchor",
            "email": "anchor@example.com", "mobile_number": "66666666"})
        return self._anchor("card_customer",
                            lambda: dict(self.session.call("create_card_customer", payload).envelope["data"]))

    def fresh_saved_card(self) -> dict[str, Any]:
        """A card saved by a save-card (VERIFY) checkout paid through the control plane:
        ``{"card_id", "customer_id"}``."""
        customer = self.card_customer()["id"]
        made = self.fresh_checkout(amount="0.000", paymentType=str(PaymentType.MPGS.value), saveCard=True,
                                   customer_id=customer)
        status, body = self.session.target.control("POST", f"checkouts/{made['token']}/pay",
                                                    {"outcome": "success"})
        if not 200 <= status < 300 or not isinstance(body, dict) or not body.get("card_id"):
            raise CapabilityMissing("a saved card needs the mock's control plane to pay its VERIFY checkout "
                                    f"(POST /_mock/checkouts/{{token}}/pay answered HTTP {status})")
        return {"card_id": int(body["card_id"]), "customer_id": customer}

    def saved_card(self) -> dict[str, Any]:
        return self._anchor("saved_card", self.fresh_saved_card)

    def fresh_subscription(self) -> dict[str, Any]:
        """An active on-demand subscription (paymentType 15 at 0.000, paid through the control
        plane): its checkout answer plus the payload (``"sent"``)."""
        made = self.fresh_checkout(
            amount="0.000", paymentType=str(PaymentType.CYBERSOURCE_SUBSCRIPTION.value), subscription="1",
            numberOfInstallments="999", recurringFrequency=RecurringFrequency.ON_DEMAND.value,
            recurringStartDate=self.session.gen.today.isoformat(), recurringAmount="2.000")
        status, _body = self.session.target.control("POST", f"checkouts/{made['token']}/pay",
                                                    {"outcome": "success"})
        if not 200 <= status < 300:
            raise CapabilityMissing("a subscription needs the mock's control plane to pay its checkout "
                                    f"(POST /_mock/checkouts/{{token}}/pay answered HTTP {status})")
        return made

    def fresh_pos_invoice(self) -> dict[str, Any]:
        """A pending POS invoice at the merchant's first terminal."""
        terminal = self.session.call("list_pos_terminals", {}).response["terminals"][0]["terminal_id"]
        payload = self._checked("create_pos_invoice", {
            "merchantCode": self.session.gen.merchant_code, "amount": "3.250", "terminal_id": terminal,
            "reference_number": self._reference()})
        return dict(self.session.call("create_pos_invoice", payload).response)

    def fresh_paid_open_invoice(self) -> dict[str, Any]:
        """A new open invoice with one payment (through the control plane)."""
        item = self.fresh_open_invoice()
        status, _body = self.session.target.control("POST", f"open-invoices/{item['id']}/pay", {})
        if not 200 <= status < 300:
            raise CapabilityMissing("an open invoice's payers need the mock's control plane "
                                    f"(POST /_mock/open-invoices/{{id}}/pay answered HTTP {status})")
        return item

    def fresh_refund(self) -> dict[str, Any]:
        """A pending full refund of a new paid invoice."""
        token = self.paid_transaction()["token"]
        payload = {"merchantCode": self.session.gen.merchant_code, "token": token,
                   "refundMethod": RefundMethod.FULL.value}
        return dict(self.session.call("create_refund", self._checked("create_refund", payload)).response)

    def refund(self) -> dict[str, Any]:
        return self._anchor("refund", self.fresh_refund)

    def _anchor(self, key: str, make: Callable[[], dict[str, Any]]) -> dict[str, Any]:
        if key not in self._anchors:
            self._anchors[key] = make()
        return self._anchors[key]

    def invoice(self, n: int = 0) -> dict[str, Any]:
        return self._anchor(f"invoice{n}", self.fresh_invoice)

    def open_invoice(self) -> dict[str, Any]:
        return self._anchor("open", self.fresh_open_invoice)

    def bulk_row(self) -> dict[str, Any]:
        return self._anchor("bulk", self.fresh_bulk_row)

    def checkout(self) -> dict[str, Any]:
        return self._anchor("checkout", self.fresh_checkout)

    # -- binding -------------------------------------------------------------------------------

    def path_params(self, operation: str, payload: Any = None) -> dict[str, Any]:
        """Path parameters naming a real record (a fresh one for destructive operations); the
        enquiry names its checkout by token, or by order reference when ``payload`` says so."""
        if operation == "transaction_enquiry":
            anchor = self.checkout()
            flag = payload.get("isOrderReference") if isinstance(payload, dict) else None
            by_reference = flag in (True, 1, "1")
            return {"reference": anchor["sent"]["orderReferenceNumber"] if by_reference else anchor["token"]}
        if operation == "cancel_authorization":
            return {"token": self.authorized_checkout()["token"]}
        if operation == "cancel_subscription":
            return {"token": self.fresh_subscription()["token"]}
        return {
            "get_invoice": lambda: {"id": self.invoice()["id"]},
            "cancel_invoice": lambda: {"token": self.fresh_invoice()["token"]},
            "get_open_invoice": lambda: {"id": self.open_invoice()["id"]},
            "update_open_invoice": lambda: {"id": self.open_invoice()["id"]},
            "cancel_open_invoice": lambda: {"id": self.fresh_open_invoice()["id"]},
            "update_bulk_invoice": lambda: {"id": self.bulk_row()["id"]},
            "delete_bulk_invoice": lambda: {"id": self.fresh_bulk_row()["id"]},
            "get_refund": lambda: {"id": self.refund()["id"]},
            "cancel_refund": lambda: {"id": self.fresh_refund()["id"]},
            "list_open_invoice_customers": lambda: {"id": self._anchor("paid_open",
                                                                        self.fresh_paid_open_invoice)["id"]},
            "delete_saved_card": lambda: {"id": self.fresh_saved_card()["card_id"]},
            "get_pos_invoice": lambda: {"id": self._anchor("pos", self.fresh_pos_invoice)["id"]},
        }.get(operation, dict)()

    def any_path_params(self, operation: str) -> dict[str, Any]:
        """Real records where this target can make them, else id 1: for checks decided before any
        record is looked up (authentication)."""
        try:
            return self.path_params(operation)
        except CapabilityMissing:
            return {name: 1 for name in OPERATIONS[operation].path_params}

    def bind(self, operation: str, payload: dict[str, Any]) -> dict[str, Any]:
        """Point id fields of ``payload`` at real records (resendId, ids[], a refund's token: a new
        payment of the refund's own amount, so a valid amount always fits)."""
        out = dict(payload)
        if operation == "create_refund":
            amount = out.get("refundAmount")  # a valid payload's amount is a valid invoice amount too
            out["token"] = self.paid_transaction(amount if isinstance(amount, str) else "1.250")["token"]
        elif operation == "resend_invoice":
            out["resendId"] = str(self.invoice()["id"])
        elif operation == "send_bulk_invoices":
            out["ids"] = [str(self.invoice(i)["id"]) for i in range(len(out.get("ids") or [1]))]
        elif operation == "list_saved_cards":
            out["customer_id"] = self.card_customer()["id"]
        elif operation == "charge_saved_card":
            card = self.saved_card()
            out["card_id"] = card["card_id"]
            if "customer_id" in out:
                out["customer_id"] = card["customer_id"]
        elif operation == "resend_pos_invoice":
            out["invoice_id"] = str(self._anchor("pos", self.fresh_pos_invoice)["id"])
        elif operation == "create_pos_invoice":
            terminals = self.session.call("list_pos_terminals", {}).response["terminals"]
            out["terminal_id"] = terminals[0]["terminal_id"]
        elif operation == "capture_subscription":
            out["paymentToken"] = self._anchor("subscription", self.fresh_subscription)["token"]
        elif operation == "capture_authorization":
            # a fresh authorization, captured whole (a generated amount could exceed it)
            authorized = self.authorized_checkout()
            out["paymentToken"], out["amount"] = authorized["token"], authorized["sent"]["amount"]
        return out
