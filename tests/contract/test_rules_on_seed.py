"""The rules that read one list answer, run on the real bodies first: a rule the real server breaks
would be a false alarm. Seed 003's dashboard (fixtures/doc_samples.json) keeps every one of them."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from contract_tests.exchange import Exchange
from contract_tests.rules import page_counts_consistent, stats_add_up, stats_match_pagination
from hesabe_spec.operations import OPERATIONS
from hesabe_spec.sandbox import SANDBOX

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
SAMPLES = json.loads((FIXTURES / "doc_samples.json").read_text(encoding="utf-8"))["samples"]
ONE_ANSWER_RULES = (stats_add_up, stats_match_pagination, page_counts_consistent)


def _answer(operation: str, body: Any, payload: dict[str, Any] | None = None) -> Exchange:
    return Exchange(OPERATIONS[operation], "valid", "GET", "https://merchantapisandbox.hesabe.com/x",
                    payload or {"merchantCode": SANDBOX.merchant_code}, {}, 200, {}, b"", body, "response",
                    SANDBOX.keys)


@pytest.mark.parametrize(("sample", "operation"), [("dashboard", "list_invoices"),
                                                   ("open-list", "list_open_invoices"),
                                                   ("bulk-list", "list_bulk_invoices")])
def test_the_real_bodies_keep_every_one_answer_rule(sample: str, operation: str) -> None:
    body = SAMPLES[sample]["json"]
    for rule in ONE_ANSWER_RULES:
        assert rule(_answer(operation, body)) == [], rule.__name__


def test_seed_003_is_what_the_rules_read() -> None:
    """The dashboard sample carries every number the rules compare: 9 = 0 + 9 + 0 = pagination.total,
    one page of 15, no next or previous page; order_stats 0 with null counters."""
    body = SAMPLES["dashboard"]["json"]["response"]
    assert body["stats"]["total_invoice_count"] == body["invoices"]["pagination"]["total"] == 9
    assert body["order_stats"] == {"total_invoice_count": 0, "invoice_paid": None, "invoice_not_paid": None,
                                   "invoice_cancelled": None}
    # The page shows one row though count is 9: the docs trimmed the list, which is why no rule
    # here compares count with the rows (the lifecycle's page walk does, on the mock and live).
    assert len(body["invoices"]["data"]) == 1 and body["invoices"]["pagination"]["count"] == 9


@pytest.mark.parametrize(("where", "change", "rule"), [
    ("stats", {"invoice_paid": "1"}, "stats_add_up"),
    ("order_stats", {"total_invoice_count": 2}, "stats_add_up"),
    ("stats", {"total_invoice_count": 10, "invoice_not_paid": "10"}, "stats_match_pagination"),
    ("pagination", {"count": 8}, "page_counts_consistent"),
    ("pagination", {"total_pages": 2}, "page_counts_consistent"),
    ("pagination", {"next_page_url": "https://merchantapisandbox.hesabe.com/x?page=2"},
     "page_counts_consistent"),
])
def test_each_rule_fires_on_the_seed_broken_once(where: str, change: dict[str, Any], rule: str) -> None:
    body = copy.deepcopy(SAMPLES["dashboard"]["json"])
    block = body["response"]["invoices"]["pagination"] if where == "pagination" else body["response"][where]
    block.update(change)
    fired = {f.rule for check in ONE_ANSWER_RULES for f in check(_answer("list_invoices", body))}
    assert fired == {rule}
