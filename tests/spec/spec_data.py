"""Golden data for the spec tests, loaded once from fixtures/ (parametrize needs it at collection)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"


def _load(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


SEED_EXCHANGES: list[dict[str, Any]] = _load("seed_exchanges.json")["exchanges"]
USABLE = [r for r in SEED_EXCHANGES if r["usable"]]
SEED_REQUESTS = [r for r in USABLE if r["direction"] == "request"]
SEED_RESPONSES = [r for r in USABLE if r["direction"] == "response"]
DOC_SAMPLES: dict[str, dict[str, Any]] = _load("doc_samples.json")["samples"]


def ids(records: list[dict[str, Any]]) -> list[str]:
    """pytest ids for seed records."""
    return [r["id"] for r in records]
