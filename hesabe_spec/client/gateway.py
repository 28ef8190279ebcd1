"""The payment gateway in the reference client: checkout, the callback, the enquiry, capture, void,
subscriptions (capture a recurrence, cancel).

The flow every checkout integration follows (hesabe-checkout-api.md)::

    session = client.checkout(12.5, response_url=..., failure_url=..., order_reference_number="ORD-7")
    # redirect the customer's browser to session.payment_url
    result = client.parse_callback_url(request_url)    # on your responseUrl / failureUrl
    confirmed = client.get_transaction(result.payment_token)  # the callback is unsigned: confirm it
    event = client.parse_webhook(request_body)          # on your webhookUrl, also unsigned

The typed results keep the decoded JSON as ``raw``. Money is :class:`~decimal.Decimal`. The
callback is read in both nestings the sources disagree on (fields flat under ``response``, as
Hesabe's own plugins read them, or under ``response.data``, as the docs show them).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any, Literal, Unpack, overload
from urllib.parse import parse_qs, urlsplit

from hesabe_spec.amounts import format_amount
from hesabe_spec.client.fields import CHECKOUT_FIELDS, map_fields, text
from hesabe_spec.client.params import Amount, CheckoutFields
from hesabe_spec.crypto import CipherKeys
from hesabe_spec.enums import PaymentType, ResultCode, TransactionStatus
from hesabe_spec.errors import EnvelopeError, NotConfirmedReason, NotFoundError, PaymentNotConfirmedError
from hesabe_spec.operations import GATEWAY_PAGES, path_segment_problem
from hesabe_spec.wire import parse_plaintext

if TYPE_CHECKING:
    from hesabe_spec.client.config import ClientConfig
    from hesabe_spec.client.request import Result

__all__ = [
    "CallbackResult",
    "CheckoutSession",
    "GatewayMethods",
    "Transaction",
    "TransactionEnquiry",
    "WebhookEvent",
    "parse_callback",
    "parse_callback_url",
    "parse_webhook",
]

log = logging.getLogger("hesabe.client")

#: what the client sends as ``version``: 3.0 where the docs require it (mobile, embedded)
_VERSION, _VERSION_3 = "2.0", "3.0"


def _money(value: Any, where: str) -> Decimal:
    try:
        amount = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise EnvelopeError(f"{where}: amount {value!r} is not a number") from None
    if not amount.is_finite():
        raise EnvelopeError(f"{where}: amount {value!r} is not a number")
    return amount


def _optional_text(value: Any) -> str | None:
    return None if value is None else str(value)


# -- checkout ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CheckoutSession:
    """A created checkout: where to send the customer, and the token to follow it by.

    ``token`` is the transaction token (what the callback calls ``paymentToken``, what the
    enquiry, capture, void and refunds take); ``data`` the session the payment page is opened
    with; ``payment_url`` that page; ``webview_url`` the mobile page (``channel="mobile"`` only).
    """

    token: str
    data: str
    payment_url: str
    webview_url: str | None = None
    envelope: Mapping[str, Any] = field(default_factory=dict, repr=False)


# -- the callback --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CallbackResult:
    """The decrypted ``data`` of a redirect to ``responseUrl`` / ``failureUrl``.

    Unsigned (AES-CBC has no MAC): confirm with :meth:`GatewayMethods.get_transaction` before
    shipping anything. ``nested`` says whether the fields came under ``response.data``.
    """

    status: bool
    code: int | None
    message: str | None
    result_code: str
    amount: Decimal
    payment_token: str | None
    payment_id: str | None
    paid_on: str | None
    order_reference_number: str | None
    variables: tuple[str | None, ...]
    method: int | None
    administrative_charge: str | None
    nested: bool
    raw: Mapping[str, Any] = field(repr=False)

    @property
    def successful(self) -> bool:
        """The customer paid (or the money is reserved): ``status`` true and a success result code."""
        return self.status and self.result_code in {code.value for code in ResultCode if code.successful}


def _callback_fields(body: Any) -> tuple[Mapping[str, Any], bool]:
    if not isinstance(body, Mapping) or not isinstance(body.get("response"), Mapping):
        raise EnvelopeError("the callback is not a JSON object with a response object")
    response = body["response"]
    nested = "resultCode" not in response and isinstance(response.get("data"), Mapping)
    fields = response["data"] if nested else response
    if not isinstance(fields.get("resultCode"), str) or "amount" not in fields:
        raise EnvelopeError("the callback's response has no resultCode and amount")
    return fields, nested


def parse_callback(data: str | bytes, keys: CipherKeys) -> CallbackResult:
    """Decrypt a callback's ``data`` with the merchant's keys (either nesting).

    Raises :class:`~hesabe_spec.errors.CryptoError` when it does not decrypt with these keys and
    :class:`~hesabe_spec.errors.EnvelopeError` when it is not a callback.
    """
    hex_text = data.decode("ascii", errors="replace") if isinstance(data, bytes) else data
    body = parse_plaintext(keys.decrypt(hex_text.strip()))
    fields, nested = _callback_fields(body)
    status = body.get("status")
    code = body.get("code")
    method = fields.get("method")
    return CallbackResult(
        status=status is True or status == 1,
        code=code if isinstance(code, int) and not isinstance(code, bool) else None,
        message=_optional_text(body.get("message")),
        result_code=str(fields["resultCode"]),
        amount=_money(fields["amount"], "callback"),
        payment_token=_optional_text(fields.get("paymentToken")),
        payment_id=_optional_text(fields.get("paymentId")),
        paid_on=_optional_text(fields.get("paidOn")),
        order_reference_number=_optional_text(fields.get("orderReferenceNumber")),
        variables=tuple(_optional_text(fields.get(f"variable{n}")) for n in range(1, 6)),
        method=int(method) if isinstance(method, int | str) and str(method).isdigit() else None,
        administrative_charge=_optional_text(fields.get("administrativeCharge")),
        nested=nested,
        raw=body,
    )


def parse_callback_url(url: str, keys: CipherKeys) -> CallbackResult:
    """:func:`parse_callback` of the ``data`` in a callback URL (the last one, since Hesabe appends
    it to whatever query the URL already had)."""
    values = parse_qs(urlsplit(url).query, keep_blank_values=True).get("data")
    if not values or not values[-1]:
        raise EnvelopeError("the URL carries no data parameter")
    return parse_callback(values[-1], keys)


# -- the enquiry ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Transaction:
    """One transaction as the enquiry shows it."""

    token: str
    amount: Decimal
    reference_number: str | None
    status: str
    payment_type: str | None
    payment_id: str | None
    transaction_id: str | None
    track_id: str | None
    terminal: str | None
    record_id: int | None
    customer_name: str | None
    customer_email: str | None
    customer_mobile: str | None
    card_type: str | None
    card: str | None
    datetime: str | None
    raw: Mapping[str, Any] = field(repr=False)

    @property
    def paid(self) -> bool:
        """Money was taken (SUCCESSFUL; a REFUNDED one was paid, then given back)."""
        return self.status == TransactionStatus.SUCCESSFUL

    @classmethod
    def from_wire(cls, record: Any) -> Transaction:
        if not isinstance(record, Mapping) or not record.get("token"):
            raise EnvelopeError("a transaction record without a token")
        record_id = record.get("Id")
        return cls(
            token=str(record["token"]), amount=_money(record.get("amount"), "transaction"),
            reference_number=_optional_text(record.get("reference_number")), status=str(record.get("status")),
            payment_type=_optional_text(record.get("payment_type")),
            payment_id=_optional_text(record.get("PaymentID")),
            transaction_id=_optional_text(record.get("TransactionID")),
            track_id=_optional_text(record.get("TrackID")), terminal=_optional_text(record.get("Terminal")),
            record_id=record_id if isinstance(record_id, int) else None,
            customer_name=_optional_text(record.get("customerName")),
            customer_email=_optional_text(record.get("customerEmail")),
            customer_mobile=_optional_text(record.get("customerMobile")),
            card_type=_optional_text(record.get("customerCardType")),
            card=_optional_text(record.get("customerCard")), datetime=_optional_text(record.get("datetime")),
            raw=record,
        )


@dataclass(frozen=True, slots=True)
class TransactionEnquiry:
    """The enquiry's answer: the transaction named and every attempt of its order reference."""

    transaction: Transaction
    attempts: tuple[Transaction, ...]
    envelope: Mapping[str, Any] = field(repr=False)


