"""ARCHITECTURE.md's module map names every module: a new file without its line fails here.

The map is the first fenced block of ARCHITECTURE.md, a tree by indentation: a line starting with
``name/`` opens a directory, the lines indented under it name its modules (``name.py``, or several
as ``a.py, b.py``), each followed by two spaces and what it does. A module counts as named when its
path from the root is (so a new ``errors.py`` is not covered by another package's); a suite's tests
may be named by their directory's ``test_*.py`` line. Package ``__init__.py`` files are described by
their directory.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("hesabe_spec", "mock_server", "contract_tests", "bench", "tools")
#: a line naming a directory or modules: indentation, then the names, then two spaces (or nothing)
_ITEM = re.compile(r"^(?P<indent> *)(?P<names>(?:[\w*.-]+\.py|[\w.-]+/)(?:, *[\w*.-]+\.py)*)(?: {2,}|$)")


def _module_map() -> str:
    text = (ROOT / "ARCHITECTURE.md").read_text(encoding="utf-8")
    match = re.search(r"```[a-z]*\n(.*?)```", text, re.DOTALL)
    assert match, "ARCHITECTURE.md has no fenced module map"
    return match.group(1)


def _named_paths(module_map: str) -> set[str]:
    """Every module path (from the root) the map's tree names, ``test_*.py`` patterns included."""
    named: set[str] = set()
    directories: list[tuple[int, str]] = []  # (indentation, path) of the directories open above
    for line in module_map.splitlines():
        item = _ITEM.match(line)
        if item is None:
            continue  # a description's continuation
        indent = len(item["indent"])
        while directories and directories[-1][0] >= indent:
            directories.pop()
        base = directories[-1][1] if directories else ""
        names = [name.strip() for name in item["names"].split(",")]
        if names[0].endswith("/"):
            directories.append((indent, base + names[0]))
        else:
            named.update(base + name for name in names)
    return named


def _named(named: set[str], path: Path) -> bool:
    relative = path.relative_to(ROOT)
    if path.name.startswith("test_") and f"{relative.parent}/test_*.py" in named:
        return True
    return str(relative) in named


@pytest.mark.parametrize("package", PACKAGES)
def test_every_module_has_a_line_in_the_map(package: str) -> None:
    named = _named_paths(_module_map())
    missing = [
        str(path.relative_to(ROOT))
        for path in sorted((ROOT / package).rglob("*.py"))
        if path.name != "__init__.py" and "results" not in path.parts and not _named(named, path)
    ]
    assert missing == [], f"ARCHITECTURE.md's module map does not name: {missing}"


def test_the_map_names_no_module_that_is_gone() -> None:
    """A line for a deleted (or misplaced) module is as misleading as a missing one."""
    named = _named_paths(_module_map())
    assert sorted(path for path in named if "*" not in path and not (ROOT / path).is_file()) == []


def test_the_map_is_read_as_a_tree() -> None:
    """The reading above, on a small map: a module is named under the directory it is indented in."""
    tree = ("pkg/  a package\n  a.py, b.py  two\n  sub/  a subpackage\n    c.py  deeper\n"
            "      more text\n  d.py  back\n")
    assert _named_paths(tree) == {"pkg/a.py", "pkg/b.py", "pkg/sub/c.py", "pkg/d.py"}
