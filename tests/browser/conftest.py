"""Headless chromium for the payment-page tests: Debian's /usr/bin/chromium driven by playwright.

Nothing is downloaded at test time (``playwright install`` is never run): ``make browser-deps``
installs Debian's chromium and the playwright package. Without either, every test here is
skipped with the reason. ``HESABE_CHROMIUM`` points at another chromium binary;
``HESABE_SCREENSHOT_DIR`` keeps the screenshots somewhere a human can look at them.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from mock_server.app import create_app
from mock_server.clock import Clock
from mock_server.runtime import MockRuntime
from mock_server.testing import serve_app as serve

CHROMIUM = os.environ.get("HESABE_CHROMIUM", "/usr/bin/chromium")
#: what this machine's closed network needs (docs: .library/env/machines/python.md); playwright
#: itself adds --headless, --no-sandbox (sandbox off by default) and a fresh temporary profile
CHROMIUM_ARGS = [
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def _missing() -> str | None:
    if not (os.access(CHROMIUM, os.X_OK) or shutil.which(CHROMIUM)):
        return f"chromium not found at {CHROMIUM}: run `make browser-deps` (Debian package chromium)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "the playwright package is not installed: run `make browser-deps` (pip install '.[browser]')"
    return None


# Module scope, not session: playwright's sync API keeps an event loop running on the main
# thread while it is open, and any later test calling asyncio.run() would fail beside it.
@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    reason = _missing()
    if reason:
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture(scope="module")
def site() -> Iterator[tuple[str, MockRuntime]]:
    """The mock over real HTTP with its clock frozen at 2026-01-01 00:00 Kuwait."""
    clock = Clock()
    clock.freeze(1767214800)
    app = create_app(clock=clock)
    with serve(app) as base:
        yield base, app.state.mock


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 820, "height": 1000}, locale="en-US")
    try:
        tab = context.new_page()
        tab.set_default_timeout(10_000)
        yield tab
    finally:
        context.close()


@pytest.fixture
def screenshot_dir(tmp_path: Path) -> Path:
    wanted = os.environ.get("HESABE_SCREENSHOT_DIR")
    where = Path(wanted) if wanted else tmp_path
    where.mkdir(parents=True, exist_ok=True)
    return where