# -- the webhook ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class WebhookEvent:
    """A webhook's flat fields (the ``blocks`` are for people: Slack-style text). Unsigned:
    confirm with :meth:`GatewayMethods.get_transaction` before acting on it."""

    token: str
    amount: Decimal
    reference_number: str | None
    status: str
    payment_type: str | None
    service_type: str | None
    datetime: str | None
    raw: Mapping[str, Any] = field(repr=False)


def parse_webhook(body: bytes | str | Mapping[str, Any]) -> WebhookEvent:
    """The webhook POSTed to ``webhookUrl``: plain JSON. :class:`EnvelopeError` when it is not one."""
    if isinstance(body, Mapping):
        doc: Any = body
    else:
        try:
            doc = json.loads(body)
        except (ValueError, RecursionError):
            raise EnvelopeError("the webhook body is not JSON", body=body) from None
    if not isinstance(doc, Mapping) or not doc.get("token") or not isinstance(doc.get("status"), str):
        raise EnvelopeError("the webhook body has no token and status")
    return WebhookEvent(
        token=str(doc["token"]), amount=_money(doc.get("amount"), "webhook"),
        reference_number=_optional_text(doc.get("reference_number")), status=str(doc["status"]),
        payment_type=_optional_text(doc.get("payment_type")),
        service_type=_optional_text(doc.get("service_type")),
        datetime=_optional_text(doc.get("datetime")), raw=doc,
    )


