"""Each package's ``__all__`` is exactly its public surface."""

from __future__ import annotations

import importlib
import types

import pytest


@pytest.mark.parametrize("package", ["hesabe_spec", "hesabe_spec.errors", "hesabe_spec.enums",
                                     "hesabe_spec.crypto", "hesabe_spec.wire", "hesabe_spec.operations",
                                     "hesabe_spec.amounts", "hesabe_spec.client"])
def test_all_matches_public_names(package: str) -> None:
    module = importlib.import_module(package)
    exported = list(module.__all__)
    assert len(exported) == len(set(exported)), "duplicates in __all__"
    for name in exported:
        assert hasattr(module, name), f"{package}.__all__ names {name!r}, which does not exist"
    top = package.split(".")[0]
    is_package = hasattr(module, "__path__")
    public = {
        name for name, value in vars(module).items()
        if not name.startswith("_") and name != "annotations" and not isinstance(value, types.ModuleType)
        # a package re-exports from its modules; a module's surface is what it defines itself
        and (str(getattr(value, "__module__", package)).startswith(top) if is_package
             else getattr(value, "__module__", package) == package)
    }
    missing = sorted(public - set(exported) - _typing_helpers(module))
    assert not missing, f"public names not in {package}.__all__: {missing}"


def test_the_client_names_are_served_lazily_by_the_package() -> None:
    """``hesabe_spec`` names the client's classes in ``__all__`` without importing them up front:
    each resolves, on first use, to the object :mod:`hesabe_spec.client` exports."""
    import hesabe_spec
    import hesabe_spec.client as client

    lazy = set(client.__all__)
    assert lazy <= set(hesabe_spec.__all__)
    assert not lazy & set(vars(hesabe_spec)), "imported eagerly"
    for name in lazy:
        assert getattr(hesabe_spec, name) is getattr(client, name)
        assert name in dir(hesabe_spec)
    with pytest.raises(AttributeError):
        hesabe_spec.NoSuchName  # type: ignore[attr-defined]  # noqa: B018


def _typing_helpers(module: types.ModuleType) -> set[str]:
    """Type aliases, TypeVars and ``TYPE_CHECKING`` serve annotations and need not be exported."""
    return {name for name, value in vars(module).items()
            if type(value).__name__ in ("_LiteralGenericAlias", "TypeVar", "GenericAlias", "_GenericAlias",
                                        "_UnionGenericAlias", "TypeAliasType")
            or name == "TYPE_CHECKING"}
