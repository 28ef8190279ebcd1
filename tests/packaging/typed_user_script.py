"""A user's script, checked by ``mypy --strict`` in tests/packaging/test_typing.py (never run there).

Written the way an application would use the client: keyword arguments per operation, and the
returned payloads used through their TypedDicts (no casts, no ``Any``).
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from hesabe_spec.client import CheckoutSession, HesabeClient, Result, TransactionEnquiry
from hesabe_spec.client.responses import Dashboard, Invoice
from hesabe_spec.enums import CreateInvoiceType, PaymentType
from hesabe_spec.errors import HesabeError, HesabeTimeoutError


def bill(client: HesabeClient, order: str, amount: Decimal) -> tuple[int, str]:
    invoice: Invoice = client.create_invoice(
        amount=amount, customer_name="Huda", invoice_type=CreateInvoiceType.URL, invoice_sub_type="3",
        allocate_pay_type=[PaymentType.KNET, PaymentType.MPGS], reference_number=order,
        expires_at=date.today() + timedelta(days=30),
    )
    url: str = invoice["url"]
    return invoice["id"], url


def paid_count(client: HesabeClient) -> int:
    dashboard: Dashboard = client.list_invoices(status=1, page=1)
    paid = dashboard["stats"]["invoice_paid"]
    return int(paid) if paid is not None else 0


def raw_answer(client: HesabeClient, invoice_id: int) -> int:
    result: Result = client.get_invoice(invoice_id, return_result=True)
    return result.status


def pay_online(client: HesabeClient, order: str) -> str:
    session: CheckoutSession = client.checkout(
        Decimal("5.250"), response_url="https://shop.example/paid", order_reference_number=order,
        webhook_url="https://shop.example/hook", variable1="cart-7",
    )
    return session.payment_url


def order_settled(client: HesabeClient, order: str) -> bool:
    enquiry: TransactionEnquiry = client.get_transaction(order, by_order_reference=True)
    return enquiry.transaction.paid


def main() -> None:
    with HesabeClient(base_url="http://127.0.0.1:8000") as client:
        try:
            invoice_id, url = bill(client, "ORD-1", Decimal("12.500"))
            print(url, paid_count(client), raw_answer(client, invoice_id))
            client.cancel_invoice(client.get_invoice(invoice_id)["token"])
            print(pay_online(client, "ORD-2"), order_settled(client, "ORD-2"))
        except HesabeTimeoutError:
            print("no answer in time; safe to retry reads only")
        except HesabeError as exc:
            print("refused:", exc)
