"""The Store contract (mock_server/state/store.py), run against every store.

Every test taking ``store`` or ``make_store`` runs once per store ("memory", "sqlite"); expected
results come from a plain list-based model of the inserted records, never from another store. The
SQLite-only tests at the end cover what only a file can do: restart, kill -9, pragmas, query plans.
"""

from __future__ import annotations

import itertools
import os
import signal
import subprocess
import sys
import threading
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule, run_state_machine_as_test
from support.stores import StoreFactory

from mock_server.state.models import (
    BulkRow,
    CardCustomer,
    Checkout,
    Customer,
    Invoice,
    InvoiceQuery,
    OpenInvoice,
    OpenInvoiceQuery,
    SavedCard,
    search_terms,
    split_search,
)
from mock_server.state.sqlite import SqliteStore
from mock_server.state.store import KeyConflict, Store

ROOT = Path(__file__).resolve().parents[2]
KINDS = (0, 1, 4, 6, 7)
STATUSES = (0, 1, 3)

# -- factories -------------------------------------------------------------------------------
_serial = itertools.count(1)


def make_invoice(merchant_id: int = 1, *, invoice_type: int = 1, status: int = 0, day: int = 5,
                 time: str = "10:00:00", name: str = "", description: str = "", **extra: object) -> Invoice:
    """A minimal valid invoice with a fresh token and access key (override any field by keyword)."""
    n = next(_serial)
    created = f"2024-03-{day:02d} {time}"
    fields: dict[str, object] = dict(
        merchant_id=merchant_id, invoice_type=invoice_type, invoice_sub_type=0,
        token=f"{1700000000 + n}tok{n:05d}", access_key=f"key{n:05d}", reference_number=f"REF{n:05d}",
        amount="12.500", created_at=created, updated_at=created, invoice_status=status,
        customer=Customer(name=name, email="", phone_number=None), description=description,
    )
    fields.update(extra)
    return Invoice(**fields)  # type: ignore[arg-type]


def make_open(merchant_id: int = 1, *, day: int = 5, **extra: object) -> OpenInvoice:
    n = next(_serial)
    fields: dict[str, object] = dict(
        merchant_id=merchant_id, title=f"Open {n}", reference_number=f"OPEN{n:05d}", type=0,
        fixed_amount="5.000", min_amount="0.000", max_amount="0.000", access_key=f"okey{n:05d}",
        created_at=f"2024-03-{day:02d} 09:00:00", updated_at=f"2024-03-{day:02d} 09:00:00",
    )
    fields.update(extra)
    return OpenInvoice(**fields)  # type: ignore[arg-type]


def make_row(merchant_id: int = 1, *, has_schedule: int = 0, **extra: object) -> BulkRow:
    n = next(_serial)
    fields: dict[str, object] = dict(
        merchant_id=merchant_id, reference_number=f"BULK{n:05d}", name=f"Customer {n}", phone="96550000000",
        email=f"c{n}@example.com", amount="3.000", description="bulk", created_at="2024-03-05 08:00:00",
        updated_at="2024-03-05 08:00:00", has_schedule=has_schedule,
    )
    fields.update(extra)
    return BulkRow(**fields)  # type: ignore[arg-type]


def make_checkout(merchant_id: int = 1, *, reference: str | None = "ORD-1", **extra: object) -> Checkout:
    n = next(_serial)
    fields: dict[str, object] = dict(
        merchant_id=merchant_id, token=f"8422171700000000{n:013d}", session=f"session{n:05d}",
        amount="12.500", currency="KWD", payment_type=0, response_url="https://shop.example/ok",
        failure_url="https://shop.example/no", created_at="2024-03-05 10:00:00", expires_at=1_709_624_400.0,
        order_reference=reference,
    )
    fields.update(extra)
    return Checkout(**fields)  # type: ignore[arg-type]


def rich_invoice(merchant_id: int = 1) -> Invoice:
    """Every field away from its default, to check what a store gives back is what it was given."""
    return make_invoice(
        merchant_id, invoice_type=0, status=1, name="سارة Ali", description="Rent — March ✓",
        split_access_key="", service_charge="0.250", admin_charge="0.100", discount="1.000",
        payment_method=("KNET", "VISA"), sms_response='{"status":"ok"}', subscription=1, sms_status=1,
        url_status=1, visited_count=3, country_id=12, created_id=90, language="ar",
        expires_at="2024-04-01 00:00:00", attachment="a.pdf", en_sms="hello", ar_sms="مرحبا",
        products=({"name": "Gym", "price": "10.000", "quantity": 2},),
        transaction={"payment_id": 123, "amount": 10.5, "paid": True, "meta": None},
        webhook="https://example.com/hook",
        subscription_terms={"frequency": "1", "recurrences": "3"},
        payment_attempts=({"result": "CANCELED", "at": "2024-03-05 10:01:00"},),
        sent_sub_type="3",
        customer=Customer(name="سارة Ali", email="s@example.com", phone_number="96512345678"),
    )


# -- the model -------------------------------------------------------------------------------
def invoice_matches(inv: Invoice, merchant_id: int, q: InvoiceQuery) -> bool:
    day = inv.created_at[:10]
    return (
        inv.merchant_id == merchant_id
        and (inv.invoice_type != 4 if q.kinds is None else inv.invoice_type in q.kinds)
        and (q.status is None or inv.invoice_status == q.status)
        and (not q.from_date or day >= q.from_date)
        and (not q.to_date or day <= q.to_date)
        and set(q.search) <= search_terms(inv)
    )


def expected_page(records: Iterable[Invoice], merchant_id: int, q: InvoiceQuery) -> tuple[list[Invoice], int]:
    hits = [i for i in records if invoice_matches(i, merchant_id, q)]
    hits.sort(key=lambda i: i.id, reverse=True)
    return hits[q.offset: q.offset + q.limit], len(hits)


def expected_counts(records: Iterable[Invoice], merchant_id: int) -> dict[tuple[int, int], int]:
    return dict(Counter((i.invoice_type, i.invoice_status) for i in records if i.merchant_id == merchant_id))


def assert_page(store: Store, records: Iterable[Invoice], merchant_id: int, q: InvoiceQuery) -> None:
    page = store.list_invoices(merchant_id, q)
    items, total = expected_page(records, merchant_id, q)
    assert (page.total, [i.id for i in page.items]) == (total, [i.id for i in items]), q
    assert page.items == items, q


# The ``store`` and ``make_store`` fixtures (one per store kind) live in tests/mock/conftest.py.


# -- ids -------------------------------------------------------------------------------------
def test_ids_are_assigned_in_order_and_increase(store: Store) -> None:
    first = store.insert_invoices([make_invoice(), make_invoice(2), make_invoice()])
    second = store.insert_invoices([make_invoice()])
    ids = [i.id for i in first + second]
    assert ids == sorted(ids) and len(set(ids)) == 4 and ids[0] > 0
    assert store.insert_invoices([]) == []
    opens = [store.insert_open_invoice(make_open()) for _ in range(3)]
    rows = store.insert_bulk_rows([make_row(), make_row()]) + store.insert_bulk_rows([make_row()])
    for made in ([o.id for o in opens], [r.id for r in rows]):
        assert made == sorted(set(made)) and made[0] > 0


