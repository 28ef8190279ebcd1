"""JSON Patch (RFC 6902) over JSON values, with JSON Pointers (RFC 6901): the ``mutate_reply`` fault.

All six operations: ``add``, ``remove``, ``replace``, ``move``, ``copy``, ``test``. A patch is
checked once, when a fault rule is made (:func:`check_patch`: a list of objects, known ``op``,
pointers that parse, ``value`` / ``from`` where the op needs them); it is applied to a deep copy
(:func:`apply_patch`), so a patch that fails halfway leaves the original untouched and raises
:class:`PatchError` naming the operation and why. ``add`` on an object keeps key order and
appends a new key at the end, as PHP's arrays do; ``replace`` keeps the key where it was.
"""

from __future__ import annotations

import copy
import json
import math
from typing import Any

__all__ = ["MAX_PATCHED_BYTES", "PatchError", "apply_patch", "check_patch", "parse_pointer"]

#: the largest document a patch may make (as compact JSON). ``copy`` is the one operation that
#: can grow a document beyond the patch's own size, and a few of them copying the whole document
#: into itself double it each time: twenty would hold the event loop for minutes.
MAX_PATCHED_BYTES = 8 * 2**20

_OPS = ("add", "remove", "replace", "move", "copy", "test")


class PatchError(ValueError):
    """A patch that is malformed, or that does not apply to this document."""


def parse_pointer(pointer: Any) -> list[str]:
    """RFC 6901: ``""`` is the whole document, ``/a/0/b~1c`` is ``["a", "0", "b/c"]``."""
    if not isinstance(pointer, str):
        raise PatchError(f"a JSON pointer must be a string, got {pointer!r}")
    if pointer == "":
        return []
    if not pointer.startswith("/"):
        raise PatchError(f"a JSON pointer starts with '/', got {pointer!r}")
    return [part.replace("~1", "/").replace("~0", "~") for part in pointer[1:].split("/")]


def check_patch(patch: Any) -> list[dict[str, Any]]:
    """``patch`` as a list of operations, or :class:`PatchError` saying what is wrong with it."""
    if not isinstance(patch, list) or not patch:
        raise PatchError("patch must be a non-empty JSON array of operations (RFC 6902)")
    for n, op in enumerate(patch):
        if not isinstance(op, dict):
            raise PatchError(f"patch[{n}] must be an object")
        name = op.get("op")
        if name not in _OPS:
            raise PatchError(f"patch[{n}].op must be one of {', '.join(_OPS)}, got {name!r}")
        allowed = (
            {"op", "path"}
            | ({"value"} if name in ("add", "replace", "test") else set())
            | ({"from"} if name in ("move", "copy") else set())
        )
        unknown = sorted(set(op) - allowed)
        if unknown:
            raise PatchError(f"patch[{n}] ({name}) has unknown member(s): {', '.join(unknown)}")
        parse_pointer(op.get("path"))
        if name in ("add", "replace", "test") and "value" not in op:
            raise PatchError(f"patch[{n}] ({name}) needs a value")
        if not _finite("value", op):
            raise PatchError(f"patch[{n}].value holds NaN or Infinity, which no JSON reply can carry")
        if name in ("move", "copy"):
            parse_pointer(op.get("from"))
    return patch


def _finite(key: str, holder: dict[str, Any]) -> bool:
    """Whether ``holder[key]`` (when present) holds only finite numbers, however deep (a loop, not
    recursion: a value as deep as the JSON parser allows is still checked)."""
    pending = [holder.get(key)]
    while pending:
        value = pending.pop()
        if isinstance(value, float) and not math.isfinite(value):
            return False
        if isinstance(value, dict):
            pending.extend(value.values())
        elif isinstance(value, list):
            pending.extend(value)
    return True


