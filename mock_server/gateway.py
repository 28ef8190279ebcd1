"""The payment gateway's steps of the one request path: who the merchant is, its data, its refusals.

The pipeline runs these instead of the Merchant API's for every operation whose ``host`` is the
gateway (hesabe-checkout-api.md §2, §6, §11; each choice is a row of docs/fidelity.md):

* no bearer: the ``accessCode`` header alone names the merchant. An unknown one is answered in
  plain JSON ``{"status":false,"code":501,"message":"Invalid Merchant"}``: the server cannot
  encrypt for a merchant it does not know;
* ``data`` comes from a JSON body, a form or multipart field, or the query string (Hesabe's kits
  use all four). Missing, undecryptable or not a JSON object: 506 "Invalid Request Data",
  encrypted; a ``merchantCode`` that is not the accessCode's merchant: 501, encrypted;
* a schema failure is 422 "Invalid Input" with Laravel-style field errors under ``data``, except
  an amount with more than three decimals: 506, as a third-party SDK reports from the live API;
* an operation without a payload (enquiry, void) reads its plain parameters from the query string
  or from a JSON or form body (the query wins), and answers plain JSON.

Nothing here changes state: every refusal is raised before the handler runs.
"""

from __future__ import annotations

import re
from typing import Any

from hesabe_spec.enums import GatewayErrorCode
from hesabe_spec.errors import CryptoError, EnvelopeError
from hesabe_spec.operations import Operation, path_segment_problem
from hesabe_spec.schema_store import request_fields
from hesabe_spec.tolerance import Note, amount_format_note, normalise_amount, unknown_field_note
from mock_server.arrival import access_code_refused, unread_data
from mock_server.exchange import Exchange
from mock_server.fast_validation import validate_request
from mock_server.field_errors import field_errors, strict_field_errors
from mock_server.findings import finding, from_note
from mock_server.inbound import Inbound
from mock_server.json_out import decode_request_data
from mock_server.merchants import Merchant
from mock_server.protocol import Failure, read_plain_fields
from mock_server.runtime import MockRuntime
from mock_server.shapes.checkout import gateway_error
from mock_server.state.checkouts import GatewayRefusal

__all__ = ["failure", "merchant_for", "payload_for", "validate"]

#: digits, then more than three decimals: the amount the server refuses with 506, not 422
_OVER_PRECISE = re.compile(r"[0-9]+\.[0-9]{4,}")


def failure(op: Operation, refusal: GatewayRefusal, merchant: Merchant | None,
            errors: dict[str, list[str]] | None = None) -> Failure:
    """The answer to a refusal: encrypted for a known merchant on an encrypted operation.
    ``errors``: its field errors under their wire names (the handler's, for a domain refusal)."""
    keys = merchant.keys if merchant is not None and op.encrypted and not refusal.plain else None
    body = gateway_error(refusal.code, refusal.message, errors)
    return Failure(refusal.http_status, body, keys=keys)


def merchant_for(mock: MockRuntime, inbound: Inbound, body: bytes, ex: Exchange) -> Merchant:
    merchant = mock.merchants.by_access_code(inbound.headers.get("accesscode"))
    if merchant is None:
        ex.findings.append(access_code_refused(mock.merchants.merchants, inbound, body))
        raise Failure(401, gateway_error(GatewayErrorCode.INVALID_MERCHANT))
    return merchant


def _refuse(op: Operation, merchant: Merchant, code: GatewayErrorCode) -> Failure:
    return failure(op, GatewayRefusal(code), merchant)


def _plain_parameters(op: Operation, inbound: Inbound, body: bytes) -> dict[str, Any]:
    """The named parameters of a payload-less operation: from the body, then the query on top."""
    found: dict[str, Any] = {}
    if body.strip():
        fields = read_plain_fields(inbound.headers.get("content-type", ""), body)
        if isinstance(fields, dict):
            found.update((k, fields[k]) for k in op.query_filters if k in fields)
    if inbound.query_string:
        query = inbound.query_params
        found.update((k, query[k]) for k in op.query_filters if k in query)
    return found


