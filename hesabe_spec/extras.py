"""The optional parts of hesabe-harness and the extra that installs each.

The base install is this package: the spec and the reference client. The mock
(``mock_server.app``) needs the ``[mock]`` extra, ``contract_tests`` the ``[contract]`` extra;
each checks on import and names the extra to install instead of failing on some third-party
import deep inside. ``mock_server.control.MockControl`` (an HTTP client) needs neither.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from importlib import import_module
from importlib.util import find_spec

__all__ = ["DISTRIBUTION", "EXTRAS", "MissingExtraError", "installed_version", "require_extra",
           "run_contract", "run_mock", "run_parity"]

#: the name pip installs this project under
DISTRIBUTION = "hesabe-harness"

#: extra -> the modules it brings (``[speedups]`` is optional even for the mock: pure-Python fallbacks)
EXTRAS: dict[str, tuple[str, ...]] = {
    "mock": ("starlette", "uvicorn"),
    "contract": ("pytest", "hypothesis"),
    "speedups": ("orjson", "jsonschema_rs", "cryptography"),
    "postgres": ("psycopg",),
}


class MissingExtraError(ModuleNotFoundError):
    """A part of hesabe-harness was imported without the extra that installs its dependencies."""


def require_extra(extra: str, part: str) -> None:
    """Raise :class:`MissingExtraError` naming ``extra`` when any of its modules is missing."""
    missing = [name for name in EXTRAS[extra] if find_spec(name) is None]
    if missing:
        raise MissingExtraError(
            f"{part} needs the [{extra}] extra ({', '.join(missing)} not installed): "
            f"pip install 'hesabe-harness[{extra}]'",
            name=missing[0],
        )


def installed_version() -> str:
    """The installed hesabe-harness version (what every command's ``--version`` prints)."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(DISTRIBUTION)
    except PackageNotFoundError:  # pragma: no cover - a source tree that was never installed
        return "unknown"


def _launch(prog: str, extra: str, part: str, module: str) -> int:
    """A console script of an optional part: one line naming the extra when it is missing."""
    try:
        require_extra(extra, part)
    except MissingExtraError as exc:
        print(f"{prog}: {exc}", file=sys.stderr)
        return 2
    main: Callable[[], int] = import_module(module).main
    return main()


def run_mock() -> int:
    """``hesabe-mock`` (``mock_server.cli``)."""
    return _launch("hesabe-mock", "mock", "the Hesabe mock", "mock_server.cli")


def run_contract() -> int:
    """``hesabe-contract`` (``contract_tests.cli``)."""
    return _launch("hesabe-contract", "contract", "the Hesabe contract suite", "contract_tests.cli")


def run_parity() -> int:
    """``hesabe-parity`` (``mock_server.recording.parity_cli``)."""
    return _launch("hesabe-parity", "mock", "the Hesabe parity report", "mock_server.recording.parity_cli")
