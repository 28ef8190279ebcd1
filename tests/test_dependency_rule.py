"""The dependency rule of ARCHITECTURE.md, checked on the source: who may import whom.

``hesabe_spec`` imports nothing else from the repo; ``mock_server`` and ``contract_tests`` never
import each other at module level (the contract suite may start a mock only lazily, inside the
one function that does it). Inside ``hesabe_spec``, the spec never imports its client
(``hesabe_spec.client``) or ``requests``: only the package's lazy ``__getattr__`` names the
client. In ``mock_server`` only the pytest fixtures (``testing.py``) use the client.
"""

from __future__ import annotations

import ast
import re
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


def _imported_names(node: ast.AST) -> list[str]:
    """Every dotted name an import statement may load (``from a import b`` may load ``a.b``)."""
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
        return [node.module, *(f"{node.module}.{alias.name}" for alias in node.names)]
    return []


def _names_client(name: str) -> bool:
    return name.split(".")[0] == "requests" or name == "hesabe_spec.client" or name.startswith(
        "hesabe_spec.client.")


def _spec_modules() -> list[Path]:
    client = ROOT / "hesabe_spec" / "client"
    return [p for p in sorted((ROOT / "hesabe_spec").rglob("*.py")) if client not in p.parents]


def test_the_spec_never_imports_its_client_or_requests() -> None:
    init = ROOT / "hesabe_spec" / "__init__.py"
    offences = []
    for path in _spec_modules():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        # the package's own lazy __getattr__ is the one place that may name the client
        nodes = tree.body if path == init else list(ast.walk(tree))
        offences += [f"{path.relative_to(ROOT)}:{node.lineno} imports {name}"
                     for node in nodes for name in _imported_names(node) if _names_client(name)]
    assert offences == []


def test_the_package_serves_the_client_names_only_lazily() -> None:
    tree = ast.parse((ROOT / "hesabe_spec" / "__init__.py").read_text(encoding="utf-8"))
    lazy = [node for node in tree.body if isinstance(node, ast.FunctionDef) and node.name == "__getattr__"]
    assert len(lazy) == 1
    assert any(_names_client(name) for node in ast.walk(lazy[0]) for name in _imported_names(node))


def test_only_the_mock_fixtures_use_the_client_or_requests() -> None:
    """Serving the mock loads no HTTP client (webhooks and MockControl import requests lazily)."""
    from hesabe_spec import _CLIENT_NAMES  # type: ignore[attr-defined]

    lazy_names = {f"hesabe_spec.{name}" for name in _CLIENT_NAMES}
    offences = [
        f"{path.relative_to(ROOT)}:{node.lineno} imports {name}"
        for path in sorted((ROOT / "mock_server").rglob("*.py")) if path.name != "testing.py"
        for node in ast.parse(path.read_text(encoding="utf-8")).body
        for name in _imported_names(node) if _names_client(name) or name in lazy_names
    ]
    assert offences == []


#: what the domain (``mock_server/state``) may import from the rest of the mock
_DOMAIN_MAY_IMPORT = {"mock_server.state", "mock_server.clock", "mock_server.merchants"}


def test_the_domain_imports_neither_the_wire_layer_nor_http() -> None:
    """``mock_server/state`` is commands in, records out: it never imports the handlers, the wire
    shapes (``mock_server.shapes``), the pipeline or Starlette, not even lazily."""
    offences = []
    for path in sorted((ROOT / "mock_server" / "state").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            for name in _imported_names(node):
                top = name.split(".")[0]
                inside = ".".join(name.split(".")[:2])
                if top == "starlette" or (top == "mock_server" and inside not in _DOMAIN_MAY_IMPORT
                                          and name not in _DOMAIN_MAY_IMPORT):
                    offences.append(f"{path.relative_to(ROOT)}:{node.lineno} imports {name}")
    assert offences == []


#: a wire name in Hesabe's camelCase (``customerName``, ``itemsList``) or PascalCase-with-a-hump
#: (``SubscriptionType``, ``TransactionID``) spelling
_CAMEL_CASE = re.compile(r"[a-z]+[A-Z]\w*|[A-Z][a-z0-9]+[A-Z]\w*")


def _docstrings(tree: ast.AST) -> set[int]:
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                found.add(id(first.value))
    return found


def test_the_domain_spells_no_wire_name() -> None:
    """No string of the domain is a camelCase wire name: payloads become commands in the handlers,
    refusals name the command's attributes (the registry renames them), and the wire shapes live in
    ``mock_server.shapes``. Docstrings may cite the wire; ``__all__`` lists Python names."""
    offences = []
    for path in sorted((ROOT / "mock_server" / "state").rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        skip = _docstrings(tree)
        for node in tree.body:
            if isinstance(node, ast.Assign) and any(getattr(t, "id", "") == "__all__" for t in node.targets):
                skip.update(id(n) for n in ast.walk(node.value))
        offences += [f"{path.relative_to(ROOT)}:{node.lineno} {node.value!r}" for node in ast.walk(tree)
                     if isinstance(node, ast.Constant) and isinstance(node.value, str)
                     and id(node) not in skip and _CAMEL_CASE.fullmatch(node.value)]
    assert offences == []
