"""The stored records and the per-request ``Call`` and ``Reply`` are ``@record`` classes.

A store's indexes rely on a record never changing once it exists: a change is
``dataclasses.replace`` plus ``store.update_*``. ``@record`` (mock_server/state/record.py) makes
that the type checker's rule: at run time a record is a slotted dataclass with the equality and
hash of a frozen one; to mypy every field is read-only.
"""

from __future__ import annotations

import dataclasses
import textwrap
from dataclasses import fields, replace
from pathlib import Path

import pytest
from mypy import api as mypy_api

from mock_server.runtime import Call, PlainCall, Reply
from mock_server.state import models
from mock_server.state.models import BulkRow, Customer, Invoice, OpenInvoice
from mock_server.state.record import record

ROOT = Path(__file__).resolve().parents[2]

_RECORDS = [
    Invoice(84, 1, 3, "841759667833967748", "9Q6EE769", "ref", "20.000", "2026-01-01 10:00:00",
            "2026-01-01 10:00:00", customer=Customer("A", "a@x.com", "96566666666"),
            payment_method=("1", "2"), products=({"id": 1},), sent_sub_type=3),
    OpenInvoice(84, "t", "r", 0, "1.000", "0.000", "0.000", "AK", "2026-01-01", "2026-01-01"),
    BulkRow(84, "r", "n", "965", "e@x.com", "1.000", "d", "2026-01-01", "2026-01-01", has_schedule=1),
    Customer("A"),
    Reply({"ok": True}),
]
#: every record class: all of models.py's dataclasses, and the handler's call and reply
_CLASSES: list[type] = [
    *(cls for cls in vars(models).values()
      if isinstance(cls, type) and cls.__module__ == models.__name__ and dataclasses.is_dataclass(cls)),
    Call, PlainCall, Reply,
]


def test_every_model_is_a_record() -> None:
    assert {Customer, Invoice, OpenInvoice, BulkRow} <= set(_CLASSES)
    assert len(_CLASSES) >= 15


@pytest.mark.parametrize("cls", _CLASSES, ids=lambda c: c.__name__)
def test_record_classes_are_slotted_dataclasses(cls: type) -> None:
    assert dataclasses.is_dataclass(cls)
    assert "__slots__" in vars(cls)
    assert cls.__hash__ is not None  # hashable by its fields, as a frozen dataclass is


@pytest.mark.parametrize("record_", _RECORDS, ids=lambda r: type(r).__name__)
def test_a_record_takes_no_new_attributes_and_compares_by_value(record_: object) -> None:
    assert not hasattr(record_, "__dict__")
    with pytest.raises(AttributeError):
        record_.not_a_field = 1  # type: ignore[attr-defined]
    copy = replace(record_)  # type: ignore[type-var]
    assert copy == record_ and copy is not record_
    changed = replace(record_, **{fields(record_)[0].name: "other"})  # type: ignore[arg-type,type-var]
    assert changed != record_


def test_equal_records_hash_alike() -> None:
    a, b = Customer("A", "a@x.com"), Customer("A", "a@x.com")
    assert a == b and hash(a) == hash(b) and len({a, b}) == 1
    assert hash(Customer("B")) != hash(a)


def test_record_is_a_dataclass_transform_with_frozen_fields() -> None:
    spec = getattr(record, "__dataclass_transform__")  # noqa: B009 (set by typing at run time)
    # Python 3.12 knows frozen_default; 3.11's typing keeps it with the other keywords
    assert spec.get("frozen_default", spec["kwargs"].get("frozen_default")) is True


def test_the_type_checker_refuses_changing_a_record_in_place(tmp_path: Path) -> None:
    """What keeps records unchanged is the strict type check every package passes (make lint)."""
    snippet = tmp_path / "changes_records.py"
    snippet.write_text(textwrap.dedent("""
        from dataclasses import replace
        from mock_server.runtime import Reply
        from mock_server.state.models import Customer, Invoice

        def change(inv: Invoice, reply: Reply) -> Invoice:
            inv.amount = "1.000"
            inv.customer.name = "B"
            reply.status = 201
            return replace(inv, amount="1.000")
    """))
    out, _err, status = mypy_api.run([
        "--strict", "--no-error-summary", "--cache-dir", str(tmp_path / "cache"),
        "--config-file", str(ROOT / "pyproject.toml"), str(snippet),
    ])
    assert status == 1, out
    refused = [line for line in out.splitlines() if "read-only" in line]
    assert [line.split(":")[1] for line in refused] == ["7", "8", "9"], out
    assert ":10:" not in out  # replace() with a real field is how a record changes
