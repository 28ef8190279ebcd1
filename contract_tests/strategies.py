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

from collections.abc import Callable
from functools import lru_cache
from typing import Any

from hypothesis import assume
from hypothesis import strategies as st

from contract_tests.mutations import Mutation, mutations
from contract_tests.schemagen import check_keywords, flatten, strategy_for
from contract_tests.values import GenContext
from hesabe_spec.enums import CreateInvoiceType, InvoiceSubType
from hesabe_spec.operations import OPERATIONS
from hesabe_spec.schema_store import request_schema

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
    # xlsx is valid by the schema but the mock answers "not supported yet" (hesabe-api §C), and
    # the suite cannot build a real workbook; valid uploads are CSV.
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
    return strategy_for(list(_parts(operation)), operation, ctx or GenContext())


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
        options = mutations(operation, payload)
        assume(options)
        return draw(st.sampled_from(options))

    return build()
