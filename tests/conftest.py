"""Root of the project's tests: the mock fixtures (``hesabe_mock``, ``hesabe_mock_inprocess``), the
session's PostgreSQL server (``postgres_url``) and the Hypothesis settings every property test here
starts from."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, settings

pytest_plugins = ["mock_server.testing"]

# Properties, not speeds (speed is measured in bench/ only): no per-example deadline and no
# too-slow health check, both of which a loaded machine (CI's two shared cores) trips at random.
settings.register_profile("project-tests", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("project-tests")


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A PostgreSQL server for the whole session (a throwaway cluster unless
    ``HESABE_TEST_POSTGRES_URL`` names one); skips the test when PostgreSQL is not installed."""
    from support.postgres import postgres_server

    from tools.pg_cluster import ClusterError

    try:
        server = postgres_server()
        url = server.__enter__()
    except ClusterError as exc:
        pytest.skip(f"PostgreSQL unavailable: {exc}")
    try:
        yield url
    finally:
        server.__exit__(None, None, None)