def test_create_hands_out_the_ids_the_records_are_built_with(store: Store) -> None:
    before = store.insert_invoices([make_invoice()])[0].id
    made = store.create_invoices(lambda ids: [replace(make_invoice(), id=next(ids)),
                                              replace(make_invoice(2), id=next(ids))])
    ids = [i.id for i in made]
    assert ids == sorted(set(ids)) and ids[0] > before
    assert [store.get_invoice(i.merchant_id, i.id) for i in made] == made
    assert store.insert_invoices([make_invoice()])[0].id > ids[-1]


def test_a_refused_create_changes_nothing_and_keeps_ids_increasing(store: Store) -> None:
    [taken] = store.insert_invoices([make_invoice()])
    fingerprint = store.fingerprint()
    with pytest.raises(KeyConflict):
        store.create_invoices(lambda ids: [replace(make_invoice(), id=next(ids), token=taken.token)])
    assert store.fingerprint() == fingerprint
    [after] = store.create_invoices(lambda ids: [replace(make_invoice(), id=next(ids))])
    assert after.id > taken.id and store.get_invoice(after.merchant_id, after.id) == after


def test_records_come_back_exactly_as_stored(store: Store) -> None:
    original = rich_invoice()
    [stored] = store.insert_invoices([original])
    assert stored == replace(original, id=stored.id)
    assert store.get_invoice(1, stored.id) == stored
    assert store.get_invoice_by_token(1, stored.token) == stored
    assert store.find_invoice_by_access_key(stored.access_key) == stored
    assert store.list_invoices(1, InvoiceQuery(kinds=(0,))).items == [stored]
    assert store.list_invoices(1, InvoiceQuery(kinds=(0,), search=("سارة",))).items == [stored]
    opened = store.insert_open_invoice(make_open(description="ذهب", payments=({"amount": "5.000"},)))
    assert store.get_open_invoice(1, opened.id) == opened
    [row] = store.insert_bulk_rows([make_row(has_schedule=1, schedule_time="2024-03-06 10:00:00")])
    assert store.get_bulk_row(1, row.id) == row


def test_ids_are_never_reused_after_reset(store: Store) -> None:
    inv = store.insert_invoices([make_invoice(1), make_invoice(2)])
    opened = store.insert_open_invoice(make_open(2))
    [row] = store.insert_bulk_rows([make_row(2)])
    store.reset(2)
    store.reset()
    again = store.insert_invoices([make_invoice(2)])
    assert again[0].id > max(i.id for i in inv)
    assert store.insert_open_invoice(make_open(2)).id > opened.id
    assert store.insert_bulk_rows([make_row(2)])[0].id > row.id


def test_seeding_keeps_given_ids_and_later_ids_stay_above(store: Store) -> None:
    [first] = store.insert_invoices([make_invoice(name="Ali")])
    seeded = [make_invoice(id=first.id + 40, name="Ali"), make_invoice(2, id=first.id + 5),
              make_invoice(id=first.id + 20, name="Ali"), make_invoice(id=first.id + 30, status=1)]
    # not in id order, on purpose: seeds need not be sorted
    opened, row = make_open(id=9), make_row(id=4)
    store.insert_with_ids(invoices=seeded, open_invoices=[opened], bulk_rows=[row])
    records = [first, *seeded]
    assert [store.get_invoice(i.merchant_id, i.id) for i in seeded] == seeded
    assert store.get_open_invoice(1, 9) == opened and store.get_bulk_row(1, 4) == row
    assert store.invoice_counts(1) == expected_counts(records, 1)
    for q in (InvoiceQuery(), InvoiceQuery(status=0), InvoiceQuery(status=0, offset=1, limit=1),
              InvoiceQuery(offset=1, limit=2), InvoiceQuery(search=("ali",)),
              InvoiceQuery(from_date="2024-01-01")):
        assert_page(store, records, 1, q)
    assert store.insert_invoices([make_invoice()])[0].id > first.id + 40
    assert store.insert_open_invoice(make_open()).id > 9
    assert store.insert_bulk_rows([make_row()])[0].id > 4

    before = store.fingerprint()
    top = first.id + 100
    for bad in (
        {"invoices": [make_invoice(id=first.id + 40)]},  # id in use
        {"invoices": [make_invoice(id=0)]},
        {"invoices": [make_invoice(id=top), make_invoice(id=top)]},
        {"invoices": [make_invoice(id=top, token=seeded[0].token)]},
        {"invoices": [make_invoice(id=top)],
         "open_invoices": [make_open(id=top, access_key=seeded[1].access_key)]},
        {"invoices": [make_invoice(id=top)], "bulk_rows": [make_row(id=4)]},
    ):
        with pytest.raises(KeyConflict):
            store.insert_with_ids(**bad)  # type: ignore[arg-type]
    assert store.fingerprint() == before


# -- atomic inserts --------------------------------------------------------------------------
CONFLICTS = {
    "token of a stored invoice": lambda old: [make_invoice(), make_invoice(token=old.token)],
    "access key of a stored invoice": lambda old: [make_invoice(), make_invoice(access_key=old.access_key)],
    "token twice in the batch": lambda old: [make_invoice(token="same"), make_invoice(token="same")],
    "access key twice in the batch": lambda old: [make_invoice(access_key="k"), make_invoice(access_key="k")],
    "access key of an open invoice": lambda old: [make_invoice(), make_invoice(access_key="okey-taken")],
    "other merchant's token": lambda old: [make_invoice(2, token=old.token)],
}


@pytest.mark.parametrize("conflict", CONFLICTS)
def test_a_conflicting_batch_stores_nothing(store: Store, conflict: str) -> None:
    [old] = store.insert_invoices([make_invoice()])
    store.insert_open_invoice(make_open(access_key="okey-taken"))
    before = store.fingerprint(), store.invoice_counts(1), store.invoice_counts(2)
    batch = CONFLICTS[conflict](old)
    with pytest.raises(KeyConflict):
        store.insert_invoices(batch)
    assert (store.fingerprint(), store.invoice_counts(1), store.invoice_counts(2)) == before
    assert store.list_invoices(1, InvoiceQuery()).total == 1
    for inv in batch:
        if inv.access_key not in (old.access_key, "okey-taken"):
            assert store.find_invoice_by_access_key(inv.access_key) is None
    [later] = store.insert_invoices([make_invoice()])
    assert later.id > old.id


