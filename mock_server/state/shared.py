"""What the workers and hosts of one mock share besides the records: control documents and event logs.

A mock served by several processes (``hesabe-mock --workers N``, or several hosts on one
PostgreSQL) keeps everything the control plane touches in its store, so whichever process answers
a request answers alike:

* **control documents**: small JSON texts by key (``clock``, ``faults``, ``refunds``, ``webhooks``),
  each with a version that every change bumps. A process reads them all in one query at the start
  of each request (:meth:`SharedState.control_documents`) and applies what changed; a change is a
  read-modify-write in one transaction (:meth:`SharedState.change_control`), so two processes
  changing one document at once both count.
* **event logs**: the journal, the findings and the webhook deliveries, appended by whichever
  process saw the event, each stream numbered 1, 2, 3 .. across processes and bounded (oldest
  dropped first).

The SQLite and PostgreSQL stores implement it with the same SQL (:class:`SqlSharedState`); the
memory store does not (it lives in one process, and ``--workers`` refuses it).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from typing import Any

from mock_server.state.store import BIGINT_MAX, is_record_id

__all__ = ["SHARED_SCHEMA", "ControlChange", "SharedState", "SqlSharedState"]

#: new document text from the current one (None: there is none yet / delete it)
ControlChange = Callable[[str | None], str | None]

#: the tables, in SQL both SQLite and PostgreSQL accept
SHARED_SCHEMA = """
CREATE TABLE mock_control (
    key     TEXT PRIMARY KEY,
    version BIGINT NOT NULL,
    value   TEXT NOT NULL
);
CREATE TABLE mock_streams (
    stream   TEXT PRIMARY KEY,
    recorded BIGINT NOT NULL
);
CREATE TABLE mock_events (
    stream        TEXT NOT NULL,
    seq           BIGINT NOT NULL,
    merchant_code TEXT,
    tag           TEXT NOT NULL,
    body          TEXT NOT NULL,
    PRIMARY KEY (stream, seq)
);
CREATE INDEX mock_events_merchant ON mock_events (stream, merchant_code, seq);
"""


class SharedState(ABC):
    """Control documents and event logs kept in a store that several processes open."""

    @abstractmethod
    def control_documents(self) -> dict[str, tuple[int, str]]:
        """Every control document: key -> (version, text)."""

    @abstractmethod
    def change_control(self, key: str, change: ControlChange) -> str | None:
        """Replace the document ``key`` with ``change(current)`` in one transaction that no other
        process can interleave with (None deletes it); the new text."""

    @abstractmethod
    def append_event(self, stream: str, merchant_code: str | None, tag: str, body: str, keep: int) -> int:
        """Append to ``stream`` (keeping its newest ``keep``); the event's number in the stream."""

    @abstractmethod
    def events(self, stream: str, limit: int | None = None, merchant_code: str | None = None,
               tag: str | None = None, *, after: int = 0, before: int | None = None) -> list[tuple[int, str]]:
        """The newest ``limit`` matching events numbered above ``after`` (and below ``before``) as
        (number, body), oldest first."""

    @abstractmethod
    def event(self, stream: str, seq: int) -> str | None:
        """The body of one event (None when there is none: dropped, cleared, never made)."""

    @abstractmethod
    def recorded(self, stream: str) -> int:
        """How many events ``stream`` ever had (also those dropped or cleared)."""

    @abstractmethod
    def clear_events(self, stream: str | None = None, merchant_code: str | None = None) -> None:
        """Forget the events of one stream (or all), of one merchant (or all)."""


