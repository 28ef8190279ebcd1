"""The mock's control plane under ``/_mock/``: HTTP routes and the ``MockControl`` helper."""

from __future__ import annotations

from mock_server.control.client import MockControl, MockControlError

__all__ = ["MockControl", "MockControlError"]