def test_access_keys_are_unique_across_invoices_and_open_invoices(store: Store) -> None:
    [inv] = store.insert_invoices([make_invoice()])
    opened = store.insert_open_invoice(make_open())
    before = store.fingerprint()
    with pytest.raises(KeyConflict):
        store.insert_open_invoice(make_open(access_key=inv.access_key))
    with pytest.raises(KeyConflict):
        store.insert_open_invoice(make_open(2, access_key=opened.access_key))
    with pytest.raises(KeyConflict):
        store.update_open_invoice(replace(opened, access_key=inv.access_key))
    with pytest.raises(KeyConflict):
        store.update_invoice(replace(inv, access_key=opened.access_key))
    assert store.fingerprint() == before
    assert store.find_open_invoice_by_access_key(opened.access_key) == opened
    assert store.find_invoice_by_access_key(inv.access_key) == inv


# -- merchant scoping ------------------------------------------------------------------------
def test_every_read_is_scoped_by_merchant(store: Store) -> None:
    [mine] = store.insert_invoices([make_invoice(1, name="Ali")])
    [theirs] = store.insert_invoices([make_invoice(2, name="Ali")])
    assert store.get_invoice(2, mine.id) is None and store.get_invoice(1, mine.id) == mine
    assert store.get_invoice_by_token(2, mine.token) is None
    assert store.get_invoice_by_token(1, mine.token) == mine
    for q in (InvoiceQuery(), InvoiceQuery(search=("ali",)), InvoiceQuery(from_date="2024-01-01")):
        assert store.list_invoices(1, q).items == [mine]
        assert store.list_invoices(2, q).items == [theirs]
        assert store.list_invoices(3, q).total == 0
    assert store.invoice_counts(1) == {(1, 0): 1} and store.invoice_counts(3) == {}
    # the hosted payment page is public: look-ups by access key are not scoped
    assert store.find_invoice_by_access_key(theirs.access_key) == theirs
    with pytest.raises(KeyError):
        store.update_invoice(replace(mine, merchant_id=2))

    opened = store.insert_open_invoice(make_open(1))
    assert store.get_open_invoice(2, opened.id) is None
    assert store.list_open_invoices(2, OpenInvoiceQuery()).total == 0
    assert store.find_open_invoice_by_access_key(opened.access_key) == opened
    with pytest.raises(KeyError):
        store.update_open_invoice(replace(opened, merchant_id=2, title="x"))

    [row] = store.insert_bulk_rows([make_row(1)])
    assert store.get_bulk_row(2, row.id) is None
    assert store.list_bulk_rows(2, False, 0, 15).total == 0
    with pytest.raises(KeyError):
        store.update_bulk_row(replace(row, merchant_id=2))
    assert store.delete_bulk_row(2, row.id) is False
    assert store.get_bulk_row(1, row.id) == row


# -- updates ---------------------------------------------------------------------------------
def test_update_moves_the_invoice_between_lists_counts_and_search(store: Store) -> None:
    [a, b] = store.insert_invoices([make_invoice(description="rent"), make_invoice(invoice_type=6)])
    paid = replace(a, invoice_status=1, description="gym", updated_at="2024-03-06 00:00:00")
    store.update_invoice(paid)
    records = [paid, b]
    assert store.get_invoice(1, a.id) == paid
    assert store.invoice_counts(1) == {(1, 1): 1, (6, 0): 1}
    for q in (InvoiceQuery(status=0), InvoiceQuery(status=1), InvoiceQuery(kinds=(1,), status=1),
              InvoiceQuery(search=("rent",)), InvoiceQuery(search=("gym",)),
              InvoiceQuery(search=("gym",), status=0)):
        assert_page(store, records, 1, q)
    # identity fields too: the indexes follow token, access key, split key and date
    moved = replace(paid, token="new-token", access_key="new-key", split_access_key="grp",
                    created_at="2024-03-20 10:00:00", invoice_type=7)
    store.update_invoice(moved)
    records = [moved, b]
    assert store.get_invoice_by_token(1, a.token) is None
    assert store.get_invoice_by_token(1, "new-token") == moved
    assert store.find_invoice_by_access_key(a.access_key) is None
    assert store.find_invoice_by_access_key("new-key") == moved
    assert store.find_split_group("grp") == [moved]
    assert store.invoice_counts(1) == {(7, 1): 1, (6, 0): 1}
    for q in (InvoiceQuery(from_date="2024-03-20"), InvoiceQuery(to_date="2024-03-05"),
              InvoiceQuery(kinds=(1,)), InvoiceQuery(search=("new",)),
              InvoiceQuery(search=(a.token.casefold(),))):
        assert_page(store, records, 1, q)
    with pytest.raises(KeyConflict):
        store.update_invoice(replace(moved, token=b.token))
    assert store.get_invoice(1, a.id) == moved
    with pytest.raises(KeyError):
        store.update_invoice(replace(moved, id=10_000))


def test_split_groups(store: Store) -> None:
    group = store.insert_invoices([make_invoice(invoice_type=6, split_access_key="S1") for _ in range(3)])
    store.insert_invoices([make_invoice(invoice_type=7, split_access_key="S2"), make_invoice()])
    assert store.find_split_group("S1") == group
    assert [i.split_access_key for i in store.find_split_group("S2")] == ["S2"]
    assert store.find_split_group("") == [] and store.find_split_group("nope") == []


# -- listing ---------------------------------------------------------------------------------
def grid(store: Store, per_bucket: int = 2) -> list[Invoice]:
    """Invoices of both merchants in every kind x status, spread over days, names and descriptions."""
    names, descriptions = ("Ali Hassan", "Sara Ali", "Omar"), ("rent March", "gym", "")
    batch = [
        make_invoice(m, invoice_type=k, status=s, day=1 + n % 9, time=f"{n % 24:02d}:00:00",
                     name=names[n % 3], description=descriptions[n % 2 + (n % 5 == 0)])
        for n, (m, k, s, _r) in enumerate(itertools.product((1, 2), KINDS, STATUSES, range(per_bucket)))
    ]
    return store.insert_invoices(batch)


QUERIES = [
    InvoiceQuery(),
    InvoiceQuery(limit=100),
    InvoiceQuery(kinds=()),
    InvoiceQuery(kinds=(4,)),
    InvoiceQuery(kinds=(1, 4), limit=50),
    InvoiceQuery(kinds=(6, 7), status=3),
    InvoiceQuery(status=0, offset=3, limit=4),
    InvoiceQuery(status=2),
    InvoiceQuery(from_date="2024-03-03"),
    InvoiceQuery(to_date="2024-03-03"),
    InvoiceQuery(from_date="2024-03-02", to_date="2024-03-04", kinds=(0, 1), limit=40),
    InvoiceQuery(from_date="2024-03-04", to_date="2024-03-04"),
    InvoiceQuery(from_date="2024-03-05", to_date="2024-03-02"),
    InvoiceQuery(search=("ali",), limit=40),
    InvoiceQuery(search=("ali", "hassan"), limit=40),
    InvoiceQuery(search=("hassan", "ali", "ali"), status=1),
    InvoiceQuery(search=("rent", "march"), kinds=(4, 6)),
    InvoiceQuery(search=("ali hassan",)),
    InvoiceQuery(search=("Ali",)),
    InvoiceQuery(search=("al",)),
    InvoiceQuery(search=("ali",), from_date="2024-03-02", to_date="2024-03-06", status=0, offset=2, limit=3),
    InvoiceQuery(search=("gym",), from_date="2024-03-09"),
    InvoiceQuery(search=("ref00001",)),
    InvoiceQuery(offset=10_000),
    InvoiceQuery(limit=0),
]


