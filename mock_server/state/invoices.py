"""Invoice lifecycle: create (each kind), read, list, resend, bulk send, cancel (paying one is
mock_server/state/payments.py).

States: unpaid (0) -> paid (1) | cancelled (3). Paid and cancelled are final. "Expired" is not a
status code in any source: an unpaid invoice whose ``expires_at`` is before the mock's today
simply cannot be paid any more.
"""

from __future__ import annotations

import builtins
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace

from hesabe_spec.amounts import items_cover_amount
from hesabe_spec.enums import (
    KUWAIT_CALLING_CODE,
    InvoiceKind,
    InvoiceStatus,
    InvoiceSubType,
    Language,
    PaymentType,
)
from hesabe_spec.operations import OPERATIONS
from mock_server.clock import Clock
from mock_server.merchants import Merchant
from mock_server.state import keys
from mock_server.state.commands import NewInvoice
from mock_server.state.errors import FieldErrors, NotFound, Refused, Unprocessable
from mock_server.state.models import BulkRow, Customer, Invoice, InvoiceQuery, Page
from mock_server.state.store import KeyConflict, StatusCounts, Store, is_record_id

__all__ = ["InvoiceService"]

_EN_SMS = "Hi {name} , \r\nYour transaction amount is KD {amount} with the ref no : {ref} . Review and pay at"
_AR_SMS = (
    "hi {name},\r\n\u0645\u0628\u0644\u063a \u0627\u0644\u0635\u0641\u0642\u0629 \u0647\u0648 "
    "\u062f\u064a\u0646\u0627\u0631 \u0643\u0648\u064a\u062a\u064a {amount} \u0645\u0639 "
    "\u0627\u0644\u0645\u0631\u062c\u0639 \u0631\u0642\u0645: {ref}. \u0645\u0631\u0627\u062c\u0639\u0629 "
    "\u0648\u062a\u062f\u0641\u0639 \u0641\u064a"
)
#: what the SMS gateway answered, as the server stores it (compact JSON)
_SMS_REPLY = '{{"requestError":0,"messageId":"{message_id}","isOK":true,"result":"0","smS_Cost":3200}}'
#: the merchant's default when ``language`` is omitted (seed 001 sends none and gets "ar")
DEFAULT_LANGUAGE = Language.AR.value
#: the payment methods of an invoice created without ``allocatePayType`` (an open invoice's page
#: offers the same two)
DEFAULT_PAY_TYPES = (str(PaymentType.KNET.value), str(PaymentType.MPGS.value))
_KEY_RETRIES = 8
#: a cancel's refusal when the invoice is no longer unpaid (the operation table's verified text)
_CANCEL_REFUSED = OPERATIONS["cancel_invoice"].refused_message or ""
#: why resend and bulk send refuse an invoice, by status
_NOT_SENDABLE: dict[int, str] = {InvoiceStatus.CANCELLED: "Invoice has been cancelled",
                 InvoiceStatus.PAID: "Invoice has already been paid"}
#: seed 001's field table: "products total amount should not be less than total invoice amount"
ITEMS_SHORT = "The products total amount should not be less than the total invoice amount."