def payload_for(op: Operation, inbound: Inbound, body: bytes, merchant: Merchant,
                ex: Exchange) -> dict[str, Any]:
    """The decrypted payload (or, for an operation without one, its plain parameters); the
    ``data`` as it arrived goes on ``ex`` (the journal's wire facts, the diagnosis of a 506)."""
    if not op.encrypted:
        return _plain_parameters(op, inbound, body)
    data = inbound.data(body)
    if not isinstance(data, str) or not data:
        ex.findings.append(unread_data(inbound, body, data))
        raise _refuse(op, merchant, GatewayErrorCode.INVALID_REQUEST_DATA)
    ex.request_hex = data
    try:
        payload = decode_request_data(data, merchant.keys)
    except (CryptoError, EnvelopeError):
        raise _refuse(op, merchant, GatewayErrorCode.INVALID_REQUEST_DATA) from None
    if not isinstance(payload, dict):
        raise _refuse(op, merchant, GatewayErrorCode.INVALID_REQUEST_DATA)
    ex.request = payload  # the journal shows it also when the merchant code is refused below
    code = payload.get("merchantCode")
    if code is not None and str(code) != merchant.merchant_code:
        raise _refuse(op, merchant, GatewayErrorCode.INVALID_MERCHANT)
    return payload


def _over_precise(value: Any) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, float):
        value = repr(value)
    return isinstance(value, str) and bool(_OVER_PRECISE.fullmatch(value.strip()))


#: the field of each create that becomes the order reference the enquiry looks payments up by
_ORDER_REFERENCE = {"create_checkout": "orderReferenceNumber", "charge_saved_card": "order_reference"}


def _reference_not_enquirable(op: Operation, payload: dict[str, Any], ex: Exchange) -> None:
    """Say so when the order reference cannot travel in ``GET /api/transaction/{reference}``: a
    ``/`` splits the path (``%2F`` is decoded before routing, by Laravel as by the mock), and HTTP
    clients remove a ``.`` or ``..`` segment. The create is accepted, as the server does."""
    field = _ORDER_REFERENCE.get(op.name)
    reference = payload.get(field) if field else None
    if not isinstance(reference, str) or not reference:
        return  # no reference: nothing is looked up by it
    if path_segment_problem(reference) is None:
        return
    ex.findings.append(finding("reference_not_enquirable",
                               f"order reference {reference!r} cannot be looked up by the transaction "
                               "enquiry (GET /api/transaction/{reference}?isOrderReference=1): "
                               + ("its '/' splits the path, encoded or not" if "/" in reference
                                  else "clients remove a '.' or '..' path segment")
                               + "; confirm this order by its payment token", f"/{field}"))


def _leniencies(op: Operation, payload: dict[str, Any]) -> list[Note]:
    """What the gateway takes from a valid payload though the docs do not send it so: a field it
    does not define (ignored: a misspelt ``webhookURL`` loses every webhook), an amount that is
    not a 3-decimal string (read as one)."""
    known = request_fields(op.name)
    notes = [unknown_field_note(op.name, name, sorted(known)) for name in payload if name not in known]
    amount = payload.get("amount")
    if "amount" in known and amount is not None:
        normal = normalise_amount(amount)
        if normal is not None and amount != normal:
            notes.append(amount_format_note("amount", amount, normal, "/amount"))
    return notes


def validate(op: Operation, payload: dict[str, Any], merchant: Merchant, ex: Exchange, strict: bool) -> None:
    """Refuse a payload the schemas refuse, with the gateway's codes: 506 for an amount with float
    drift (said on the exchange: the 506 itself names nothing), else 422 with the fields. What it
    takes beyond the docs is an integration finding on the exchange; ``strict`` refuses it (422)."""
    violations = validate_request(op.name, payload)
    amount = payload.get("amount")
    # a float the schemas take (20.100000001) as well as a string they refuse ("1.2345"); a valid
    # string amount (every usual request) is not looked at again
    drifting = isinstance(amount, float) or bool(violations)
    if drifting and _over_precise(amount) and all(v.pointer == "/amount" for v in violations):
        ex.findings.append(finding("amount_precision", f"amount {amount!r} has more than 3 decimals (float "
                                   "drift?): the gateway refuses the request as Invalid Request Data (506); "
                                   "send 3 decimals", "/amount"))
        raise _refuse(op, merchant, GatewayErrorCode.INVALID_REQUEST_DATA)
    if violations:
        raise failure(op, GatewayRefusal(GatewayErrorCode.INVALID_INPUT), merchant, field_errors(violations))
    notes = _leniencies(op, payload) if op.encrypted else []
    ex.findings.extend(from_note(n) for n in notes)
    if strict and notes:
        errors = strict_field_errors(notes)
        raise failure(op, GatewayRefusal(GatewayErrorCode.INVALID_INPUT), merchant, errors)
    _reference_not_enquirable(op, payload, ex)
