"""The session's PostgreSQL server as a pytest fixture, ``postgres_url``: the root conftest registers
it, and so does a pytest run of its own (the test that stops one mid-run). PostgreSQL's modules are
imported only when a test asks for it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

__all__ = ["postgres_url"]


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