class SqlSharedState(SharedState):
    """:class:`SharedState` in SQL, for a store that provides a transaction and a placeholder."""

    #: the driver's parameter placeholder (``?`` for sqlite3, ``%s`` for psycopg)
    _mark = "?"

    @abstractmethod
    def _shared_tx(self) -> AbstractContextManager[Any]:
        """A write transaction that excludes other writers of the same rows; yields a cursor-like
        object with ``execute(sql, params)`` returning something with ``fetchone``/``fetchall``."""

    @abstractmethod
    def _shared_read(self) -> AbstractContextManager[Any]:
        """Reads that see one snapshot and take no write lock; yields the same kind of object."""

    def _sql(self, text: str) -> str:
        return text.replace("?", self._mark)

    @staticmethod
    def _key(value: str) -> str:
        """A merchant code or tag as the database keeps it; PostgreSQL's store escapes what its
        ``text`` cannot hold (a NUL a control-plane filter may carry)."""
        return value

    def _rows(self, sql: str, params: Sequence[Any] = ()) -> list[Any]:
        with self._shared_read() as cur:
            return list(_execute(cur, self._sql(sql), params).fetchall())

    def control_documents(self) -> dict[str, tuple[int, str]]:
        return {key: (int(version), value)
                for key, version, value in self._rows("SELECT key, version, value FROM mock_control")}

    def change_control(self, key: str, change: ControlChange) -> str | None:
        with self._shared_tx() as cur:
            # the upsert takes the row's write lock first (PostgreSQL), as BEGIN IMMEDIATE does SQLite's
            _execute(cur, self._sql("INSERT INTO mock_control (key, version, value) VALUES (?, 0, '')"
                                    " ON CONFLICT (key) DO UPDATE SET version = mock_control.version"),
                     (key,))
            row = _execute(cur, self._sql("SELECT version, value FROM mock_control WHERE key = ?"),
                           (key,)).fetchone()
            version, current = int(row[0]), (row[1] or None)
            new = change(current)
            if new is None:
                _execute(cur, self._sql("DELETE FROM mock_control WHERE key = ?"), (key,))
            else:
                _execute(cur, self._sql("UPDATE mock_control SET version = ?, value = ? WHERE key = ?"),
                         (version + 1, new, key))
            return new

    def append_event(self, stream: str, merchant_code: str | None, tag: str, body: str, keep: int) -> int:
        with self._shared_tx() as cur:
            _execute(cur, self._sql("INSERT INTO mock_streams (stream, recorded) VALUES (?, 1) ON CONFLICT"
                                    " (stream) DO UPDATE SET recorded = mock_streams.recorded + 1"),
                     (stream,))
            seq = int(_execute(cur, self._sql("SELECT recorded FROM mock_streams WHERE stream = ?"),
                               (stream,)).fetchone()[0])
            code = None if merchant_code is None else self._key(merchant_code)
            _execute(cur, self._sql("INSERT INTO mock_events VALUES (?, ?, ?, ?, ?)"),
                     (stream, seq, code, self._key(tag), body))
            if seq > keep and seq % 16 == 0:  # trim now and then: reads keep to the newest ``keep``
                _execute(cur, self._sql("DELETE FROM mock_events WHERE stream = ? AND seq <= ?"),
                         (stream, seq - keep))
            return seq

    def events(self, stream: str, limit: int | None = None, merchant_code: str | None = None,
               tag: str | None = None, *, after: int = 0, before: int | None = None) -> list[tuple[int, str]]:
        where, params = ["stream = ? AND seq > ?"], [stream, after]
        if before is not None:
            where.append("seq < ?")
            params.append(min(before, BIGINT_MAX))
        for column, value in (("merchant_code", merchant_code), ("tag", tag)):
            if value is not None:
                where.append(f"{column} = ?")
                params.append(self._key(value))
        sql = f"SELECT seq, body FROM mock_events WHERE {' AND '.join(where)} ORDER BY seq DESC"
        if limit is not None:
            sql += f" LIMIT {max(int(limit), 0)}"
        return [(int(seq), body) for seq, body in reversed(self._rows(sql, params))]

    def event(self, stream: str, seq: int) -> str | None:
        if not is_record_id(seq):
            return None
        rows = self._rows("SELECT body FROM mock_events WHERE stream = ? AND seq = ?", (stream, seq))
        return str(rows[0][0]) if rows else None

    def recorded(self, stream: str) -> int:
        rows = self._rows("SELECT recorded FROM mock_streams WHERE stream = ?", (stream,))
        return int(rows[0][0]) if rows else 0

    def clear_events(self, stream: str | None = None, merchant_code: str | None = None) -> None:
        where, params = [], []
        for column, value in (("stream", stream), ("merchant_code", merchant_code)):
            if value is not None:
                where.append(f"{column} = ?")
                params.append(self._key(value))
        with self._shared_tx() as cur:
            condition = f" WHERE {' AND '.join(where)}" if where else ""
            _execute(cur, self._sql("DELETE FROM mock_events" + condition), params)


def _execute(cur: Any, sql: str, params: Sequence[Any]) -> Any:
    """``cur.execute`` that returns what to fetch from (sqlite3 and psycopg both return the cursor)."""
    return cur.execute(sql, tuple(params))

