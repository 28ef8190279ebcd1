"""Pre-encoded JSON: a stored record's wire form, encoded once and spliced into every reply.

A dashboard page is fifteen invoice rows of ~35 fields each; encoding them is most of what a list
call costs, and the same rows go out again and again while a test suite polls. Records are
immutable (a change is a new record), so the JSON of a row can be kept with the record it came
from: :class:`FragmentCache` holds it per record *object* (a changed invoice is another object,
so it can never be served stale), and :func:`render_json` writes a reply whose values may be
such :class:`Fragment` objects, byte for byte as :func:`~hesabe_spec.wire.server_json` would have
written the plain values.
"""

from __future__ import annotations

import secrets
import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from hesabe_spec.wire import escape_slashes, server_encoder, server_json

__all__ = ["Fragment", "FragmentCache", "render_json"]

#: a marker no reply can contain: a NUL and a per-process random word, which never leave the process
_NONCE = secrets.token_hex(8)
_MARK = f'"\\u0000{_NONCE}:'


class Fragment:
    """A value already in the server's JSON form (``server_json`` text)."""

    __slots__ = ("json",)

    def __init__(self, value: Any) -> None:
        self.json = server_json(value).decode("ascii")

    def __repr__(self) -> str:
        return f"Fragment({self.json[:40]}...)"


_found = threading.local()


def _placeholder(value: Any) -> str:
    if isinstance(value, Fragment):
        seen: list[str] = _found.seen
        seen.append(value.json)
        return f"\0{_NONCE}:{len(seen) - 1}"
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


_encoder = server_encoder(default=_placeholder)


def render_json(obj: Any) -> bytes:
    """``server_json(obj)`` where any :class:`Fragment` inside counts as the value it encodes."""
    seen: list[str] = []
    _found.seen = seen
    text = escape_slashes(_encoder.encode(obj))  # as server_json; fragments are escaped already
    if not seen:
        return text.encode("ascii")
    head, *rest = text.split(_MARK)
    out = [head]
    for part in rest:
        index, _, tail = part.partition('"')
        out += (seen[int(index)], tail)
    return "".join(out).encode("ascii")


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
