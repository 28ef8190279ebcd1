"""The stored records and the per-request ``Call`` and ``Reply`` are frozen, slotted dataclasses.

A store's indexes rely on a record never changing
once it exists: a change is ``dataclasses.replace`` plus ``store.update_*``.
"""

from __future__ import annotations

import dataclasses
from dataclasses import FrozenInstanceError, fields

import pytest

from mock_server.runtime import Call, PlainCall, Reply
from mock_server.state.models import BulkRow, Customer, Invoice, OpenInvoice

_RECORDS = [
    Invoice(84, 1, 3, "841759667833967748", "9Q6EE769", "ref", "20.000", "2026-01-01 10:00:00",
            "2026-01-01 10:00:00", customer=Customer("A", "a@x.com", "96566666666"),
            payment_method=("1", "2"), products=({"id": 1},), sent_sub_type=3),
    OpenInvoice(84, "t", "r", 0, "1.000", "0.000", "0.000", "AK", "2026-01-01", "2026-01-01"),
    BulkRow(84, "r", "n", "965", "e@x.com", "1.000", "d", "2026-01-01", "2026-01-01", has_schedule=1),
    Customer("A"),
    Reply({"ok": True}),
]
_CLASSES: list[type] = [Customer, Invoice, OpenInvoice, BulkRow, Call, PlainCall, Reply]


@pytest.mark.parametrize("cls", _CLASSES, ids=lambda c: c.__name__)
def test_record_classes_are_frozen_slotted_dataclasses(cls: type) -> None:
    assert dataclasses.is_dataclass(cls)
    assert getattr(cls, "__dataclass_params__").frozen  # noqa: B009 (not in the class's stubs)
    assert "__slots__" in vars(cls)


@pytest.mark.parametrize("record", _RECORDS, ids=lambda r: type(r).__name__)
def test_a_record_cannot_be_changed_in_place(record: object) -> None:
    for f in fields(record):  # type: ignore[arg-type]
        with pytest.raises(FrozenInstanceError):
            setattr(record, f.name, getattr(record, f.name))
    assert not hasattr(record, "__dict__")  # nor given new attributes
