"""One process-level habit of long-running servers: freeze the start-up heap before serving.

Everything built before the first request (modules, the app, merchants, a seeded store) lives as
long as the process. ``gc.freeze()`` moves it to the permanent generation, so the collector's
full passes stop re-walking it on every cycle: they then cost what the requests allocated, not
what the server is. Called by ``hesabe-mock`` (and the benchmark's mock factory, which starts the
mock the same way); never by the in-process fixtures, which share the test runner's process.
"""

from __future__ import annotations

import gc

__all__ = ["freeze_startup_heap"]


def freeze_startup_heap() -> None:
    gc.collect()
    gc.freeze()
