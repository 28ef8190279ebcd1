"""Payment simulation on the domain (no HTTP): rules, shapes, counters and hooks."""

from __future__ import annotations

from typing import Any

import pytest

from hesabe_spec.enums import InvoiceKind
from hesabe_spec.validation import validate_response
from mock_server.handlers.invoices import new_invoice
from mock_server.handlers.open_invoices import new_open_invoice
from mock_server.merchants import MerchantRegistry
from mock_server.runtime import MockRuntime
from mock_server.settings import MockSettings
from mock_server.shapes import invoices as invoice_shapes
from mock_server.state.errors import NotFound
from mock_server.state.memory import MemoryStore
from mock_server.state.models import Invoice
from mock_server.state.payments import PaymentRefused

BASE = "http://mock"


@pytest.fixture
def mock() -> MockRuntime:
    runtime = MockRuntime(MockSettings(), MemoryStore(), MerchantRegistry.default())
    runtime.clock.freeze(1767214800)  # 2026-01-01 00:00 Kuwait
    return runtime


def _merchant(mock: MockRuntime) -> Any:
    return mock.merchants.merchants[0]


def _invoice(mock: MockRuntime, **extra: Any) -> Invoice:
    payload = {"invoiceType": "0", "invoiceSubType": "3", "amount": "15.000", "customerName": "Ali",
               "allocatePayType": "1,2", "referenceNumber": "R1", **extra}
    return mock.invoices.create(_merchant(mock), new_invoice(payload), InvoiceKind.SINGLE)


def _stats(mock: MockRuntime) -> dict[tuple[int, int], int]:
    return mock.store.invoice_counts(_merchant(mock).merchant_id)


def test_success_marks_paid_and_attaches_a_46_shaped_transaction(mock: MockRuntime) -> None:
    inv = _invoice(mock)
    result = mock.payments.pay_invoice(inv, 1, "success")
    stored = mock.store.get_invoice(inv.merchant_id, inv.id)
    assert stored is not None and stored.invoice_status == 1
    txn = stored.transaction
    assert txn is not None
    assert txn["amount"] == 15 and isinstance(txn["amount"], int)
    assert txn["commission"] == pytest.approx(0.1) and txn["net_amount"] == pytest.approx(14.9)
    assert (txn["payment_type_id"], txn["service_type_id"], txn["payment_status"]) == (1, 2, 1)
    assert txn["token"].startswith(_merchant(mock).merchant_code)
    assert result.paid and result.transaction is txn
    assert _stats(mock) == {(1, 1): 1}


def test_details_hide_the_list_subdict_and_the_dashboard_row_shows_it(mock: MockRuntime) -> None:
    inv = mock.payments.pay_invoice(_invoice(mock), 2, "success").record
    assert isinstance(inv, Invoice)
    details = invoice_shapes.invoice_details(inv, BASE, "test")
    assert "list" not in details["transaction"]
    assert details["transaction"]["payment_type_id"] == 2
    row = invoice_shapes.invoice_listed(inv, BASE, "test")["transaction"]
    assert row["payment_type_id"] == 2 and row["Amount"] == "15.000" and row["result_code"] == "CAPTURED"
    assert row["transaction_id"] == inv.transaction["transaction_id"]  # type: ignore[index]
    envelope = {"status": True, "message": "Invoice details", "response": details}
    assert not list(validate_response("get_invoice", envelope))


def test_card_commission_is_a_percentage(mock: MockRuntime) -> None:
    txn = mock.payments.pay_invoice(_invoice(mock, amount="40.000"), 2).transaction
    assert txn["commission"] == 1 and txn["net_amount"] == 39


@pytest.mark.parametrize("outcome", ["failure", "cancelled"])
def test_failed_attempts_leave_the_invoice_unpaid(mock: MockRuntime, outcome: str) -> None:
    inv = _invoice(mock)
    mock.payments.pay_invoice(inv.id, "1", outcome)
    mock.payments.pay_invoice(inv.id, "2", outcome)
    stored = mock.store.get_invoice(inv.merchant_id, inv.id)
    assert stored is not None and stored.invoice_status == 0 and stored.transaction is None
    assert [a["outcome"] for a in stored.payment_attempts] == [outcome, outcome]
    assert [a["payment_type_id"] for a in stored.payment_attempts] == [1, 2]
    assert _stats(mock) == {(1, 0): 1}
    assert mock.payments.pay_invoice(inv.id, 1).paid  # still payable afterwards


@pytest.mark.parametrize(("setup", "reason"), [
    ("paid", "already_paid"), ("cancelled", "cancelled"), ("expired", "expired")])
def test_final_or_expired_invoices_cannot_be_paid(mock: MockRuntime, setup: str, reason: str) -> None:
    inv = _invoice(mock, expiresAt="2026-01-05")
    if setup == "paid":
        mock.payments.pay_invoice(inv, 1)
    elif setup == "cancelled":
        mock.invoices.cancel(_merchant(mock), inv.token)
    else:
        mock.clock.advance(5 * 86400)  # 2026-01-06
    before = mock.store.fingerprint()
    with pytest.raises(PaymentRefused) as caught:
        mock.payments.pay_invoice(inv.id, 1, "failure")
    assert caught.value.reason == reason and str(inv.id) in caught.value.message
    assert mock.store.fingerprint() == before


