"""Records (``state.records.record``): built and copied through their slot descriptors, exactly as
the dataclass ``__init__`` and ``dataclasses.replace`` would build them."""

from __future__ import annotations

import dataclasses
from dataclasses import FrozenInstanceError, fields, replace
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mock_server.runtime import Call, Reply
from mock_server.state.models import BulkRow, Customer, Invoice, OpenInvoice, with_id
from mock_server.state.records import DATACLASS_INITS

_RECORDS = [
    Invoice(84, 1, 3, "841759667833967748", "9Q6EE769", "ref", "20.000", "2026-01-01 10:00:00",
            "2026-01-01 10:00:00", customer=Customer("A", "a@x.com", "96566666666"),
            payment_method=("1", "2"), products=({"id": 1},), echo={"invoiceSubType": 3}),
    OpenInvoice(84, "t", "r", 0, "1.000", "0.000", "0.000", "AK", "2026-01-01", "2026-01-01"),
    BulkRow(84, "r", "n", "965", "e@x.com", "1.000", "d", "2026-01-01", "2026-01-01", has_schedule=1),
]
_CLASSES = [Customer, Invoice, OpenInvoice, BulkRow, Call, Reply]


@pytest.mark.parametrize("record", _RECORDS, ids=lambda r: type(r).__name__)
def test_with_id_equals_replace_and_leaves_the_original(record: object) -> None:
    copied = with_id(record, 42)
    assert copied == replace(record, id=42)  # type: ignore[type-var]
    assert copied is not record and record.id == 0  # type: ignore[attr-defined]
    with pytest.raises(FrozenInstanceError):
        copied.id = 7  # type: ignore[attr-defined]  # still frozen


def test_with_id_refuses_a_record_without_an_id() -> None:
    with pytest.raises(TypeError):
        with_id(Customer("A"), 1)


def _by_dataclass(cls: type, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    made = object.__new__(cls)
    DATACLASS_INITS[cls](made, *args, **kwargs)
    return made


_VALUES = st.none() | st.integers() | st.text(max_size=5) | st.tuples(st.integers())


@given(cls=st.sampled_from(_CLASSES), data=st.data())
def test_records_are_built_exactly_as_the_dataclass_builds_them(cls: type, data: st.DataObject) -> None:
    """Any split of the fields into positional, keyword and left-out (defaulted) arguments gives
    the same object as the dataclass __init__, slot for slot; a missing required field or an
    unknown keyword is a TypeError from both."""
    fs = fields(cls)
    required = [f for f in fs
                if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING]
    n_positional = data.draw(st.integers(0, len(fs)), label="positional")
    args = tuple(data.draw(_VALUES) for _ in fs[:n_positional])
    kwargs = {f.name: data.draw(_VALUES) for f in fs[n_positional:]
              if f in required or data.draw(st.booleans(), label=f"pass {f.name}")}
    if data.draw(st.booleans(), label="break the call"):
        kwargs["no_such_field"] = 1
        if required and data.draw(st.booleans(), label="drop a required one"):
            kwargs.pop(required[-1].name, None)
    try:
        expected = _by_dataclass(cls, args, kwargs)
    except TypeError:
        with pytest.raises(TypeError):
            cls(*args, **kwargs)
        return
    built = cls(*args, **kwargs)
    assert [getattr(built, f.name) for f in fs] == [getattr(expected, f.name) for f in fs]
    assert built == expected and hash(built) == hash(expected) if _hashable(expected) else built == expected


def _hashable(value: Any) -> bool:
    try:
        hash(value)
    except TypeError:
        return False
    return True


def test_a_default_factory_gives_each_record_its_own_value() -> None:
    assert Invoice(1, 1, 3, "t", "k", "r", "1.000", "x", "x").customer == Customer()
    assert Customer.__init__.__qualname__ == "Customer.__init__"