@pytest.mark.parametrize("query", QUERIES, ids=lambda q: repr(q)[13:-1])
def test_list_pages_match_the_model(store: Store, query: InvoiceQuery) -> None:
    records = grid(store)
    for merchant_id in (1, 2):
        assert_page(store, records, merchant_id, query)
    assert store.invoice_counts(1) == expected_counts(records, 1)


@pytest.mark.parametrize("query", [InvoiceQuery(), InvoiceQuery(status=1), InvoiceQuery(kinds=(7,), status=3),
                                   InvoiceQuery(search=("ali",)), InvoiceQuery(from_date="2024-03-02")],
                         ids=["all", "status", "one-bucket", "search", "date"])
def test_deep_offsets_walk_every_page(store: Store, query: InvoiceQuery) -> None:
    records = grid(store, per_bucket=42)
    total = expected_page(records, 1, query)[1]
    assert total > 40
    seen: list[int] = []
    for offset in range(0, total + 15, 15):
        page = store.list_invoices(1, replace(query, offset=offset))
        assert page.total == total
        seen += [i.id for i in page.items]
    assert seen == [i.id for i in expected_page(records, 1, replace(query, limit=total))[0]]
    middle = total // 2
    for offset in (1, 7, middle - 3, middle, middle + 1, total - 16, total - 15, total - 1, total):
        assert_page(store, records, 1, replace(query, offset=offset, limit=16))


# -- open invoices and bulk rows -------------------------------------------------------------
def test_open_invoices_crud_and_listing(store: Store) -> None:
    items = [
        store.insert_open_invoice(make_open(m, day=d, type=t, status=s, paid_status=p, title=title))
        for m, d, t, s, p, title in [
            (1, 1, 0, 0, 0, "Gym fees"), (1, 2, 1, 0, 1, "Gym day pass"), (1, 3, 0, 3, 0, "School fees"),
            (1, 4, 1, 1, 0, "Donation"), (2, 2, 0, 0, 0, "Gym fees"),
        ]
    ]
    updated = replace(items[3], status=0, title="Gym donation", updated_at="2024-03-07 00:00:00")
    store.update_open_invoice(updated)
    items[3] = updated
    assert store.get_open_invoice(1, updated.id) == updated
    with pytest.raises(KeyError):
        store.update_open_invoice(replace(updated, id=10_000))
    for q in (OpenInvoiceQuery(), OpenInvoiceQuery(search=("gym",)), OpenInvoiceQuery(search=("gym", "fees")),
              OpenInvoiceQuery(search=("GYM",)), OpenInvoiceQuery(search=("open",)),
              OpenInvoiceQuery(from_date="2024-03-02", to_date="2024-03-03"), OpenInvoiceQuery(paid_status=1),
              OpenInvoiceQuery(status=0, type=1), OpenInvoiceQuery(offset=1, limit=2)):
        hits = sorted(
            (o for o in items if o.merchant_id == 1
             and (not q.from_date or o.created_at[:10] >= q.from_date)
             and (not q.to_date or o.created_at[:10] <= q.to_date)
             and all(getattr(q, f) in (None, getattr(o, f)) for f in ("paid_status", "status", "type"))
             and set(q.search) <= set(split_search(f"{o.title} {o.reference_number} {o.description}"))),
            key=lambda o: o.id, reverse=True)
        page = store.list_open_invoices(1, q)
        assert (page.items, page.total) == (hits[q.offset: q.offset + q.limit], len(hits)), q


def test_bulk_rows_crud_and_listing(store: Store) -> None:
    rows = store.insert_bulk_rows([make_row(has_schedule=n % 3 == 0) for n in range(10)] + [make_row(2)])
    plain = [r for r in rows if r.merchant_id == 1 and not r.has_schedule]
    scheduled = [r for r in rows if r.merchant_id == 1 and r.has_schedule]
    page = store.list_bulk_rows(1, False, 0, 4)
    assert (page.items, page.total) == (plain[::-1][:4], len(plain))
    assert store.list_bulk_rows(1, True, 1, 10).items == scheduled[::-1][1:]
    edited = replace(plain[0], has_schedule=1, schedule_time="2024-03-09 10:00:00", amount="4.000")
    store.update_bulk_row(edited)
    assert store.get_bulk_row(1, edited.id) == edited
    assert store.list_bulk_rows(1, True, 0, 15).items == sorted([*scheduled, edited], key=lambda r: -r.id)
    assert store.list_bulk_rows(1, False, 0, 15).total == len(plain) - 1
    assert store.delete_bulk_row(1, edited.id) is True
    assert store.delete_bulk_row(1, edited.id) is False
    assert store.get_bulk_row(1, edited.id) is None
    with pytest.raises(KeyError):
        store.update_bulk_row(edited)
    assert store.insert_bulk_rows([]) == []


# -- tokens ----------------------------------------------------------------------------------
def test_tokens_put_get_revoke(store: Store) -> None:
    assert store.get_token("access", "t1") is None
    store.put_token("access", "t1", 1, 1_700_000_900.25)
    store.put_token("refresh", "t1", 1, 1_700_086_400.0)
    assert store.get_token("access", "t1") == (1, 1_700_000_900.25)
    assert store.get_token("refresh", "t1") == (1, 1_700_086_400.0)
    store.put_token("access", "t1", 1, 1_700_001_800.5)  # re-issue replaces
    assert store.get_token("access", "t1") == (1, 1_700_001_800.5)
    store.revoke_token("access", "t1")
    store.revoke_token("access", "never-issued")
    assert store.get_token("access", "t1") is None
    assert store.get_token("refresh", "t1") == (1, 1_700_086_400.0)


def test_purge_forgets_only_expired_tokens(store: Store) -> None:
    for i, expires_at in enumerate((10.0, 20.0, 30.0)):
        store.put_token("access", f"t{i}", 1, expires_at)
    store.put_token("revoked-family", "f", 2, 15.0)
    assert store.purge_expired_tokens(20.0) == 3
    assert [store.get_token("access", f"t{i}") for i in range(3)] == [None, None, (1, 30.0)]
    assert store.get_token("revoked-family", "f") is None
    assert store.purge_expired_tokens(20.0) == 0


