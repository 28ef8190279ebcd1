"""Two process-level habits of long-running Python servers, applied before the first request.

* ``gc.freeze()``: everything built before serving (modules, the app, merchants, a seeded store)
  lives as long as the process; frozen, the collector's full passes stop re-walking it.
* A young-generation threshold of 10,000 instead of 700: a request's objects are freed by
  reference counting when it ends, but with dozens of requests in flight the default threshold
  runs a collection every few requests, which finds their live objects, promotes them and makes
  the older generations (and their full passes) grow (docs/benchmarks.md measures it).

Called by ``hesabe-mock`` (and the benchmark's mock factory, which starts the mock the same way);
never by the in-process fixtures, which share the test runner's process and its settings.
"""

from __future__ import annotations

import gc

__all__ = ["YOUNG_THRESHOLD", "prepare_for_serving"]

YOUNG_THRESHOLD = 10_000


def prepare_for_serving() -> None:
    gc.collect()
    gc.freeze()
    _, older, oldest = gc.get_threshold()
    gc.set_threshold(YOUNG_THRESHOLD, older, oldest)
