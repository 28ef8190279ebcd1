"""Types for users: generated response TypedDicts, keyword TypedDicts, a script under mypy --strict."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any, NotRequired, get_origin, get_type_hints

import pytest

from hesabe_spec.client import fields, params, responses
from hesabe_spec.client.methods import filter_fields
from hesabe_spec.operations import get_operation
from hesabe_spec.validation import validate_response
from mock_server.testing import MockHandle

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = Path(__file__).with_name("typed_user_script.py")


def test_the_response_types_are_generated_from_the_current_schemas() -> None:
    done = subprocess.run([sys.executable, "-m", "tools.gen_client_types", "--check"], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr


@pytest.mark.parametrize(
    ("typed", "table", "schema"),
    [
        (params.InvoiceFields, fields.INVOICE_FIELDS, "create_invoice"),
        (params.SubscriptionFields, fields.SUBSCRIPTION_FIELDS, "create_subscription_invoice"),
        (params.OpenInvoiceFields, fields.OPEN_INVOICE_FIELDS, "create_open_invoice"),
        (params.BulkRowFields, fields.BULK_ROW_FIELDS, "update_bulk_invoice"),
        (params.InvoiceFilters, filter_fields("list_invoices"), None),
        (params.OpenInvoiceFilters, filter_fields("list_open_invoices"), None),
        (params.RefundFilters, filter_fields("list_refunds"), None),
        (params.TransactionReportFilters, filter_fields("get_transactions_report"), None),
    ],
)
def test_keyword_types_match_the_field_tables_and_the_required_fields(
    typed: Any, table: Any, schema: str | None
) -> None:
    assert set(typed.__annotations__) == set(table)
    if schema is None:
        assert typed.__required_keys__ == frozenset()
        return
    doc = json.loads((ROOT / "hesabe_spec" / "schemas" / "requests" / f"{schema}.json").read_text())
    required = set(doc.get("required", []))
    if "$ref" in doc:
        defs = json.loads((ROOT / "hesabe_spec" / "schemas" / "defs.json").read_text())["$defs"]
        required |= set(defs[doc["$ref"].rsplit("/", 1)[1]]["required"])
    wire_to_python = {wire: name for name, (wire, _conv) in table.items()}
    assert set(typed.__required_keys__) == {wire_to_python[w] for w in required - {"merchantCode"}}


def test_checkout_keywords_are_its_field_table_less_its_own_parameters() -> None:
    own = {"amount", "response_url", "failure_url", "payment_type"}
    assert set(params.CheckoutFields.__annotations__) == set(fields.CHECKOUT_FIELDS) - own
    assert params.CheckoutFields.__required_keys__ == frozenset()


def test_real_answers_have_the_keys_their_typed_dicts_promise(hesabe_mock_inprocess: MockHandle) -> None:
    client = hesabe_mock_inprocess.default_client
    created = hesabe_mock_inprocess.create_invoice()
    answers: dict[str, tuple[Any, Any]] = {
        "create_invoice": (created, responses.Invoice),
        "get_invoice": (client.get_invoice(created["id"]), responses.Invoice),
        "list_invoices": (client.list_invoices(), responses.Dashboard),
        "login": (client.login(), responses.TokenResponse),
    }
    for operation, (answer, typed) in answers.items():
        envelope = {"status": True, "message": get_operation(operation).success_message, "response": answer}
        assert validate_response(operation, envelope) == [], operation
        assert _required(typed) <= set(answer) <= set(get_type_hints(typed)), operation
    row = answers["list_invoices"][0]["invoices"]["data"][0]
    assert _required(responses.Invoice) <= set(row) <= set(get_type_hints(responses.Invoice))


def _required(typed: Any) -> set[str]:
    """Required keys, read from the annotations (the generated module defers their evaluation)."""
    hints = get_type_hints(typed, include_extras=True)
    return {name for name, hint in hints.items() if get_origin(hint) is not NotRequired}


def _mypy(script: Path, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    # Run from the checkout, where the packages (with py.typed) are found; no project config. As for
    # an installed package, only the user's file is judged (--follow-imports=silent), against our types.
    cache = ROOT / ".cache" / "mypy-user-script"
    command = [sys.executable, "-m", "mypy", "--strict", "--config-file=", "--follow-imports=silent",
               "--cache-dir", str(cache), "--no-error-summary", str(script)]
    return subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=600)


def test_a_user_script_passes_mypy_strict_and_a_wrong_one_does_not(tmp_path: Path) -> None:
    good = _mypy(SCRIPT, tmp_path)
    assert good.returncode == 0, good.stdout + good.stderr
    wrong = tmp_path / "wrong.py"
    wrong.write_text(
        "from hesabe_spec.client import HesabeClient\n\n"
        "def f(client: HesabeClient) -> None:\n"
        "    client.create_invoice(amount='1', invoice_type='0', expires_at='2099-01-01',\n"
        "                          customer_nmae='x')\n"
        "    client.create_open_invoice(amount_type='0')\n\n"
        "def g(client: HesabeClient) -> str:\n"
        "    return client.get_invoice(1)['id']\n\n"
        "def h(client: HesabeClient) -> None:\n"
        "    client.checkout('1.000', response_url='https://a.example', order_refrence_number='x')\n\n"
        "def k() -> HesabeClient:\n"
        "    return HesabeClient(base_url='http://127.0.0.1:8000', merchant_cod='842217', timeout='5')\n"
    )
    bad = _mypy(wrong, tmp_path)
    assert bad.returncode == 1
    assert 'Unexpected keyword argument "customer_nmae"' in bad.stdout  # a typo in a field name
    assert 'No overload variant of "create_open_invoice"' in bad.stdout  # title is required
    assert 'Incompatible return value type (got "int", expected "str")' in bad.stdout  # id is an int
    assert 'Unexpected keyword argument "order_refrence_number"' in bad.stdout  # checkout's fields too
    assert 'Unexpected keyword argument "merchant_cod"' in bad.stdout  # the client's own settings
    assert 'Argument "timeout" to "HesabeClient" has incompatible type "str"' in bad.stdout


def test_the_settings_keywords_are_the_configs_fields() -> None:
    from dataclasses import fields as dataclass_fields

    from hesabe_spec.client.config import ClientConfig, ClientSettings

    assert set(ClientSettings.__annotations__) == {f.name for f in dataclass_fields(ClientConfig)}

