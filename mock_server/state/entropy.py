"""Randomness for identifiers: the kernel's CSPRNG, read 4 KiB at a time.

``secrets`` asks the kernel (``getrandom``) on every draw, and a create draws three times (invoice
token, payment-link key, SMS id): three system calls per request. These are the same bytes from
the same source (``os.urandom``), fetched in blocks and handed out once each, never reused; a
forked child starts with a fresh block.
``random_string`` is uniform per character (rejection sampling), like ``secrets.choice``.
"""

from __future__ import annotations

import os
import threading
from functools import cache

__all__ = ["randbelow", "random_string", "token_bytes", "token_hex"]

_BLOCK = 4096


class _Pool:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._buffer = b""
        self._offset = 0

    def take(self, n: int) -> bytes:
        with self._lock:
            if self._offset + n > len(self._buffer):
                self._buffer = os.urandom(max(_BLOCK, n))
                self._offset = 0
            start = self._offset
            self._offset = start + n
            return self._buffer[start:start + n]

    def forget(self) -> None:
        """Drop the unused bytes (a forked child must not hand out what its parent will)."""
        self._lock = threading.Lock()  # a fork can happen while another thread holds it
        self._buffer, self._offset = b"", 0


_POOL = _Pool()
os.register_at_fork(after_in_child=lambda: _POOL.forget())


def token_bytes(n: int) -> bytes:
    """``n`` random bytes (as ``secrets.token_bytes``)."""
    return _POOL.take(n)


def token_hex(n: int) -> str:
    """``n`` random bytes as ``2n`` lower-case hex digits (as ``secrets.token_hex``)."""
    return _POOL.take(n).hex()


#: ``randbelow`` draws this many bytes for a number (so it takes any ``n`` up to 2**64)
_DRAW_BYTES = 8


def randbelow(n: int) -> int:
    """A uniform integer in ``[0, n)`` (as ``secrets.randbelow``) for ``1 <= n <= 2**64``: eight
    random bytes as a number, drawn again in the rare case it falls in the incomplete last run of
    ``n`` values below 2**64 (which would make the low results likelier)."""
    span = 1 << (8 * _DRAW_BYTES)
    if not 1 <= n <= span:
        raise ValueError(f"randbelow takes 1 <= n <= 2**64, not {n}")
    limit = span - span % n
    while True:
        drawn = int.from_bytes(_POOL.take(_DRAW_BYTES), "big")
        if drawn < limit:
            return drawn % n


@cache
def _byte_map(alphabet: str) -> tuple[bytes, bytes]:
    """For ``bytes.translate``: byte b -> ``alphabet[b % n]``, and the bytes to drop (b >= the
    largest multiple of n below 256, which would make the low characters likelier)."""
    n = len(alphabet)
    if not 1 < n <= 256 or not alphabet.isascii() or len(set(alphabet)) != n:
        raise ValueError("the alphabet must be 2..256 distinct ASCII characters")
    limit = 256 - 256 % n
    return bytes(ord(alphabet[b % n]) for b in range(256)), bytes(range(limit, 256))


def random_string(alphabet: str, length: int) -> str:
    """``length`` characters, each uniform over ``alphabet`` and independent (as ``length``
    ``secrets.choice`` calls): random bytes mapped through one ``translate`` that also drops the
    few bytes that would bias it, instead of a Python loop per character."""
    table, biased = _byte_map(alphabet)
    drawn = b""
    while len(drawn) < length:
        drawn += _POOL.take(length + length // 4 + 2).translate(table, biased)
    return drawn[:length].decode("ascii")
