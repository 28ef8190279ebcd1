"""Hand-broken payloads and bodies: each must fail at the right JSON pointer with the right rule."""

from __future__ import annotations

import copy
import dataclasses
from typing import Any

import pytest
from spec_data import DOC_SAMPLES, SEED_REQUESTS, SEED_RESPONSES

from hesabe_spec.validation import (
    MISSING,
    Violation,
    _validator,
    validate_request,
    validate_response,
)

DROP = object()  # sentinel: remove the key instead of setting it


def _seed(operation: str, direction: str, n: int = 0) -> Any:
    records = SEED_REQUESTS if direction == "request" else SEED_RESPONSES
    return [r["json"] for r in records if r["operation"] == operation][n]


BASE = {
    "create": _seed("create_invoice", "request"),
    "created": _seed("create_invoice", "response"),
    "split": _seed("create_split_invoice", "request"),
    "split_resp": _seed("create_split_invoice", "response"),
    "resend": _seed("resend_invoice", "request"),
    "bulk": _seed("send_bulk_invoices", "request"),
    "details": DOC_SAMPLES["invoice-details"]["json"],
    "dashboard": DOC_SAMPLES["dashboard"]["json"],
    "login": DOC_SAMPLES["login-success"]["json"],
    "error": DOC_SAMPLES["login-not-found"]["json"],
    "e506": {"status": False, "code": 506, "message": "Invalid Request Data", "response": None},
    "fields": DOC_SAMPLES["create-validation"]["json"],
    "subscription": DOC_SAMPLES["subscription-request"]["json"],
    "open_fixed": DOC_SAMPLES["open-create-fixed"]["json"],
    "open_range": DOC_SAMPLES["open-create-range"]["json"],
    "upload": DOC_SAMPLES["bulk-upload-request"]["json"],
    "bulk_update": DOC_SAMPLES["bulk-update-request"]["json"],
    "list": DOC_SAMPLES["dashboard-request"]["json"],
}


def _broken(base: Any, pointer: str, value: Any) -> Any:
    """A deep copy of ``base`` with the value at ``pointer`` replaced (or dropped)."""
    doc = copy.deepcopy(base)
    *parents, last = [int(t) if t.isdigit() else t for t in pointer.split("/")[1:]]
    node = doc
    for key in parents:
        node = node[key]
    if value is DROP:
        del node[last]
    else:
        node[last] = value
    return doc


AP = "additionalProperties"
ITEM = {"itemTitle": "Iphone", "rate": "120.000", "quantity": "1", "amount": "120.000"}

# (operation, base sample, pointer to break, new value or DROP, expected rule[, expected pointer])
# The expected pointer is the broken one unless given.
RESPONSE_BREAKS: list[tuple[Any, ...]] = [
    ("create_invoice", "created", "/response/amount", "20.5", "pattern"),
    ("create_invoice", "created", "/response/amount", 20, "type"),
    ("create_invoice", "created", "/response/id", DROP, "required"),
    ("create_invoice", "created", "/response/invoice_type", "1", "enum"),
    ("create_invoice", "created", "/response/invoice_sub_type", 9, "enum"),
    ("create_invoice", "created", "/response/merchant_id", "eighty", "pattern"),
    ("create_invoice", "created", "/response/merchant_id", 0, "minimum"),
    ("create_invoice", "created", "/response/invoice_status", 2, "enum"),
    ("create_invoice", "created", "/response/sms_response", {"isOK": True}, "type"),
    ("create_invoice", "created", "/response/payment_method", "1,2", "type"),
    ("create_invoice", "created", "/response/customer/email", 5, "type"),
    ("create_invoice", "created", "/response/customer/mobile", "1", AP),
    ("create_invoice", "created", "/response/created_at", "2025-10-05T15:37:13", "pattern"),
    ("create_invoice", "created", "/response/expires_at", "2025-02-30", "format"),
    ("create_invoice", "created", "/response/url", "demo.hesabe.com/s/x", "pattern"),
    ("create_invoice", "created", "/response/merchantId", 84, AP),
    ("create_invoice", "created", "/message", DROP, "required"),
    ("create_invoice", "created", "/extra", 1, AP),
    ("create_invoice", "created", "/status", "true", "const"),
    ("get_invoice", "details", "/response/transaction/amount", "15.000", "type"),
    ("get_invoice", "details", "/response/transaction/id", DROP, "required"),
    ("create_split_invoice", "split_resp", "/response", [], "minItems"),
    ("create_split_invoice", "split_resp", "/response/1/discount", "0", "pattern"),
    ("list_invoices", "dashboard", "/response/stats/invoice_paid", 0, "type"),
    ("list_invoices", "dashboard", "/response/stats/total_invoice_count", "9", "type"),
    ("list_invoices", "dashboard", "/response/invoices/data/0/transaction/Amount", DROP, "required"),
    ("list_invoices", "dashboard", "/response/invoices/pagination/next_page_url", DROP, "required"),
    ("list_invoices", "dashboard", "/response/order_stats", DROP, "required"),
    ("login", "login", "/response/token/token_type", "bearer", "const"),
    ("login", "login", "/response/token/expires_in", "900", "type"),
    ("cancel_invoice", "error", "/message", DROP, "required"),
    ("cancel_invoice", "error", "/response", DROP, "dependentRequired"),
    ("send_bulk_invoices", "e506", "/code", "506", "type"),
    ("create_invoice", "fields", "/response/amount", "The amount is invalid.", "type"),
    ("create_invoice", "fields", "/response/amount", [], "minItems"),
    ("create_invoice", "fields", "/response", {}, "minProperties"),
    ("send_bulk_invoices", "e506", "/status", True, AP, "/code"),
    ("get_invoice", "error", "/status", True, "type", "/response"),
]


