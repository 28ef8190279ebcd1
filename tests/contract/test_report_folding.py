"""One broken place is one entry of the report, however many rows and tests met it."""

from __future__ import annotations

from contract_tests.exchange import Exchange
from contract_tests.findings import Finding
from contract_tests.report import Recorder, place
from hesabe_spec.operations import OPERATIONS
from hesabe_spec.sandbox import SANDBOX


def _dashboard(n: int) -> Exchange:
    return Exchange(OPERATIONS["list_invoices"], "valid", "GET", "http://mock/api/v1/invoice-dashboard",
                    {"page": str(n)}, {}, 200, {}, b"", {"status": True}, "response", SANDBOX.keys)


def _discount(row: int) -> Finding:
    return Finding("list_invoices", "response_schema", f"/response/invoices/data/{row}/discount",
                   "format Money3", '"1000000000.000"')


def test_rows_and_tests_that_break_one_place_are_one_entry() -> None:
    recorder = Recorder(target="http://mock", rerun="hesabe-contract --url http://mock --profile ci")
    recorder.record(_dashboard(1), [_discount(0), _discount(1), _discount(2)], test="test_a.py::test_one")
    recorder.record(_dashboard(2), [_discount(0)], test="test_b.py::test_two")
    message = Finding("list_invoices", "success_message", "/message", '"Invoice Dashboard"', '"Dashboard"')
    recorder.record(_dashboard(3), [message], test="test_b.py::test_two")
    assert len(recorder.violations) == 2
    [entry] = [v for v in recorder.violations.values() if v.finding.rule == "response_schema"]
    assert entry.tests == ("test_a.py::test_one", "test_b.py::test_two")
    # the first test that broke it is shown (an operation's own test runs before the lifecycles
    # that only read it on their way), with that test's latest call (a shrunk example comes last)
    assert entry.test == "test_a.py::test_one"
    assert len(entry.pointers) == 3 and entry.request["payload"] == {"page": "1"}
    shown = "\n".join(recorder.lines())
    assert "/response/invoices/data/*/discount (3 places, e.g. /response/invoices/data/2/discount)" in shown
    assert "also in 1 other test(s): test_b.py::test_two" in shown
    assert "re-run: hesabe-contract --url http://mock --profile ci test_a.py::test_one" in shown
    recorder.record(_dashboard(4), [_discount(0)], test="test_a.py::test_one")  # the same test again
    [entry] = [v for v in recorder.violations.values() if v.finding.rule == "response_schema"]
    assert entry.request["payload"] == {"page": "4"}


def test_the_operations_own_test_is_shown_over_one_that_passed_through() -> None:
    recorder = Recorder()
    auth = "test_auth.py::test_missing_bearer_is_401[get_refund-none]"
    own = "test_operations.py::test_valid_payload_accepted[list_invoices]"
    recorder.record(_dashboard(1), [_discount(0)], test=auth)
    recorder.record(_dashboard(2), [_discount(0)], test=own)
    recorder.record(_dashboard(3), [_discount(0)], test="test_lifecycle.py::test_invoice_lifecycle")
    [entry] = recorder.violations.values()
    assert entry.test == own
    assert entry.request["payload"] == {"page": "2"} and len(entry.tests) == 3


def test_workers_reports_fold_the_same_way() -> None:
    one, two = Recorder(), Recorder()
    one.record(_dashboard(1), [_discount(0)], test="test_a.py::test_one")
    two.record(_dashboard(1), [_discount(5)], test="test_c.py::test_three")
    merged = Recorder()
    merged.merge(one.as_dict())
    merged.merge(two.as_dict())
    [entry] = merged.violations.values()
    assert set(entry.tests) == {"test_a.py::test_one", "test_c.py::test_three"}
    assert set(entry.pointers) == {"/response/invoices/data/0/discount", "/response/invoices/data/5/discount"}


def test_a_place_folds_array_indexes_only() -> None:
    assert place("/invoices/12/itemsList/0/amount") == "/invoices/*/itemsList/*/amount"
    assert place("/response/v2/amount") == "/response/v2/amount" and place("") == ""
