"""Handlers by operation name: the app looks each operation of the catalogue up here."""

from __future__ import annotations

from collections.abc import Callable

from mock_server.handlers import bulk_invoices, invoices, open_invoices
from mock_server.runtime import Call, Reply

__all__ = ["HANDLERS"]

HANDLERS: dict[str, Callable[[Call], Reply]] = {
    name: getattr(module, name)
    for module in (invoices, open_invoices, bulk_invoices)
    for name in module.__all__
}