REQUEST_BREAKS: list[tuple[Any, ...]] = [
    ("create_invoice", "create", "/amount", "20", "pattern"),
    ("create_invoice", "create", "/amount", "0.000", "pattern"),
    ("create_invoice", "create", "/amount", "20.0000", "pattern"),
    ("create_invoice", "create", "/amount", 20.0, "type"),
    ("create_invoice", "create", "/invoiceType", "2", "enum"),
    ("create_invoice", "create", "/customerName", 5, "type"),
    ("create_invoice", "create", "/expiresAt", DROP, "required"),
    ("create_invoice", "create", "/merchantCode", DROP, "required"),
    ("create_invoice", "create", "/mobileNumber", DROP, "if-then"),
    ("create_invoice", "create", "/countryCode", DROP, "if-then"),
    ("create_invoice", "create", "/mobileNumber", 66666666, "type"),
    ("create_invoice", "create", "/allocatePayType", "1,3", "pattern"),
    ("create_invoice", "create", "/allocatePayType", "", "pattern"),
    ("create_invoice", "create", "/allocatePayType", [1, 3], "enum", "/allocatePayType/1"),
    ("create_invoice", "create", "/allocatePayType", [], "minItems"),
    ("create_invoice", "create", "/expiresAt", "2025-13-01", "format"),
    ("create_invoice", "create", "/expiresAt", "12-12-2025", "pattern"),
    ("create_invoice", "create", "/language", "fr", "enum"),
    ("create_invoice", "create", "/webhook", "yourdomain.com", "pattern"),
    ("create_invoice", "create", "/customer_name", "TEST", AP),
    ("create_invoice", "create", "/itemsList", "[oops]", "format"),
    ("create_invoice", "create", "/itemsList", "oops", "pattern"),
    ("create_invoice", "create", "/itemsList", [{**ITEM, "rate": "1"}], "pattern", "/itemsList/0/rate"),
    ("create_invoice", "create", "/itemsList", [{**ITEM, "quantity": 0}], "minimum", "/itemsList/0/quantity"),
    ("create_invoice", "create", "/subscription", "1", "if-then", "/frequency"),
    ("create_subscription_invoice", "subscription", "/frequency", DROP, "required"),
    ("create_subscription_invoice", "subscription", "/startDate", "2025-02-29", "format"),
    ("create_subscription_invoice", "subscription", "/SubscriptionType", "2", "enum"),
    ("create_split_invoice", "split", "/invoices", [], "minItems"),
    ("create_split_invoice", "split", "/invoices/0/amount", "1", "pattern"),
    ("create_split_invoice", "split", "/invoices/1/mobileNumber", DROP, "if-then"),
    ("create_installment_invoice", "split", "/invoices/0/extra", 1, AP),
    ("resend_invoice", "resend", "/resendId", "abc", "pattern"),
    ("resend_invoice", "resend", "/resendId", 1782, "type"),
    ("resend_invoice", "resend", "/countryCode", DROP, "required"),
    ("send_bulk_invoices", "bulk", "/ids", [12880], "type", "/ids/0"),
    ("send_bulk_invoices", "bulk", "/ids", [], "minItems"),
    ("cancel_invoice", "bulk", "/statusId", "2", "const"),
    ("create_open_invoice", "open_fixed", "/fixAmount", DROP, "if-then"),
    ("create_open_invoice", "open_fixed", "/fixAmount", "", "pattern"),
    ("create_open_invoice", "open_range", "/maxAmount", DROP, "if-then"),
    ("create_open_invoice", "open_range", "/minAmount", "0.000", "pattern"),
    ("create_open_invoice", "open_fixed", "/amountType", "2", "enum"),
    ("update_open_invoice", "open_fixed", "/expiryDate", "", "pattern"),
    ("upload_bulk_invoices", "upload", "/isScheduled", False, "enum"),
    ("upload_bulk_invoices", "upload", "/fileType", "pdf", "enum"),
    ("upload_bulk_invoices", "upload", "/invoices", "not base64!", "pattern"),
    ("upload_bulk_invoices", "upload", "/invoices", "abcde", "format"),
    ("update_bulk_invoice", "bulk_update", "/phone", "abc", "pattern"),
    ("update_bulk_invoice", "bulk_update", "/amount", DROP, "required"),
    ("update_bulk_invoice", "bulk_update", "/referenceNumber", "x", AP),
    ("list_invoices", "list", "/invoiceType", "2", "enum"),
    ("list_invoices", "list", "/fromDate", "2025-02-30", "format"),
    ("list_invoices", "list", "/page", 0, "minimum"),
    ("list_invoices", "list", "/page", "0", "pattern"),
    ("list_invoices", "list", "/status", "2", "enum"),
]


