"""``@record``: the mock's records, read-only to the type checker, plain slotted dataclasses at run time.

A record (an invoice, a refund, a handler's ``Call`` and ``Reply``) is never changed once made: a
change is ``dataclasses.replace`` plus ``store.update_*``, so a store's indexes always describe the
records they hold. The type checker enforces that. :func:`record` is declared with
:func:`typing.dataclass_transform` (``frozen_default=True``), so mypy (strict, over every package
in ``make lint``) reads each field of a record as read-only and refuses ``invoice.amount = ...``,
checks ``replace(...)`` against the fields, and knows every constructor's signature.

At run time a record is ``@dataclass(slots=True, unsafe_hash=True)``: the same fields, equality,
hash (of all fields, as a frozen dataclass's), ``replace``, ``asdict`` and slots, without
``frozen=True``'s run-time guard: that guard's generated ``__init__`` sets every field through
``object.__setattr__``, a slow path for every field of every record built, and every create
builds an invoice (docs/benchmarks.md has the figures). tests/mock/test_records.py checks both
halves: the run-time shape, and that mypy refuses an assignment to a record's field.

Configuration made once (settings, merchants, operations) stays ``@dataclass(frozen=True)``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TypeVar, dataclass_transform

__all__ = ["record"]

_T = TypeVar("_T")


@dataclass_transform(frozen_default=True, field_specifiers=(field,))
def record(cls: type[_T]) -> type[_T]:
    """Make ``cls`` a record: a slotted dataclass whose fields the type checker treats as read-only."""
    return dataclass(slots=True, unsafe_hash=True)(cls)
