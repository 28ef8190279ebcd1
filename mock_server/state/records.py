"""Frozen, slotted records that are cheap to build and to copy with a new id.

A frozen dataclass writes each field in ``__init__`` through ``object.__setattr__``: the full
attribute protocol, about 1,200 machine instructions per field, so an invoice (36 fields) costs
~45k instructions to build and as much again to copy when its store gives it an id; a create
does both. :func:`record` makes the same frozen, slotted dataclass but writes each slot through
its slot descriptor (what ``object.__setattr__`` ends in), about 40% cheaper, and
:func:`with_id` copies with the same setters. Everything else is the dataclass's own: fields,
defaults, ``__eq__``, ``__hash__``, ``__repr__``, ``replace``, and assigning to a field still
raises ``FrozenInstanceError``. Property-tested against the dataclass ``__init__``.

Made by :func:`record`: the stored records (``state.models``) and the per-request ``Call`` and
``Reply`` (``runtime``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import MISSING, dataclass, fields
from typing import Any, TypeVar

__all__ = ["record", "with_id"]

_T = TypeVar("_T")

#: the ``__init__`` dataclasses wrote for each record class (kept for the equivalence tests)
DATACLASS_INITS: dict[type, Callable[..., None]] = {}
_COPIERS: dict[type, Callable[[Any, int], Any]] = {}


def record(cls: type[_T]) -> type[_T]:
    """``@dataclass(frozen=True, slots=True)`` with an ``__init__`` that sets slots directly."""
    made: Any = dataclass(frozen=True, slots=True)(cls)
    if hasattr(made, "__post_init__") or any(not f.init or f.kw_only for f in fields(made)):
        raise TypeError(f"{made.__name__}: record() takes plain fields and no __post_init__")
    DATACLASS_INITS[made] = made.__init__
    made.__init__ = _slot_init(made)
    if any(f.name == "id" for f in fields(made)):
        _COPIERS[made] = _slot_copier(made)
    return made  # type: ignore[no-any-return]


def with_id(rec: _T, new_id: int) -> _T:
    """A copy of a record carrying the id its store assigned (``replace(rec, id=new_id)``)."""
    copier = _COPIERS.get(type(rec))
    if copier is None:
        raise TypeError(f"{type(rec).__name__} is not a record with an id")
    return copier(rec, new_id)  # type: ignore[no-any-return]


def _setters(cls: Any) -> dict[str, Any]:
    return {f"_set_{k}": cls.__dict__[f.name].__set__ for k, f in enumerate(fields(cls))}


def _compile(source: str, scope: dict[str, Any], name: str, cls: Any) -> Any:
    exec(source, scope)  # written from the class's own field names, as dataclasses writes __init__
    fn = scope[name]
    fn.__qualname__ = f"{cls.__qualname__}.{name}"
    return fn


def _slot_init(cls: Any) -> Callable[..., None]:
    scope: dict[str, Any] = {"_MISSING": MISSING, **_setters(cls)}
    params, body = ["self"], []
    for k, f in enumerate(fields(cls)):
        if f.default is not MISSING:
            scope[f"_default_{k}"] = f.default
            params.append(f"{f.name}=_default_{k}")
        elif f.default_factory is not MISSING:
            scope[f"_factory_{k}"] = f.default_factory
            params.append(f"{f.name}=_MISSING")
            body.append(f"    if {f.name} is _MISSING:\n        {f.name} = _factory_{k}()")
        else:
            params.append(f.name)
        body.append(f"    _set_{k}(self, {f.name})")
    source = f"def __init__({', '.join(params)}):\n" + "\n".join(body) + "\n"
    init: Callable[..., None] = _compile(source, scope, "__init__", cls)
    return init


def _slot_copier(cls: Any) -> Callable[[Any, int], Any]:
    names = [f.name for f in fields(cls)]
    scope: dict[str, Any] = {"_new": object.__new__, "_cls": cls, **_setters(cls)}
    body = [f"    _set_{k}(new, {'new_id' if name == 'id' else 'rec.' + name})"
            for k, name in enumerate(names)]
    source = "def with_id(rec, new_id):\n    new = _new(_cls)\n" + "\n".join(body) + "\n    return new\n"
    copier: Callable[[Any, int], Any] = _compile(source, scope, "with_id", cls)
    return copier
