"""A ``hesabe-mock`` program started as a subprocess, for tests that must hold against it over real HTTP."""

from __future__ import annotations

import contextlib
import re
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["MockProcess", "mock_process"]

_LISTENING = re.compile(r"Hesabe mock listening on (http://\S+)")


@dataclass
class MockProcess:
    """A running ``hesabe-mock``: its URL and everything it printed so far (stdout and stderr)."""

    url: str
    proc: subprocess.Popen[str]
    lines: list[str] = field(default_factory=list)

    @property
    def output(self) -> str:
        return "".join(self.lines)


@contextlib.contextmanager
def mock_process(*args: str) -> Iterator[MockProcess]:
    """Run ``hesabe-mock --host 127.0.0.1 --port 0 *args`` until the block ends."""
    program = Path(sys.executable).with_name("hesabe-mock")
    proc = subprocess.Popen([str(program), "--host", "127.0.0.1", "--port", "0", *args],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    lines: list[str] = []
    found = threading.Event()
    url: list[str] = []

    def drain() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            lines.append(line)
            match = _LISTENING.search(line)
            if match and not url:
                url.append(match.group(1))
                found.set()
        found.set()

    reader = threading.Thread(target=drain, name="hesabe-mock-output", daemon=True)
    reader.start()
    try:
        if not found.wait(30) or not url:
            raise RuntimeError(f"hesabe-mock did not start: {''.join(lines)[-500:]!r}")
        yield MockProcess(url[0], proc, lines)
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        reader.join(5)
        if proc.stdout is not None:
            proc.stdout.close()
