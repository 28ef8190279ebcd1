"""The schema files: one per operation and direction, in sync with the enums, true to real data."""

from __future__ import annotations

import re
from typing import Any

import pytest
from jsonschema import Draft202012Validator
from spec_data import DOC_SAMPLES, SEED_REQUESTS, SEED_RESPONSES, ids

from hesabe_spec import enums
from hesabe_spec.operations import OPERATIONS
from hesabe_spec.schema_store import (
    FORMAT_CHECKER,
    OUTBOUND,
    SCHEMA_BASE_URI,
    documents,
    load_schema,
    request_schema,
    response_schema,
    schema_names,
)
from hesabe_spec.validation import validate_outbound, validate_request, validate_response

DEFS = documents()[SCHEMA_BASE_URI + "defs.json"]["$defs"]


def _validate(direction: str, operation: str, instance: Any) -> list[Any]:
    check = {"request": validate_request, "response": validate_response, "outbound": validate_outbound}
    return check[direction](operation, instance)


def test_every_operation_has_a_request_and_a_response_schema_and_nothing_else() -> None:
    expected = {op.request_schema_name for op in OPERATIONS.values()}
    expected |= {op.response_schema_name for op in OPERATIONS.values()}
    expected |= {f"{message}.outbound" for message in OUTBOUND}
    assert set(schema_names()) == expected


def test_every_outbound_message_has_a_doc_sample() -> None:
    assert {s["operation"] for s in DOC_SAMPLES.values() if s["direction"] == "outbound"} == set(OUTBOUND)


@pytest.mark.parametrize("uri", sorted(documents()))
def test_every_document_is_a_valid_2020_12_schema(uri: str) -> None:
    Draft202012Validator.check_schema(documents()[uri])


@pytest.mark.parametrize("record", SEED_RESPONSES, ids=ids(SEED_RESPONSES))
def test_every_decrypted_seed_response_is_valid(record: dict[str, Any]) -> None:
    assert validate_response(record["operation"], record["json"]) == []


@pytest.mark.parametrize("record", SEED_REQUESTS, ids=ids(SEED_REQUESTS))
def test_every_decrypted_seed_request_is_valid(record: dict[str, Any]) -> None:
    assert validate_request(record["operation"], record["json"]) == []


@pytest.mark.parametrize("name", sorted(DOC_SAMPLES))
def test_every_doc_sample_is_valid(name: str) -> None:
    sample = DOC_SAMPLES[name]
    assert _validate(sample["direction"], sample["operation"], sample["json"]) == []


def test_doc_samples_cover_every_operation_request_side() -> None:
    covered = {s["operation"] for s in DOC_SAMPLES.values() if s["direction"] == "request"}
    covered |= {r["operation"] for r in SEED_REQUESTS}
    assert covered == set(OPERATIONS)


@pytest.mark.parametrize("operation", sorted(OPERATIONS))
def test_every_response_schema_accepts_each_shared_refusal_shape(operation: str) -> None:
    refusals = [
        {"status": False, "message": "Request not found, Please verify the request data", "response": None},
        {"status": False, "message": "Invalid Signature.", "response": None},
        {"status": False, "code": 506, "message": "Invalid Request Data", "response": None},
        {"status": False, "message": "The given data was invalid.", "response": {"amount": ["Invalid."]}},
        {"message": "Internal server error occurred"},
    ]
    for body in refusals:
        assert validate_response(operation, body) == [], body


@pytest.mark.parametrize("operation", sorted(n for n, op in OPERATIONS.items() if op.host == "gateway"))
def test_gateway_response_schemas_accept_every_gateway_error_code(operation: str) -> None:
    for code in enums.GatewayErrorCode:
        assert validate_response(operation, {"status": False, "code": int(code), "message": code.text}) == []
    field_error = {"status": False, "code": 422, "message": "Invalid Input", "data": {"amount": ["Invalid."]}}
    assert validate_response(operation, field_error) == []
    assert validate_response(operation, {"status": False, "code": "422", "message": "Invalid Input"}) != []


def test_checkout_amounts_the_kits_send_are_valid_and_bad_ones_are_not() -> None:
    base = {"merchantCode": "842217", "paymentType": "0", "responseUrl": "https://a.example/ok",
            "failureUrl": "https://a.example/no"}
    for good in ("2.000", "3", "0.001", "0.5", "10.25", 10, 10.0, 0.25, "007.100"):
        assert validate_request("create_checkout", {**base, "amount": good}) == [], good
    for bad in ("0", "0.000", "-1", "1.2345", "1,000", " 5", "", "abc", 0, -2, 0.0001, None, True):
        found = validate_request("create_checkout", {**base, "amount": bad})
        assert [v.pointer for v in found] == ["/amount"], bad


def test_authorize_takes_only_mpgs() -> None:
    base = {"merchantCode": "842217", "amount": "1.000", "responseUrl": "https://a.example/ok",
            "failureUrl": "https://a.example/no"}
    assert validate_request("create_checkout", {**base, "paymentType": "2", "authorize": "1"}) == []
    assert validate_request("create_checkout", {**base, "paymentType": "1", "authorize": "0"}) == []
    found = validate_request("create_checkout", {**base, "paymentType": "1", "authorize": "1"})
    assert [(v.pointer, v.rule) for v in found] == [("/paymentType", "enum")]


# ----------------------------------------------------------------------- in sync with enums.py


def _codes_in_pattern(pattern: str) -> set[int]:
    return {int(code) for code in re.findall(r"\d+", pattern.split(")(")[0])}


