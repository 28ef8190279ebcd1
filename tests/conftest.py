"""Root of the project's tests: the mock fixtures (``hesabe_mock``, ``hesabe_mock_inprocess``) and the
session's PostgreSQL server (``postgres_url``)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

pytest_plugins = ["mock_server.testing"]


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
