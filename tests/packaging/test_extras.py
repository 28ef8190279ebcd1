"""``hesabe_spec.extras`` agrees with pyproject.toml's extras."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from hesabe_spec.extras import EXTRAS

ROOT = Path(__file__).resolve().parents[2]


def test_the_extras_table_names_a_module_for_every_requirement_of_each_extra() -> None:
    """``EXTRAS`` (what an import checks for, naming the extra to install) has one module per
    requirement of the extra (pytest-xdist, a plugin nothing imports, aside)."""
    declared = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"]
    for extra, modules in EXTRAS.items():
        names = {re.split(r"[\[<>=!~ ]", req, maxsplit=1)[0].replace("-", "_").lower()
                 for req in declared[extra]} - {"pytest_xdist"}
        assert names == set(modules), extra