# -- reset -----------------------------------------------------------------------------------
def test_reset_of_one_merchant_leaves_the_others(make_store: StoreFactory) -> None:
    store = make_store()
    made = {m: (store.insert_invoices([make_invoice(m, name="Ali", split_access_key=f"S{m}")])[0],
                store.insert_open_invoice(make_open(m)), store.insert_bulk_rows([make_row(m)])[0])
            for m in (1, 2)}
    for m in (1, 2):
        store.put_token("access", f"tok{m}", m, 1e9)
    store.reset(1)
    inv, opened, row = made[2]
    assert store.get_invoice(2, inv.id) == inv and store.find_invoice_by_access_key(inv.access_key) == inv
    assert store.get_invoice_by_token(2, inv.token) == inv and store.find_split_group("S2") == [inv]
    assert store.list_invoices(2, InvoiceQuery(search=("ali",), from_date="2024-01-01")).items == [inv]
    assert store.invoice_counts(2) == {(1, 0): 1}
    assert store.get_open_invoice(2, opened.id) == opened and store.get_bulk_row(2, row.id) == row
    assert store.get_token("access", "tok2") == (2, 1e9)
    inv1, opened1, row1 = made[1]
    assert store.get_invoice(1, inv1.id) is None and store.find_invoice_by_access_key(inv1.access_key) is None
    assert store.find_split_group("S1") == [] and store.invoice_counts(1) == {}
    assert store.list_invoices(1, InvoiceQuery(search=("ali",))).total == 0
    assert store.list_invoices(1, InvoiceQuery(from_date="2024-01-01")).total == 0
    assert store.get_open_invoice(1, opened1.id) is None and store.get_bulk_row(1, row1.id) is None
    assert store.get_token("access", "tok1") is None
    # a reset merchant's keys are free again
    store.insert_invoices([replace(inv1, id=0)])
    store.reset()
    assert store.invoice_counts(2) == {} and store.get_token("access", "tok2") is None
    assert store.fingerprint() == make_store().fingerprint()  # as empty as a fresh store


# -- fingerprint -----------------------------------------------------------------------------
def test_fingerprint_changes_on_every_write_and_not_on_reads(store: Store) -> None:
    prints = [store.fingerprint()]

    def wrote(what: str) -> None:
        now = store.fingerprint()
        assert now not in prints, f"{what} did not change the fingerprint"
        prints.append(now)

    def unchanged(what: str) -> None:
        assert store.fingerprint() == prints[-1], f"{what} changed the fingerprint"

    [inv] = store.insert_invoices([make_invoice(split_access_key="S")])
    wrote("insert_invoices")
    store.insert_invoices([make_invoice(2)])
    wrote("insert_invoices (other merchant)")
    store.update_invoice(replace(inv, invoice_status=1))
    wrote("update_invoice (status)")
    store.update_invoice(inv := replace(inv, invoice_status=1, visited_count=1))
    wrote("update_invoice (a field no index holds)")
    store.update_invoice(inv)
    unchanged("an update to the same record")
    opened = store.insert_open_invoice(make_open())
    wrote("insert_open_invoice")
    store.update_open_invoice(replace(opened, paid_status=1))
    wrote("update_open_invoice")
    [_kept, row] = store.insert_bulk_rows([make_row(2), make_row(2)])
    wrote("insert_bulk_rows")
    store.update_bulk_row(replace(row, amount="9.000"))
    wrote("update_bulk_row")
    assert store.delete_bulk_row(2, row.id)
    wrote("delete_bulk_row")
    store.put_token("refresh", "t", 1, 100.0)
    store.put_token("access", "t", 1, 100.0)
    wrote("put_token")
    store.put_token("access", "t", 1, 200.0)
    wrote("put_token (re-issue)")
    with pytest.raises(KeyConflict):
        store.insert_invoices([make_invoice(token=inv.token)])
    store.revoke_token("access", "unknown")
    store.delete_bulk_row(1, 10_000)
    unchanged("failed or empty writes")

    store.get_invoice(1, inv.id)
    store.get_invoice_by_token(1, inv.token)
    store.find_invoice_by_access_key(inv.access_key)
    store.find_split_group("S")
    for q in QUERIES:
        store.list_invoices(1, q)
    store.invoice_counts(1)
    store.get_open_invoice(1, opened.id)
    store.find_open_invoice_by_access_key(opened.access_key)
    store.list_open_invoices(1, OpenInvoiceQuery(search=("open",)))
    store.get_bulk_row(2, row.id)
    store.list_bulk_rows(1, True, 0, 15)
    store.get_token("access", "t")
    unchanged("reads")

    store.revoke_token("access", "t")
    wrote("revoke_token")
    store.reset(2)
    wrote("reset of one merchant")
    store.reset()
    assert store.fingerprint() == prints[0]  # empty again: the same as a fresh store


# -- threads ---------------------------------------------------------------------------------
def test_concurrent_writers_and_readers(store: Store) -> None:
    errors: list[BaseException] = []
    results: list[Invoice] = []

    def work(n: int) -> None:
        try:
            for _ in range(30):
                results.extend(store.insert_invoices([make_invoice(invoice_type=n % 2), make_invoice(2)]))
                store.list_invoices(1, InvoiceQuery(search=("ref00001",)))
                store.invoice_counts(1)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert len({i.id for i in results}) == len(results) == 360
    assert store.invoice_counts(1) == expected_counts(results, 1)
    assert_page(store, results, 1, InvoiceQuery(offset=100))


# -- the property: any sequence of writes, every read agrees with the model --------------------
VOCAB = ("ali", "hassan", "sara", "rent", "march", "gym", "zzz")
NAMES = ("Ali Hassan", "Sara Ali", "Omar", "")
DESCRIPTIONS = ("", "rent March", "Rent april", "gym")
DAYS = [f"2024-03-0{d}" for d in range(1, 7)]

invoice_specs = st.fixed_dictionaries({
    "merchant_id": st.sampled_from((1, 2)),
    "invoice_type": st.sampled_from(KINDS),
    "status": st.sampled_from(STATUSES),
    "day": st.integers(1, 6),
    "time": st.sampled_from(("00:00:00", "12:30:00", "23:59:59")),
    "name": st.sampled_from(NAMES),
    "description": st.sampled_from(DESCRIPTIONS),
})
queries = st.builds(
    InvoiceQuery,
    kinds=st.none() | st.lists(st.sampled_from(KINDS), unique=True, max_size=3).map(tuple),
    status=st.none() | st.sampled_from(STATUSES),
    from_date=st.none() | st.sampled_from(DAYS),
    to_date=st.none() | st.sampled_from(DAYS),
    search=st.lists(st.sampled_from(VOCAB), max_size=2).map(tuple),
    offset=st.integers(0, 12),
    limit=st.integers(1, 6),
)


