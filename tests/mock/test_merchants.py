"""Merchants: the file format (schema, clear errors), ``POST /_mock/merchants``, the ``HESABE_*`` one."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from hesabe_spec.errors import ConfigurationError
from hesabe_spec.sandbox import SANDBOX
from mock_server.control.client import MockControlError
from mock_server.merchants import env_merchant, load_merchants, merchants_schema
from mock_server.testing import MockHandle

ROOT = Path(__file__).resolve().parents[2]
GOOD = {"merchant_code": "900001", "access_code": "acme-access", "secret_key": "k" * 32, "iv_key": "v" * 16,
        "username": "acme", "password": "pw", "merchant_id": 90}


def _write(tmp_path: Path, doc: Any) -> Path:
    path = tmp_path / "merchants.json"
    path.write_text(doc if isinstance(doc, str) else json.dumps(doc))
    return path


def test_the_shipped_example_loads_next_to_the_sandbox() -> None:
    registry = load_merchants(ROOT / "examples" / "merchants.json")
    assert [m.merchant_code for m in registry.merchants] == [SANDBOX.merchant_code, "900001"]


@pytest.mark.parametrize(
    ("doc", "expected"),
    [
        ("[{", "is not valid JSON"),
        ({"merchant_code": "1"}, "is not of type 'array'"),
        ([{**GOOD, "secret_key": "short"}], "/0/secret_key: breaks minLength 32"),
        ([{k: v for k, v in GOOD.items() if k != "password"}], "/0: 'password' is a required property"),
        ([{**GOOD, "merchant_code": 900001}], "/0/merchant_code: 900001 is not of type 'string'"),
        ([{**GOOD, "pasword": "x"}], "'pasword' was unexpected"),
        ([GOOD, {**GOOD, "username": "other", "access_code": "other"}], "same merchant_id"),
        ([{**GOOD, "secret_key": "é" * 32}], "secret key must be 32 bytes"),
    ],
)
def test_bad_merchants_files_say_where_and_what(tmp_path: Path, doc: Any, expected: str) -> None:
    with pytest.raises(ConfigurationError) as caught:
        load_merchants(_write(tmp_path, doc))
    assert expected in str(caught.value)
    assert "short" not in str(caught.value).replace("too short", "")  # a secret's value is never shown


def test_the_schema_requires_what_the_loader_reads() -> None:
    merchant = merchants_schema()["$defs"]["merchant"]
    assert set(merchant["required"]) == set(GOOD)
    assert set(merchant["properties"]) == {*GOOD, "name", "profile"}


def test_env_merchant_is_none_without_variables_and_fills_from_the_sandbox() -> None:
    assert env_merchant({}) is None
    merchant = env_merchant({"HESABE_MERCHANT_CODE": "700007", "HESABE_ACCESS_CODE": "mine",
                             "HESABE_MERCHANT_USERNAME": "me"})
    assert merchant is not None
    assert (merchant.merchant_code, merchant.identity.secret_key, merchant.merchant_id) == (
        "700007", SANDBOX.secret_key, SANDBOX.merchant_id + 1)
    with pytest.raises(ConfigurationError, match="HESABE_SECRET_KEY") as caught:
        env_merchant({"HESABE_SECRET_KEY": "not-a-key"})
    assert "not-a-key" not in str(caught.value)


def test_post_merchants_makes_a_working_merchant_with_its_own_records(hesabe_mock: MockHandle) -> None:
    sandbox = hesabe_mock.default_client
    hesabe_mock.create_invoice(sandbox)
    made = hesabe_mock.control.create_merchant(name="worker-1")
    merchant, env = made["merchant"], made["env"]
    assert env["HESABE_MERCHANT_CODE"] == merchant["merchant_code"] and merchant["name"] == "worker-1"
    assert len(merchant["secret_key"]) == 32 and len(merchant["iv_key"]) == 16
    fields = {k: merchant[k] for k in ("merchant_code", "access_code", "secret_key", "iv_key", "username",
                                       "password")}
    own = hesabe_mock.client(**fields)
    assert own.list_invoices()["stats"]["total_invoice_count"] in (0, None)
    hesabe_mock.create_invoice(own)
    assert own.list_invoices()["stats"]["total_invoice_count"] == 1
    assert sandbox.list_invoices()["stats"]["total_invoice_count"] == 1
    listed = hesabe_mock.control.request("GET", "/merchants")["merchants"]
    assert [m["merchant_code"] for m in listed] == [SANDBOX.merchant_code, merchant["merchant_code"]]
    assert "secret_key" not in json.dumps(listed) and "password" not in json.dumps(listed)


def test_a_merchant_id_written_as_a_float_is_kept_as_an_integer(hesabe_mock: MockHandle) -> None:
    """3.0 is an integer to JSON Schema; kept as 3.0, it showed in invoices and their tokens."""
    made = hesabe_mock.control.create_merchant(merchant_id=3.0)["merchant"]
    assert made["merchant_id"] == 3 and isinstance(made["merchant_id"], int)
    merchant = hesabe_mock.runtime.merchants.by_code(made["merchant_code"])
    assert merchant is not None and type(merchant.merchant_id) is int


def test_merchant_ids_made_for_new_merchants_stay_within_the_bound(hesabe_mock: MockHandle) -> None:
    top = hesabe_mock.control.create_merchant(merchant_id=2**53 - 1)["merchant"]["merchant_id"]
    made = hesabe_mock.control.create_merchant(name="next")["merchant"]["merchant_id"]
    assert top == 2**53 - 1 and 0 < made < top  # the smallest free id, not one past the maximum


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ({"secret_key": "short"}, "/secret_key: breaks minLength 32"),
        ({"merchant_code": SANDBOX.merchant_code}, "already has this merchant_code"),
        ({"username": SANDBOX.username}, "already has this username"),
        ({"colour": "red"}, "'colour' was unexpected"),
        # every later merchant added without an id gets the next one: it must fit the stores
        ({"merchant_id": 2**63 - 1}, "/merchant_id: 9223372036854775807 is greater than the maximum"),
        # a header cannot carry it: the merchant could never authenticate
        ({"access_code": "a\nb"}, "/access_code: breaks pattern '^[!-~]+$'"),
        ({"access_code": "NOT A CODE"}, "/access_code: breaks pattern '^[!-~]+$'"),
        ({"access_code": "é"}, "/access_code: breaks pattern '^[!-~]+$'"),
        ({"access_code": "CODE-FROM-A-FILE\n"}, "/access_code: breaks pattern '^[!-~]+$'"),  # $ takes it
    ],
)
def test_post_merchants_refuses_bad_fields_and_changes_nothing(
    hesabe_mock: MockHandle, body: dict[str, Any], expected: str
) -> None:
    with pytest.raises(MockControlError) as caught:
        hesabe_mock.control.create_merchant(**body)
    assert caught.value.status == 400 and expected in caught.value.body["error"]
    assert len(hesabe_mock.runtime.merchants.merchants) == 1
    if "access_code" in body:  # it authorises gateway calls alone: never quoted
        assert body["access_code"].strip() not in caught.value.body["error"]
