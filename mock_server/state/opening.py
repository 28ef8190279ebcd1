"""Opening the store ``--db`` names: nothing (memory), a SQLite file, or a PostgreSQL URL."""

from __future__ import annotations

import os
import re
import sqlite3
from typing import TextIO
from urllib.parse import parse_qsl, unquote, urlencode, urlsplit

from mock_server.state.store import Store

__all__ = ["StoreOpenError", "claim_sqlite_file", "describe", "is_postgres_url", "open_store",
           "refuse_unknown_url"]


class StoreOpenError(Exception):
    """The database could not be opened; the message says which and why (never a password)."""


def is_postgres_url(db: str | None) -> bool:
    """Whether ``--db`` names a PostgreSQL database rather than a SQLite file."""
    return bool(db) and str(db).startswith(("postgresql://", "postgres://"))


def _is_url(db: str) -> bool:
    """Whether ``--db`` is written as a URL (``scheme://...``) rather than a file path."""
    scheme, sep, _rest = db.partition("://")
    return bool(sep) and bool(scheme) and all(ch.isalnum() or ch in "+-." for ch in scheme)


def describe(db: str | None) -> str:
    """``--db`` as it may be shown: a URL without its password (in the authority or as a
    ``password`` parameter); its other parameters stay (``options`` may pick the schema)."""
    if not db:
        return "memory"
    if not _is_url(db):
        return db
    try:
        parts = urlsplit(db)
        port = f":{parts.port}" if parts.port else ""
    except ValueError:  # not even a URL's shape: show only its scheme
        return f"{db.partition('://')[0]}://..."
    host = parts.hostname or "localhost"
    user = f"{parts.username}@" if parts.username else ""
    kept = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k.lower() != "password"]
    query = f"?{urlencode(kept)}" if kept else ""
    scheme = "postgresql" if is_postgres_url(db) else parts.scheme
    return f"{scheme}://{user}{host}{port}{parts.path}{query}"


def refuse_unknown_url(db: str | None) -> None:
    """StoreOpenError for a ``--db`` written as a URL that is not PostgreSQL's (the SQLAlchemy
    ``postgresql+psycopg://``, a typo): it would otherwise be taken for a SQLite file's path."""
    if db and _is_url(db) and not is_postgres_url(db):
        scheme = db.partition("://")[0]
        raise StoreOpenError(
            f"--db {describe(db)}: unknown scheme {scheme!r}: a PostgreSQL database is "
            "postgresql://USER@HOST:PORT/NAME (or postgres://); a SQLite file is a path")


#: what a URL's password may not hold as typed: a ``%`` that starts no escape, white space, or a
#: character that ends the user info (``@``, ``/``, ``?``, ``#``) or opens a host (``[``, ``]``)
_UNENCODED = re.compile(r"%(?![0-9A-Fa-f]{2})|[\s@/?#\[\]]")
_URL_FORM = ("a PostgreSQL database is postgresql://USER:PASSWORD@HOST:PORT/NAME, with an @, /, ?, #, "
             "% or space in the password written as %40, %2F, %3F, %23, %25 or %20")


#: one host of the authority: a name or address and an optional port (libpq takes a comma list)
_HOST = re.compile(r"(\[[0-9A-Za-z:.%]*\]|[^:\[\]]*)(:[0-9]*)?")
#: what a password parameter may not hold as typed: a ``%`` that starts no escape, white space
_UNENCODED_QUERY = re.compile(r"%(?![0-9A-Fa-f]{2})|\s")


def _password_parameters(db: str) -> list[str]:
    """The values of the URL's ``password`` parameters as typed (libpq decodes a parameter's name
    too: ``pass%77ord`` is one)."""
    query = db.partition("?")[2].partition("#")[0]
    values = []
    for part in query.split("&"):
        name, _, value = part.partition("=")
        if unquote(name).lower() == "password":
            values.append(value)
    return values


def _passwords(db: str) -> list[str]:
    """The password of the URL's user info and of its ``password`` parameters, as typed."""
    rest = db.partition("://")[2]
    userinfo = re.split(r"[/?#]", rest, maxsplit=1)[0].rpartition("@")[0]
    return [p for p in (userinfo.partition(":")[2], *_password_parameters(db)) if p]


