"""Wire shapes of stored records, key order and types exactly as the server writes them.

Hesabe returns one invoice in three shapes (all decrypted from real ciphertexts):

* ``details``  - get, resend (seed 000): types re-read from the database (merchant_id "84").
* ``created``  - the create response (seed 001): the freshly built model, so request values are
  echoed with their wire types (invoice_sub_type "3"), merchant_id is an int and columns the
  database fills later (invoice_status, visited_count; url_status of an SMS invoice) are null.
* ``listed``   - a dashboard row (seed 003): other key order, ``order_drop_id``, ``admin_charge``,
  ``rentperiod`` and a ``transaction`` object whose fields are all null until paid.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from hesabe_spec.amounts import format_amount
from hesabe_spec.enums import InvoiceKind, InvoiceStatus
from mock_server.state.models import BulkRow, Invoice, OpenInvoice
from mock_server.state.store import StatusCounts

__all__ = ["bulk_row", "invoice_created", "invoice_details", "invoice_listed", "open_invoice", "stats_block"]

_LIST_TRANSACTION_KEYS = (
    "payment_type_id", "payment_id", "post_date", "result_code", "track_id", "transaction_id",
    "reference_number", "payment_type", "paid_on", "Auth", "Amount", "admin_charge",
)


def _links(inv: Invoice, base_url: str) -> tuple[str, str | None]:
    url = f"{base_url}/s/{inv.access_key}"
    split = f"{base_url}/sp/{inv.split_access_key}" if inv.split_access_key else None
    return url, split


def _customer(inv: Invoice) -> dict[str, Any]:
    c = inv.customer
    return {"name": c.name, "email": c.email, "phone_number": c.phone_number}


def _merchant(inv: Invoice, merchant_name: str) -> dict[str, Any]:
    return {"id": inv.created_id, "name": merchant_name}


def _payment_method(inv: Invoice) -> list[str]:
    return list(inv.payment_method) or [""]


def _details_transaction(inv: Invoice) -> dict[str, Any] | None:
    """The §4.6 transaction without ``list`` (the dashboard row's fields, kept for ``invoice_listed``)."""
    if not inv.transaction:
        return None
    return {k: v for k, v in inv.transaction.items() if k != "list"}


def invoice_details(inv: Invoice, base_url: str, merchant_name: str) -> dict[str, Any]:
    url, spliturl = _links(inv, base_url)
    return {
        "id": inv.id,
        "invoice_type": inv.invoice_type,
        "invoice_sub_type": inv.invoice_sub_type,
        "token": inv.token,
        "access_key": inv.access_key,
        "split_access_key": inv.split_access_key,
        "merchant_id": str(inv.merchant_id),
        "reference_number": inv.reference_number,
        "amount": inv.amount,
        "service_charge": inv.service_charge,
        "payment_method": _payment_method(inv),
        "discount": inv.discount,
        "description": inv.description,
        "sms_response": inv.sms_response,
        "invoice_status": inv.invoice_status,
        "subscription": inv.subscription,
        "sms_status": inv.sms_status,
        "url_status": inv.url_status,
        "visited_count": inv.visited_count,
        "country_id": inv.country_id,
        "created_id": inv.created_id,
        "language": inv.language,
        "expires_at": inv.expires_at,
        "attachment": inv.attachment,
        "url": url,
        "spliturl": spliturl,
        "created_at": inv.created_at,
        "updated_at": inv.updated_at,
        "en_sms": inv.en_sms,
        "ar_sms": inv.ar_sms,
        "customer": _customer(inv),
        "created_by_merchant": _merchant(inv, merchant_name),
        "products": [dict(p) for p in inv.products],
        "transaction": _details_transaction(inv),
    }


def invoice_created(inv: Invoice, base_url: str, merchant_name: str) -> dict[str, Any]:
    """The create response: the model before the database and the SMS job touched it."""
    body = invoice_details(inv, base_url, merchant_name)
    body.update(
        invoice_sub_type=inv.invoice_sub_type if inv.sent_sub_type is None else inv.sent_sub_type,
        merchant_id=inv.merchant_id,
        sms_response="",
        invoice_status=None,
        sms_status=0,
        url_status=1 if inv.url_status else None,
        visited_count=None,
        transaction=None,
    )
    return body


def invoice_listed(inv: Invoice, base_url: str, merchant_name: str) -> dict[str, Any]:
    url, spliturl = _links(inv, base_url)
    listed = (inv.transaction or {}).get("list") or {}
    return {
        "id": inv.id,
        "invoice_type": inv.invoice_type,
        "invoice_sub_type": inv.invoice_sub_type,
        "order_drop_id": 0,
        "token": inv.token,
        "access_key": inv.access_key,
        "split_access_key": inv.split_access_key,
        "merchant_id": str(inv.merchant_id),
        "reference_number": inv.reference_number,
        "amount": inv.amount,
        "admin_charge": inv.admin_charge,
        "service_charge": inv.service_charge,
        "subscription": inv.subscription or 0,
        "discount": inv.discount,
        "description": inv.description,
        "sms_response": inv.sms_response,
        "invoice_status": inv.invoice_status,
        "payment_method": _payment_method(inv),
        "sms_status": inv.sms_status,
        "url_status": inv.url_status,
        "visited_count": inv.visited_count,
        "country_id": inv.country_id,
        "created_id": inv.created_id,
        "language": inv.language,
        "expires_at": inv.expires_at,
        "url": url,
        "spliturl": spliturl,
        "created_at": inv.created_at,
        "updated_at": inv.updated_at,
        "rentperiod": None,
        "transaction": {k: listed.get(k) for k in _LIST_TRANSACTION_KEYS},
        "customer": _customer(inv),
        "created_by_merchant": _merchant(inv, merchant_name),
        "products": [dict(p) for p in inv.products],
    }


def open_invoice(item: OpenInvoice, base_url: str) -> dict[str, Any]:
    paid = item.paid_payments
    total = sum((Decimal(str(p["amount"])) for p in paid), Decimal(0))  # exact decimals, never floats
    return {
        "id": item.id,
        "merchant_id": item.merchant_id,
        "title": item.title,
        "reference_number": item.reference_number,
        "type": item.type,
        "description": item.description,
        "fixed_amount": item.fixed_amount,
        "min_amount": item.min_amount,
        "max_amount": item.max_amount,
        "paid_status": item.paid_status,
        "status": item.status,
        "created_by": item.created_by,
        "created_at": item.created_at,
        "updated_at": item.updated_at,
        "expiry_date": item.expiry_date,
        "total_customer_paid_count": len(paid),
        "total_amount_customer_paid": format_amount(total),
        "url": f"{base_url}/s/{item.access_key}",
    }


def bulk_row(row: BulkRow) -> dict[str, Any]:
    return {
        "id": row.id,
        "merchant_id": row.merchant_id,
        "reference_number": row.reference_number,
        "name": row.name,
        "phone": row.phone,
        "email": row.email,
        "amount": row.amount,
        "description": row.description,
        "status": row.status,
        "has_schedule": row.has_schedule,
        "schedule_time": row.schedule_time,
        "created_at": row.created_at,
        "updated_at": row.updated_at,
    }


def stats_block(counts: StatusCounts, orders: bool) -> dict[str, Any]:
    """``stats`` / ``order_stats``: int total, counters as strings, null when there are none."""
    picked: dict[int, int] = {}
    for (kind, status), n in counts.items():
        if (kind == InvoiceKind.ORDER) == orders:
            picked[status] = picked.get(status, 0) + n
    total = sum(picked.values())

    def counter(status: int) -> str | None:
        return str(picked.get(status, 0)) if total else None

    return {
        "total_invoice_count": total,
        "invoice_paid": counter(InvoiceStatus.PAID),
        "invoice_not_paid": counter(InvoiceStatus.UNPAID),
        "invoice_cancelled": counter(InvoiceStatus.CANCELLED),
    }
