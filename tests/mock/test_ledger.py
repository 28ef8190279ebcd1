"""The one ledger's enquiry by token reads only the records that can hold the token, and finds
exactly what the whole ledger holds under it, on every store; the whole ledger reads each
payment's refunds as the enquiry does, with one read of the refunds for all of them."""

from __future__ import annotations

from dataclasses import replace

from mock_server.app import create_app
from mock_server.runtime import runtime_of
from mock_server.state.models import Checkout, Customer, Invoice, OpenInvoice, Refund
from mock_server.state.store import Store

MERCHANT = 84
OTHER = 85


def _invoice(n: int, status: int, token: str | None, merchant: int = MERCHANT) -> Invoice:
    txn = None if token is None else {"token": token, "created_at": f"2026-01-0{n % 9 + 1} 10:00:00",
                                      "payment_type_id": 1, "service_type_id": 2}
    return Invoice(merchant, 1, 3, f"INV-TOKEN-{merchant}-{n}", f"9QKEY{merchant}{n:03d}", f"REF-{n}",
                   "5.000", "2026-01-01 09:00:00", "2026-01-01 09:00:00", invoice_status=status,
                   transaction=txn, customer=Customer(f"Customer {n}"))


def _checkout(token: str, merchant: int = MERCHANT, **fields: object) -> Checkout:
    base = Checkout(merchant_id=merchant, token=token, session=f"S-{token}", amount="3.000", currency="KWD",
                    payment_type=1, response_url="https://shop.example/ok", failure_url="",
                    created_at="2026-01-02 10:00:00", expires_at=0.0, status="SUCCESSFUL",
                    paid_on="2026-01-02 10:00:05", result_code="CAPTURED", customer_name="Checkout payer")
    return replace(base, **fields)  # type: ignore[arg-type]


def _fill(store: Store) -> list[str]:
    """Payments of every family, and records that hold a token without being a payment; the
    tokens to look up."""
    store.insert_invoices([
        _invoice(1, 1, "TXN-PAID-1"), _invoice(2, 1, "TXN-PAID-2"),
        _invoice(3, 0, None),  # unpaid
        _invoice(4, 3, "TXN-CANCELLED"),  # a token, but not paid (cancelled)
        replace(_invoice(6, 1, "TXN-WORDS"), reference_number="Order 7 of REF-1"),  # REF-1's words too
        replace(_invoice(7, 1, "TXN-SAME-REF"), reference_number="ORDER-9"),
        _invoice(5, 1, "TXN-OTHER", merchant=OTHER),
    ])
    store.insert_with_ids(open_invoices=[OpenInvoice(
        MERCHANT, "Donation", "OPEN-REF", 1, "0.000", "1.000", "100.000", "9QOPENKEY", "2026-01-01",
        "2026-01-01", id=1, payments=(
            {"outcome": "success", "token": "TXN-OPEN-1", "amount": "7.000",
             "created_at": "2026-01-03 10:00:00", "customer": {"name": "Donor"}},
            {"outcome": "failed", "token": "TXN-OPEN-FAILED", "amount": "7.000",
             "created_at": "2026-01-03 11:00:00"},
            {"outcome": "success", "token": "TXN-PAID-2", "amount": "2.000",  # a token two records hold
             "created_at": "2026-01-04 10:00:00"},
        ))])
    for checkout in (_checkout("CHK-PAID"),
                     _checkout("CHK-FAILED", status="FAILED", result_code="NOT CAPTURED"),
                     _checkout("CHK-VERIFY", amount="0.000", save_card=True),
                     _checkout("CHK-OTHER", merchant=OTHER), _checkout("TXN-OPEN-1", session="S-dup"),
                     _checkout("CHK-REF", order_reference="ORDER-9"),
                     _checkout("CHK-REF-FAILED", order_reference="ORDER-9", status="FAILED")):
        store.insert_checkout(checkout)
    return ["TXN-PAID-1", "TXN-PAID-2", "TXN-CANCELLED", "TXN-OTHER", "TXN-OPEN-1", "TXN-OPEN-FAILED",
            "CHK-PAID", "CHK-FAILED", "CHK-VERIFY", "CHK-OTHER", "REF-1", "nothing-has-this"]


def _refund(token: str, amount: str, merchant: int = MERCHANT) -> Refund:
    return Refund(merchant, token, amount, "2", "2026-02-01 10:00:00", "2026-02-01 10:00:00", 0.0,
                  "invoice", 1, amount, "REF", "2026-01-01 10:00:00", 1, 2)


