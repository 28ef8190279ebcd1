"""The generators: valid payloads validate, invalid ones break exactly the field they claim,
the safety restrictions hold, and an unknown schema keyword fails loudly."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from contract_tests._params import identity_only
from contract_tests.errors import UnsupportedSchema
from contract_tests.schemagen import check_keywords
from contract_tests.strategies import context_for, invalid_payloads, valid_payloads
from hesabe_spec.operations import OPERATIONS
from hesabe_spec.validation import validate_request

CTX = context_for("842217", "ctgen0001")
SAFE = context_for("842217", "ctgen0002", sms_allowed=False)
_FAST = settings(max_examples=15, deadline=None, database=None, suppress_health_check=list(HealthCheck))
_BREAKABLE = [n for n in OPERATIONS if not identity_only(n)]


@pytest.mark.parametrize("operation", list(OPERATIONS))
@_FAST
@given(data=st.data())
def test_valid_payloads_validate(operation: str, data: st.DataObject) -> None:
    payload = data.draw(valid_payloads(operation, CTX))
    assert validate_request(operation, payload) == []
    for key in ("referenceNumber", "reference_number"):
        if key in payload:
            assert payload[key].startswith("ctgen0001")


@pytest.mark.parametrize("operation", _BREAKABLE)
@_FAST
@given(data=st.data())
def test_invalid_payloads_break_exactly_the_named_field(operation: str, data: st.DataObject) -> None:
    mutation = data.draw(invalid_payloads(operation, CTX))
    violations = validate_request(operation, mutation.payload)
    assert violations
    assert {v.pointer for v in violations} == {mutation.pointer}
    assert mutation.field and mutation.field != "merchantCode"


@_FAST
@given(payload=valid_payloads("create_split_invoice", SAFE))
def test_without_sms_permission_nothing_texts_a_customer(payload: dict) -> None:
    for inv in payload["invoices"]:
        assert inv["invoiceType"] == "0"
        assert inv.get("invoiceSubType", "3") in ("2", "3")


@_FAST
@given(payload=valid_payloads("create_invoice", CTX))
def test_invoices_carry_kwd_amounts_and_kuwaiti_mobiles(payload: dict) -> None:
    whole, _, fils = payload["amount"].partition(".")
    assert len(fils) == 3 and whole.isdigit()
    if "mobileNumber" in payload:
        assert len(payload["mobileNumber"]) == 8 and payload["mobileNumber"][0] in "569"


@pytest.mark.parametrize("invoice_type", ["0", "1"])
@pytest.mark.parametrize("sub_type", ["0", "1", "2", "3"])
def test_every_type_and_sub_type_combination_is_generated(invoice_type: str, sub_type: str) -> None:
    # Narrow the enums to one combination: the generator must still produce valid payloads for it.
    ctx = dataclasses.replace(
        CTX,
        restrict={"invoiceType": frozenset({invoice_type}), "invoiceSubType": frozenset({sub_type})},
        always=CTX.always | {"invoiceSubType"},
    )

    @_FAST
    @given(payload=valid_payloads("create_invoice", ctx))
    def check(payload: dict) -> None:
        assert (payload["invoiceType"], payload["invoiceSubType"]) == (invoice_type, sub_type)
        assert validate_request("create_invoice", payload) == []

    check()


def test_unknown_schema_keywords_fail_loudly() -> None:
    with pytest.raises(UnsupportedSchema, match="oneOf"):
        check_keywords({"type": "object", "properties": {"a": {"oneOf": [{"type": "string"}]}}})
    with pytest.raises(UnsupportedSchema, match="format"):
        check_keywords({"type": "string", "format": "uuid"})


@pytest.mark.parametrize(("operation", "payload", "pointer"), [
    ("create_refund", {"merchantCode": "842217", "token": "84217598367559", "refundMethod": "2",
                       "refundAmount": "2.500"}, "/refundAmount"),
    ("create_invoice", {"merchantCode": "842217", "amount": "12.000", "invoiceType": "0",
                        "expiresAt": "2099-12-12"}, "/amount"),
])
def test_a_money_string_s_wrong_type_is_the_same_amount_as_a_number(operation: str, payload: dict[str, Any],
                                                                      pointer: str) -> None:
    """The type break of an amount keeps its value (12345 could be more than the payment, and a
    refusal for that would look like a refusal of the number's form)."""
    from contract_tests.mutations import mutations
    from hesabe_spec.tolerance import tolerate

    [typed] = [m for m in mutations(operation, payload) if m.kind == "type" and m.pointer == pointer]
    field = pointer.lstrip("/")
    assert isinstance(typed.payload[field], (int, float)) and not isinstance(typed.payload[field], bool)
    assert tolerate(operation, typed.payload).payload[field] == payload[field]  # read back as sent