def _check_postgres_url(db: str) -> None:
    """StoreOpenError for a URL libpq would read otherwise than it looks, before libpq sees it:
    libpq's own message for such a URL quotes the part it choked on, and that part may be the
    password (``unexpected spaces found in "..."``, a host taken from after an ``@`` in it, a
    ``password=`` parameter with a stray ``%``). Several hosts (``h1:5432,h2:5433``), a socket
    directory and IPv6 addresses are libpq's own forms, and pass."""
    rest = db.partition("://")[2]
    authority = re.split(r"[/?#]", rest, maxsplit=1)[0]
    if "@" in rest.partition("/")[0] and "@" not in authority:
        # libpq looks for the user info up to the first "/": without a database path, an @ in
        # the parameters (?password=a@b) would make it read another user and host
        raise StoreOpenError(f"--db {describe(db)}: libpq would read the user info up to an @ that is not "
                             "its end (one after a #, or in the parameters of a URL without a database "
                             "path): percent-encode it (%40), or add the path (/postgres)")
    userinfo, _, hosts = authority.rpartition("@")
    password = userinfo.partition(":")[2]
    if ("@" in userinfo or _UNENCODED.search(password) or any(ch.isspace() for ch in authority)
            or not all(_HOST.fullmatch(host) for host in hosts.split(","))):
        raise StoreOpenError(f"--db {describe(db)}: the user, password or host has a character a URL must "
                             f"percent-encode: {_URL_FORM}")
    if any(_UNENCODED_QUERY.search(value) for value in _password_parameters(db)):
        raise StoreOpenError(f"--db {describe(db)}: the password parameter has a character a URL must "
                             "percent-encode (% as %25, a space as %20)")


def _without_password(text: str, db: str) -> str:
    """``text`` (a driver's message) with the URL's passwords, as typed and decoded, blanked out."""
    for password in _passwords(db):
        for secret in {password, unquote(password)} - {""}:
            text = text.replace(secret, "***")
    return text


def open_store(db: str | None) -> Store:
    """The store ``--db`` names; :class:`StoreOpenError` when it cannot be opened."""
    refuse_unknown_url(db)
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

        _check_postgres_url(db)
        try:
            return PostgresStore(db)
        except (psycopg.Error, RuntimeError) as exc:
            reason = _without_password(_first_line(exc), db)
            raise StoreOpenError(f"cannot open the database {describe(db)}: {reason}") from None
    from mock_server.state.sqlite import SqliteStore

    try:
        return SqliteStore(db)
    except (sqlite3.Error, OSError) as exc:
        raise StoreOpenError(f"cannot open the database {db!r}: {exc} "
                             "(does its directory exist and is it writable?)") from None


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text.splitlines()[0]


def claim_sqlite_file(path: str, *, shared: bool) -> TextIO | None:
    """Hold the SQLite file ``path`` for this ``hesabe-mock`` while the returned handle stays open
    (the kernel lets go when the process ends, ``kill -9`` included); StoreOpenError when another
    ``hesabe-mock`` holds it in a way that excludes this one.

    A mock of one process keeps its clock, faults and journal in memory, so a second process on
    its file would share the records but nothing else: it holds the file alone (an exclusive
    ``flock`` on ``PATH-lock``). A shared mock (``--workers N``) keeps everything in the file, so
    another shared one may join it, as hosts join one PostgreSQL database (a shared lock). None
    where ``flock`` does not exist (not POSIX): nothing is checked there.
    """
    refuse_unknown_url(path)
    try:
        import fcntl
    except ImportError:  # pragma: no cover - not POSIX
        return None
    # the file's real path: a symbolic link to a served file names the same file, and its lock
    lock_path = f"{os.path.realpath(path)}-lock"
    try:
        handle = open(lock_path, "a+", encoding="ascii")  # noqa: SIM115 - held until the process ends
    except OSError as exc:
        raise StoreOpenError(f"cannot open {lock_path!r}: {exc.strerror} "
                             "(does its directory exist and is it writable?)") from None
    try:
        fcntl.flock(handle, (fcntl.LOCK_SH if shared else fcntl.LOCK_EX) | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.seek(0)
        holder = handle.read().strip() or "unknown"
        handle.close()
        raise StoreOpenError(
            f"{path} is served by another hesabe-mock (pid {holder}): a second process on the file "
            "would share its records but not its clock, faults or journal. Serve one file from one "
            "hesabe-mock (--workers N for several processes), or use PostgreSQL for several hosts"
        ) from None
    handle.seek(0)
    handle.truncate()
    handle.write(f"{os.getpid()}\n")
    handle.flush()
    return handle
