"""The dependency rule of ARCHITECTURE.md, checked on the source: who may import whom.

``hesabe_spec`` imports nothing else from the repo; ``mock_server`` and ``contract_tests`` never
import each other at module level (the contract suite may start a mock only lazily, inside the
one function that does it).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
FORBIDDEN = {
    "hesabe_spec": {"mock_server", "contract_tests", "tests", "bench"},
    "mock_server": {"contract_tests", "tests", "bench"},
    "contract_tests": {"mock_server", "tests", "bench"},
}


def _module_level_imports(path: Path) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: list[tuple[int, str]] = []
    for node in tree.body:  # module level only: a lazy import inside a function is allowed
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append((node.lineno, node.module))
    return found


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_package_imports_only_what_the_rule_allows(package: str) -> None:
    offences = [
        f"{path.relative_to(ROOT)}:{line} imports {name}"
        for path in sorted((ROOT / package).rglob("*.py"))
        for line, name in _module_level_imports(path)
        if name.split(".")[0] in FORBIDDEN[package]
    ]
    assert offences == []


def test_hesabe_spec_never_imports_the_mock_even_lazily() -> None:
    for path in (ROOT / "hesabe_spec").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module:
                assert node.module.split(".")[0] != "mock_server", path
            if isinstance(node, ast.Import):
                assert all(a.name.split(".")[0] != "mock_server" for a in node.names), path
