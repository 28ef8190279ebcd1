"""The error tree drawn in ``hesabe_spec/errors.py``'s docstring is the module's own hierarchy."""

from __future__ import annotations

import inspect
import re

from hesabe_spec import errors
from hesabe_spec.errors import HesabeError

#: one line of the drawing: its indentation (the tree's depth) and the class it names
_LINE = re.compile(r"^(?P<indent>[ │├└─]*?)(?P<name>[A-Z]\w*Error)\b")


def _drawn() -> dict[str, str | None]:
    """Each class the docstring draws, with the class drawn as its parent (None for the root)."""
    doc = errors.__doc__ or ""
    tree = doc[doc.index("    HesabeError"):doc.index("\n\n", doc.index("    HesabeError"))]
    parents: dict[str, str | None] = {}
    stack: list[tuple[int, str]] = []
    for line in tree.splitlines():
        found = _LINE.match(line)
        assert found, line
        depth = len(found["indent"])
        while stack and stack[-1][0] >= depth:
            stack.pop()
        parents[found["name"]] = stack[-1][1] if stack else None
        stack.append((depth, found["name"]))
    return parents


def test_every_error_of_the_module_is_drawn_under_its_base() -> None:
    defined = {name: cls for name, cls in inspect.getmembers(errors, inspect.isclass)
               if issubclass(cls, HesabeError) and cls.__module__ == errors.__name__}
    drawn = _drawn()
    assert set(drawn) == set(defined)
    for name, parent in drawn.items():
        if parent is not None:
            assert defined[parent] in defined[name].__bases__, (name, parent)
