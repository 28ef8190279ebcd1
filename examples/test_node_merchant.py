"""The mock is language-neutral over HTTP: a Node merchant (examples/node_checkout.mjs) runs its
whole checkout against a separately started mock, with Node's own crypto and fetch only."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:  # annotations only: imported before pytest loads it as a plugin, the module's
    # asserts could not be rewritten (PytestAssertRewriteWarning)
    from mock_server.testing import MockHandle

pytest_plugins = ["mock_server.testing"]

SCRIPT = Path(__file__).with_name("node_checkout.mjs")


def test_a_node_merchant_checks_out_against_the_mock(hesabe_mock: MockHandle) -> None:
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed")
    done = subprocess.run([node, str(SCRIPT)], env={"HESABE_GATEWAY_URL": hesabe_mock.url, "PATH": ""},
                          capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    seen = json.loads(done.stdout)
    assert seen["payment_url"].startswith(f"{hesabe_mock.url}/payment?data=")
    assert (seen["callback_status"], seen["result_code"]) == (True, "CAPTURED")
    assert (seen["enquiry_status"], seen["enquiry_amount"]) == ("SUCCESSFUL", "7.500")
    assert seen["redirect"] == "http://127.0.0.1:3000/hesabe/return?cart=9"
    # the mock saw a kit-style request: the amount as sent, the checkout recorded
    assert hesabe_mock.control.checkout(seen["token"])["order_reference"] == "NODE-1"
