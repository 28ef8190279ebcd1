"""In-memory store (the default): dicts plus sorted id lists, safe under threads."""

from __future__ import annotations

import hashlib
import json
import threading
from bisect import bisect_left, bisect_right, insort
from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from dataclasses import fields, is_dataclass, replace
from heapq import heapify, heappop, heappush
from itertools import count
from typing import Any

from hesabe_spec.amounts import to_fils
from hesabe_spec.enums import InvoiceKind, RefundStatus
from mock_server.state.models import (
    NO_UPPER_DATE,
    BulkRow,
    CardCustomer,
    Checkout,
    Invoice,
    InvoiceQuery,
    OpenInvoice,
    OpenInvoiceQuery,
    Page,
    Refund,
    RefundQuery,
    SavedCard,
    open_invoice_terms,
    open_status_as_seen,
    refund_terms,
    search_terms,
    search_terms_delta,
)
from mock_server.state.paging import page_from_sorted_lists
from mock_server.state.store import BIGINT_MAX, KeyConflict, RefundTotals, StatusCounts, Store, fit_refund

__all__ = ["MemoryStore"]

#: stale expiry entries (revoked or re-put tokens) tolerated before the heap is rebuilt
_STALE_SLACK = 1024
#: the last possible id: ``(day, _LAST_ID)`` sorts at or after every (day, id) entry of that day
_LAST_ID = BIGINT_MAX


def _claimed(checkout: Checkout) -> tuple[str, str | None, int]:
    """What :meth:`Store.claim_checkout` moves a checkout on from."""
    return checkout.status, checkout.subscription_status, checkout.recurrences