CASES = [(validate_response, c) for c in RESPONSE_BREAKS] + [(validate_request, c) for c in REQUEST_BREAKS]


@pytest.mark.parametrize(
    ("validate", "case"), CASES, ids=[f"{f.__name__[9:]}:{c[0]}:{c[2]}:{c[4]}" for f, c in CASES]
)
def test_broken_variant_fails_at_the_right_place(validate: Any, case: tuple[Any, ...]) -> None:
    operation, base, pointer, value, rule, *expected = case
    found = validate(operation, _broken(BASE[base], pointer, value))
    assert ((expected or [pointer])[0], rule) in {(v.pointer, v.rule) for v in found}, found


def test_email_sub_type_needs_a_real_customer_email() -> None:
    payload = {**BASE["create"], "invoiceSubType": "2"}
    del payload["customerEmail"]
    (missing,) = validate_request("create_invoice", payload)
    assert (missing.pointer, missing.rule, missing.keyword) == ("/customerEmail", "if-then", "required")
    assert "invoiceSubType is \"2\"" in missing.message
    (bad,) = validate_request("create_invoice", {**payload, "customerEmail": "not-an-email"})
    assert (bad.pointer, bad.rule) == ("/customerEmail", "format")
    assert validate_request("create_invoice", {**payload, "customerEmail": "a@b.co"}) == []


def test_mixed_types_the_server_and_apps_really_use_are_accepted() -> None:
    create = BASE["create"]
    assert validate_request("create_invoice", {**create, "allocatePayType": [1, "2", 16]}) == []
    # The newest docs mark customerName optional and an older snapshot omits allocatePayType.
    minimal = {k: v for k, v in create.items() if k not in ("customerName", "allocatePayType")}
    assert validate_request("create_invoice", minimal) == []
    items = '[{"itemTitle":"Iphone","rate":"120.000","quantity":"1","amount":"120.000"}]'
    assert validate_request("create_invoice", {**create, "itemsList": items}) == []
    assert validate_request("create_invoice", {**create, "countryCode": "+965"}) == []
    assert validate_request("list_invoices", {**BASE["list"], "page": 2, "invoiceType": 6}) == []
    created = BASE["created"]
    for sub_type in (3, "3"):
        for merchant_id in (84, "84"):
            body = _broken(_broken(created, "/response/invoice_sub_type", sub_type),
                           "/response/merchant_id", merchant_id)
            assert validate_response("create_invoice", body) == []


# ------------------------------------------------------------------------- the Violation value


def test_violation_names_field_pointer_and_laravel_key() -> None:
    payload = _broken(BASE["split"], "/invoices/0/amount", DROP)
    (v,) = validate_request("create_split_invoice", payload)
    assert (v.operation, v.direction, v.rule, v.pointer, v.field) == (
        "create_split_invoice", "request", "required", "/invoices/0/amount", "amount")
    assert v.actual == MISSING
    assert v.dotted_key == "invoices.0.amount"
    assert "amount" in v.expected and "amount" in v.message


def test_violation_for_a_wrong_value_shows_expected_and_actual() -> None:
    (v,) = validate_request("create_invoice", {**BASE["create"], "amount": "20.5"})
    assert v.actual == '"20.5"'
    assert v.expected.startswith("a string matching ^")
    assert v.message.startswith("/amount: expected Money as a 3-decimal string greater than zero")


def test_root_level_violation_has_empty_pointer_and_no_field() -> None:
    for payload in (None, [], "x"):
        (v,) = validate_request("login", payload)
        assert (v.pointer, v.field, v.rule) == ("", None, "type")


def test_violation_is_a_frozen_slotted_hashable_value() -> None:
    (v,) = validate_request("login", {"username": "Test"})
    with pytest.raises(dataclasses.FrozenInstanceError):
        v.rule = "x"  # type: ignore[misc]
    assert not hasattr(v, "__dict__")
    assert len({v, v}) == 1
    assert isinstance(v, Violation)


def test_pointer_escapes_slash_and_tilde_in_keys() -> None:
    (v,) = validate_request("login", {"username": "u", "password": "p", "a/b~c": 1})
    assert v.pointer == "/a~1b~0c" and v.field == "a/b~c"


def test_violations_are_sorted_and_deterministic() -> None:
    payload = {"merchantCode": "x", "invoiceType": "1", "zzz": 1}
    first = validate_request("create_invoice", payload)
    assert first == validate_request("create_invoice", payload)
    assert [v.pointer for v in first] == sorted(v.pointer for v in first)


def test_validators_are_compiled_once() -> None:
    def misses() -> int:
        return _validator.cache_info().misses

    validate_request("create_invoice", BASE["create"])
    validate_request("create_invoice", {})
    before = misses()
    for _ in range(5):
        validate_request("create_invoice", BASE["create"])
        assert validate_request("create_invoice", {})
    assert misses() == before
