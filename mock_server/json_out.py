"""The mock's JSON: the spec's writer and request parser, done by orjson when it is installed.

:func:`hesabe_spec.wire.server_json` and :func:`hesabe_spec.wire.decode_request_data` are the
reference (the json module). The mock writes every reply and parses every request, so here orjson
does both when it can, to the same bytes and values (property-tested in tests/mock/test_json_out.py);
the spec's functions take over for whatever orjson refuses or may read differently, and for
everything when orjson is missing.
"""

from __future__ import annotations

import contextlib
from typing import Any

from hesabe_spec.crypto import CipherKeys
from hesabe_spec.wire import parse_plaintext, php_escape
from hesabe_spec.wire import server_json as plain_server_json
from mock_server import fast_crypto

try:
    import orjson
except ImportError:  # pragma: no cover - the json module does it all then
    orjson = None  # type: ignore[assignment]

__all__ = ["decode_request_data", "decrypt_request", "server_json"]


def _orjson_compact(obj: Any) -> bytes | None:
    """Compact UTF-8 JSON by orjson, or None when it is missing or refuses ``obj`` (integers
    beyond 64 bits, non-string keys, lone surrogates)."""
    if orjson is None:
        return None
    try:
        return orjson.dumps(obj)
    except TypeError:  # orjson.JSONEncodeError is a TypeError
        return None


def server_json(obj: Any) -> bytes:
    """:func:`hesabe_spec.wire.server_json` of ``obj``.

    Where orjson writes anything, it writes the spec's bytes, except in what the spec leaves
    open: NaN and infinities (null; the spec refuses them) and the notation of some floats
    (``1e-7`` where the json module writes ``1e-07``).
    """
    compact = _orjson_compact(obj)
    if compact is None:
        return plain_server_json(obj)
    if compact.isascii():
        return compact.replace(b"/", b"\\/")
    return php_escape(compact.decode("utf-8"))


#: brackets a payload may hold and still be parsed by orjson (real payloads hold a handful)
_MAX_ORJSON_BRACKETS = 64
#: 19 digits in a row may be an integer beyond 64 bits (the shortest is 9223372036854775808);
#: found as nineteen 9s once every digit reads as 9
_DIGITS_AS_NINE = bytes.maketrans(b"012345678", b"999999999")
_NINETEEN_DIGITS = b"9" * 19


def _orjson_reads_it_like_json_loads(plaintext: bytes) -> bool:
    """False when orjson might read ``plaintext`` differently from ``json.loads``: integers too
    long for 64 bits (a float to orjson) and nesting ``json.loads`` may refuse as too deep."""
    brackets = plaintext.count(b"[") + plaintext.count(b"{")
    return brackets <= _MAX_ORJSON_BRACKETS and _NINETEEN_DIGITS not in plaintext.translate(_DIGITS_AS_NINE)


def decode_request_data(data_hex: str, keys: CipherKeys) -> Any:
    """:func:`hesabe_spec.wire.decode_request_data`: the same value and the same errors."""
    return decrypt_request(data_hex, keys)[0]


def decrypt_request(data_hex: str, keys: CipherKeys) -> tuple[Any, bytes]:
    """:func:`decode_request_data`'s value, and the plaintext it was read from (pad removed)."""
    plaintext = fast_crypto.decrypt(keys, data_hex)
    return _parse(plaintext), plaintext


def _parse(plaintext: bytes) -> Any:
    if orjson is not None and _orjson_reads_it_like_json_loads(plaintext):
        # what orjson refuses (NaN, lone surrogates, bad UTF-8, not JSON) json.loads decides
        with contextlib.suppress(orjson.JSONDecodeError):
            return orjson.loads(plaintext)
    return parse_plaintext(plaintext)
