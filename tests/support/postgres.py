"""PostgreSQL for the tests: one throwaway cluster per session (``tools/pg_cluster.py``), one schema
per store a test opens. Under pytest-xdist (``make test``) each worker is a session of its own: its
own cluster on its own port, so workers never share a schema or a server.

``HESABE_TEST_POSTGRES_URL`` points the tests at an existing server instead (they create schemas
named ``hesabe_t_*`` in it and drop them at the end). Without either, the PostgreSQL cases skip
and say why; ``make test`` installs PostgreSQL first (``make pg-deps``), so there they run.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import quote

import psycopg

from tools.pg_cluster import ClusterError, PgCluster

__all__ = ["SCHEMA_PREFIX", "postgres_server", "schema_name", "schema_url"]

SCHEMA_PREFIX = "hesabe_t_"
#: the running server's URL, set by the session fixture (``postgres_url``, tests/support/pg_session.py)
_server: list[str] = []
#: one connection that creates the schemas (opening one per store would double the cost)
_admin: list[psycopg.Connection[tuple[object, ...]]] = []


@contextmanager
def postgres_server() -> Iterator[str]:
    """The URL of a server for this session: ``HESABE_TEST_POSTGRES_URL`` or a throwaway cluster.
    Raises :class:`ClusterError` when neither is there."""
    given = os.environ.get("HESABE_TEST_POSTGRES_URL")
    if given:
        _server[:] = [given]
        try:
            yield given
        finally:
            _close_admin()
            _drop_schemas(given)
            _server.clear()
        return
    # an xdist worker's cluster goes when the run's main process does, even if the worker lingers
    main_process = os.getppid() if os.environ.get("PYTEST_XDIST_WORKER") else None
    with PgCluster(watch=main_process) as cluster:
        _server[:] = [cluster.url]
        try:
            yield cluster.url
        finally:
            _close_admin()
            _server.clear()


def _close_admin() -> None:
    for conn in _admin:
        conn.close()
    _admin.clear()


def _drop_schemas(url: str) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        names = [n for (n,) in conn.execute("SELECT nspname FROM pg_namespace WHERE nspname LIKE %s",
                                            (SCHEMA_PREFIX + "%",))]
        for name in names:
            conn.execute(f'DROP SCHEMA "{name}" CASCADE')


def schema_name(key: str) -> str:
    """The schema :func:`schema_url` puts ``key``'s tables in."""
    return SCHEMA_PREFIX + hashlib.sha256(key.encode()).hexdigest()[:20]


def schema_url(key: str) -> str:
    """A URL whose tables live in a schema of their own, named after ``key``: the same key gives the
    same schema (re-opening a store), a new key an empty one."""
    if not _server:
        raise ClusterError("no PostgreSQL server in this session (request the postgres_url fixture)")
    name = schema_name(key)
    if not _admin or _admin[0].closed:
        _admin[:] = [psycopg.connect(_server[0], autocommit=True)]
    _admin[0].execute(f'CREATE SCHEMA IF NOT EXISTS "{name}"')
    separator = "&" if "?" in _server[0] else "?"
    return f"{_server[0]}{separator}options={quote(f'-csearch_path={name}')}"
