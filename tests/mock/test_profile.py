"""``GET /api/v1/profile``: the sandbox merchant's as the reference prints it, every other merchant
its own (from its identity and its merchants-file ``profile``), in-process and over real HTTP."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from hesabe_spec.client import HesabeClient
from hesabe_spec.errors import ConfigurationError
from hesabe_spec.validation import validate_response
from mock_server.merchants import load_merchants
from mock_server.profiles import SANDBOX_PROFILE
from mock_server.testing import MockHandle, inprocess_mock, running_mock

SHOP = {"merchant_code": "900042", "access_code": "5d6c1f1e-0a4b-4f57-9d0e-3b2a1c4d5e6f",
        "secret_key": "A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6", "iv_key": "Q7r8S9t0U1v2W3x4",
        "username": "shop", "password": "Shop#2026", "merchant_id": 142, "name": "Souq Shop",
        "profile": {"business_name": "Souq Shop W.L.L.", "email": "finance@souq.example",
                    "bank": {"bank_name": "Boubyan Bank", "account_holder_name": "Souq Shop",
                             "account_number": "0101", "iban_number": "KW81BBYN0000000000000000000101"}}}

OPENERS: dict[str, Callable[..., Any]] = {"inprocess": inprocess_mock, "http": running_mock}


def _profile(client: HesabeClient) -> dict[str, Any]:
    result = client.get_profile(return_result=True)
    assert result.message == "Profile details"
    assert validate_response("get_profile", result.envelope) == []
    profile: dict[str, Any] = result.response
    return profile


@pytest.mark.parametrize("transport", list(OPENERS))
def test_the_sandbox_merchant_gets_the_reference_profile(transport: str) -> None:
    with OPENERS[transport]() as mock:
        profile = _profile(mock.default_client)
    assert {k: profile[k] for k in SANDBOX_PROFILE} == SANDBOX_PROFILE
    assert list(profile)[:len(SANDBOX_PROFILE)] == list(SANDBOX_PROFILE)  # the reference's key order
    assert (profile["username"], profile["first_name"], profile["MCC_Category_List"]) == (
        "842217", "rtdfsdfg", "4812,5816,5817,5818")
    logo = base64.b64decode(profile["company_logo"])
    assert logo[:4] == b"\xff\xd8\xff\xe0" and logo[-2:] == b"\xff\xd9"  # a whole JPEG, not the docs' "..."
    assert [s["id"] for s in profile["service_type"]] == [2, 3, 7]


@pytest.mark.parametrize("transport", list(OPENERS))
def test_a_merchant_from_the_merchants_file_gets_its_own_profile(transport: str, tmp_path: Path) -> None:
    path = tmp_path / "merchants.json"
    path.write_text(json.dumps([SHOP]), encoding="utf-8")
    with OPENERS[transport](merchants=load_merchants(path)) as mock:
        shop = _profile(mock.client(merchant_code=SHOP["merchant_code"], access_code=SHOP["access_code"],
                                    secret_key=SHOP["secret_key"], iv_key=SHOP["iv_key"],
                                    username=SHOP["username"], password=SHOP["password"]))
        sandbox = _profile(mock.default_client)
    assert (shop["id"], shop["username"], shop["first_name"]) == (142, "900042", "Souq Shop")
    assert (shop["business_name"], shop["email"], shop["bank"]["bank_name"]) == (
        "Souq Shop W.L.L.", "finance@souq.example", "Boubyan Bank")
    assert "rtdfsdfg" not in json.dumps(shop)
    assert sandbox["first_name"] == "rtdfsdfg"  # the sandbox keeps the reference's


def test_a_profile_that_is_not_an_object_is_a_configuration_error(tmp_path: Path) -> None:
    path = tmp_path / "merchants.json"
    path.write_text(json.dumps([{**SHOP, "profile": ["not", "an", "object"]}]), encoding="utf-8")
    with pytest.raises(ConfigurationError, match=r"/0/profile: .* is not of type 'object'"):
        load_merchants(path)


def test_the_profile_is_a_copy(hesabe_mock_inprocess: MockHandle) -> None:
    client = hesabe_mock_inprocess.default_client
    _profile(client)["bank"]["bank_name"] = "changed"
    assert _profile(client)["bank"]["bank_name"] == "Kuwait International Bank"


@pytest.mark.parametrize("transport", list(OPENERS))
def test_a_merchant_made_at_run_time_gets_its_own_profile(transport: str) -> None:
    with OPENERS[transport]() as mock:
        made = mock.control.create_merchant(name="Run Time Shop", profile={"business_name": "RTS W.L.L."})
        fields = made["merchant"]
        assert fields["profile"] == {"business_name": "RTS W.L.L."}
        identity = {k: fields[k] for k in ("merchant_code", "access_code", "secret_key", "iv_key", "username",
                                            "password")}
        profile = _profile(mock.client(**identity))
    assert (profile["id"], profile["username"]) == (fields["merchant_id"], fields["merchant_code"])
    assert (profile["first_name"], profile["business_name"]) == ("Run Time Shop", "RTS W.L.L.")
