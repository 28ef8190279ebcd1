"""The hosted payment page a customer opens from an invoice link (``url`` / ``spliturl``).

:func:`~mock_server.pages.views.page_routes` serves ``/s/{access_key}`` and
``/sp/{split_access_key}``; ``create_app`` mounts them beside the API.
"""

from __future__ import annotations

from mock_server.pages.views import page_routes

__all__ = ["page_routes"]
