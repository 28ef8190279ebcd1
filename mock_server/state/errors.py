"""Domain refusals. Handlers turn them into Hesabe's ``status:false`` envelopes."""

from __future__ import annotations

__all__ = ["DomainError", "NotFound", "Refused", "Unprocessable"]

NOT_FOUND_MESSAGE = "Request not found, Please verify the request data"


class DomainError(Exception):
    http_status = 400

    def __init__(self, message: str, field_errors: dict[str, list[str]] | None = None) -> None:
        super().__init__(message)
        self.message = message
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
