"""A PHP merchant (examples/php_merchant.php) against a real mock on loopback: an implementation of
Hesabe's crypto and wire format we did not write in Python (PHP's openssl_encrypt/openssl_decrypt,
the PHP kit's 32-byte pad counted in bytes, json_encode, multipart, PHP's HTTP stream wrapper).

The script checks every answer itself and exits 1 on any mismatch; this test then reads what the
mock saw: how each request was padded and written, the integration findings it produced (none: the
real server would take these requests as meant), the records and the webhook delivery."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:  # annotations only: imported before pytest loads it as a plugin, the module's
    # asserts could not be rewritten (PytestAssertRewriteWarning)
    from mock_server.testing import MockHandle

pytest_plugins = ["mock_server.testing"]

SCRIPT = Path(__file__).with_name("php_merchant.php")

#: the encrypted requests the script makes, and how many of each
ENCRYPTED = {"create_invoice": 1, "get_invoice": 1, "list_invoices": 1, "create_checkout": 2,
             "create_refund": 1}


def _run(mock: MockHandle) -> dict[str, Any]:
    php = shutil.which("php")
    if php is None:
        pytest.skip("php is not installed (Debian: apt-get install php-cli; `make test` installs it)")
    done = subprocess.run([php, str(SCRIPT), mock.url], env={"PATH": ""}, capture_output=True, text=True,
                          timeout=60, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    lines = done.stdout.strip().splitlines()
    assert all(line.startswith(("  ok  ", "Merchant API at", "Payment gateway at")) for line in lines[:-1])
    summary: dict[str, Any] = json.loads(lines[-1])
    return summary


def test_a_php_merchant_runs_its_whole_integration_against_the_mock(hesabe_mock: MockHandle) -> None:
    seen = _run(hesabe_mock)
    checkout, declined, invoice = seen["checkout"], seen["declined"], seen["invoice"]
    assert (checkout["callback_status"], checkout["result_code"], checkout["webhook_status"]) == (
        True, "CAPTURED", "SUCCESSFUL")
    assert (checkout["enquiry_status"], checkout["enquiry_amount"], checkout["refund_status"]) == (
        "SUCCESSFUL", "7.500", "PENDING")
    assert checkout["payment_url"].startswith(f"{hesabe_mock.url}/payment?data=")
    assert (declined["result_code"], declined["enquiry_status"]) == ("NOT CAPTURED", "FAILED")
    assert invoice["customer"] == "فاطمة العلي" and invoice["listed_total"] == 1

    # The mock's own records agree with what the script was told.
    control = hesabe_mock.control
    paid = control.checkout(checkout["token"])
    assert (paid["order_reference"], paid["status"], paid["notes"]) == (checkout["order"], "SUCCESSFUL", [])
    assert control.checkout(declined["token"])["status"] == "FAILED"
    assert control.invoice(invoice["id"])["reference_number"] == invoice["reference"]
    assert control.refund(checkout["refund_id"])["status"] == 0  # pending
    assert hesabe_mock.runtime.webhooks.wait_idle(10)  # the sender records the delivery after the 200
    delivered = [d for d in control.webhooks() if d["source"]["type"] == "checkout"]
    assert [(d["state"], d["attempts"][0]["status"], d["payload"]["token"]) for d in delivered] == [
        ("delivered", 200, checkout["token"])]


def test_the_php_kit_wire_format_is_read_as_meant(hesabe_mock: MockHandle) -> None:
    _run(hesabe_mock)
    journal = hesabe_mock.control.journal()
    assert all(e["status"] == 200 for e in journal), [(e["operation"], e["status"]) for e in journal]
    encrypted = [e for e in journal if e["wire"]["request"] is not None]
    assert {op: sum(e["operation"] == op for e in encrypted) for op in ENCRYPTED} == ENCRYPTED
    for entry in encrypted:
        wire = entry["wire"]["request"]
        # the kit pads to 32 by strlen, i.e. in bytes: never 16-byte PKCS#7, never a character count
        assert wire["padding"]["consistent"] and wire["padding"]["scheme"] in ("server-32", "either"), entry
        assert wire["hex_case"] == "lower"
        plaintext = wire["plaintext"]
        if entry["operation"] == "create_invoice":  # JSON_UNESCAPED_UNICODE: the Arabic name as UTF-8
            assert plaintext["json"]["escapes"]["raw_non_ascii"]
            assert plaintext["bytes"] > plaintext["characters"]
        else:  # json_encode's defaults: the server's own style
            assert plaintext["json"]["style"] == "php", entry
    checkout = next(e for e in journal if e["operation"] == "create_checkout")
    assert checkout["request"]["responseUrl"].endswith("/hesabe/return?cart=9")  # sent as https:\/\/ escapes
    assert checkout["wire"]["response"]["envelope"] == "bare"  # the gateway answers bare hex
    # No finding of any severity: the real server would take every request as the script meant it.
    assert hesabe_mock.control.findings() == {"total": 0, "errors": 0, "warnings": 0, "rules": {}}