@dataclass
class InvoiceService:
    store: Store
    clock: Clock

    # -- create ------------------------------------------------------------------------------
    def _build(self, merchant: Merchant, new: NewInvoice, kind: InvoiceKind, invoice_id: int, *,
               access_key: str | None = None, split_key: str = "", texted: bool = False) -> Invoice:
        """The new invoice under the id its store handed out; ``texted``: as stored once the SMS
        gateway accepted its text."""
        now = self.clock.stamp()
        texts = new.by_sms and kind in (InvoiceKind.SINGLE, InvoiceKind.SUBSCRIPTION)
        words = ({"name": new.customer_name, "amount": new.amount, "ref": new.reference_number}
                 if texts else {})
        terms = new.subscription if kind == InvoiceKind.SUBSCRIPTION else None
        return Invoice(
            id=invoice_id,
            merchant_id=merchant.merchant_id,
            invoice_type=kind,
            invoice_sub_type=new.sub_type,
            token=keys.invoice_token(merchant.merchant_id, self.clock.time()),
            access_key=keys.access_key() if access_key is None else access_key,
            split_access_key=split_key,
            reference_number=new.reference_number,
            amount=new.amount,
            created_at=now,
            updated_at=now,
            payment_method=DEFAULT_PAY_TYPES if new.pay_types is None else new.pay_types,
            description=new.description,
            subscription=1 if kind == InvoiceKind.SUBSCRIPTION else None,
            url_status=0 if texts else 1,
            created_id=merchant.merchant_id,
            language=new.language or DEFAULT_LANGUAGE,
            expires_at=new.expires_at,
            en_sms=_EN_SMS.format(**words) if texts else "",
            ar_sms=_AR_SMS.format(**words) if texts else "",
            customer=Customer(new.customer_name, new.customer_email, new.customer_phone),
            products=tuple(
                {"id": n, "name": line.title, "amount": line.rate, "quantity": line.quantity,
                 "final_amount": line.amount}
                for n, line in enumerate(new.products, start=1)
            ) if new.products else (),
            webhook=new.webhook,
            subscription_terms=None if terms is None else {
                key: value for key, value in terms._asdict().items() if value is not None
            },
            sent_sub_type=new.sub_type_as_sent,
            sms_status=1 if texted else 0,
            sms_response=self._sms_reply() if texted else "",
        )

    def _insert(self, build: Callable[[Iterator[int]], list[Invoice]]) -> list[Invoice]:
        for _attempt in range(_KEY_RETRIES):
            try:
                return self.store.create_invoices(build)
            except KeyConflict:
                continue
        raise RuntimeError("could not draw unique invoice keys")  # pragma: no cover - 36^8 space

    @staticmethod
    def items_short(new: NewInvoice) -> bool:
        """Whether the items add up to less than the invoice amount."""
        return bool(new.products) and not items_cover_amount(new.amount, (p.amount for p in new.products))

    def create(self, merchant: Merchant, new: NewInvoice, kind: InvoiceKind) -> Invoice:
        """Single or subscription. SMS invoices are texted right after.

        The text goes out in the same store write as the invoice (one transaction, not two);
        the create response still shows the unsent state (``shapes.invoices.invoice_created``).
        """
        if self.items_short(new):
            raise Unprocessable(ITEMS_SHORT, {"products": [ITEMS_SHORT]})

        def build(ids: Iterator[int]) -> list[Invoice]:
            return [self._build(merchant, new, kind, next(ids), texted=new.by_sms)]

        return self._insert(build)[0]

    def create_group(self, merchant: Merchant, parts: Sequence[NewInvoice],
                     kind: InvoiceKind) -> list[Invoice]:
        """Split or installment, created together. A split shares one ``split_access_key`` ("SP" +
        its first invoice's key, seed 004); installments do not: no source shows them one, and each
        has its own due date, paid on its own link."""
        short: FieldErrors = {(n, "products"): [ITEMS_SHORT]
                              for n, part in enumerate(parts) if self.items_short(part)}
        if short:  # every short part, as a validator names every field it refuses
            raise Unprocessable(ITEMS_SHORT, short)

        def build(ids: Iterator[int]) -> list[Invoice]:
            if kind != InvoiceKind.SPLIT:
                return [self._build(merchant, part, kind, next(ids)) for part in parts]
            first_key = keys.access_key()
            group_key = "SP" + first_key
            return [self._build(merchant, part, kind, next(ids), access_key=first_key if n == 0 else None,
                                split_key=group_key) for n, part in enumerate(parts)]

        return self._insert(build)

    # -- read --------------------------------------------------------------------------------
    def get(self, merchant: Merchant, invoice_id: int) -> Invoice:
        # resendId / ids[] are digit strings of any length; SQLite ids are 64-bit (a larger int is
        # an OverflowError there), and such an id names no invoice in any store.
        if not is_record_id(invoice_id):
            raise NotFound()
        inv = self.store.get_invoice(merchant.merchant_id, invoice_id)
        if inv is None:
            raise NotFound()
        return inv

    def by_token(self, merchant: Merchant, token: str) -> Invoice:
        inv = self.store.get_invoice_by_token(merchant.merchant_id, token)
        if inv is None:
            raise NotFound()
        return inv

    def today(self) -> str:
        """The mock clock's day in Kuwait (``YYYY-MM-DD``): what "today" means to a list's timeline."""
        return self.clock.today()

    def list(self, merchant: Merchant, query: InvoiceQuery) -> tuple[Page, StatusCounts]:
        return self.store.list_invoices(merchant.merchant_id, query), self.store.invoice_counts(
            merchant.merchant_id
        )

    # -- changes -----------------------------------------------------------------------------
    @staticmethod
    def _sms_reply() -> str:
        """What the server stores as ``sms_response`` once the SMS gateway accepted a text."""
        return _SMS_REPLY.format(message_id=keys.sms_message_id())  # an id is hex and dashes only

    def _texted(self, inv: Invoice) -> Invoice:
        """``inv`` after the SMS gateway accepted a text (what the server stores)."""
        return replace(inv, sms_status=1, sms_response=self._sms_reply(), updated_at=self.clock.stamp())

    def _record_sms(self, inv: Invoice) -> Invoice:
        sent = self._texted(inv)
        self.store.update_invoice(sent)
        return sent

    @staticmethod
    def _check_sendable(inv: Invoice) -> None:
        reason = _NOT_SENDABLE.get(inv.invoice_status)
        if reason is not None:
            raise Refused(reason)

    def resend(self, merchant: Merchant, invoice_id: int) -> Invoice:
        inv = self.get(merchant, invoice_id)
        self._check_sendable(inv)
        return self._record_sms(inv)

    # builtins.list: inside this class ``list`` names the method above
    def send_bulk(self, merchant: Merchant, ids: Sequence[int]) -> builtins.list[Invoice]:
        """Text each invoice named; all or nothing. An id is an uploaded bulk row's (hesabe-api.md
        4.9: the docs' ids fall in the bulk rows' range, and the bulk list is where a merchant's
        app takes them from), whose invoice is created on its first send and texted again after;
        or else an invoice's. An unknown id, or a paid or cancelled invoice among them, refuses the
        whole call, as resend refuses that invoice."""
        targets = [self._bulk_target(merchant, i) for i in ids]
        for target in targets:
            if isinstance(target, Invoice):
                self._check_sendable(target)
        sent = []
        made: dict[int, Invoice] = {}  # a row named twice gets one invoice, texted twice
        for target in targets:
            if isinstance(target, BulkRow):
                if target.id not in made:
                    made[target.id] = self._invoice_of_row(merchant, target)
                target = made[target.id]
            sent.append(self._record_sms(target))
        return sent

    def _bulk_target(self, merchant: Merchant, ident: int) -> Invoice | BulkRow:
        if is_record_id(ident):
            row = self.store.get_bulk_row(merchant.merchant_id, ident)
            if row is not None:
                if row.invoice_id is not None:
                    sent = self.store.get_invoice(merchant.merchant_id, row.invoice_id)
                    if sent is not None:
                        return sent
                return row
            inv = self.store.get_invoice(merchant.merchant_id, ident)
            if inv is not None:
                return inv
        raise NotFound()

    def _invoice_of_row(self, merchant: Merchant, row: BulkRow) -> Invoice:
        """The SMS invoice a bulk row stands for, created now; the row remembers it."""
        phone = row.phone.lstrip("+")
        new = NewInvoice(
            amount=row.amount, customer_name=row.name, customer_email=row.email or "",
            # a local number gets Kuwait's code, as the create handler gives one without countryCode
            customer_phone=phone if len(phone) > 8 else KUWAIT_CALLING_CODE + phone,
            reference_number=row.reference_number,
            description=row.description or "", language=None, by_sms=True, sub_type=int(InvoiceSubType.SMS),
            sub_type_as_sent=None, pay_types=None, products=(), expires_at=None, webhook=None,
        )
        inv = self._insert(lambda ids: [self._build(merchant, new, InvoiceKind.SINGLE, next(ids))])[0]
        self.store.update_bulk_row(replace(row, invoice_id=inv.id, updated_at=self.clock.stamp()))
        return inv

    def cancel(self, merchant: Merchant, token: str) -> Invoice:
        inv = self.by_token(merchant, token)
        if inv.invoice_status != InvoiceStatus.UNPAID:
            raise Refused(_CANCEL_REFUSED)
        cancelled = replace(inv, invoice_status=InvoiceStatus.CANCELLED, updated_at=self.clock.stamp())
        self.store.update_invoice(cancelled)
        return cancelled

    def is_expired(self, inv: Invoice) -> bool:
        return bool(inv.expires_at) and str(inv.expires_at) < self.clock.today()

    def counts(self, merchant: Merchant) -> StatusCounts:
        return self.store.invoice_counts(merchant.merchant_id)
