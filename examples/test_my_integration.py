"""Test your integration end to end against the mock: create, pay, receive the webhook, check.

Run it with:  .venv/bin/python -m pytest examples/test_my_integration.py
(The mock's pytest fixtures come from ``mock_server.testing``.)
"""

from __future__ import annotations

import json
import queue
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import TYPE_CHECKING, Any

import requests

if TYPE_CHECKING:  # annotations only: imported before pytest loads it as a plugin, the module's
    # asserts could not be rewritten (PytestAssertRewriteWarning)
    from mock_server.testing import MockHandle

pytest_plugins = ["mock_server.testing"]


def start_receiver() -> tuple[HTTPServer, queue.Queue[dict[str, Any]]]:
    """Your webhook endpoint, as a tiny local server that remembers what it got."""
    got: queue.Queue[dict[str, Any]] = queue.Queue()

    class Hook(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            got.put(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = HTTPServer(("127.0.0.1", 0), Hook)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, got


def test_invoice_is_paid_and_the_webhook_arrives(hesabe_mock: MockHandle) -> None:
    receiver, webhooks = start_receiver()
    try:
        client = hesabe_mock.client()          # a HesabeClient for the sandbox merchant, on the mock
        invoice = client.create_invoice(
            amount="49", customer_name="Huda", invoice_type="0", invoice_sub_type="3",
            allocate_pay_type=[1, 2], reference_number="ORDER-1001", expires_at="2099-12-31",
            webhook=f"http://127.0.0.1:{receiver.server_port}/hesabe/webhook",
        )
        # The customer pays: through the hosted page (POST the form, as a browser would) ...
        page = requests.post(invoice["url"], data={"action": "pay", "payment_type": "1"},
                             allow_redirects=False, timeout=10)
        assert page.status_code == 303
        # ... or, equally: hesabe_mock.control.pay_invoice(invoice["id"], payment_type=1)

        hook = webhooks.get(timeout=10)        # what your handler receives
        assert hook["status"] == "SUCCESSFUL" and hook["amount"] == "49.000"
        assert hook["reference_number"] == "ORDER-1001" and hook["payment_type"] == "KNET"

        # Webhooks are unsigned: re-query before trusting one, as a real handler should.
        paid = client.get_invoice(invoice["id"])
        transaction = paid["transaction"]
        assert paid["invoice_status"] == 1 and transaction is not None
        assert transaction["token"] == hook["token"]
        stats = client.list_invoices()["stats"]
        assert stats["invoice_paid"] == "1" and stats["invoice_not_paid"] == "0"
    finally:
        receiver.shutdown()
        receiver.server_close()


def test_a_refund_is_asked_for_approved_and_shown_on_the_invoice(hesabe_mock: MockHandle) -> None:
    client = hesabe_mock.client()
    invoice = client.create_invoice(amount="49", invoice_type="0", invoice_sub_type="3",
                                    allocate_pay_type=[1, 2], reference_number="ORDER-1002",
                                    expires_at="2099-12-31")
    hesabe_mock.control.pay_invoice(invoice["id"], payment_type=1)
    # A refund names the payment by its transaction token, not by the invoice's own token.
    transaction = client.get_invoice(invoice["id"])["transaction"]
    assert transaction is not None                      # paid: the transaction is there
    payment = transaction["token"]

    part = client.create_refund(payment, "9.500")      # partial ("2"); no amount = all that is left ("1")
    assert part["refund_status"] == "PENDING" and part["amount"] == "9.500"
    hesabe_mock.control.approve_refund(part["id"])      # Hesabe's decision (or reject_refund)

    rest = client.create_refund(payment)               # the other 39.500, pending until decided
    assert rest["amount"] == "39.500"
    assert client.cancel_refund(rest["id"]) is True    # a pending refund can be withdrawn ...
    after = client.get_invoice(invoice["id"])["transaction"]
    assert after is not None                            # only approved refunds are on the invoice:
    assert [r["amount"] for r in after["refund"]] == ["9.500"]
    stats = client.list_refunds()["stats"]
    assert stats["approved_total_refund_request_amount"] == "9.500"
    assert stats["total_refund_request_count"] == 1     # the cancelled request is gone
