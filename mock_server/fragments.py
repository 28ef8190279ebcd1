"""Pre-encoded JSON: a stored record's wire form, encoded once and spliced into every reply.

A dashboard page is fifteen invoice rows of ~35 fields each; encoding them is most of what a list
call costs, and the same rows go out again and again while a test suite polls. Records are
immutable (a change is a new record), so the JSON of a row can be kept with the record it came
from: :class:`FragmentCache` holds it per record *object* (a changed invoice is another object,
so it can never be served stale). A :class:`Fragment` is a :class:`~mock_server.json_out.RawJSON`:
:func:`~mock_server.json_out.server_json` writes a reply holding fragments byte for byte as it
would have written the plain values.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from mock_server.json_out import RawJSON

__all__ = ["Fragment", "FragmentCache"]

#: a value already in the server's compact JSON form; any writer splices it in as is
Fragment = RawJSON


class FragmentCache:
    """The encoded form of recently served records, keyed by the record object and the context."""

    def __init__(self, capacity: int = 4096) -> None:
        self._capacity = capacity
        self._lock = threading.Lock()
        self._items: OrderedDict[int, tuple[object, tuple[Any, ...], Fragment]] = OrderedDict()

    def get(self, record: object, context: tuple[Any, ...], build: Callable[[], Any]) -> Fragment:
        """The fragment of ``build()`` for ``record`` in ``context``, built on first use."""
        key = id(record)
        with self._lock:
            hit = self._items.get(key)
            if hit is not None and hit[0] is record and hit[1] == context:
                self._items.move_to_end(key)
                return hit[2]
        fragment = Fragment(build())
        with self._lock:
            # The entry holds the record itself, so its id cannot be reused while it is cached.
            self._items[key] = (record, context, fragment)
            self._items.move_to_end(key)
            while len(self._items) > self._capacity:
                self._items.popitem(last=False)
        return fragment

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