# -- the methods ---------------------------------------------------------------------------------


class GatewayMethods:
    """Mixin: the payment gateway's methods. Needs ``call`` and ``config`` from the client."""

    config: ClientConfig
    call: Callable[..., Result]  # HesabeClient.call

    def payment_url(self, data: str) -> str:
        """The hosted payment page for a session (``CheckoutSession.data``) on this gateway."""
        return GATEWAY_PAGES["payment_page"].url(self.config.gateway, data)

    @overload
    def checkout(
        self, amount: Amount, *, response_url: str, failure_url: str | None = None,
        payment_type: PaymentType | int | str = PaymentType.HOSTED, extra: Mapping[str, Any] | None = None,
        return_result: Literal[False] = False, **fields: Unpack[CheckoutFields],
    ) -> CheckoutSession: ...
    @overload
    def checkout(
        self, amount: Amount, *, response_url: str, failure_url: str | None = None,
        payment_type: PaymentType | int | str = PaymentType.HOSTED, extra: Mapping[str, Any] | None = None,
        return_result: Literal[True], **fields: Unpack[CheckoutFields],
    ) -> Result: ...
    def checkout(
        self, amount: Amount, *, response_url: str, failure_url: str | None = None,
        payment_type: PaymentType | int | str = PaymentType.HOSTED, extra: Mapping[str, Any] | None = None,
        return_result: bool = False, **fields: Unpack[CheckoutFields],
    ) -> CheckoutSession | Result:
        """Open a payment session and return a :class:`CheckoutSession` (redirect the customer to
        its ``payment_url``). ``amount`` is sent as Hesabe's 3-decimal string; ``failure_url``
        defaults to ``response_url``; ``payment_type`` 0 lets the customer choose.

        Fields: order_reference_number, currency ("KWD"), version ("2.0"; "3.0" for channel or
        embedded), name, email, mobile_number, webhook_url, variable1 ... variable5, authorize
        (True: reserve only, capture later; MPGS only), channel ("mobile": adds webview_url),
        embedded, save_card, customer_id; a subscription (payment_type 15): subscription=True,
        number_of_installments, recurring_frequency ("0" on demand, "1" monthly),
        recurring_start_date, recurring_amount.

        Never replayed after a timeout or a 5xx: a second checkout would open a second payment
        session for the same order. The error goes to the caller, who can enquire by order
        reference before trying again.
        """
        mobile_or_embedded = fields.get("channel") == "mobile" or bool(fields.get("embedded"))
        values = {"amount": amount, "payment_type": payment_type, "response_url": response_url,
                  "failure_url": failure_url or response_url, "currency": "KWD",
                  "version": _VERSION_3 if mobile_or_embedded else _VERSION, **fields}
        payload = map_fields(CHECKOUT_FIELDS, values, "create_checkout", wire_ok=False)
        result = self.call("create_checkout", {**payload, **(extra or {})})
        if return_result:
            return result
        envelope = result.envelope
        data = str(envelope["response"]["data"])
        return CheckoutSession(str(envelope["token"]), data, self.payment_url(data),
                               envelope.get("webviewUrl"), envelope)

    create_checkout = checkout

    @overload
    def get_transaction(self, key: str, *, by_order_reference: bool = False,
                        return_result: Literal[False] = False) -> TransactionEnquiry: ...
    @overload
    def get_transaction(self, key: str, *, by_order_reference: bool = False,
                        return_result: Literal[True]) -> Result: ...
    def get_transaction(self, key: str, *, by_order_reference: bool = False,
                        return_result: bool = False) -> TransactionEnquiry | Result:
        """The enquiry: a :class:`TransactionEnquiry` for a transaction token, or with
        ``by_order_reference`` every attempt of an order reference (its ``transaction`` is the one
        that settled the order, else the latest). :class:`~hesabe_spec.errors.NotFoundError` when
        nothing matches. A read: retried after a timeout or a 5xx."""
        query = {"isOrderReference": "1"} if by_order_reference else None
        result = self.call("transaction_enquiry", {}, path_params={"reference": text(key)}, query=query)
        if return_result:
            return result
        envelope = result.envelope
        return TransactionEnquiry(Transaction.from_wire(envelope.get("data")),
                                  tuple(Transaction.from_wire(r) for r in envelope.get("results") or ()),
                                  envelope)

    transaction_enquiry = get_transaction

    @overload
    def capture(self, token: str, amount: Amount, *, extra: Mapping[str, Any] | None = None,
                return_result: Literal[False] = False) -> Transaction: ...
    @overload
    def capture(self, token: str, amount: Amount, *, extra: Mapping[str, Any] | None = None,
                return_result: Literal[True]) -> Result: ...
    def capture(self, token: str, amount: Amount, *, extra: Mapping[str, Any] | None = None,
                return_result: bool = False) -> Transaction | Result:
        """Capture ``amount`` (at most what was authorized) of an authorized payment; the
        :class:`Transaction` as it now stands."""
        payload = map_fields(CHECKOUT_FIELDS, {"amount": amount}, "capture_authorization", wire_ok=False)
        result = self.call("capture_authorization", {**payload, "paymentToken": text(token), **(extra or {})})
        return result if return_result else Transaction.from_wire(result.envelope.get("response"))

    capture_authorization = capture

    @overload
    def void(self, token: str, *, return_result: Literal[False] = False) -> None: ...
    @overload
    def void(self, token: str, *, return_result: Literal[True]) -> Result: ...
    def void(self, token: str, *, return_result: bool = False) -> Result | None:
        """Cancel an authorized payment that was not captured (the reservation is released)."""
        result = self.call("cancel_authorization", {}, path_params={"token": text(token)})
        return result if return_result else None

    cancel_authorization = void

    @overload
    def capture_subscription(self, token: str, amount: Amount, *, order_reference_number: str | None = None,
                             extra: Mapping[str, Any] | None = None,
                             return_result: Literal[False] = False) -> Transaction: ...
    @overload
    def capture_subscription(self, token: str, amount: Amount, *, order_reference_number: str | None = None,
                             extra: Mapping[str, Any] | None = None,
                             return_result: Literal[True]) -> Result: ...
    def capture_subscription(self, token: str, amount: Amount, *, order_reference_number: str | None = None,
                             extra: Mapping[str, Any] | None = None,
                             return_result: bool = False) -> Transaction | Result:
        """Charge one recurrence of an on-demand subscription (``recurringFrequency`` "0"), named by
        the subscription checkout's token: the recurrence's :class:`Transaction` (a token of its
        own). Never replayed after a timeout or a 5xx: enquire by order reference first."""
        payload = map_fields(CHECKOUT_FIELDS, {"amount": amount}, "capture_subscription", wire_ok=False)
        payload["paymentToken"] = text(token)
        if order_reference_number is not None:
            payload["orderReferenceNumber"] = text(order_reference_number)
        result = self.call("capture_subscription", {**payload, **(extra or {})})
        return result if return_result else Transaction.from_wire(result.envelope.get("response"))

    @overload
    def cancel_subscription(self, token: str, *, return_result: Literal[False] = False) -> None: ...
    @overload
    def cancel_subscription(self, token: str, *, return_result: Literal[True]) -> Result: ...
    def cancel_subscription(self, token: str, *, return_result: bool = False) -> Result | None:
        """Stop a subscription: no recurrence is charged after it."""
        result = self.call("cancel_subscription", {}, path_params={"token": text(token)})
        return result if return_result else None

    def confirm_payment(self, order_reference: str, amount: Amount) -> Transaction:
        """What a shop does before it ships, whatever told it the customer paid (a callback, a
        webhook: both unsigned, so what they carry decides nothing): ask Hesabe. The enquiry by
        the shop's own ``order_reference`` must show it paid, for exactly ``amount``; the settling
        transaction comes back. Otherwise :class:`~hesabe_spec.errors.PaymentNotConfirmedError`
        says why (``reason``: ``not_found``, ``not_paid``, ``amount``, ``reference``). An order
        the customer paid more than once (two checkouts under one reference, both paid) is
        confirmed, and the ``hesabe.client`` logger warns with the tokens: ship once, refund the
        rest."""
        expected = _money(format_amount(amount), "amount")

        def refuse(reason: NotConfirmedReason, why: str,
                   transaction: Transaction | None = None) -> PaymentNotConfirmedError:
            return PaymentNotConfirmedError(f"order {order_reference!r}: {why}", reason=reason,
                                            order_reference=order_reference, transaction=transaction)

        if path_segment_problem(order_reference) is not None:  # checked here, validation or not
            raise refuse("not_enquirable", "the enquiry by reference cannot carry this reference (empty, "
                         "a '/', '.' or '..'): confirm the order by its payment token "
                         "(get_transaction(token))")
        try:
            enquiry = self.get_transaction(order_reference, by_order_reference=True)
        except NotFoundError:
            raise refuse("not_found", "Hesabe has no transaction for this order reference") from None
        found = enquiry.transaction
        if found.reference_number != order_reference:
            raise refuse("reference", f"the enquiry answered for {found.reference_number!r}", found)
        if not found.paid:
            # ``data`` is one attempt of the order, chosen by the server (a refunded duplicate, on a
            # server that names the latest): a payment of the order among the others confirms it
            found = next((t for t in reversed(enquiry.attempts)
                          if t.paid and t.reference_number == order_reference), found)
        if not found.paid:
            raise refuse("not_paid", f"not paid: the transaction is {found.status}", found)
        if found.amount != expected:
            raise refuse("amount", f"paid {found.amount}, not the {expected} expected", found)
        paid = sorted({t.token for t in (found, *enquiry.attempts) if t.paid})
        if len(paid) > 1:
            log.warning("order %r was paid %d times (%s): ship it once and refund the rest", order_reference,
                        len(paid), ", ".join(paid))
        return found

    def parse_callback(self, data: str | bytes) -> CallbackResult:
        """:func:`parse_callback` with this merchant's keys."""
        return parse_callback(data, self.config.keys)

    def parse_callback_url(self, url: str) -> CallbackResult:
        """:func:`parse_callback_url` with this merchant's keys."""
        return parse_callback_url(url, self.config.keys)

    @staticmethod
    def parse_webhook(body: bytes | str | Mapping[str, Any]) -> WebhookEvent:
        """:func:`parse_webhook`."""
        return parse_webhook(body)