def test_allocate_pay_type_knows_exactly_the_payment_type_codes() -> None:
    schema = DEFS["AllocatePayType"]
    codes = {int(p) for p in enums.PaymentType}
    assert _codes_in_pattern(schema["pattern"]) == codes
    assert set(schema["items"]["enum"]) == codes | {str(c) for c in codes}


@pytest.mark.parametrize(
    ("values", "enum"),
    [
        (DEFS["InvoiceRequest"]["properties"]["invoiceType"]["enum"], enums.CreateInvoiceType),
        (DEFS["InvoiceRequest"]["properties"]["invoiceSubType"]["enum"], enums.InvoiceSubType),
        (DEFS["InvoiceRequest"]["properties"]["SubscriptionType"]["enum"], enums.SubscriptionType),
        (DEFS["Language"]["enum"], enums.Language),
        (request_schema("create_open_invoice")["properties"]["amountType"]["enum"], enums.AmountType),
        (request_schema("list_bulk_invoices")["properties"]["type"]["enum"], enums.BulkListType),
        (DEFS["Invoice"]["properties"]["invoice_type"]["enum"], enums.InvoiceKind),
        (DEFS["Invoice"]["properties"]["invoice_status"]["enum"][:-1], enums.InvoiceStatus),  # minus null
        (DEFS["TransactionRecord"]["properties"]["status"]["enum"], enums.TransactionStatus),
    ],
    ids=lambda x: getattr(x, "__name__", ""),
)
def test_schema_enums_match_enums_module(values: list[Any], enum: Any) -> None:
    assert sorted(values, key=str) == sorted((m.value for m in enum), key=str)


def test_checkout_payment_types_are_the_payment_type_codes_as_text_and_number() -> None:
    codes = [int(p) for p in enums.PaymentType]
    expected = [*codes, *map(str, codes)]
    assert sorted(DEFS["CheckoutPaymentType"]["enum"], key=repr) == sorted(expected, key=repr)


# ------------------------------------------------------------------------------ loader helpers


def test_load_schema_returns_a_private_copy() -> None:
    first = load_schema("cancel_invoice.request")
    first["required"] = []
    assert load_schema("cancel_invoice.request") != first
    found = validate_request("cancel_invoice", {"merchantCode": "842217"})
    assert [v.pointer for v in found] == ["/statusId"]


@pytest.mark.parametrize("name", schema_names())
def test_inlined_schema_is_self_contained_and_equivalent(name: str) -> None:
    inlined = load_schema(name, inline=True)
    assert "$ref" not in repr(inlined)
    validator = Draft202012Validator(inlined, format_checker=FORMAT_CHECKER)
    operation, direction = name.rsplit(".", 1)
    records = [*DOC_SAMPLES.values(), *SEED_REQUESTS, *SEED_RESPONSES]
    samples = [r["json"] for r in records if (r["operation"], r["direction"]) == (operation, direction)]
    broken = [None, [], {"unexpected": 1}]
    for instance in samples + broken:
        assert validator.is_valid(instance) == (_validate(direction, operation, instance) == [])


def test_request_and_response_schema_helpers_and_unknown_names() -> None:
    assert request_schema("login")["$id"].endswith("requests/login.json")
    assert response_schema("login")["$id"].endswith("responses/login.json")
    for bad in ("login", "nope.request", "login.reply", ".request", "login.outbound"):
        with pytest.raises(KeyError):
            load_schema(bad)
    with pytest.raises(KeyError):
        validate_request("no_such_operation", {})
    with pytest.raises(KeyError):
        validate_outbound("create_checkout", {})


@pytest.mark.parametrize(("mobile", "valid"), [
    ("66666666", True), ("1234567890", True), ("+96566666666", True), ("96566666666", True),
    ("12345678901", False), ("6666666", False), ("+1234567890123", False), ("6666 6666", False),
])
def test_a_card_customers_mobile_is_8_to_10_digits_after_an_optional_965(mobile: str, valid: bool) -> None:
    """hesabe-checkout-api.md §8.3: "8-10 digits"; the guide's own sample writes +965 before them."""
    payload = {"merchantCode": "842217", "name": "Sara", "email": "s@example.com", "mobile_number": mobile}
    assert (validate_request("create_card_customer", payload) == []) is valid


@pytest.mark.parametrize(("operation", "payload", "field"), [
    ("create_invoice", {"invoiceType": "0", "customerName": "A"}, "amount"),
    ("create_open_invoice", {"title": "T", "amountType": "1", "minAmount": "1.000"}, "maxAmount"),
    ("create_checkout", {"merchantCode": "842217", "paymentType": "1", "responseUrl": "https://s.example/ok",
                         "failureUrl": "https://s.example/no"}, "amount"),
    ("capture_authorization", {"merchantCode": "842217", "paymentToken": "84221717965911829375634487452"},
     "amount"),
])
def test_max_amount_is_the_schemas_bound_on_money(operation: str, payload: dict[str, Any],
                                                  field: str) -> None:
    """MAX_AMOUNT is the largest amount the schemas take; one fils more is refused at that field."""
    from hesabe_spec.amounts import FILS, MAX_AMOUNT, format_amount

    def refused(amount: Any) -> bool:
        return any(v.pointer == f"/{field}" for v in validate_request(operation, {**payload, field: amount}))

    assert not refused(format_amount(MAX_AMOUNT))
    assert refused(f"{MAX_AMOUNT + FILS:.3f}")
    if operation in ("create_checkout", "capture_authorization"):  # a JSON number is money there too
        assert not refused(float(MAX_AMOUNT)) and refused(1e21) and refused(float(MAX_AMOUNT + 1))
