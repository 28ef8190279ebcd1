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
    SCHEMA_BASE_URI,
    documents,
    load_schema,
    request_schema,
    response_schema,
    schema_names,
)
from hesabe_spec.validation import validate_request, validate_response

DEFS = documents()[SCHEMA_BASE_URI + "defs.json"]["$defs"]


def _validate(direction: str, operation: str, instance: Any) -> list[Any]:
    return (validate_request if direction == "request" else validate_response)(operation, instance)


def test_every_operation_has_a_request_and_a_response_schema_and_nothing_else() -> None:
    expected = {op.request_schema_name for op in OPERATIONS.values()}
    expected |= {op.response_schema_name for op in OPERATIONS.values()}
    assert set(schema_names()) == expected


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
def test_every_response_schema_accepts_each_refusal_shape(operation: str) -> None:
    refusals = [
        {"status": False, "message": "Request not found, Please verify the request data", "response": None},
        {"status": False, "message": "Invalid Signature.", "response": None},
        {"status": False, "code": 506, "message": "Invalid Request Data", "response": None},
        {"status": False, "message": "The given data was invalid.", "response": {"amount": ["Invalid."]}},
        {"message": "Internal server error occurred"},
    ]
    for body in refusals:
        assert validate_response(operation, body) == [], body


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
    ],
    ids=lambda x: getattr(x, "__name__", ""),
)
def test_schema_enums_match_enums_module(values: list[Any], enum: Any) -> None:
    assert sorted(values, key=str) == sorted((m.value for m in enum), key=str)


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
    for bad in ("login", "nope.request", "login.reply", ".request"):
        with pytest.raises(KeyError):
            load_schema(bad)
    with pytest.raises(KeyError):
        validate_request("no_such_operation", {})
