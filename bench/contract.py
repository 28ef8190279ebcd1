"""Section ``contract``: the default contract suite's wall time and Hypothesis examples per second,
against the in-process mock (the suite's default) and over loopback (``--hesabe-mock process``:
a ``hesabe-mock`` subprocess the suite starts itself).

Examples are counted from ``--hypothesis-show-statistics`` (passing + failing + invalid, every
phase); HTTP exchanges from the suite's own ``--hesabe-report`` JSON when it records them.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

__all__ = ["run_contract"]

ROOT = Path(__file__).resolve().parent.parent
_EXAMPLES = re.compile(r"(\d+) passing(?: examples?)?, (\d+) failing(?: examples?)?,(?: and)? (\d+) invalid")
_PHASE = re.compile(r"during \w+ phase \(([\d.]+) seconds\)")
_SUMMARY = re.compile(r"^=*\s*(.*\b(?:passed|failed|error|errors|skipped)\b.*?)\s*=*$")


def _exchanges(report: Path) -> int | None:
    try:
        data = json.loads(report.read_text())
    except (OSError, ValueError):
        return None
    ops = data.get("operations") if isinstance(data, dict) else None
    if not isinstance(ops, dict):
        return None
    return sum(int(v.get("run", 0)) for v in ops.values() if isinstance(v, dict))


def _run(mode: str, extra: list[str]) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        report = Path(tmp) / "report.json"
        cmd = [
            sys.executable,
            "-m",
            "pytest",
            "contract_tests",
            "-q",
            "-p",
            "no:cacheprovider",
            "--hypothesis-show-statistics",
            "--hesabe-report",
            str(report),
            *extra,
        ]
        t0 = time.perf_counter()
        proc = subprocess.run(
            cmd,
            cwd=ROOT,
            capture_output=True,
            text=True,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
            timeout=1800,
        )
        wall = time.perf_counter() - t0
        examples = sum(sum(int(x) for x in m.groups()) for m in _EXAMPLES.finditer(proc.stdout))
        in_hypothesis = sum(float(m.group(1)) for m in _PHASE.finditer(proc.stdout))
        summary = next(
            (
                m.group(1)
                for line in reversed(proc.stdout.splitlines())
                if (m := _SUMMARY.match(line.strip()))
            ),
            proc.stdout.strip().splitlines()[-1:],
        )
        return {
            "mode": mode,
            "command": " ".join(["pytest", "contract_tests", *extra]),
            "wall_s": wall,
            "returncode": proc.returncode,
            "summary": summary,
            "examples": examples,
            "examples_per_s": examples / wall if wall else 0.0,
            "hypothesis_phase_s": in_hypothesis,
            "exchanges": _exchanges(report),
        }


def run_contract(log: Callable[[str], object] = print) -> dict[str, Any]:
    tests = sorted(p.name for p in (ROOT / "contract_tests").glob("test_*.py"))
    if not tests:
        log("contract: contract_tests/ has no test modules yet; nothing measured")
        return {"present": False}
    out: dict[str, Any] = {"present": True, "modules": tests}
    for mode, extra in (("inprocess", []), ("loopback", ["--hesabe-mock", "process"])):
        r = _run(mode, extra)
        out[mode] = r
        log(
            f"contract {mode:9}: {r['wall_s']:.1f} s wall, {r['examples']} examples"
            f" ({r['examples_per_s']:.0f}/s), {r['exchanges']} judged calls, exit {r['returncode']}:"
            f" {r['summary']}"
        )
    return out
