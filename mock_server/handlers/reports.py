"""The transactions report (``GET /api/v1/report/transactions``): the one ledger, filtered and paged.

Rows are every payment the mock recorded, newest first, whatever took it (invoice, open invoice,
checkout, saved card); ``fromDate`` / ``toDate`` filter on the payment's date, ``search`` on whole
words of the token, the order reference and the customer's name; ``nostats`` "1" leaves the stats
out. The stats cover every row the filters match, not only the page.
"""

from __future__ import annotations

from typing import Any

from mock_server.pagination import page_number, pagination
from mock_server.runtime import Call, Reply
from mock_server.shapes import ledger as shapes
from mock_server.state.ledger import LedgerEntry
from mock_server.state.models import NO_UPPER_DATE, split_search

__all__ = ["get_transactions_report"]

_TRUE = ("1", "true")


def _matches(entry: LedgerEntry, low: str, high: str, terms: tuple[str, ...]) -> bool:
    day = (entry.paid.paid_at or "")[:10]
    if not low <= day <= high:
        return False
    if not terms:
        return True
    words = set(split_search(f"{entry.token} {entry.paid.order_reference} {entry.customer_name or ''}"))
    words.update(t.casefold() for t in (entry.token, entry.paid.order_reference) if t)
    return all(t in words for t in terms)


def get_transactions_report(call: Call) -> Reply:
    p = call.payload
    page = page_number(p.get("page", 1))
    low, high = str(p.get("fromDate") or ""), str(p.get("toDate") or "") or NO_UPPER_DATE
    terms = split_search(str(p.get("search") or ""))
    found = [e for e in reversed(call.domain.ledger.entries(call.merchant.merchant_id))
             if _matches(e, low, high, terms)]
    rows = [shapes.report_row(e) for e in found[(page - 1) * call.per_page: page * call.per_page]]
    response: dict[str, Any] = {}
    if str(p.get("nostats", "0")).lower() not in _TRUE:
        response["stats"] = shapes.report_stats(found)
    response["transactions"] = {"data": rows, "pagination": pagination(call.page_url, page, call.per_page,
                                                                       len(found), len(rows))}
    return Reply(response)