class MemoryStore(Store):
    """Everything in process memory; gone when the process ends."""

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._invoice_ids: Iterator[int] = count(1)
        self._open_ids: Iterator[int] = count(1)
        self._bulk_ids: Iterator[int] = count(1)
        self._checkout_ids: Iterator[int] = count(1)
        self._refund_ids: Iterator[int] = count(1)
        self._card_customer_ids: Iterator[int] = count(1)
        self._saved_card_ids: Iterator[int] = count(1)
        self._clear()

    def _clear(self, merchant_id: int | None = None) -> None:
        if merchant_id is not None:
            self._drop_merchant(merchant_id)
            return
        self._invoices: dict[int, Invoice] = {}
        self._by_token: dict[str, int] = {}
        self._by_access_key: dict[str, int] = {}
        self._by_split_key: dict[str, list[int]] = defaultdict(list)
        #: (merchant, type, status) -> ascending ids
        self._buckets: dict[tuple[int, int, int], list[int]] = defaultdict(list)
        #: merchant -> term -> ascending ids, kept as invoices are written (a search never waits
        #: for an index to be built)
        self._terms: dict[int, dict[str, list[int]]] = defaultdict(dict)
        #: merchant -> ascending (created_at, id)
        self._by_date: dict[int, list[tuple[str, int]]] = defaultdict(list)
        self._open: dict[int, OpenInvoice] = {}
        self._open_by_key: dict[str, int] = {}
        self._bulk: dict[int, BulkRow] = {}
        self._checkouts: dict[int, Checkout] = {}
        self._checkout_by_token: dict[str, int] = {}
        self._checkout_by_session: dict[str, int] = {}
        #: (merchant, order reference) -> ascending ids
        self._checkout_by_reference: dict[tuple[int, str], list[int]] = defaultdict(list)
        #: merchant -> ascending checkout ids
        self._checkouts_of: dict[int, list[int]] = defaultdict(list)
        #: (merchant, source) -> ascending checkout ids
        self._checkouts_by_source: dict[tuple[int, str], list[int]] = defaultdict(list)
        #: merchant -> (next billing day, id) of its monthly subscriptions with a recurrence to
        #: bill, in order (the recurrence timer's index); id -> that day
        self._billing: dict[int, list[tuple[str, int]]] = defaultdict(list)
        self._billing_day: dict[int, str] = {}
        self._card_customers: dict[int, CardCustomer] = {}
        self._saved_cards: dict[int, SavedCard] = {}
        #: (merchant, customer) -> ascending card ids (deleted ones are skipped when read)
        self._cards_of: dict[tuple[int, int], list[int]] = defaultdict(list)
        #: transaction token -> id of the invoice it paid
        self._by_txn_token: dict[str, int] = {}
        self._refunds: dict[int, Refund] = {}
        #: merchant -> ascending refund ids; (merchant, transaction token) -> ascending refund ids
        self._refunds_of: dict[int, list[int]] = defaultdict(list)
        self._refunds_by_txn: dict[tuple[int, str], list[int]] = defaultdict(list)
        #: merchant -> ascending ids of its PENDING refunds (what the timer's round reads)
        self._pending_refunds: dict[int, list[int]] = defaultdict(list)
        #: (merchant, status) -> [count, fils]
        self._refund_totals: dict[tuple[int, int], list[int]] = defaultdict(lambda: [0, 0])
        self._tokens: dict[tuple[str, str], tuple[int, float]] = {}
        #: min-heap of (expires_at, kind, token) as put; an entry whose token was since revoked or
        #: re-put is skipped when popped, so a purge costs what it removes, not every live token
        self._token_expiry: list[tuple[float, str, str]] = []

    def _drop_merchant(self, merchant_id: int) -> None:
        for inv in [i for i in self._invoices.values() if i.merchant_id == merchant_id]:
            del self._invoices[inv.id]
            self._by_token.pop(inv.token, None)
            self._by_access_key.pop(inv.access_key, None)
            self._by_split_key.pop(inv.split_access_key, None)
            self._by_txn_token.pop(inv.payment_token or "", None)
        for bucket in [k for k in self._buckets if k[0] == merchant_id]:
            del self._buckets[bucket]
        self._terms.pop(merchant_id, None)
        self._by_date.pop(merchant_id, None)
        for oid in [k for k, v in self._open.items() if v.merchant_id == merchant_id]:
            self._open_by_key.pop(self._open.pop(oid).access_key, None)
        for bid in [k for k, v in self._bulk.items() if v.merchant_id == merchant_id]:
            del self._bulk[bid]
        for checkout in [c for c in self._checkouts.values() if c.merchant_id == merchant_id]:
            del self._checkouts[checkout.id]
            del self._checkout_by_token[checkout.token]
            del self._checkout_by_session[checkout.session]
        for key in [k for k in self._checkout_by_reference if k[0] == merchant_id]:
            del self._checkout_by_reference[key]
        self._checkouts_of.pop(merchant_id, None)
        for key in [k for k in self._checkouts_by_source if k[0] == merchant_id]:
            del self._checkouts_by_source[key]
        for _day, cid in self._billing.pop(merchant_id, ()):
            self._billing_day.pop(cid, None)
        for cid in [k for k, v in self._card_customers.items() if v.merchant_id == merchant_id]:
            del self._card_customers[cid]
        for cid in [k for k, v in self._saved_cards.items() if v.merchant_id == merchant_id]:
            del self._saved_cards[cid]
        for owner in [k for k in self._cards_of if k[0] == merchant_id]:
            del self._cards_of[owner]
        for token in [k for k, v in self._tokens.items() if v[0] == merchant_id]:
            del self._tokens[token]
        for refund_id in self._refunds_of.pop(merchant_id, []):
            del self._refunds[refund_id]
        self._pending_refunds.pop(merchant_id, None)
        for txn in [k for k in self._refunds_by_txn if k[0] == merchant_id]:
            del self._refunds_by_txn[txn]
        for totals in [k for k in self._refund_totals if k[0] == merchant_id]:
            del self._refund_totals[totals]

    def reset(self, merchant_id: int | None = None) -> None:
        with self._lock:
            self._clear(merchant_id)

    def insert_with_ids(
        self,
        invoices: Sequence[Invoice] = (),
        open_invoices: Sequence[OpenInvoice] = (),
        bulk_rows: Sequence[BulkRow] = (),
    ) -> None:
        with self._lock:
            self._check_explicit(invoices, open_invoices, bulk_rows)
            # the normal insert paths (and their indexing), fed the given ids; then each counter
            # moves past the highest id, so generated ids never collide with them
            self._check_keys(invoices)
            self._put_invoices(list(invoices))
            for item in open_invoices:
                self._put_open_invoice(item, item.id)
            self._put_bulk_rows(bulk_rows, iter([b.id for b in bulk_rows]))
            self._invoice_ids = _past(self._invoice_ids, invoices)
            self._open_ids = _past(self._open_ids, open_invoices)
            self._bulk_ids = _past(self._bulk_ids, bulk_rows)

    def _check_explicit(self, invoices: Sequence[Invoice], open_invoices: Sequence[OpenInvoice],
                        bulk_rows: Sequence[BulkRow]) -> None:
        sections = ((invoices, self._invoices), (open_invoices, self._open), (bulk_rows, self._bulk))
        for records, existing in sections:
            ids = [r.id for r in records]
            if any(i <= 0 for i in ids) or len(set(ids)) != len(ids) or any(i in existing for i in ids):
                raise KeyConflict("explicit ids must be positive, distinct and unused")
        keys = [i.access_key for i in invoices] + [o.access_key for o in open_invoices]
        tokens = [i.token for i in invoices]
        if (len(set(keys)) != len(keys) or len(set(tokens)) != len(tokens)
                or any(t in self._by_token for t in tokens)
                or any(k in self._by_access_key or k in self._open_by_key for k in keys)):
            raise KeyConflict("token or access key already in use")

    # -- invoices ------------------------------------------------------------------------------
    def insert_invoices(self, invoices: Sequence[Invoice]) -> list[Invoice]:
        with self._lock:
            self._check_keys(invoices)
            return self._put_invoices([replace(inv, id=next(self._invoice_ids)) for inv in invoices])

    def create_invoices(self, build: Callable[[Iterator[int]], Sequence[Invoice]]) -> list[Invoice]:
        with self._lock:
            first = next(self._invoice_ids)
            try:
                invoices = build(count(first))
                self._check_keys(invoices)
            except BaseException:
                self._invoice_ids = count(first)  # a refused build consumes no id
                raise
            self._invoice_ids = count(max([first - 1, *(inv.id for inv in invoices)]) + 1)
            return self._put_invoices(list(invoices))

    def _check_keys(self, invoices: Sequence[Invoice]) -> None:
        """KeyConflict unless every token and access key is unique in the batch and unused."""
        tokens: set[str] = set()
        keys: set[str] = set()
        for inv in invoices:  # unique within the batch and unused, all checked before any write
            token, key = inv.token, inv.access_key
            if (token in tokens or token in self._by_token or key in keys
                    or key in self._by_access_key or key in self._open_by_key):
                raise KeyConflict("token or access key already in use")
            tokens.add(token)
            keys.add(key)

    def _put_invoices(self, stored: list[Invoice]) -> list[Invoice]:
        """Store invoices that carry their ids, under ``self._lock``, keys already checked."""
        for inv in stored:
            self._invoices[inv.id] = inv
            self._by_token[inv.token] = inv.id
            self._by_access_key[inv.access_key] = inv.id
            if inv.split_access_key:
                _add_id(self._by_split_key[inv.split_access_key], inv.id)
            if inv.payment_token:
                self._by_txn_token[inv.payment_token] = inv.id
            _add_id(self._buckets[(inv.merchant_id, inv.invoice_type, inv.invoice_status)], inv.id)
            terms = self._terms[inv.merchant_id]
            for term in search_terms(inv):
                ids = terms.get(term)
                if ids is None:
                    terms[term] = [inv.id]
                elif not ids or ids[-1] < inv.id:  # _add_id, inline: ~10 terms per invoice
                    ids.append(inv.id)
                else:
                    insort(ids, inv.id)
            dates = self._by_date[inv.merchant_id]
            entry = (inv.created_at, inv.id)
            if not dates or dates[-1] <= entry:
                dates.append(entry)
            else:
                insort(dates, entry)
        return stored

    def update_invoice(self, invoice: Invoice, expected: Invoice | None = None) -> bool:
        with self._lock:
            old = self._invoices.get(invoice.id)
            if old is None or old.merchant_id != invoice.merchant_id:
                raise KeyError(invoice.id)
            if expected is not None and old != expected:
                return False
            if (invoice.token != old.token and invoice.token in self._by_token) or (
                invoice.access_key != old.access_key
                and (invoice.access_key in self._by_access_key or invoice.access_key in self._open_by_key)
            ):
                raise KeyConflict("token or access key already in use")
            self._reindex_keys(old, invoice)
            if (old.invoice_type, old.invoice_status) != (invoice.invoice_type, invoice.invoice_status):
                bucket = self._buckets[(old.merchant_id, old.invoice_type, old.invoice_status)]
                del bucket[bisect_left(bucket, old.id)]
                insort(self._buckets[(invoice.merchant_id, invoice.invoice_type, invoice.invoice_status)],
                       invoice.id)
            dropped, added = search_terms_delta(old, invoice)
            terms = self._terms[invoice.merchant_id]  # update keeps the merchant (checked above)
            for term in dropped:
                ids = terms[term]
                del ids[bisect_left(ids, old.id)]
            for term in added:
                insort(terms.setdefault(term, []), invoice.id)
            self._invoices[invoice.id] = invoice
            return True

    def _reindex_keys(self, old: Invoice, new: Invoice) -> None:
        """Move the token, access-key, split-key, transaction-token and date entries of an updated
        invoice."""
        if new.payment_token != old.payment_token:
            self._by_txn_token.pop(old.payment_token or "", None)
            if new.payment_token:
                self._by_txn_token[new.payment_token] = new.id
        if new.token != old.token:
            del self._by_token[old.token]
            self._by_token[new.token] = new.id
        if new.access_key != old.access_key:
            del self._by_access_key[old.access_key]
            self._by_access_key[new.access_key] = new.id
        if new.split_access_key != old.split_access_key:
            if old.split_access_key:
                self._by_split_key[old.split_access_key].remove(old.id)
            if new.split_access_key:
                insort(self._by_split_key[new.split_access_key], new.id)
        if new.created_at != old.created_at:
            dates = self._by_date[old.merchant_id]
            del dates[bisect_left(dates, (old.created_at, old.id))]
            insort(dates, (new.created_at, new.id))

    def get_invoice(self, merchant_id: int, invoice_id: int) -> Invoice | None:
        inv = self._invoices.get(invoice_id)
        return inv if inv is not None and inv.merchant_id == merchant_id else None

    def get_invoice_by_token(self, merchant_id: int, token: str) -> Invoice | None:
        invoice_id = self._by_token.get(token)
        return None if invoice_id is None else self.get_invoice(merchant_id, invoice_id)

    def find_invoice_by_access_key(self, access_key: str) -> Invoice | None:
        invoice_id = self._by_access_key.get(access_key)
        return None if invoice_id is None else self._invoices.get(invoice_id)

    def find_split_group(self, split_access_key: str) -> list[Invoice]:
        with self._lock:
            return [self._invoices[i] for i in self._by_split_key.get(split_access_key, ())]

    def list_invoices(self, merchant_id: int, query: InvoiceQuery) -> Page:
        with self._lock:
            kinds = query.kinds if query.kinds is not None else tuple(
                {k for (m, k, _s) in self._buckets if m == merchant_id and k != InvoiceKind.ORDER}
            )
            lists = [
                ids
                for (m, k, s), ids in self._buckets.items()
                if m == merchant_id and k in kinds and (query.status is None or s == query.status) and ids
            ]
            if not query.search and not query.from_date and not query.to_date:
                ids, total = page_from_sorted_lists(lists, query.offset, query.limit)
                return Page([self._invoices[i] for i in ids], total)
            matched = self._candidates(merchant_id, query)
            kind_set = set(kinds)
            hits = [
                i for i in matched
                if self._invoices[i].invoice_type in kind_set
                and (query.status is None or self._invoices[i].invoice_status == query.status)
            ]
            hits.sort(reverse=True)
            window = hits[query.offset: query.offset + query.limit]
            return Page([self._invoices[i] for i in window], len(hits))

    def _candidates(self, merchant_id: int, query: InvoiceQuery) -> list[int]:
        """Ids matching the search terms and the date range, from the smaller index first."""
        sets: list[set[int]] = []
        for term in query.search:
            sets.append(set(self._terms.get(merchant_id, {}).get(term, ())))
        if query.from_date or query.to_date:
            dates = self._by_date.get(merchant_id, [])
            lo = bisect_left(dates, (query.from_date or "",))
            hi = bisect_right(dates, ((query.to_date or NO_UPPER_DATE) + "\uffff",))
            sets.append({i for _d, i in dates[lo:hi]})
        sets.sort(key=len)
        result = sets[0]
        for other in sets[1:]:
            result &= other
        return list(result)

    def invoice_counts(self, merchant_id: int) -> StatusCounts:
        with self._lock:
            return {(k, s): len(ids) for (m, k, s), ids in self._buckets.items() if m == merchant_id and ids}

    # -- open invoices -----------------------------------------------------------------------
    def insert_open_invoice(self, item: OpenInvoice) -> OpenInvoice:
        with self._lock:
            return self._put_open_invoice(item, next(self._open_ids))

    def _put_open_invoice(self, item: OpenInvoice, new_id: int) -> OpenInvoice:
        if item.access_key in self._open_by_key or item.access_key in self._by_access_key:
            raise KeyConflict("access key already in use")
        stored = replace(item, id=new_id)
        self._open[stored.id] = stored
        self._open_by_key[stored.access_key] = stored.id
        return stored

    def update_open_invoice(self, item: OpenInvoice, expected: OpenInvoice | None = None) -> bool:
        with self._lock:
            old = self.get_open_invoice(item.merchant_id, item.id)
            if old is None:
                raise KeyError(item.id)
            if expected is not None and old != expected:
                return False
            if item.access_key != old.access_key:
                if item.access_key in self._open_by_key or item.access_key in self._by_access_key:
                    raise KeyConflict("access key already in use")
                del self._open_by_key[old.access_key]
                self._open_by_key[item.access_key] = item.id
            self._open[item.id] = item
            return True

    def get_open_invoice(self, merchant_id: int, item_id: int) -> OpenInvoice | None:
        item = self._open.get(item_id)
        return item if item is not None and item.merchant_id == merchant_id else None

    def find_open_invoice_by_access_key(self, access_key: str) -> OpenInvoice | None:
        item_id = self._open_by_key.get(access_key)
        return None if item_id is None else self._open.get(item_id)

    def list_open_invoices(self, merchant_id: int, query: OpenInvoiceQuery) -> Page:
        with self._lock:
            items = [o for o in self._open.values()
                     if o.merchant_id == merchant_id and _open_matches(o, query)]
        items.sort(key=lambda o: o.id, reverse=True)
        return Page(items[query.offset: query.offset + query.limit], len(items))

    # -- bulk rows ---------------------------------------------------------------------------
    def insert_bulk_rows(self, rows: Sequence[BulkRow]) -> list[BulkRow]:
        with self._lock:
            return self._put_bulk_rows(rows, self._bulk_ids)

    def _put_bulk_rows(self, rows: Sequence[BulkRow], ids: Iterator[int]) -> list[BulkRow]:
        stored = [replace(r, id=next(ids)) for r in rows]
        for row in stored:
            self._bulk[row.id] = row
        return stored

    def update_bulk_row(self, row: BulkRow) -> None:
        with self._lock:
            if self.get_bulk_row(row.merchant_id, row.id) is None:
                raise KeyError(row.id)
            self._bulk[row.id] = row

    def delete_bulk_row(self, merchant_id: int, row_id: int) -> bool:
        with self._lock:
            if self.get_bulk_row(merchant_id, row_id) is None:
                return False
            del self._bulk[row_id]
            return True

    def get_bulk_row(self, merchant_id: int, row_id: int) -> BulkRow | None:
        row = self._bulk.get(row_id)
        return row if row is not None and row.merchant_id == merchant_id else None

    def list_bulk_rows(self, merchant_id: int, scheduled: bool, offset: int, limit: int) -> Page:
        with self._lock:
            rows = [r for r in self._bulk.values()
                    if r.merchant_id == merchant_id and bool(r.has_schedule) == scheduled]
        rows.sort(key=lambda r: r.id, reverse=True)
        return Page(rows[offset: offset + limit], len(rows))

    # -- checkouts ---------------------------------------------------------------------------
    def insert_checkout(self, checkout: Checkout) -> Checkout:
        with self._lock:
            if checkout.token in self._checkout_by_token or checkout.session in self._checkout_by_session:
                raise KeyConflict("checkout token or session already in use")
            stored = replace(checkout, id=next(self._checkout_ids))
            self._checkouts[stored.id] = stored
            self._checkout_by_token[stored.token] = stored.id
            self._checkout_by_session[stored.session] = stored.id
            self._checkouts_of[stored.merchant_id].append(stored.id)
            self._checkouts_by_source[(stored.merchant_id, stored.source)].append(stored.id)
            if stored.order_reference:
                self._checkout_by_reference[(stored.merchant_id, stored.order_reference)].append(stored.id)
            self._index_subscription(stored)
            return stored

    def update_checkout(self, checkout: Checkout) -> None:
        with self._lock:
            old = self._checkouts.get(checkout.id)
            if old is None or old.merchant_id != checkout.merchant_id:
                raise KeyError(checkout.id)
            if (old.token, old.session, old.order_reference) != (
                    checkout.token, checkout.session, checkout.order_reference):
                raise ValueError("a checkout's token, session and order reference never change")
            if old.source != checkout.source:
                moved_from = self._checkouts_by_source[(old.merchant_id, old.source)]
                del moved_from[bisect_left(moved_from, old.id)]
                insort(self._checkouts_by_source[(checkout.merchant_id, checkout.source)], checkout.id)
            self._checkouts[checkout.id] = checkout
            self._index_subscription(checkout)

    def _index_subscription(self, checkout: Checkout) -> None:
        billing = self._billing[checkout.merchant_id]
        old = self._billing_day.pop(checkout.id, None)
        if old is not None:
            del billing[bisect_left(billing, (old, checkout.id))]
        day = checkout.next_billing_day
        if day is not None:
            insort(billing, (day, checkout.id))
            self._billing_day[checkout.id] = day

    def due_subscriptions(self, merchant_id: int, today: str) -> list[Checkout]:
        with self._lock:
            billing = self._billing.get(merchant_id, [])
            due = billing[:bisect_right(billing, (today, _LAST_ID))]
            return [self._checkouts[i] for i in sorted(cid for _day, cid in due)]

    def claim_checkout(self, before: Checkout, after: Checkout,
                       new: Checkout | None = None) -> Checkout | None:
        with self._lock:
            stored = self._checkouts.get(before.id)
            if stored is None or stored.merchant_id != before.merchant_id or (
                    _claimed(stored) != _claimed(before)):
                return None
            made = self.insert_checkout(new) if new is not None else after  # its KeyConflict first
            self.update_checkout(after)
            return made

    def find_checkout(self, token: str) -> Checkout | None:
        checkout_id = self._checkout_by_token.get(token)
        return None if checkout_id is None else self._checkouts.get(checkout_id)

    def find_checkout_by_session(self, session: str) -> Checkout | None:
        checkout_id = self._checkout_by_session.get(session)
        return None if checkout_id is None else self._checkouts.get(checkout_id)

    def checkouts_by_reference(self, merchant_id: int, order_reference: str) -> list[Checkout]:
        with self._lock:
            ids = self._checkout_by_reference.get((merchant_id, order_reference), [])
            return [self._checkouts[i] for i in ids]

    def recent_checkouts(self, merchant_id: int, limit: int) -> list[Checkout]:
        with self._lock:  # the merchant's ids, ascending: the last ``limit`` of them, newest first
            ids = self._checkouts_of.get(merchant_id, [])[-limit:] if limit > 0 else []
            return [self._checkouts[i] for i in reversed(ids)]

    # -- refunds -----------------------------------------------------------------------------
    def checkouts_of_merchant(self, merchant_id: int, source: str | None = None) -> list[Checkout]:
        with self._lock:
            ids = (self._checkouts_of.get(merchant_id, ()) if source is None
                   else self._checkouts_by_source.get((merchant_id, source), ()))
            return [self._checkouts[i] for i in ids]

    # -- saved cards -------------------------------------------------------------------------
    def insert_card_customer(self, customer: CardCustomer) -> CardCustomer:
        with self._lock:
            stored = replace(customer, id=next(self._card_customer_ids))
            self._card_customers[stored.id] = stored
            return stored

    def get_card_customer(self, merchant_id: int, customer_id: int) -> CardCustomer | None:
        found = self._card_customers.get(customer_id)
        return found if found is not None and found.merchant_id == merchant_id else None

    def insert_saved_card(self, card: SavedCard) -> SavedCard:
        with self._lock:
            stored = replace(card, id=next(self._saved_card_ids))
            self._saved_cards[stored.id] = stored
            self._cards_of[(stored.merchant_id, stored.customer_id)].append(stored.id)
            return stored

    def get_saved_card(self, merchant_id: int, card_id: int) -> SavedCard | None:
        found = self._saved_cards.get(card_id)
        return found if found is not None and found.merchant_id == merchant_id else None

    def saved_cards(self, merchant_id: int, customer_id: int) -> list[SavedCard]:
        with self._lock:
            ids = self._cards_of.get((merchant_id, customer_id), ())
            return [self._saved_cards[i] for i in ids if i in self._saved_cards]

    def delete_saved_card(self, merchant_id: int, card_id: int) -> bool:
        with self._lock:
            if self.get_saved_card(merchant_id, card_id) is None:
                return False
            del self._saved_cards[card_id]
            return True

    # -- refunds (continued) -----------------------------------------------------------------
    def find_invoice_by_transaction_token(self, merchant_id: int, token: str) -> Invoice | None:
        invoice_id = self._by_txn_token.get(token)
        return None if invoice_id is None else self.get_invoice(merchant_id, invoice_id)

    def insert_refund(self, refund: Refund, paid: int, take_rest: bool) -> Refund:
        # The store's lock is this store's transaction: the sum and the insert happen under it.
        with self._lock:
            taken = sum(to_fils(r.amount) for r in self._txn_refunds(refund.merchant_id, refund.token)
                        if r.status in _HOLDING)
            stored = replace(fit_refund(refund, paid, taken, take_rest), id=next(self._refund_ids))
            self._refunds[stored.id] = stored
            _add_id(self._refunds_of[stored.merchant_id], stored.id)
            _add_id(self._refunds_by_txn[(stored.merchant_id, stored.token)], stored.id)
            if stored.status == _PENDING:
                _add_id(self._pending_refunds[stored.merchant_id], stored.id)
            self._count_refund(stored, +1)
            return stored

    def _txn_refunds(self, merchant_id: int, token: str) -> list[Refund]:
        return [self._refunds[i] for i in self._refunds_by_txn.get((merchant_id, token), ())]

    def _count_refund(self, refund: Refund, sign: int) -> None:
        totals = self._refund_totals[(refund.merchant_id, refund.status)]
        totals[0] += sign
        totals[1] += sign * to_fils(refund.amount)

    def get_refund(self, merchant_id: int, refund_id: int) -> Refund | None:
        refund = self._refunds.get(refund_id)
        return refund if refund is not None and refund.merchant_id == merchant_id else None

    def decide_refund(self, refund: Refund) -> bool:
        with self._lock:
            old = self.get_refund(refund.merchant_id, refund.id)
            if old is None or old.status != _PENDING:
                return False
            self._count_refund(old, -1)
            self._count_refund(refund, +1)
            self._refunds[refund.id] = refund
            if refund.status != _PENDING:
                pending = self._pending_refunds[refund.merchant_id]
                del pending[bisect_left(pending, refund.id)]
            return True

    def cancel_pending_refund(self, merchant_id: int, refund_id: int) -> bool:
        with self._lock:
            old = self.get_refund(merchant_id, refund_id)
            if old is None or old.status != _PENDING:
                return False
            del self._refunds[refund_id]
            ids = self._refunds_of[merchant_id]
            del ids[bisect_left(ids, refund_id)]
            ids = self._refunds_by_txn[(merchant_id, old.token)]
            del ids[bisect_left(ids, refund_id)]
            ids = self._pending_refunds[merchant_id]
            del ids[bisect_left(ids, refund_id)]
            self._count_refund(old, -1)
            return True

    def refunds_of_transaction(self, merchant_id: int, token: str) -> list[Refund]:
        with self._lock:
            return self._txn_refunds(merchant_id, token)

    def pending_refunds(self, merchant_id: int) -> list[Refund]:
        with self._lock:
            return [self._refunds[i] for i in self._pending_refunds.get(merchant_id, ())]

    def list_refunds(self, merchant_id: int, query: RefundQuery) -> Page:
        with self._lock:
            found = [r for r in (self._refunds[i] for i in reversed(self._refunds_of.get(merchant_id, ())))
                     if _refund_matches(r, query)]
        return Page(found[query.offset: query.offset + query.limit], len(found))

    def refund_totals(self, merchant_id: int) -> RefundTotals:
        with self._lock:
            return {status: (n, fils) for (m, status), (n, fils) in self._refund_totals.items()
                    if m == merchant_id and n}

    # -- tokens ------------------------------------------------------------------------------
    def put_token(self, kind: str, token: str, merchant_id: int, expires_at: float) -> None:
        with self._lock:
            self._tokens[(kind, token)] = (merchant_id, expires_at)
            heap = self._token_expiry
            heappush(heap, (expires_at, kind, token))
            if len(heap) > 2 * len(self._tokens) + _STALE_SLACK:  # mostly revoked entries: rebuild
                heap[:] = [(exp, k, t) for (k, t), (_m, exp) in self._tokens.items()]
                heapify(heap)

    def get_token(self, kind: str, token: str) -> tuple[int, float] | None:
        return self._tokens.get((kind, token))

    def revoke_token(self, kind: str, token: str) -> None:
        with self._lock:
            self._tokens.pop((kind, token), None)

    def purge_expired_tokens(self, now: float) -> int:
        with self._lock:
            heap, tokens, purged = self._token_expiry, self._tokens, 0
            while heap and heap[0][0] <= now:
                expires_at, kind, token = heappop(heap)
                live = tokens.get((kind, token))
                if live is not None and live[1] == expires_at:
                    del tokens[(kind, token)]
                    purged += 1
            return purged

    def fingerprint(self) -> str:
        """SHA-256 over every record in id order (a diagnostic: the tests compare it before and after
        a refused request). The records are written as JSON straight from their fields: the same
        text as their ``to_record()`` dicts, without copying each record first."""
        with self._lock:
            blob: list[Any] = [
                [i for _k, i in sorted(self._invoices.items())],
                [o for _k, o in sorted(self._open.items())],
                [r for _k, r in sorted(self._bulk.items())],
                [r for _k, r in sorted(self._refunds.items())],
                sorted([k[0], k[1], v[0], v[1]] for k, v in self._tokens.items()),
                [c for _k, c in sorted(self._checkouts.items())],
                [c for _k, c in sorted(self._card_customers.items())],
                [c for _k, c in sorted(self._saved_cards.items())],
            ]
            text = json.dumps(blob, sort_keys=True, default=_fields_or_str)
        return hashlib.sha256(text.encode()).hexdigest()


