"""Paying an invoice is a claim in the store: an update with ``expected`` is written only if the
stored invoice is still what was read, on every store and between connections racing for it (two
workers or two hosts sharing one database pay one invoice once). An open invoice's payments are
claimed the same way: customers paying one open invoice at once through several connections each
get their payment recorded once, none lost over another, and a cancel or a new expiry racing them
never drops one."""

from __future__ import annotations

import threading
from dataclasses import replace
from decimal import Decimal

import pytest
from support.stores import StoreFactory, race
from test_store_contract import make_invoice, make_open

from hesabe_spec.enums import InvoiceStatus
from mock_server.clock import Clock
from mock_server.merchants import MerchantRegistry
from mock_server.state.errors import Refused
from mock_server.state.models import OpenInvoice
from mock_server.state.open_invoices import CANCELLED, OpenInvoiceService
from mock_server.state.payments import PaymentRefused, PaymentService
from mock_server.state.store import Store

MERCHANTS = MerchantRegistry.default()
MERCHANT = MERCHANTS.merchants[0]


def _is_memory(store: Store) -> bool:
    return type(store).__name__ == "MemoryStore"


def test_an_update_with_expected_writes_only_over_what_was_read(store: Store) -> None:
    [unpaid] = store.insert_invoices([make_invoice(reference_number="CLAIM-1")])
    paid = replace(unpaid, invoice_status=InvoiceStatus.PAID, updated_at="2024-03-06 10:00:00")
    failed_try = replace(unpaid, payment_attempts=({"result": "failure"},), updated_at="2024-03-06 10:00:00")
    assert store.update_invoice(paid, expected=unpaid) is True
    assert store.update_invoice(failed_try, expected=unpaid) is False  # read unpaid; it was paid since
    assert store.get_invoice(unpaid.merchant_id, unpaid.id) == paid
    assert store.update_invoice(replace(paid, description="note")) is True  # no claim: a plain update


def test_writers_racing_to_pay_one_invoice_pay_it_once(make_store: StoreFactory) -> None:
    """Eight threads, each with its own connection to one database (the memory store: one store),
    pay the same unpaid invoice at once: exactly one payment is stored."""
    first = make_store(name="pay-race")
    [unpaid] = first.insert_invoices([make_invoice(reference_number="RACE-1")])
    stores = [first] + [first if _is_memory(first) else make_store(name="pay-race") for _ in range(7)]
    won: list[int] = []

    def pay(store: Store, n: int) -> None:
        mine = replace(unpaid, invoice_status=InvoiceStatus.PAID, description=f"paid by {n}")
        if store.update_invoice(mine, expected=unpaid):
            won.append(n)

    race(stores, pay)
    assert len(won) == 1
    stored = first.get_invoice(unpaid.merchant_id, unpaid.id)
    assert stored is not None and stored.description == f"paid by {won[0]}"
    assert stored.invoice_status == InvoiceStatus.PAID


# -- open invoices ------------------------------------------------------------------------------
def _connections(make_store: StoreFactory, name: str, n: int) -> list[Store]:
    """``n`` stores on one database, each its own connection (the memory store: one store)."""
    first = make_store(name=name)
    return [first] + [first if _is_memory(first) else make_store(name=name) for _ in range(n - 1)]


def _stored_open(store: Store, item: OpenInvoice) -> OpenInvoice:
    stored = store.get_open_invoice(item.merchant_id, item.id)
    assert stored is not None
    return stored


def test_an_open_invoice_update_with_expected_writes_only_over_what_was_read(store: Store) -> None:
    item = store.insert_open_invoice(make_open(MERCHANT.merchant_id))
    one = replace(item, payments=({"payment_id": "1"},), paid_status=1, updated_at="2024-03-06 10:00:00")
    other = replace(item, payments=({"payment_id": "2"},), paid_status=1, updated_at="2024-03-06 10:00:00")
    assert store.update_open_invoice(one, expected=item) is True
    assert store.update_open_invoice(other, expected=item) is False  # read before one was stored
    assert _stored_open(store, item) == one
    both = replace(one, payments=(*one.payments, {"payment_id": "2"}))
    assert store.update_open_invoice(both, expected=one) is True
    assert store.update_open_invoice(replace(both, title="renamed")) is True  # no claim: a plain update
    assert _stored_open(store, item).payments == both.payments