def test_the_whole_ledger_reads_refunds_as_each_enquiry_does_in_one_read(store: Store) -> None:
    ledger = runtime_of(create_app(store=store)).ledger
    tokens = _fill(store)

    def refunded(token: str, amount: str, paid: int, status: int | None, merchant: int = MERCHANT) -> None:
        made = store.insert_refund(_refund(token, amount, merchant), paid, take_rest=False)
        if status is not None:
            assert store.decide_refund(replace(made, status=status))

    refunded("TXN-PAID-1", "5.000", 5000, 1)  # all of it approved: REFUNDED
    refunded("CHK-PAID", "1.000", 3000, 1)  # part approved, part pending: still SUCCESSFUL
    refunded("CHK-PAID", "0.500", 3000, None)
    refunded("TXN-OPEN-1", "7.000", 7000, 2)  # rejected: gives nothing back
    refunded("TXN-PAID-2", "2.000", 5000, 1)  # a token two records hold: both read its refunds
    refunded("TXN-OTHER", "5.000", 5000, 1, merchant=OTHER)  # another merchant's
    reads: list[str] = []
    per_payment = store.refunds_of_transaction

    def counted(merchant_id: int, token: str) -> list[Refund]:
        reads.append(token)
        return per_payment(merchant_id, token)

    store.refunds_of_transaction = counted  # type: ignore[method-assign]
    everything = ledger.entries(MERCHANT)
    assert reads == []  # the whole ledger read the refunds once, not once per payment
    shown = {(e.token, e.paid.kind): (e.status, e.refunded_fils) for e in everything}
    assert shown[("TXN-PAID-1", "invoice")] == ("REFUNDED", 5000)
    assert shown[("CHK-PAID", "checkout")] == ("SUCCESSFUL", 1000)
    assert shown[("TXN-OPEN-1", "open_invoice")] == ("SUCCESSFUL", 0)
    assert shown[("TXN-PAID-2", "invoice")] == ("SUCCESSFUL", 2000)
    assert shown[("TXN-PAID-2", "open_invoice")] == ("REFUNDED", 2000)
    assert shown[("TXN-WORDS", "invoice")] == ("SUCCESSFUL", 0)
    for token in tokens:
        assert ledger.find(MERCHANT, token) == [e for e in everything if e.token == token], token
    assert ledger.find(OTHER, "TXN-OTHER")[0].status == "REFUNDED"


def test_an_enquiry_by_token_finds_what_the_whole_ledger_holds_under_it(store: Store) -> None:
    ledger = runtime_of(create_app(store=store)).ledger
    tokens = _fill(store)
    everything = ledger.entries(MERCHANT)
    assert {e.token for e in everything} == {"TXN-PAID-1", "TXN-PAID-2", "TXN-OPEN-1", "CHK-PAID",
                                             "TXN-WORDS", "TXN-SAME-REF", "CHK-REF"}
    for token in tokens:
        assert ledger.find(MERCHANT, token) == [e for e in everything if e.token == token], token
    assert [e.paid.kind for e in ledger.find(MERCHANT, "TXN-PAID-2")] == ["invoice", "open_invoice"]
    assert [e.paid.kind for e in ledger.find(MERCHANT, "TXN-OPEN-1")] == ["checkout", "open_invoice"]
    assert [e.token for e in ledger.find(OTHER, "TXN-OTHER")] == ["TXN-OTHER"]
    assert ledger.find(OTHER, "TXN-PAID-1") == []


def test_an_enquiry_by_order_reference_finds_what_the_whole_ledger_holds_under_it(store: Store) -> None:
    ledger = runtime_of(create_app(store=store)).ledger
    _fill(store)
    everything = ledger.entries(MERCHANT)
    for reference in ("REF-1", "REF-2", "OPEN-REF", "ORDER-9", "Order 7 of REF-1", "order-9", "7", "REF",
                      "", "--", "nothing"):
        found = ledger.find(MERCHANT, reference, by_reference=True)
        assert found == [e for e in everything if e.paid.order_reference == reference], reference
    assert [e.token for e in ledger.find(MERCHANT, "REF-1", by_reference=True)] == ["TXN-PAID-1"]
    found = ledger.find(MERCHANT, "OPEN-REF", by_reference=True)
    assert [e.token for e in found] == ["TXN-OPEN-1", "TXN-PAID-2"]
    found = ledger.find(MERCHANT, "ORDER-9", by_reference=True)
    assert [e.paid.kind for e in found] == ["checkout", "invoice"]  # paid 2026-01-02, 2026-01-08


def test_the_ledger_holds_paid_invoices_of_every_kind(store: Store) -> None:
    """Orders (kind 4) and kinds no enum names (a seeded 20) are payments too: the report and the
    enquiry by reference find them, as they find a single invoice."""
    ledger = runtime_of(create_app(store=store)).ledger
    kinds = {1: "TXN-SINGLE", 4: "TXN-ORDER", 20: "TXN-KIND-20"}
    store.insert_with_ids(invoices=[replace(_invoice(n, 1, token), id=n, invoice_type=kind,
                                            reference_number=f"ORDER-{kind}")
                                    for n, (kind, token) in enumerate(kinds.items(), start=1)])
    assert {e.token for e in ledger.entries(MERCHANT)} == set(kinds.values())
    for kind, token in kinds.items():
        assert [e.token for e in ledger.find(MERCHANT, f"ORDER-{kind}", by_reference=True)] == [token]
