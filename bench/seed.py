"""Fill a store with realistic invoices quickly, straight through the Store API (no HTTP).

Every invoice is built once by the real domain code (``InvoiceService._build``) and then varied
with deterministic keys, so seeding a million takes seconds, not the minutes ``secrets`` would.
Terms: each invoice has a unique reference (``BENCH<n>``), one of 100 customer names, and 1 in
100 carries the word ``blue`` in its description (the "common term" search).
"""

from __future__ import annotations

from dataclasses import replace

from hesabe_spec.enums import InvoiceKind
from hesabe_spec.sandbox import SANDBOX
from mock_server.clock import Clock
from mock_server.handlers.invoices import new_invoice
from mock_server.merchants import Merchant
from mock_server.state.invoices import InvoiceService
from mock_server.state.memory import MemoryStore
from mock_server.state.models import Customer, Invoice
from mock_server.state.store import Store

__all__ = [
    "BATCH",
    "CHECKOUT_PAYLOAD",
    "COMMON_TERM",
    "CREATE_PAYLOAD",
    "MERCHANT",
    "make_invoices",
    "seed_store",
    "unique_reference",
]

MERCHANT = Merchant.from_identity(SANDBOX, "test")
COMMON_TERM = "blue"
BATCH = 1000
_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
#: a valid create_invoice payload (URL invoice, no SMS), as a client sends it
CREATE_PAYLOAD = {
    "merchantCode": SANDBOX.merchant_code,
    "amount": "20.000",
    "customerName": "TEST",
    "mobileNumber": "66666666",
    "countryCode": "965",
    "customerEmail": "t@x.com",
    "description": "d",
    "expiresAt": "2030-12-12",
    "invoiceType": "0",
    "invoiceSubType": "3",
    "referenceNumber": "R",
    "allocatePayType": [1, 2],
    "language": "en",
}


#: a valid create_checkout payload, as Hesabe's PHP kit sends one (the payment gateway's create)
CHECKOUT_PAYLOAD = {
    "merchantCode": SANDBOX.merchant_code,
    "amount": "20.000",
    "currency": "KWD",
    "paymentType": "0",
    "version": "2.0",
    "orderReferenceNumber": "BENCH-ORDER",
    "responseUrl": "https://shop.example/hesabe/return",
    "failureUrl": "https://shop.example/hesabe/failed",
    "webhookUrl": "https://shop.example/hesabe/webhook",
}


def _template() -> Invoice:
    return InvoiceService(MemoryStore(), Clock())._build(MERCHANT, new_invoice(dict(CREATE_PAYLOAD)),
                                                         InvoiceKind.SINGLE, 0)


def _key(n: int) -> str:
    out = ""
    for _ in range(7):
        n, r = divmod(n, 36)
        out = _ALPHABET[r] + out
    return "Z" + out  # real keys are random; a leading Z keeps these apart from the mock's own


def unique_reference(n: int) -> str:
    return f"BENCH{n}"


def make_invoices(start: int, count: int, template: Invoice | None = None) -> list[Invoice]:
    """Invoices number ``start .. start+count-1`` (numbers only seed the keys and terms)."""
    base = template or _template()
    out = []
    for n in range(start, start + count):
        out.append(
            replace(
                base,
                token=f"84{1700000000 + n // 1000}{n:09d}",
                access_key=_key(n),
                reference_number=unique_reference(n),
                description="bench invoice blue" if n % 100 == 0 else "bench invoice",
                invoice_status=(0, 0, 0, 1, 3)[n % 5],
                customer=Customer(f"customer{n % 100}", f"c{n % 100}@example.com", "96566666666"),
            )
        )
    return out


def seed_store(store: Store, count: int, start: int = 0, batch: int = BATCH) -> None:
    """Insert ``count`` invoices for the sandbox merchant in batches of ``batch``."""
    template = _template()
    done = 0
    while done < count:
        n = min(batch, count - done)
        store.insert_invoices(make_invoices(start + done, n, template))
        done += n
