"""Root of the project's tests: the mock fixtures (``hesabe_mock``, ``hesabe_mock_inprocess``), the
session's PostgreSQL server (``postgres_url``) and the Hypothesis settings every property test here
starts from."""

from __future__ import annotations

from hypothesis import HealthCheck, settings
from support.pg_session import postgres_url

__all__ = ["postgres_url"]

pytest_plugins = ["mock_server.testing"]

# Properties, not speeds (speed is measured in bench/ only): no per-example deadline and no
# too-slow health check, both of which a loaded machine (CI's two shared cores) trips at random.
settings.register_profile("project-tests", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("project-tests")
