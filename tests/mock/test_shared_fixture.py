"""``hesabe_mock_shared``: one server for the session, a merchant of its own for every test."""

from __future__ import annotations

from mock_server.testing import MockHandle

SEEN: list[tuple[str, str]] = []


def _use(handle: MockHandle) -> None:
    client = handle.client()
    assert client.list_invoices()["stats"]["total_invoice_count"] in (0, None)  # nothing of other tests
    handle.create_invoice(client)
    assert client.list_invoices()["stats"]["total_invoice_count"] == 1
    SEEN.append((handle.url, handle.merchant_code))


def test_first_test_gets_a_fresh_merchant(hesabe_mock_shared: MockHandle) -> None:
    _use(hesabe_mock_shared)


def test_second_test_same_server_another_merchant(hesabe_mock_shared: MockHandle) -> None:
    _use(hesabe_mock_shared)
    assert len(SEEN) == 2
    (url_a, merchant_a), (url_b, merchant_b) = SEEN
    assert url_a == url_b and merchant_a != merchant_b


def test_the_control_plane_pays_this_merchants_invoice(hesabe_mock_shared: MockHandle) -> None:
    invoice = hesabe_mock_shared.create_invoice()
    hesabe_mock_shared.control.pay_invoice(invoice["id"], payment_type=1)
    assert hesabe_mock_shared.default_client.get_invoice(invoice["id"])["invoice_status"] == 1
    stored = hesabe_mock_shared.control.invoice(invoice["id"])
    assert stored["merchant_code"] == hesabe_mock_shared.merchant_code
