"""Record copies the stores make on insert: ``with_id`` is ``dataclasses.replace(record, id=...)``."""

from __future__ import annotations

from dataclasses import replace

import pytest

from mock_server.state.models import BulkRow, Customer, Invoice, OpenInvoice, with_id

_RECORDS = [
    Invoice(84, 1, 3, "841759667833967748", "9Q6EE769", "ref", "20.000", "2026-01-01 10:00:00",
            "2026-01-01 10:00:00", customer=Customer("A", "a@x.com", "96566666666"),
            payment_method=("1", "2"), products=({"id": 1},), echo={"invoiceSubType": 3}),
    OpenInvoice(84, "t", "r", 0, "1.000", "0.000", "0.000", "AK", "2026-01-01", "2026-01-01"),
    BulkRow(84, "r", "n", "965", "e@x.com", "1.000", "d", "2026-01-01", "2026-01-01", has_schedule=1),
]


@pytest.mark.parametrize("record", _RECORDS, ids=lambda r: type(r).__name__)
def test_with_id_equals_replace_and_leaves_the_original(record: object) -> None:
    copied = with_id(record, 42)
    assert copied == replace(record, id=42)  # type: ignore[type-var]
    assert copied is not record and record.id == 0  # type: ignore[attr-defined]
    with pytest.raises(AttributeError):
        copied.id = 7  # type: ignore[attr-defined]  # still frozen
