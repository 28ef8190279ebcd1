"""The hosted payment page a customer opens from an invoice link (``url`` / ``spliturl``).

:func:`install_pages` adds its routes to a runtime's ``extensions["routes"]``; ``create_app``
mounts them beside the API.
"""

from __future__ import annotations

from typing import Any

from mock_server.pages.views import page_routes

__all__ = ["install_pages", "page_routes"]


def install_pages(runtime: Any) -> None:
    """Serve ``/s/{access_key}`` and ``/sp/{split_access_key}`` from the app built on ``runtime``."""
    runtime.extensions.setdefault("routes", []).extend(page_routes())