def test_the_last_day_is_still_payable(mock: MockRuntime) -> None:
    inv = _invoice(mock, expiresAt="2026-01-01")
    assert mock.payments.pay_invoice(inv, 1).paid


def test_payment_type_must_be_allocated(mock: MockRuntime) -> None:
    inv = _invoice(mock, allocatePayType="1")
    with pytest.raises(PaymentRefused, match="not allocated") as caught:
        mock.payments.pay_invoice(inv, 2)
    assert caught.value.reason == "payment_type"
    with pytest.raises(PaymentRefused):
        mock.payments.pay_invoice(inv, "knet")


def test_unknown_outcome_and_unknown_invoice(mock: MockRuntime) -> None:
    inv = _invoice(mock)
    with pytest.raises(PaymentRefused, match="outcome"):
        mock.payments.pay_invoice(inv, 1, "maybe")
    with pytest.raises(NotFound):
        mock.payments.pay_invoice(999_999, 1)


def test_paying_one_split_invoice_leaves_its_siblings_unpaid(mock: MockRuntime) -> None:
    item = {"invoiceType": "0", "invoiceSubType": "3", "amount": "5", "customerName": "A",
            "allocatePayType": "1"}
    group = mock.invoices.create_group(_merchant(mock), [new_invoice(item)] * 2, InvoiceKind.SPLIT)
    mock.payments.pay_invoice(group[1], 1)
    found = mock.store.find_split_group(group[0].split_access_key)
    assert [i.invoice_status for i in found] == [0, 1]


def test_hooks_run_after_success_and_failure_and_cannot_break_payment(mock: MockRuntime) -> None:
    paid: list[tuple[Any, ...]] = []
    failed: list[tuple[Any, ...]] = []

    def broken(*_: Any) -> None:
        raise RuntimeError("webhook down")

    mock.on_paid.extend([broken, lambda *a: paid.append(a)])
    mock.on_payment_failed.append(lambda *a: failed.append(a))
    inv = _invoice(mock)
    mock.payments.pay_invoice(inv, 1, "failure")
    result = mock.payments.pay_invoice(inv, 1, "success")
    assert len(failed) == 1 and failed[0][2]["outcome"] == "failure"
    assert len(paid) == 1
    merchant, record, txn = paid[0]
    assert merchant is _merchant(mock) and record.invoice_status == 1 and txn is result.transaction


# -- open invoices ----------------------------------------------------------------------------------

def _open(mock: MockRuntime, **p: Any) -> Any:
    return mock.open_invoices.create(_merchant(mock), new_open_invoice({"title": "T", **p}))


def test_open_invoice_takes_several_payments_within_range(mock: MockRuntime) -> None:
    item = _open(mock, amountType="1", minAmount="5", maxAmount="10")
    mock.payments.pay_open_invoice(item, "5.000")
    mock.payments.pay_open_invoice(item.id, 7, outcome="failure")
    mock.payments.pay_open_invoice(item.id, "10")
    stored = mock.store.get_open_invoice(item.merchant_id, item.id)
    assert stored is not None and stored.paid_status == 1
    shaped = invoice_shapes.open_invoice(stored, BASE)
    assert shaped["total_customer_paid_count"] == 2 and shaped["total_amount_customer_paid"] == "15.000"
    for bad in ("4.999", "10.001", "-1", "abc"):
        with pytest.raises(PaymentRefused) as caught:
            mock.payments.pay_open_invoice(item.id, bad)
        assert caught.value.reason == "amount"


def test_fixed_open_invoice_takes_exactly_its_amount(mock: MockRuntime) -> None:
    item = _open(mock, amountType="0", fixAmount="100")
    assert mock.payments.pay_open_invoice(item).transaction["service_type_id"] == 7
    with pytest.raises(PaymentRefused, match=r"exactly 100\.000"):
        mock.payments.pay_open_invoice(item, "99")
    stored = mock.store.get_open_invoice(item.merchant_id, item.id)
    assert stored is not None and stored.paid_status == 1


def test_failed_open_payment_does_not_set_paid_status(mock: MockRuntime) -> None:
    item = _open(mock, amountType="0", fixAmount="3")
    mock.payments.pay_open_invoice(item, outcome="cancelled")
    stored = mock.store.get_open_invoice(item.merchant_id, item.id)
    assert stored is not None and stored.paid_status == 0 and len(stored.payments) == 1


def test_cancelled_or_expired_open_invoice_refuses(mock: MockRuntime) -> None:
    cancelled = _open(mock, amountType="0", fixAmount="3")
    mock.open_invoices.cancel(_merchant(mock), cancelled.id)
    with pytest.raises(PaymentRefused) as caught:
        mock.payments.pay_open_invoice(cancelled.id)
    assert caught.value.reason == "cancelled"
    expiring = _open(mock, amountType="0", fixAmount="3", expiryDate="2026-01-02")
    mock.clock.advance(2 * 86400)
    with pytest.raises(PaymentRefused) as caught:
        mock.payments.pay_open_invoice(expiring.id)
    assert caught.value.reason == "expired"