def test_customers_racing_on_one_open_invoice_are_each_recorded_once(make_store: StoreFactory) -> None:
    """Eight payers, each a PaymentService of its own (its own lock) on its own connection, pay one
    open-amount invoice three times each at once, some declined: the stored record holds exactly
    the 24 payments they were answered, each once, and the paid amounts add up."""
    stores = _connections(make_store, "open-race", 8)
    item = stores[0].insert_open_invoice(make_open(MERCHANT.merchant_id, type=1, fixed_amount="0.000",
                                                   min_amount="1.000", max_amount="100.000"))
    answered: list[dict[str, object]] = []
    lock = threading.Lock()

    def pay(store: Store, n: int) -> None:
        payer = PaymentService(store, Clock(), MERCHANTS)
        for k in range(3):
            outcome = "failure" if (n + k) % 4 == 0 else "success"
            result = payer.pay_open_invoice(item.id, f"{n + 1}.{k}00", 1 + k % 2, outcome,
                                            customer={"name": f"payer {n}"})
            with lock:
                answered.append({"payment_id": result.transaction["payment_id"], "outcome": outcome,
                                 "amount": f"{n + 1}.{k}00"})

    race(stores, pay)
    assert len(answered) == 24
    stored = _stored_open(stores[0], item)
    recorded = [{"payment_id": p["payment_id"], "outcome": p["outcome"], "amount": p["amount"]}
                for p in stored.payments]
    def key(payment: dict[str, object]) -> str:
        return str(payment["payment_id"])

    assert sorted(recorded, key=key) == sorted(answered, key=key)
    assert len({key(p) for p in recorded}) == 24  # none twice
    paid = sum(Decimal(str(p["amount"])) for p in recorded if p["outcome"] == "success")
    assert paid == sum(Decimal(str(p["amount"])) for p in answered if p["outcome"] == "success")
    assert stored.paid_status == 1


def test_a_cancel_racing_payments_never_drops_one_that_was_answered(make_store: StoreFactory) -> None:
    """Six payers and one canceller at once: whatever the order, every payment answered as made is
    in the cancelled record, and every other payer was refused as cancelled (nothing written)."""
    stores = _connections(make_store, "open-cancel", 7)
    item = stores[0].insert_open_invoice(make_open(MERCHANT.merchant_id))
    made: list[str] = []
    refused: list[str] = []

    def act(store: Store, n: int) -> None:
        clock = Clock()
        if n == 0:
            OpenInvoiceService(store, clock).cancel(MERCHANT, item.id)
            return
        payer = PaymentService(store, clock, MERCHANTS)
        for _ in range(3):
            try:
                made.append(payer.pay_open_invoice(item.id).transaction["payment_id"])
            except PaymentRefused as exc:
                refused.append(exc.reason)

    race(stores, act)
    stored = _stored_open(stores[0], item)
    assert stored.status == CANCELLED
    assert sorted(p["payment_id"] for p in stored.payments) == sorted(made)
    assert len(made) + len(refused) == 18 and set(refused) <= {"cancelled"}


def test_a_new_expiry_racing_payments_keeps_them_all(make_store: StoreFactory) -> None:
    stores = _connections(make_store, "open-expiry", 5)
    item = stores[0].insert_open_invoice(make_open(MERCHANT.merchant_id))
    made: list[str] = []

    def act(store: Store, n: int) -> None:
        clock = Clock()
        if n == 0:
            for day in range(1, 6):
                OpenInvoiceService(store, clock).update_expiry(MERCHANT, item.id, f"2099-01-{day:02d}")
            return
        payer = PaymentService(store, clock, MERCHANTS)
        made.extend(payer.pay_open_invoice(item.id).transaction["payment_id"] for _ in range(4))

    race(stores, act)
    stored = _stored_open(stores[0], item)
    assert stored.expiry_date == "2099-01-05"
    assert sorted(p["payment_id"] for p in stored.payments) == sorted(made) and len(made) == 16


def test_a_cancelled_open_invoice_refuses_a_new_expiry_and_a_second_cancel(store: Store) -> None:
    item = store.insert_open_invoice(make_open(MERCHANT.merchant_id))
    service = OpenInvoiceService(store, Clock())
    service.cancel(MERCHANT, item.id)
    before = store.fingerprint()
    with pytest.raises(Refused, match="already been cancelled"):
        service.cancel(MERCHANT, item.id)
    with pytest.raises(Refused, match="has been cancelled"):
        service.update_expiry(MERCHANT, item.id, "2099-01-01")
    assert store.fingerprint() == before
