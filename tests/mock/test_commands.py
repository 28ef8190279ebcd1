"""Handlers turn wire payloads into the domain's commands; the domain never sees a wire name."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mock_server.handlers.bulk_files import read_csv
from mock_server.handlers.bulk_invoices import bulk_row_changes, bulk_upload
from mock_server.handlers.invoices import new_invoice
from mock_server.handlers.open_invoices import new_open_invoice
from mock_server.state.commands import BulkLine
from mock_server.state.errors import Unprocessable

_ITEM = {"itemTitle": "Widget", "rate": "24.500", "quantity": "2", "amount": "49.000"}


def test_a_full_payload_maps_every_field() -> None:
    new = new_invoice({"invoiceType": "1", "amount": "49.000", "customerName": "Sara",
                       "customerEmail": "s@x.kw",
                       "countryCode": "+965", "mobileNumber": "50000000", "referenceNumber": "R-1",
                       "description": "d", "language": "en", "allocatePayType": "1, 2,", "itemsList": [_ITEM],
                       "expiresAt": "2030-01-01", "webhook": "http://h/x", "invoiceSubType": "3"})
    assert (new.amount, new.customer_name, new.customer_email, new.customer_phone) == (
        "49.000", "Sara", "s@x.kw", "96550000000")
    assert (new.by_sms, new.sub_type, new.sub_type_as_sent, new.pay_types) == (True, 3, "3", ("1", "2"))
    assert new.products[0].title == "Widget" and new.products[0].quantity == 2
    assert (new.expires_at, new.webhook, new.language) == ("2030-01-01", "http://h/x", "en")


def test_defaults_when_fields_are_absent() -> None:
    sms = new_invoice({"invoiceType": "1", "amount": "5.000"})
    link = new_invoice({"invoiceType": "2", "amount": "5.000", "allocatePayType": []})
    assert (sms.sub_type, link.sub_type) == (0, 3)  # what the server stores when none is sent
    assert sms.sub_type_as_sent is None and sms.customer_phone is None and sms.language is None
    assert sms.pay_types is None and link.pay_types is None  # the merchant's default


@given(st.lists(st.fixed_dictionaries({
    "itemTitle": st.text(min_size=1, max_size=5),
    "rate": st.decimals(0, 999, places=3).map(str),
    "quantity": st.integers(1, 9),
    "amount": st.decimals(0, 999, places=3).map(str)}), max_size=4))
def test_items_list_as_a_json_string_is_the_same_list(items: list[dict[str, Any]]) -> None:
    base = {"invoiceType": "2", "amount": "1.000"}
    assert new_invoice({**base, "itemsList": json.dumps(items)}) == new_invoice({**base, "itemsList": items})


def test_subscription_terms_keep_what_was_sent_as_text() -> None:
    new = new_invoice({"invoiceType": "2", "amount": "1.000", "frequency": 1, "noofRecurrence": "3",
                       "startDate": "2030-01-01"})
    assert new.subscription is not None
    assert (new.subscription.frequency, new.subscription.recurrences) == ("1", "3")
    assert new.subscription.subscription_type is None and new.subscription.start_date == "2030-01-01"


def test_open_invoice_amounts_follow_the_amount_type() -> None:
    fixed = new_open_invoice({"title": "T", "amountType": "0", "fixAmount": "7", "minAmount": "1"})
    ranged = new_open_invoice({"title": "T", "amountType": "1", "minAmount": "1", "maxAmount": "9.5"})
    assert (fixed.open_amount, fixed.fixed_amount, fixed.min_amount) == (False, "7.000", "0.000")
    assert (ranged.open_amount, ranged.fixed_amount, ranged.max_amount) == (True, "0.000", "9.500")


def test_bulk_commands_carry_only_what_was_sent() -> None:
    changes = bulk_row_changes({"name": "N", "amount": "3"})
    assert (changes.name, changes.amount, changes.email, changes.phone) == ("N", "3.000", None, None)
    csv = base64.b64encode(b"\xef\xbb\xbfphone, name ,amount,extra\n96566666666,Ali,8.5,x\n").decode()
    upload = bulk_upload({"invoices": csv, "isScheduled": "TRUE", "scheduleTime": "2030-01-01 10:00"})
    assert (upload.scheduled, upload.schedule_time) == (True, "2030-01-01 10:00")
    # header names trimmed, columns in any order, extras dropped, the amount in 3 decimals
    assert upload.lines == (BulkLine(name="Ali", phone="96566666666", email="", amount="8.500",
                                     reference_number="", description=""),)


def test_a_file_type_neither_csv_nor_xlsx_is_refused_before_the_file_is_read() -> None:
    with pytest.raises(Unprocessable) as refused:
        bulk_upload({"invoices": "not base64", "fileType": "xls"})
    assert list(refused.value.field_errors or {}) == ["fileType"]


_SENT = st.none() | st.text(max_size=4) | st.integers(-3, 12)
_PAY_TYPES = (st.none() | st.just("") | st.text("12, ", max_size=6)
              | st.lists(st.sampled_from([1, 2, "1", " 2", ""])))


@given(st.fixed_dictionaries({"amount": st.just("5.000")}, optional={
    "frequency": _SENT, "noofRecurrence": _SENT, "SubscriptionType": _SENT, "startDate": _SENT,
    "allocatePayType": _PAY_TYPES}))
def test_terms_and_pay_types_are_what_the_plain_reading_gives(payload: dict[str, Any]) -> None:
    """new_invoice shares one empty SubscriptionTerms and strips pay types with list comprehensions;
    the command is the one the field-by-field reading gives."""
    new = new_invoice(payload)

    def text(name: str) -> str | None:
        return None if payload.get(name) is None else str(payload.get(name))

    assert tuple(new.subscription) == (text("frequency"), text("noofRecurrence"), text("SubscriptionType"),
                                       text("startDate"))
    sent = payload.get("allocatePayType")
    if sent is None or sent == "" or sent == []:
        assert new.pay_types is None
    else:
        items = sent.split(",") if isinstance(sent, str) else sent
        assert new.pay_types == tuple(t for t in (str(v).strip() for v in items) if t)


def _refusal(csv: bytes) -> str:
    with pytest.raises(Unprocessable) as refused:
        read_csv(base64.b64encode(csv).decode())
    assert list(refused.value.field_errors or {}) == ["invoices"]
    return refused.value.message


def test_a_spreadsheet_csv_is_read_whatever_the_header_case() -> None:
    excel = b'\xef\xbb\xbfName,PHONE,Amount,Notes\r\n"Ali, Jr.",96566666666,8.5,"say ""hi"""\r\n'
    assert read_csv(base64.b64encode(excel).decode()) == (
        BulkLine(name="Ali, Jr.", phone="96566666666", email="", amount="8.500", reference_number="",
                 description=""),)


def test_a_bad_csv_is_refused_saying_what_is_wrong() -> None:
    assert "after line 2: unexpected end of data" in _refusal(b'name,phone,amount\n"Ali,6666,8\n')
    decimals = _refusal(b"name,phone,amount\nAli,6666,1.0005\n")
    assert decimals == "Line 2: amount '1.0005' has more than 3 decimals."
    assert "is not a positive amount" in _refusal(b"name,phone,amount\nAli,6666,-1\n")
    assert _refusal(b"name,amount\nAli,1\n") == "The invoices file header is missing: phone."