def _index(container: list[Any], token: str, *, append: bool) -> int:
    if append and token == "-":
        return len(container)
    if not token.isascii() or not token.isdigit() or (len(token) > 1 and token[0] == "0"):
        raise PatchError(f"{token!r} is not an array index")
    index = int(token)
    if index > len(container) - (0 if append else 1):
        raise PatchError(f"index {index} is out of range (array of {len(container)})")
    return index


def _parent(doc: Any, parts: list[str]) -> Any:
    node = doc
    for token in parts[:-1]:
        if isinstance(node, dict):
            if token not in node:
                raise PatchError(f"no member {token!r}")
            node = node[token]
        elif isinstance(node, list):
            node = node[_index(node, token, append=False)]
        else:
            raise PatchError(f"cannot descend into a {type(node).__name__} at {token!r}")
    return node


def _get(doc: Any, parts: list[str]) -> Any:
    if not parts:
        return doc
    parent, token = _parent(doc, parts), parts[-1]
    if isinstance(parent, dict):
        if token not in parent:
            raise PatchError(f"no member {token!r}")
        return parent[token]
    if isinstance(parent, list):
        return parent[_index(parent, token, append=False)]
    raise PatchError(f"cannot read {token!r} of a {type(parent).__name__}")


def _add(doc: Any, parts: list[str], value: Any) -> Any:
    if not parts:
        return value
    parent, token = _parent(doc, parts), parts[-1]
    if isinstance(parent, dict):
        parent[token] = value
    elif isinstance(parent, list):
        parent.insert(_index(parent, token, append=True), value)
    else:
        raise PatchError(f"cannot add {token!r} to a {type(parent).__name__}")
    return doc


def _remove(doc: Any, parts: list[str]) -> Any:
    if not parts:
        raise PatchError("cannot remove the whole document")
    parent, token = _parent(doc, parts), parts[-1]
    if isinstance(parent, dict):
        if token not in parent:
            raise PatchError(f"no member {token!r} to remove")
        del parent[token]
    elif isinstance(parent, list):
        del parent[_index(parent, token, append=False)]
    else:
        raise PatchError(f"cannot remove {token!r} from a {type(parent).__name__}")
    return doc


def _replace(doc: Any, parts: list[str], value: Any) -> Any:
    if not parts:
        return value
    _get(doc, parts)  # must exist
    parent, token = _parent(doc, parts), parts[-1]
    if isinstance(parent, dict):
        parent[token] = value
    else:
        parent[_index(parent, token, append=False)] = value
    return doc


def apply_patch(document: Any, patch: list[dict[str, Any]]) -> Any:
    """``document`` with ``patch`` applied (the original is never changed)."""
    doc = copy.deepcopy(document)
    for n, op in enumerate(patch):
        name, parts = op["op"], parse_pointer(op["path"])
        try:
            if name == "add":
                doc = _add(doc, parts, copy.deepcopy(op["value"]))
            elif name == "remove":
                doc = _remove(doc, parts)
            elif name == "replace":
                doc = _replace(doc, parts, copy.deepcopy(op["value"]))
            elif name == "move":
                source = parse_pointer(op["from"])
                if parts[: len(source)] == source and parts != source:
                    raise PatchError("cannot move a value into itself")
                value = _get(doc, source)
                doc = _add(_remove(doc, source), parts, value)
            elif name == "copy":
                doc = _add(doc, parts, copy.deepcopy(_get(doc, parse_pointer(op["from"]))))
                if len(json.dumps(doc, separators=(",", ":"))) > MAX_PATCHED_BYTES:
                    raise PatchError(f"the document would grow past {MAX_PATCHED_BYTES} bytes")
            elif name == "test":
                found = _get(doc, parts)
                if found != op["value"] or isinstance(found, bool) != isinstance(op["value"], bool):
                    raise PatchError(f"test failed: {op['path']} is {found!r}")
        except PatchError as exc:
            raise PatchError(f"patch[{n}] ({name} {op['path']}): {exc}") from None
    return doc
