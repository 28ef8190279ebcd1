"""Hypothesis strategies shared by the spec's and the mock's JSON tests."""

from __future__ import annotations

import json

from hypothesis import assume
from hypothesis import strategies as st

__all__ = ["ANY_TEXT", "JSON_TEXTS", "UNICODE_TEXT", "utf8"]

#: any string, lone surrogates included
ANY_TEXT = st.text(st.characters(codec=None, exclude_categories=()), max_size=12)
#: any string UTF-8 can hold (no lone surrogate): what a PHP server can write
UNICODE_TEXT = st.text(st.characters(codec=None, exclude_categories=("Cs",)), max_size=12)

#: JSON texts as clients write them (ASCII-escaped, UTF-8, indented), and the cases where parsers
#: part ways: duplicate keys, huge and negative-zero numbers, NaN, 64-bit edges, long digit runs,
#: lone surrogates
JSON_TEXTS = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | ANY_TEXT,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(ANY_TEXT, inner, max_size=4),
    max_leaves=20,
).flatmap(
    lambda v: st.sampled_from([json.dumps(v), json.dumps(v, ensure_ascii=False), json.dumps(v, indent=1)])
) | st.sampled_from(['{"a":1,"a":2}', "[1e400, -0, -0.0, 1E5]", ' {"x": "\\u0000"} ',
                     "[9223372036854775807, -9223372036854775808, 18446744073709551616]",
                     '"0123456789012345678"', "[1.23456789012345678901]", "NaN", '"\\ud800"'])


def utf8(text: str) -> bytes:
    """``text`` as a client sends it; a raw lone surrogate cannot be sent, so the example is dropped."""
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError:
        assume(False)
        raise
