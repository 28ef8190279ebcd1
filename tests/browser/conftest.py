"""Headless chromium for the payment-page tests: Debian's /usr/bin/chromium driven by playwright.

Nothing is downloaded at test time (``playwright install`` is never run): ``make browser-deps``
installs Debian's chromium and the playwright package. Without either, every test here is
skipped with the reason (``mock_server.testing.hesabe_browser``). ``HESABE_CHROMIUM`` points at
another chromium binary; ``HESABE_SCREENSHOT_DIR`` keeps the screenshots somewhere a human can
look at them.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from mock_server.app import create_app
from mock_server.clock import Clock
from mock_server.runtime import MockRuntime
from mock_server.testing import serve_app as serve


@pytest.fixture(scope="module")
def browser(hesabe_browser: Any) -> Any:
    """Headless chromium (``mock_server.testing.hesabe_browser``)."""
    return hesabe_browser


@pytest.fixture(scope="module")
def site() -> Iterator[tuple[str, MockRuntime]]:
    """The mock over real HTTP with its clock frozen at 2026-01-01 00:00 Kuwait."""
    clock = Clock()
    clock.freeze(1767214800)
    app = create_app(clock=clock)
    with serve(app) as base:
        yield base, app.state.mock


@pytest.fixture
def page(hesabe_page: Any) -> Any:
    """A fresh tab (``mock_server.testing.hesabe_page``)."""
    return hesabe_page


@pytest.fixture
def screenshot_dir(tmp_path: Path) -> Path:
    wanted = os.environ.get("HESABE_SCREENSHOT_DIR")
    where = Path(wanted) if wanted else tmp_path
    where.mkdir(parents=True, exist_ok=True)
    return where
