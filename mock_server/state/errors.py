"""Domain refusals. The pipeline turns them into Hesabe's ``status:false`` envelopes.

A refusal about one field names it as the domain knows it, by the command's attribute
(``products``, ``max_amount``, ``recurring.start_date``); the handler's registry entry
(:class:`~mock_server.handlers.MerchantHandler`) gives its wire name (``itemsList``), so the
domain never spells one.
"""

from __future__ import annotations

__all__ = ["DomainError", "NotFound", "Refused", "Unprocessable"]

NOT_FOUND_MESSAGE = "Request not found, Please verify the request data"


class DomainError(Exception):
    http_status = 400

    def __init__(self, message: str, field_errors: dict[str, list[str]] | None = None, *,
                 part: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        #: messages by field: the command's attribute, or the wire name when the wire layer refuses
        self.field_errors = field_errors
        #: which part of a group command (a split invoice's ``invoices[part]``) the fields belong to
        self.part = part


class NotFound(DomainError):
    """No such record for this merchant."""

    http_status = 404

    def __init__(self, message: str = NOT_FOUND_MESSAGE) -> None:
        super().__init__(message)


class Refused(DomainError):
    """The record exists but the lifecycle forbids the change (e.g. cancel a paid invoice)."""


class Unprocessable(DomainError):
    """Valid by the schema, impossible by the data (e.g. a CSV that does not parse)."""
