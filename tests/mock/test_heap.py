"""hesabe-mock's process settings, checked in a fresh interpreter (they are process-wide)."""

from __future__ import annotations

import subprocess
import sys


def test_prepare_for_serving_freezes_the_heap_and_raises_only_the_young_threshold() -> None:
    code = (
        "import gc; before = gc.get_threshold()\n"
        "from mock_server.heap import prepare_for_serving, YOUNG_THRESHOLD\n"
        "prepare_for_serving(); after = gc.get_threshold()\n"
        "assert gc.get_freeze_count() > 1000, gc.get_freeze_count()\n"
        "assert after == (YOUNG_THRESHOLD, *before[1:]), (before, after)\n"
        "assert gc.isenabled()\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
