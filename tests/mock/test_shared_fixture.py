"""``hesabe_mock_shared``: one server for the session, a merchant of its own for every test."""

from __future__ import annotations

import pytest

from mock_server.testing import MockHandle

#: (server URL, merchant code) of every test that ran so far, in whatever order they ran
SEEN: list[tuple[str, str]] = []


@pytest.mark.parametrize("nth", ["one", "another"])
def test_every_test_gets_a_fresh_merchant_on_the_one_server(
        hesabe_mock_shared: MockHandle, hesabe_mock_session: MockHandle, nth: str) -> None:
    client = hesabe_mock_shared.client()
    assert client.list_invoices()["stats"]["total_invoice_count"] in (0, None)  # nothing of other tests
    hesabe_mock_shared.create_invoice(client)
    assert client.list_invoices()["stats"]["total_invoice_count"] == 1
    assert hesabe_mock_shared.url == hesabe_mock_session.url
    assert hesabe_mock_shared.merchant_code != hesabe_mock_session.merchant_code
    # true in any order and alone: the same server as every earlier test, never their merchant
    assert {url for url, _ in SEEN} <= {hesabe_mock_shared.url}
    assert hesabe_mock_shared.merchant_code not in {code for _, code in SEEN}
    SEEN.append((hesabe_mock_shared.url, hesabe_mock_shared.merchant_code))


def test_the_control_plane_pays_this_merchants_invoice(hesabe_mock_shared: MockHandle) -> None:
    invoice = hesabe_mock_shared.create_invoice()
    hesabe_mock_shared.control.pay_invoice(invoice["id"], payment_type=1)
    assert hesabe_mock_shared.default_client.get_invoice(invoice["id"])["invoice_status"] == 1
    stored = hesabe_mock_shared.control.invoice(invoice["id"])
    assert stored["merchant_code"] == hesabe_mock_shared.merchant_code
