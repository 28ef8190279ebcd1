"""Domain refusals. The pipeline turns them into Hesabe's ``status:false`` envelopes.

A refusal about a field names it as the domain knows it, by the command's attribute
(``products``, ``max_amount``, ``recurring.start_date``; ``(1, "products")`` in the second part of
a group); the handler's registry entry
(:class:`~mock_server.handlers.MerchantHandler`) gives its wire name (``itemsList``), so the
domain never spells one.
"""

from __future__ import annotations

__all__ = ["DomainError", "FieldErrors", "FieldRef", "NotFound", "Refused", "Unprocessable"]

#: a refused field: its name, or ``(n, name)`` for the field of a group command's part ``n``
FieldRef = str | tuple[int, str]
#: the messages of each refused field
FieldErrors = dict[FieldRef, list[str]]

NOT_FOUND_MESSAGE = "Request not found, Please verify the request data"


class DomainError(Exception):
    http_status = 400

    def __init__(self, message: str, field_errors: FieldErrors | None = None) -> None:
        super().__init__(message)
        self.message = message
        #: messages by field: the command's attribute (``(n, attribute)`` in a group's part ``n``),
        #: or the wire name when the wire layer refuses
        self.field_errors = field_errors


class NotFound(DomainError):
    """No such record for this merchant."""

    http_status = 404

    def __init__(self, message: str = NOT_FOUND_MESSAGE) -> None:
        super().__init__(message)


class Refused(DomainError):
    """The record exists but the lifecycle forbids the change (e.g. cancel a paid invoice)."""


class Unprocessable(DomainError):
    """Valid by the schema, impossible by the data (e.g. a CSV that does not parse)."""
