"""ARCHITECTURE.md's module map names every module: a new file without its line fails here.

The map is the first fenced block of ARCHITECTURE.md. A module counts as named when its file name
appears there as a word (``heap.py``), or, for a suite's tests, when the block names the pattern
its directory uses (``test_*.py``). Package ``__init__.py`` files are described by their directory.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("hesabe_spec", "mock_server", "contract_tests", "bench", "tools")


def _module_map() -> str:
    text = (ROOT / "ARCHITECTURE.md").read_text(encoding="utf-8")
    match = re.search(r"```[a-z]*\n(.*?)```", text, re.DOTALL)
    assert match, "ARCHITECTURE.md has no fenced module map"
    return match.group(1)


def _named(module_map: str, path: Path) -> bool:
    if path.name.startswith("test_") and "test_*.py" in module_map:
        return True
    return re.search(rf"(?<![\w.]){re.escape(path.name)}(?!\w)", module_map) is not None


@pytest.mark.parametrize("package", PACKAGES)
def test_every_module_has_a_line_in_the_map(package: str) -> None:
    module_map = _module_map()
    missing = [
        str(path.relative_to(ROOT))
        for path in sorted((ROOT / package).rglob("*.py"))
        if path.name != "__init__.py" and "results" not in path.parts and not _named(module_map, path)
    ]
    assert missing == [], f"ARCHITECTURE.md's module map does not name: {missing}"


def test_the_map_names_no_module_that_is_gone() -> None:
    """A line for a deleted module is as misleading as a missing one."""
    module_map = _module_map()
    present = {path.name for folder in (*PACKAGES, "fixtures", "examples", "tests")
               for path in (ROOT / folder).rglob("*.py")}
    present |= {path.name for path in ROOT.glob("*.py")}
    named = set(re.findall(r"(?<![\w./*])([a-z_][a-z0-9_]*\.py)\b", module_map))
    assert sorted(named - present) == []