class StoreVersusModel(RuleBasedStateMachine):
    """Random inserts (some colliding), updates and resets; every list and count equals the model's."""

    open_store: Callable[[], Store]

    def __init__(self) -> None:
        super().__init__()
        self.store = type(self).open_store()
        self.model: dict[int, Invoice] = {}
        self.high_id = 0
        self.print = self.store.fingerprint()

    def teardown(self) -> None:
        self.store.close()

    def _fingerprint_changed(self, expected: bool) -> None:
        now = self.store.fingerprint()
        assert (now != self.print) is expected
        self.print = now

    @rule(specs=st.lists(invoice_specs, min_size=1, max_size=3),
          collide=st.sampled_from((None, None, "token", "access_key", "twice")), data=st.data())
    def insert(self, specs: list[dict[str, object]], collide: str | None, data: st.DataObject) -> None:
        batch = [make_invoice(**spec) for spec in specs]  # type: ignore[arg-type]
        if collide == "twice" and len(batch) > 1:
            batch[-1] = replace(batch[-1], token=batch[0].token)
        elif collide in ("token", "access_key") and self.model:
            victim = self.model[data.draw(st.sampled_from(sorted(self.model)))]
            batch[-1] = replace(batch[-1], **{collide: getattr(victim, collide)})
        else:
            collide = None
        if collide:
            with pytest.raises(KeyConflict):
                self.store.insert_invoices(batch)
            self._fingerprint_changed(False)
            return
        stored = self.store.insert_invoices(batch)
        ids = [i.id for i in stored]
        assert ids == sorted(ids) and ids[0] > self.high_id and len(set(ids)) == len(ids)
        assert stored == [replace(b, id=i) for b, i in zip(batch, ids, strict=True)]
        self.high_id = ids[-1]
        self.model.update((i.id, i) for i in stored)
        self._fingerprint_changed(True)

    @rule(data=st.data(), status=st.sampled_from(STATUSES), kind=st.sampled_from(KINDS),
          name=st.sampled_from(NAMES), description=st.sampled_from(DESCRIPTIONS), day=st.integers(1, 6))
    def update(self, data: st.DataObject, status: int, kind: int, name: str, description: str,
               day: int) -> None:
        if not self.model:
            return
        old = self.model[data.draw(st.sampled_from(sorted(self.model)))]
        new = replace(old, invoice_status=status, invoice_type=kind, description=description,
                      customer=Customer(name=name), created_at=f"2024-03-0{day}{old.created_at[10:]}")
        self.store.update_invoice(new)
        self.model[new.id] = new
        self._fingerprint_changed(new != old)

    @rule(data=st.data(), status=st.sampled_from(STATUSES))
    def change_status(self, data: st.DataObject, status: int) -> None:
        """A payment or a cancellation: the status moves, every search term stays."""
        if not self.model:
            return
        old = self.model[data.draw(st.sampled_from(sorted(self.model)))]
        new = replace(old, invoice_status=status)
        self.store.update_invoice(new)
        self.model[new.id] = new
        self._fingerprint_changed(new != old)

    @rule(merchant_id=st.sampled_from((1, 2)))
    def reset_merchant(self, merchant_id: int) -> None:
        had = any(i.merchant_id == merchant_id for i in self.model.values())
        self.store.reset(merchant_id)
        self.model = {k: v for k, v in self.model.items() if v.merchant_id != merchant_id}
        self._fingerprint_changed(had)

    @rule(merchant_id=st.sampled_from((1, 2)), query=queries)
    def list_page(self, merchant_id: int, query: InvoiceQuery) -> None:
        assert_page(self.store, self.model.values(), merchant_id, query)

    @rule(data=st.data())
    def lookups(self, data: st.DataObject) -> None:
        if not self.model:
            return
        inv = self.model[data.draw(st.sampled_from(sorted(self.model)))]
        other = 3 - inv.merchant_id
        assert self.store.get_invoice(inv.merchant_id, inv.id) == inv
        assert self.store.get_invoice(other, inv.id) is None
        assert self.store.get_invoice_by_token(inv.merchant_id, inv.token) == inv
        assert self.store.find_invoice_by_access_key(inv.access_key) == inv

    @invariant()
    def counts_match(self) -> None:
        for merchant_id in (1, 2):
            assert self.store.invoice_counts(merchant_id) == expected_counts(self.model.values(), merchant_id)


def test_any_history_agrees_with_the_model(make_store: StoreFactory, history_examples: int) -> None:
    machine = type("Machine", (StoreVersusModel,), {"open_store": staticmethod(make_store)})
    run_state_machine_as_test(machine, settings=settings(
        max_examples=history_examples, stateful_step_count=25, deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    ))



TOKEN_KEYS = [(kind, token) for kind in ("access", "refresh") for token in ("t1", "t2", "t3")]
TIMES = (10.0, 20.0, 30.0, 40.0)


class TokensVersusModel(RuleBasedStateMachine):
    """Random puts (re-puts with earlier or later expiry), revokes, merchant resets and purges at
    moving times: every token read and every purge count equals a plain dictionary's."""

    open_store: Callable[[], Store]

    def __init__(self) -> None:
        super().__init__()
        self.store = type(self).open_store()
        self.model: dict[tuple[str, str], tuple[int, float]] = {}

    def teardown(self) -> None:
        self.store.close()

    @rule(key=st.sampled_from(TOKEN_KEYS), merchant_id=st.sampled_from((1, 2)),
          expires_at=st.sampled_from(TIMES))
    def put(self, key: tuple[str, str], merchant_id: int, expires_at: float) -> None:
        self.store.put_token(*key, merchant_id, expires_at)
        self.model[key] = (merchant_id, expires_at)

    @rule(key=st.sampled_from(TOKEN_KEYS))
    def revoke(self, key: tuple[str, str]) -> None:
        self.store.revoke_token(*key)
        self.model.pop(key, None)

    @rule(merchant_id=st.sampled_from((1, 2)))
    def reset_merchant(self, merchant_id: int) -> None:
        self.store.reset(merchant_id)
        self.model = {k: v for k, v in self.model.items() if v[0] != merchant_id}

    @rule(now=st.sampled_from((5.0, *TIMES, 50.0)))
    def purge(self, now: float) -> None:
        dead = [k for k, (_m, expires_at) in self.model.items() if expires_at <= now]
        assert self.store.purge_expired_tokens(now) == len(dead)
        for key in dead:
            del self.model[key]

    @invariant()
    def tokens_match(self) -> None:
        for key in TOKEN_KEYS:
            assert self.store.get_token(*key) == self.model.get(key)


