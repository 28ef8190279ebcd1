"""The inspector at ``/_mock/ui``: the mock's traffic decrypted, its records and its state, in a browser.

:func:`~mock_server.inspector.views.inspector_routes` serves it under the control plane's rule
(``create_app`` mounts it whenever the control plane is on).
"""

from mock_server.inspector.views import inspector_routes

__all__ = ["inspector_routes"]
