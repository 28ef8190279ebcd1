"""The spec and the mock's app load neither the reference client nor ``requests``.

Each module is imported in a fresh interpreter, since this test process has long loaded both.
"""

from __future__ import annotations

import subprocess
import sys

import pytest

LIGHT = ["hesabe_spec", "hesabe_spec.operations", "hesabe_spec.crypto", "hesabe_spec.wire",
         "hesabe_spec.validation", "hesabe_spec.amounts", "mock_server.app"]
HEAVY = ["requests", "hesabe_spec.client"]


def _loaded_after_import(module: str) -> list[str]:
    probe = f"import sys, {module}; print(' '.join(m for m in {HEAVY!r} if m in sys.modules))"
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=120,
                          check=True)
    return done.stdout.split()


@pytest.mark.parametrize("module", LIGHT)
def test_importing_the_spec_or_the_mock_app_loads_no_client(module: str) -> None:
    assert _loaded_after_import(module) == []


def test_the_client_names_still_come_from_the_package() -> None:
    probe = ("import sys; from hesabe_spec import HesabeClient, ASGITransport; "
             "print(HesabeClient.__module__, ASGITransport.__module__, 'requests' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=120,
                          check=True)
    assert done.stdout.split() == ["hesabe_spec.client.core", "hesabe_spec.client.transport", "True"]
