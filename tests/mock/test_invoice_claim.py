"""Paying an invoice is a claim in the store: an update with ``expected`` is written only if the
stored invoice is still what was read, on every store and between connections racing for it (two
workers or two hosts sharing one database pay one invoice once)."""

from __future__ import annotations

from dataclasses import replace

from support.stores import StoreFactory, race
from test_store_contract import make_invoice

from hesabe_spec.enums import InvoiceStatus
from mock_server.state.store import Store


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
