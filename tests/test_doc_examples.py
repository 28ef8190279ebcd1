"""The README's and the docs' examples run as written, with the mock's clock five years ahead.

Every ``python`` block of a page runs in order in one namespace (later blocks use what earlier
ones made), in a fresh interpreter, against a real uvicorn mock seeded with ``seed-pages`` whose
clock is five years ahead (a reset brings it back there, not to today). ``http://127.0.0.1:8000``
becomes that mock's URL; ``HESABE_MERCHANT_API_URL`` points there too, so nothing reaches
Hesabe. A block that defines ``test_*`` functions is a pytest example: they are called with a
fresh mock (same clock) for their ``hesabe_mock*`` parameter. ``sh`` blocks made only of
``curl`` commands run under bash with ``curl --fail``. So a date that expires, an id that is not
seeded or an example that no longer matches the API fails here, not in a reader's terminal.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from support.clocks import FutureClock

from mock_server.testing import running_mock

ROOT = Path(__file__).resolve().parents[1]
PAGES = ["README.md", "docs/client.md", "docs/control-plane.md", "docs/payment-page-and-webhooks.md",
         "docs/checkout.md"]
DOCUMENTED = "http://127.0.0.1:8000"
#: a fence, and whether the line before it opts the block out (``<!-- example not run ... -->``)
_BLOCK = re.compile(r"^(<!-- example not run[^\n]*-->\n)?```(python|sh)\n(.*?)^```", re.S | re.M)


def blocks(page: str, language: str) -> list[str]:
    found = _BLOCK.findall((ROOT / page).read_text())
    return [code for opted_out, lang, code in found if lang == language and not opted_out]


RUNNER = r'''
import inspect, json, sys, traceback
from mock_server.testing import running_mock
from support.clocks import FutureClock

url, blocks = sys.argv[1], json.loads(sys.stdin.read())
namespace = {"__name__": "__doc_example__"}
for number, code in enumerate(blocks, 1):
    known = set(namespace)
    try:
        exec(compile(code.replace("http://127.0.0.1:8000", url), f"<block {number}>", "exec"), namespace)
        for name in [n for n in namespace if n.startswith("test_") and n not in known]:
            test = namespace[name]
            params = list(inspect.signature(test).parameters)
            with running_mock(clock=FutureClock()) as handle:
                test(*[handle for _ in params])
    except Exception:
        print(f"block {number} failed:\n{code}\n{traceback.format_exc()}", file=sys.stderr)
        sys.exit(1)
print(f"{len(blocks)} blocks ran")
'''


@pytest.fixture(scope="module")
def future_mock(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with running_mock(clock=FutureClock()) as handle:
        yield handle.url


def _environment(url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HESABE_", "HYPOTHESIS_"))}
    env["HESABE_MERCHANT_API_URL"] = url
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT / "tests"), str(ROOT)])
    return env


@pytest.mark.parametrize("page", [p for p in PAGES if blocks(p, "python")])
def test_python_examples_run_five_years_from_now(page: str, future_mock: str, tmp_path: Path) -> None:
    from mock_server.control import MockControl

    with MockControl(future_mock) as control:
        control.reset()
        control.seed_fixture("seed-pages")
    code = json.dumps(blocks(page, "python"))
    done = subprocess.run([sys.executable, "-c", RUNNER, future_mock], input=code, cwd=tmp_path,
                          env=_environment(future_mock), capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-4000:]


def _curl_only(code: str) -> bool:
    commands = [line for line in code.splitlines() if line and not line.startswith((" ", "#", "}", "]", "'"))]
    return bool(commands) and all(line.startswith("curl ") for line in commands)


@pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed")
@pytest.mark.parametrize("page", [p for p in PAGES if any(_curl_only(b) for b in blocks(p, "sh"))])
def test_curl_examples_run_five_years_from_now(page: str, future_mock: str, tmp_path: Path) -> None:
    from mock_server.control import MockControl

    with MockControl(future_mock) as control:
        control.reset()
    script = "set -euo pipefail\ncurl() { command curl -sS --fail-with-body \"$@\"; echo; }\n"
    script += f"M={future_mock}\n" + "\n".join(b for b in blocks(page, "sh") if _curl_only(b))
    done = subprocess.run(["bash", "-c", script.replace(DOCUMENTED, future_mock)], cwd=tmp_path,
                          env=_environment(future_mock), capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, f"{done.stdout[-3000:]}\n{done.stderr[-2000:]}"


def test_python_examples_type_check_strictly(tmp_path: Path) -> None:
    """A reader's ``mypy --strict`` accepts what the pages show: an example that indexes an optional
    answer or passes a maybe-None token would be code that breaks a reader's type check."""
    files = []
    for page in PAGES:
        code = "\n\n".join(blocks(page, "python"))
        if code:
            files.append(tmp_path / f"{Path(page).stem.replace('-', '_')}_examples.py")
            files[-1].write_text(code)
    done = subprocess.run([sys.executable, "-m", "mypy", "--strict", "--follow-imports=silent",
                           "--cache-dir", str(tmp_path / "cache"), *map(str, files)],
                          cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]


def test_the_readme_has_no_relative_links() -> None:
    """On a package index page a relative link leads nowhere. The screenshots `make screenshots`
    writes are the exception: an image's alt text says what it shows where the picture is missing."""
    text = (ROOT / "README.md").read_text()
    pictures = re.findall(r"!\[[^\]]+\]\((docs/images/[a-z-]+\.png)\)", text)
    assert pictures and all((ROOT / picture).is_file() for picture in pictures)
    links = re.findall(r"\]\(([^)]+)\)", text)
    relative = [link for link in links if not link.startswith(("https://", "http://"))]
    assert [link for link in relative if link not in pictures] == []
