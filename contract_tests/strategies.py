"""Payload generators for every operation, derived from the request JSON Schemas.

* :func:`valid_payloads` - schema-valid payloads (3-decimal KWD amounts, Arabic and English names,
  8-digit Kuwaiti mobiles, every invoice type / sub-type / payment-type combination the schema
  and the target's safety rules allow, items lists, boundary dates).
* :func:`invalid_payloads` - a valid payload broken at exactly one place, as a
  :class:`~contract_tests.mutations.Mutation` that knows the broken field.

Nothing here is written per operation: the schemas decide the fields, the requirements and the
conditionals (:mod:`contract_tests.schemagen`), :mod:`contract_tests.values` picks realistic leaf
values. The only knowledge beyond the schemas is :func:`context_for` 's restrictions, each with
its reason.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from decimal import Decimal
from functools import lru_cache
from typing import Any

from hypothesis import assume
from hypothesis import strategies as st

from contract_tests.mutations import Mutation, mutations
from contract_tests.schemagen import check_keywords, flatten, strategy_for
from contract_tests.values import GenContext
from hesabe_spec.amounts import amount_range_ordered, format_amount, items_cover_amount
from hesabe_spec.enums import CreateInvoiceType, InvoiceSubType
from hesabe_spec.operations import OPERATIONS, resolve_operation, route_siblings
from hesabe_spec.schema_store import request_schema
from hesabe_spec.validation import validate_request

__all__ = ["SMS_FIELDS", "GenContext", "context_for", "invalid_payloads", "valid_payloads"]

#: the enum values allowed without SMS permission: everything but those that make Hesabe text a
#: customer (an SMS invoice, the SMS and WhatsApp sub-types; a scheduled bulk upload texts at its
#: schedule)
SMS_FIELDS: dict[str, frozenset[str]] = {
    "invoiceType": frozenset({CreateInvoiceType.URL}),
    "invoiceSubType": frozenset({InvoiceSubType.EMAIL, InvoiceSubType.URL}),
    "isScheduled": frozenset({"false"}),
}


def context_for(
    merchant_code: str, reference_prefix: str, *, sms_allowed: bool = True, sms_mobile: str | None = None
) -> GenContext:
    """The generation context for a run. Without SMS permission no payload can make Hesabe text anyone."""
    # xlsx is valid by the schema, but a generated file is CSV text: an upload said to be xlsx
    # would be refused for its content (tests/mock/test_bulk_xlsx.py sends real workbooks).
    restrict: dict[str, frozenset[str]] = {"fileType": frozenset({"csv"})}
    if not sms_allowed:
        restrict.update(SMS_FIELDS)
    return GenContext(
        merchant_code=merchant_code,
        reference_prefix=reference_prefix,
        sms_mobile=sms_mobile if sms_allowed else None,
        restrict=restrict,
    )


@lru_cache(maxsize=64)
def _parts(operation: str) -> tuple[dict[str, Any], ...]:
    schema = request_schema(operation, inline=True)
    check_keywords(schema, f"{operation}.request")
    return tuple(flatten(schema))


def valid_payloads(operation: str, ctx: GenContext | None = None) -> st.SearchStrategy[dict[str, Any]]:
    """Schema-valid request payloads of ``operation`` (raises ``UnsupportedSchema`` up front)."""
    if operation not in OPERATIONS:
        raise KeyError(operation)
    drawn = strategy_for(list(_parts(operation)), operation, ctx or GenContext()).map(_items_covering)
    drawn = drawn.map(_range_ordered)
    op = OPERATIONS[operation]
    foreign = {name for sibling in route_siblings(op) for name in sibling.selected_by}
    if not foreign:
        return drawn
    # A payload carrying a sibling's fields is that sibling (single vs subscription invoice is
    # decided by the payload): what this operation sends leaves them out.
    return drawn.map(lambda p: {k: v for k, v in p.items() if k not in foreign}).filter(
        lambda p: resolve_operation(op, p) is op and not validate_request(operation, p))


def _items_covering(payload: Any) -> Any:
    """``payload`` with every ``itemsList`` adding up to at least its invoice's amount, a rule of the
    API a schema cannot state (:func:`hesabe_spec.amounts.items_cover_amount`): the last item's
    amount is raised to make up the difference."""
    if isinstance(payload, dict) and isinstance(payload.get("invoices"), list):
        return {**payload, "invoices": [_items_covering(part) for part in payload["invoices"]]}
    if not isinstance(payload, dict) or not payload.get("itemsList") or "amount" not in payload:
        return payload
    items = payload["itemsList"]
    listed = json.loads(items) if isinstance(items, str) else items
    amounts = [item.get("amount", "0") for item in listed]
    if items_cover_amount(payload["amount"], amounts):
        return payload
    others = sum(Decimal(str(a)) for a in amounts[:-1])
    fixed = [*listed[:-1], {**listed[-1], "amount": format_amount(Decimal(payload["amount"]) - others)}]
    text = json.dumps(fixed, ensure_ascii=False, separators=(",", ":")) if isinstance(items, str) else fixed
    return {**payload, "itemsList": text}


def _range_ordered(payload: Any) -> Any:
    """``payload`` with ``minAmount`` not above ``maxAmount`` (swapped if need be), another rule of
    the API a schema cannot state (:func:`hesabe_spec.amounts.amount_range_ordered`)."""
    if not isinstance(payload, dict):
        return payload
    low, high = payload.get("minAmount"), payload.get("maxAmount")
    if not low or not high or amount_range_ordered(low, high):
        return payload
    return {**payload, "minAmount": high, "maxAmount": low}


def invalid_payloads(
    operation: str,
    ctx: GenContext | None = None,
    bind: Callable[[dict[str, Any]], dict[str, Any]] | None = None,
) -> st.SearchStrategy[Mutation]:
    """A valid payload (passed through ``bind`` to point at real records) broken at one place."""

    @st.composite
    def build(draw: st.DrawFn) -> Mutation:
        payload = draw(valid_payloads(operation, ctx))
        if bind is not None:
            payload = bind(payload)
        op = OPERATIONS[operation]
        # a break that makes the payload a sibling's (resend_pos_invoice without its resend) is
        # that sibling's valid or invalid request, not this operation's broken one
        options = [m for m in mutations(operation, payload) if resolve_operation(op, m.payload) is op]
        assume(options)
        return draw(st.sampled_from(options))

    return build()
