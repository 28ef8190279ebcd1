"""Wire names end at the handler: the domain names a refused field by its command's attribute, and
the handler's registry entry gives the name the real API answers with.

Each refusal below is sent over the wire and must come back naming the field as the request spelt
it, storing nothing; the registry's names are checked against the operation's request schema, so
a misspelt map cannot pass silently.
"""

from __future__ import annotations

import base64
from collections.abc import Iterator
from typing import Any

import pytest

from hesabe_spec.client import Result
from hesabe_spec.schema_store import request_schema
from hesabe_spec.validation import validate_response
from mock_server.handlers import HANDLERS, MerchantHandler, invoices
from mock_server.state.errors import Unprocessable
from mock_server.testing import MockHandle, inprocess_mock

INVOICE = {"amount": "20.000", "invoiceType": "0", "invoiceSubType": "3", "expiresAt": "2099-12-31",
           "customerName": "Test", "referenceNumber": "WIRE-1"}
SHORT_ITEMS = [{"itemTitle": "Pen", "rate": "5.000", "quantity": "1", "amount": "5.000"}]
ENOUGH_ITEMS = [{"itemTitle": "Pen", "rate": "20.000", "quantity": "1", "amount": "20.000"}]


@pytest.fixture
def mock() -> Iterator[MockHandle]:
    with inprocess_mock() as handle:
        handle.default_client.list_invoices()  # logged in: the token is made before any fingerprint
        yield handle


def _refused(mock: MockHandle, operation: str, payload: dict[str, Any]) -> Result:
    before = mock.runtime.store.fingerprint()
    result = mock.default_client.call(operation, payload, validate=False, raise_errors=False)
    assert result.status == 400 and result.envelope["status"] is False, result.envelope
    assert validate_response(operation, result.envelope) == [], result.envelope
    assert mock.runtime.store.fingerprint() == before, "a refused request changed the store"
    return result


def _fields(result: Result) -> list[str]:
    return list(result.envelope["response"])


@pytest.mark.parametrize("operation", ["create_split_invoice", "create_installment_invoice"])
@pytest.mark.parametrize("short", [(1,), (0, 2)])
def test_every_short_part_is_named_by_its_place_in_invoices(mock: MockHandle, operation: str,
                                                            short: tuple[int, ...]) -> None:
    code = mock.default_client.config.merchant_code
    parts = [{**INVOICE, "merchantCode": code, "itemsList": SHORT_ITEMS if n in short else ENOUGH_ITEMS}
             for n in range(3)]
    result = _refused(mock, operation, {"invoices": parts})
    assert _fields(result) == [f"invoices.{n}.itemsList" for n in short]  # every one, as Laravel's validator
    assert result.envelope["message"] == result.envelope["response"][f"invoices.{short[0]}.itemsList"][0]


def test_a_single_invoice_names_items_list(mock: MockHandle) -> None:
    assert _fields(_refused(mock, "create_invoice", {**INVOICE, "itemsList": SHORT_ITEMS})) == ["itemsList"]


@pytest.mark.parametrize(("changes", "field"), [
    ({"fileType": "xlsx"}, "invoices"),  # a CSV is not a workbook
    ({"invoices": "not base64!"}, "invoices"),
    ({"invoices": base64.b64encode(b"name,phone,email,amount\n").decode()}, "invoices"),  # no rows
])
def test_a_bulk_upload_names_the_upload_fields(mock: MockHandle, changes: dict[str, str], field: str) -> None:
    csv = base64.b64encode(b"name,phone,email,amount\nAli,96566666666,a@example.com,8.5\n").decode()
    upload = {"isScheduled": "false", "fileType": "csv", "invoices": csv, **changes}
    assert _fields(_refused(mock, "upload_bulk_invoices", upload)) == [field]


def test_an_open_invoice_names_max_amount(mock: MockHandle) -> None:
    ranged = {"title": "Range", "amountType": "1", "minAmount": "50.000", "maxAmount": "10.000"}
    assert _fields(_refused(mock, "create_open_invoice", ranged)) == ["maxAmount"]


def test_field_errors_take_the_wire_name_and_the_part_prefix() -> None:
    handler = MerchantHandler(invoices.create_split_invoice, {"products": "itemsList"}, parts="invoices")
    whole = Unprocessable("short", {"products": ["short"], "amount": ["bad"]})
    assert handler.field_errors(whole) == {"itemsList": ["short"], "amount": ["bad"]}
    parts = Unprocessable("short", {(2, "products"): ["short"], (0, "amount"): ["bad"]})
    assert handler.field_errors(parts) == {"invoices.2.itemsList": ["short"], "invoices.0.amount": ["bad"]}
    assert handler.field_errors(Unprocessable("no field")) is None


def _properties(schema: dict[str, Any]) -> set[str]:
    """Every property name anywhere in a (possibly composed) schema."""
    found: set[str] = set()
    stack: list[Any] = [schema]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            found.update(node.get("properties", {}))
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    return found


@pytest.mark.parametrize("operation", sorted(name for name, h in HANDLERS.items()
                                             if isinstance(h, MerchantHandler) and (h.wire_names or h.parts)))
def test_every_wire_name_in_the_registry_is_a_field_of_its_request(operation: str) -> None:
    handler = HANDLERS[operation]
    assert isinstance(handler, MerchantHandler)
    schema = request_schema(operation, inline=True)
    fields = _properties(schema)
    assert set(handler.wire_names.values()) <= fields
    if handler.parts is not None:
        assert handler.parts in schema["properties"]