def test_any_token_history_agrees_with_the_model(make_store: StoreFactory, history_examples: int,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    # A tiny slack makes the memory store rebuild its expiry heap often, so that path runs too.
    monkeypatch.setattr("mock_server.state.memory._STALE_SLACK", 2)
    machine = type("Machine", (TokensVersusModel,), {"open_store": staticmethod(make_store)})
    run_state_machine_as_test(machine, settings=settings(
        max_examples=history_examples, stateful_step_count=30, deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    ))

# -- checkouts -------------------------------------------------------------------------------
def test_checkouts_are_found_by_token_session_and_reference(store: Store) -> None:
    first = store.insert_checkout(make_checkout(reference="ORD-9"))
    other = store.insert_checkout(make_checkout(2, reference="ORD-9"))
    second = store.insert_checkout(make_checkout(reference="ORD-9", variables=("a", None, "ج", None, "5"),
                                                 notes=("amount sent as 10",), authorize=True))
    anonymous = store.insert_checkout(make_checkout(reference=None))
    assert 0 < first.id < other.id < second.id < anonymous.id
    assert store.find_checkout(second.token) == second
    assert store.find_checkout_by_session(first.session) == first
    assert store.checkouts_by_reference(1, "ORD-9") == [first, second]  # oldest first, this merchant only
    assert store.checkouts_by_reference(2, "ORD-9") == [other]
    assert store.checkouts_by_reference(1, "ORD-0") == [] and store.find_checkout("nope") is None
    paid = replace(second, status="SUCCESSFUL", result_code="CAPTURED", paid_on="2024-03-05 10:01:00",
                   payment_id="100123", paid_type=1, captured_amount="12.500")
    store.update_checkout(paid)
    assert store.find_checkout(second.token) == paid and store.checkouts_by_reference(1, "ORD-9")[1] == paid


def test_recent_checkouts_are_the_merchants_newest_first(store: Store) -> None:
    made = [store.insert_checkout(make_checkout(reference=f"R-{n}")) for n in range(4)]
    other = store.insert_checkout(make_checkout(2))
    assert store.recent_checkouts(1, 3) == made[::-1][:3]
    assert store.recent_checkouts(2, 10) == [other] and store.recent_checkouts(3, 10) == []
    paid = replace(made[0], status="SUCCESSFUL")
    store.update_checkout(paid)
    assert store.recent_checkouts(1, 10)[-1] == paid


def test_checkout_keys_are_unique_and_never_change(store: Store) -> None:
    stored = store.insert_checkout(make_checkout())
    before = store.fingerprint()
    for clash in (dict(token=stored.token), dict(session=stored.session)):
        with pytest.raises(KeyConflict):
            store.insert_checkout(make_checkout(2, **clash))  # type: ignore[arg-type]
    assert store.fingerprint() == before
    with pytest.raises(ValueError):
        store.update_checkout(replace(stored, session="another"))
    with pytest.raises(KeyError):
        store.update_checkout(replace(stored, merchant_id=2))
    assert store.fingerprint() == before


def test_checkouts_go_with_their_merchants_reset_and_ids_are_not_reused(store: Store) -> None:
    mine, theirs = store.insert_checkout(make_checkout()), store.insert_checkout(make_checkout(2))
    store.reset(1)
    assert store.find_checkout(mine.token) is None and store.find_checkout_by_session(mine.session) is None
    assert store.checkouts_by_reference(1, "ORD-1") == [] and store.find_checkout(theirs.token) == theirs
    again = store.insert_checkout(replace(make_checkout(), token=mine.token, session=mine.session))
    assert again.id > theirs.id
    store.reset()
    assert store.find_checkout(theirs.token) is None


def test_checkouts_of_a_merchant_come_oldest_first(store: Store) -> None:
    first, theirs = store.insert_checkout(make_checkout()), store.insert_checkout(make_checkout(2))
    second = store.insert_checkout(make_checkout(reference=None))
    paid = replace(first, status="SUCCESSFUL", paid_on="2024-03-05 10:01:00", source="saved_card",
                   card_id=7, recurring_frequency="1", recurring_installments=3, recurring_start="2024-03-05",
                   recurring_amount="4.500", subscription_status="ACTIVE", recurrences=1,
                   parent_token="9" * 20)
    store.update_checkout(paid)
    assert store.checkouts_of_merchant(1) == [paid, second]  # every field round-trips
    assert store.checkouts_of_merchant(2) == [theirs] and store.checkouts_of_merchant(3) == []


def test_checkouts_of_one_source_come_from_an_index_oldest_first(store: Store) -> None:
    page = store.insert_checkout(make_checkout())
    pos = [store.insert_checkout(make_checkout(reference=f"POS-{n}", source="pos")) for n in range(3)]
    store.insert_checkout(make_checkout(2, reference="THEIRS", source="pos"))
    assert store.checkouts_of_merchant(1, source="pos") == pos
    assert store.checkouts_of_merchant(1, source="checkout") == [page]
    assert store.checkouts_of_merchant(1, source="saved_card") == []
    assert store.checkouts_of_merchant(3, source="pos") == []
    moved = replace(page, source="saved_card")  # an update that changes it moves it
    store.update_checkout(moved)
    assert store.checkouts_of_merchant(1, source="saved_card") == [moved]
    assert store.checkouts_of_merchant(1, source="checkout") == []
    store.reset(1)
    assert store.checkouts_of_merchant(1, source="pos") == []
    assert len(store.checkouts_of_merchant(2, source="pos")) == 1


# -- saved cards -----------------------------------------------------------------------------
def make_card_customer(merchant_id: int = 1, **over: Any) -> CardCustomer:
    base: dict[str, Any] = dict(merchant_id=merchant_id, customer_id="", name="سارة Ali",
                                email="sara@example.com", mobile_number="66666666",
                                created_at="2024-03-05 10:00:00")
    return CardCustomer(**{**base, **over})


def make_saved_card(merchant_id: int = 1, customer_id: int = 1, **over: Any) -> SavedCard:
    base: dict[str, Any] = dict(merchant_id=merchant_id, customer_id=customer_id, card_number="****0008",
                                expiry_month="05", expiry_year="39", brand="MASTERCARD", name_on_card="Sara",
                                payment_type=2, created_at="2024-03-05 10:00:00")
    return SavedCard(**{**base, **over})


def test_card_customers_and_saved_cards(store: Store) -> None:
    sara = store.insert_card_customer(make_card_customer(customer_id="u-7"))
    other = store.insert_card_customer(make_card_customer(2))
    assert 0 < sara.id < other.id
    assert store.get_card_customer(1, sara.id) == sara and store.get_card_customer(2, sara.id) is None
    first = store.insert_saved_card(make_saved_card(customer_id=sara.id))
    foreign = store.insert_saved_card(make_saved_card(2, other.id))
    second = store.insert_saved_card(make_saved_card(customer_id=sara.id, card_number="****5539"))
    assert store.saved_cards(1, sara.id) == [first, second] and store.saved_cards(2, sara.id) == []
    assert store.get_saved_card(1, first.id) == first and store.get_saved_card(1, foreign.id) is None
    before = store.fingerprint()
    assert store.delete_saved_card(1, foreign.id) is False and store.fingerprint() == before
    assert store.delete_saved_card(1, first.id) is True and store.fingerprint() != before
    assert store.saved_cards(1, sara.id) == [second] and store.delete_saved_card(1, first.id) is False
    store.reset(1)
    assert store.get_card_customer(1, sara.id) is None and store.saved_cards(1, sara.id) == []
    assert store.get_saved_card(2, foreign.id) == foreign
    again = store.insert_saved_card(make_saved_card(customer_id=sara.id))
    assert again.id > second.id  # ids are never reused


# -- text a database column may not hold ----------------------------------------------------
@pytest.mark.parametrize("odd", ["nul\x00here", "back\\slash", "\\0", "both\\\x00"])
def test_any_text_is_kept_and_matched_exactly(store: Store, odd: str) -> None:
    """NUL (which PostgreSQL's text cannot hold) and backslashes in keys, references and search
    words: stored, found by the same text only, and never confused with one another."""
    inv = make_invoice(name=f"word{odd}", token=f"tok{odd}", access_key=f"key{odd}")
    [stored] = store.insert_invoices([inv])
    assert store.get_invoice_by_token(1, f"tok{odd}") == stored
    assert store.find_invoice_by_access_key(f"key{odd}") == stored
    # the text a NUL might be escaped to is another text: it finds nothing
    lookalike = odd.replace("\x00", "\\0")
    if lookalike != odd:
        assert store.get_invoice_by_token(1, f"tok{lookalike}") is None
    assert store.find_invoice_by_access_key("key") is None
    checkout = store.insert_checkout(make_checkout(reference=odd, token=f"8422{odd}", session=f"s{odd}"))
    assert store.checkouts_by_reference(1, odd) == [checkout] == [store.find_checkout(f"8422{odd}")]
    assert store.find_checkout_by_session(f"s{odd}") == checkout
    for term in search_terms(stored):
        assert store.list_invoices(1, InvoiceQuery(search=(term,))).items == [stored]


# -- SQLite only: restart, crash, pragmas, plans ---------------------------------------------
@pytest.fixture
def db_path(tmp_path: Path) -> str:
    return str(tmp_path / "mock.sqlite")


def fill(store: Store) -> list[Invoice]:
    records = grid(store)
    store.insert_open_invoice(make_open())
    store.insert_bulk_rows([make_row(), make_row(2, has_schedule=1)])
    store.put_token("refresh", "r1", 1, 1_700_000_000.5)
    store.insert_checkout(make_checkout(token="84221717000000009000000000001", session="filled-session"))
    customer = store.insert_card_customer(make_card_customer())
    store.insert_saved_card(make_saved_card(customer_id=customer.id))
    return records


def test_sqlite_reopen_sees_everything(db_path: str) -> None:
    store = SqliteStore(db_path)
    try:
        records = fill(store)
        before = store.fingerprint()
        store.reset(2)
        records = [r for r in records if r.merchant_id == 1]
        before = store.fingerprint()
    finally:
        store.close()
    store = SqliteStore(db_path)
    try:
        assert store.fingerprint() == before
        assert store.invoice_counts(1) == expected_counts(records, 1) and store.invoice_counts(2) == {}
        for q in QUERIES:
            assert_page(store, records, 1, q)
        assert store.get_token("refresh", "r1") == (1, 1_700_000_000.5)
        assert store.list_bulk_rows(1, False, 0, 15).total == 1
        found = store.find_checkout("84221717000000009000000000001")
        assert found is not None and store.find_checkout_by_session("filled-session") == found
        [new] = store.insert_invoices([make_invoice(2)])
        assert new.id > max(r.id for r in records) + len(records)  # merchant 2's ids are not reused
    finally:
        store.close()


CRASHING_CHILD = """
import os, signal, sys
from mock_server.state.models import Invoice
from mock_server.state.sqlite import SqliteStore
store = SqliteStore(sys.argv[1])
[inv] = store.insert_invoices([Invoice(merchant_id=1, invoice_type=1, invoice_sub_type=0, token="crash-token",
    access_key="crash-key", reference_number="CRASH", amount="1.000", created_at="2024-03-05 10:00:00",
    updated_at="2024-03-05 10:00:00")])
print(inv.id, flush=True)
os.kill(os.getpid(), signal.SIGKILL)
"""


def test_sqlite_an_answered_insert_survives_kill_9(db_path: str) -> None:
    store = SqliteStore(db_path)
    store.close()
    child = subprocess.run([sys.executable, "-c", CRASHING_CHILD, db_path], cwd=ROOT, capture_output=True,
                           text=True, timeout=60)
    assert child.returncode == -signal.SIGKILL, child.stderr
    assert os.path.exists(db_path + "-wal")  # the process died without checkpointing
    store = SqliteStore(db_path)
    try:
        found = store.get_invoice_by_token(1, "crash-token")
        assert found is not None and found.id == int(child.stdout)
        assert store.invoice_counts(1) == {(1, 0): 1}
    finally:
        store.close()


def test_sqlite_pragmas(db_path: str) -> None:
    store = SqliteStore(db_path)
    try:
        conn = store._conn
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert conn.execute("PRAGMA synchronous").fetchone()[0] == 1  # NORMAL
    finally:
        store.close()


def test_sqlite_reads_never_scan_a_table(db_path: str) -> None:
    """Every statement behind list/search/stats/look-ups searches an index (EXPLAIN QUERY PLAN)."""
    store = SqliteStore(db_path)
    try:
        records = fill(store)
        statements: list[str] = []
        store._conn.set_trace_callback(statements.append)
        inv = records[5]
        for q in QUERIES:
            store.list_invoices(1, q)
        store.list_invoices(1, InvoiceQuery(search=("ali",), from_date="2024-03-04", to_date="2024-03-04"))
        store.invoice_counts(1)
        store.get_invoice(1, inv.id)
        store.get_invoice_by_token(1, inv.token)
        store.find_invoice_by_access_key(inv.access_key)
        store.find_split_group("S")
        store.list_bulk_rows(1, False, 0, 15)
        store.get_token("refresh", "r1")
        store.find_checkout("84221717000000009000000000001")
        store.find_checkout_by_session("filled-session")
        store.checkouts_by_reference(1, "ORD-1")
        store.checkouts_of_merchant(1)
        store.get_card_customer(1, 1)
        store.saved_cards(1, 1)
        store.get_saved_card(1, 1)
        store._conn.set_trace_callback(None)
        queries_run = [s for s in statements if s.lstrip().upper().startswith("SELECT")]
        assert len(queries_run) > len(QUERIES)
        for sql in queries_run:
            plan = [row[3] for row in store._conn.execute("EXPLAIN QUERY PLAN " + sql)]
            assert not [step for step in plan if step.startswith("SCAN")], (sql, plan)
    finally:
        store.close()


def test_sqlite_a_file_from_before_checkouts_gains_them(db_path: str) -> None:
    """A version-1 file (invoices only) opens, keeps its records and stores checkouts."""
    import sqlite3

    from mock_server.state import sqlite as sqlite_store

    conn = sqlite3.connect(db_path)
    conn.executescript(sqlite_store._SCHEMA)
    conn.execute("PRAGMA user_version = 1")
    conn.close()
    store = SqliteStore(db_path)
    try:
        [inv] = store.insert_invoices([make_invoice()])
        checkout = store.insert_checkout(make_checkout())
        assert store.find_checkout(checkout.token) == checkout and store.get_invoice(1, inv.id) == inv
        assert store._conn.execute("PRAGMA user_version").fetchone()[0] == sqlite_store.SCHEMA_VERSION
    finally:
        store.close()
