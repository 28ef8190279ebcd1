"""The mock's control plane under ``/_mock/``: HTTP routes and the ``MockControl`` helper.

``MockControl`` (a small HTTP client of the control plane) is imported on first use, so serving
the control plane never loads an HTTP client library.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mock_server.control.client import MockControl, MockControlError

__all__ = ["MockControl", "MockControlError"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        from mock_server.control import client

        return getattr(client, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
