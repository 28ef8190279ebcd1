"""Opening the store ``--db`` names: nothing (memory), a SQLite file, or a PostgreSQL URL."""

from __future__ import annotations

import sqlite3
from urllib.parse import parse_qsl, urlencode, urlsplit

from mock_server.state.store import Store

__all__ = ["StoreOpenError", "describe", "is_postgres_url", "open_store"]


class StoreOpenError(Exception):
    """The database could not be opened; the message says which and why (never a password)."""


def is_postgres_url(db: str | None) -> bool:
    """Whether ``--db`` names a PostgreSQL database rather than a SQLite file."""
    return bool(db) and str(db).startswith(("postgresql://", "postgres://"))


def describe(db: str | None) -> str:
    """``--db`` as it may be shown: a PostgreSQL URL without its password (in the authority or as a
    ``password`` parameter); its other parameters stay (``options`` may pick the schema)."""
    if not db:
        return "memory"
    if not is_postgres_url(db):
        return db
    parts = urlsplit(db)
    host = parts.hostname or "localhost"
    user = f"{parts.username}@" if parts.username else ""
    port = f":{parts.port}" if parts.port else ""
    kept = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k.lower() != "password"]
    query = f"?{urlencode(kept)}" if kept else ""
    return f"postgresql://{user}{host}{port}{parts.path}{query}"


def open_store(db: str | None) -> Store:
    """The store ``--db`` names; :class:`StoreOpenError` when it cannot be opened."""
    if not db:
        from mock_server.state.memory import MemoryStore

        return MemoryStore()
    if is_postgres_url(db):
        from hesabe_spec.extras import MissingExtraError

        try:
            from mock_server.state.postgres import PostgresStore
        except MissingExtraError as exc:
            raise StoreOpenError(str(exc)) from None
        import psycopg

        try:
            return PostgresStore(db)
        except (psycopg.Error, RuntimeError) as exc:
            raise StoreOpenError(f"cannot open the database {describe(db)}: {_first_line(exc)}") from None
    from mock_server.state.sqlite import SqliteStore

    try:
        return SqliteStore(db)
    except (sqlite3.Error, OSError) as exc:
        raise StoreOpenError(f"cannot open the database {db!r}: {exc} "
                             "(does its directory exist and is it writable?)") from None


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text.splitlines()[0]