def _fields_or_str(value: Any) -> Any:
    """How :meth:`MemoryStore.fingerprint` writes what JSON cannot: a record (or a record inside
    one, such as an invoice's customer) as its fields, anything else as its ``str``."""
    if is_dataclass(value) and not isinstance(value, type):
        return {f.name: getattr(value, f.name) for f in fields(value)}
    return str(value)


_PENDING = RefundStatus.PENDING
#: the refund statuses that hold part of a payment (a rejected refund gives its amount back)
_HOLDING = (RefundStatus.PENDING, RefundStatus.APPROVED)


def _refund_matches(r: Refund, q: RefundQuery) -> bool:
    day = r.created_at[:10]
    if (q.from_date and day < q.from_date) or (q.to_date and day > q.to_date):
        return False
    return not q.search or set(q.search) <= refund_terms(r)


def _add_id(ids: list[int], new: int) -> None:
    """Add an id keeping the list ascending (seeded ids can arrive below existing ones)."""
    if not ids or ids[-1] < new:
        ids.append(new)
    else:
        insort(ids, new)


def _open_matches(o: OpenInvoice, q: OpenInvoiceQuery) -> bool:
    day = o.created_at[:10]
    if q.from_date and day < q.from_date:
        return False
    if q.to_date and day > q.to_date:
        return False
    if q.paid_status is not None and o.paid_status != q.paid_status:
        return False
    if q.status is not None and open_status_as_seen(o, q.today) != q.status:
        return False
    if q.type is not None and o.type != q.type:
        return False
    if q.search:
        terms = open_invoice_terms(o)
        return all(t in terms for t in q.search)
    return True


def _past(counter: Iterator[int],
          records: Sequence[Invoice] | Sequence[OpenInvoice] | Sequence[BulkRow]) -> Iterator[int]:
    """An id counter that continues after both ``counter`` and the highest id in ``records``."""
    return count(max(next(counter), max((r.id for r in records), default=0) + 1))
