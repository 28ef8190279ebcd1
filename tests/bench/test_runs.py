"""``python -m bench --runs N``: the floors are read as the median of whole runs."""

from __future__ import annotations

from typing import Any

from bench.http_load import combine_runs
from bench.report import targets


def _run(ratio: float, rps: float) -> dict[str, Any]:
    point = {"rps": rps, "p50_ms": 1.0, "p99_ms": 2.0, "requests": 10, "errors": 0, "ratio": ratio,
             "ratio_rounds": [ratio - 0.01, ratio, ratio + 0.01], "baseline": {"rps": rps / ratio}}
    return {"generator": "wrk", "seconds": 5, "seeded": 10, "baseline_get": {},
            "mock": {"memory": {"create_invoice": {8: point}}}}


def test_a_point_of_several_runs_is_their_median_and_keeps_each() -> None:
    combined = combine_runs([_run(0.52, 2600), _run(0.47, 2350), _run(0.49, 2450)])
    point = combined["mock"]["memory"]["create_invoice"][8]
    assert combined["runs"] == 3
    assert point["ratio"] == 0.49
    assert point["ratio_runs"] == [0.52, 0.47, 0.49]
    assert point["rps"] == 2450  # the median run's own figures, not a mix of runs


def test_the_floor_is_judged_on_the_median_of_the_runs() -> None:
    [target] = targets({"http": combine_runs([_run(0.52, 2600), _run(0.47, 2350), _run(0.49, 2450)])})
    assert (target["value"], target["holds"], target["spread"]) == (0.49, False, "runs 0.520 0.470 0.490")
    [one] = targets({"http": _run(0.51, 2550)})
    assert (one["holds"], one["spread"]) == (True, "rounds 0.50 0.51 0.52")
