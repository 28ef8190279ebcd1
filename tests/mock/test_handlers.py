"""The handler registry names every operation of the table, each with the kind of handler it needs."""

from __future__ import annotations

from hesabe_spec.operations import OPERATIONS
from mock_server.handlers import HANDLERS, MerchantHandler, PlainHandler


def test_every_operation_has_exactly_one_handler() -> None:
    assert set(HANDLERS) == set(OPERATIONS)


def test_unauthenticated_operations_get_plain_handlers_and_the_rest_merchant_handlers() -> None:
    for name, op in OPERATIONS.items():
        expected = PlainHandler if op.auth == "none" else MerchantHandler
        assert isinstance(HANDLERS[name], expected), name


def test_handlers_are_named_like_their_operation() -> None:
    for name, handler in HANDLERS.items():
        assert handler.run.__name__ == name
