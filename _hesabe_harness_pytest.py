"""The hesabe-harness pytest entry point (``pytest11``): loads the contract suite only when asked.

pytest imports this module in every run of an environment where hesabe-harness is installed, so it
is kept to a name no project would have and to the standard library. It registers the contract
suite's plugin (``contract_tests.plugin``: options, markers, the report) only when the run asks
for the shipped suite:

* an option of the suite is given (``--hesabe-url``, ``--hesabe-mock``, ``--hesabe-report``...);
* a test path lies inside the shipped ``contract_tests`` directory (``pytest contract_tests`` in a
  checkout, or the path ``hesabe-contract`` passes), or, in a checkout, contains it;
* ``--pyargs contract_tests`` names it.

``-p contract_tests.plugin`` loads it explicitly. Any other run, for instance of a project with
its own ``contract_tests`` or ``mock_server`` package, never imports anything of this project.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

__all__ = ["PLUGIN", "SUITE", "asks_for_the_suite"]

#: the contract suite's plugin module
PLUGIN = "contract_tests.plugin"
#: the shipped suite's directory (beside this module, in site-packages or a checkout)
SUITE = Path(__file__).resolve().parent / "contract_tests"
_OPTION_PREFIX = "--hesabe-"


def _in_a_checkout() -> bool:
    return SUITE.parent.name not in ("site-packages", "dist-packages")


def _names_the_suite(arg: str, invocation_dir: Path) -> bool:
    path = Path(arg.split("::", 1)[0])
    target = (path if path.is_absolute() else invocation_dir / path).resolve()
    if target == SUITE or SUITE in target.parents:
        return True
    return _in_a_checkout() and target in SUITE.parents


def asks_for_the_suite(args: list[str], invocation_dir: Path) -> bool:
    """Does this command line ask for the shipped contract suite? (see the module docstring)"""
    pyargs = "--pyargs" in args
    for arg in args:
        if arg.startswith(_OPTION_PREFIX):
            return True
        if arg.startswith("-"):
            continue
        if pyargs and arg.split("::", 1)[0].split(".")[0] == "contract_tests":
            return True
        if _names_the_suite(arg, invocation_dir):
            return True
    return False


def pytest_load_initial_conftests(early_config: Any, parser: Any, args: list[str]) -> None:
    manager = early_config.pluginmanager
    if manager.has_plugin(PLUGIN) or manager.is_blocked(PLUGIN):
        return
    if asks_for_the_suite(list(args), Path(early_config.invocation_params.dir)):
        manager.import_plugin(PLUGIN)
