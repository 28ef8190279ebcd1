"""Token bookkeeping of the mock: expired tokens do not pile up in the store."""

from __future__ import annotations

from mock_server.auth import PURGE_EVERY
from mock_server.merchants import MerchantRegistry
from mock_server.testing import MockHandle


def test_expired_tokens_are_swept_after_enough_logins(hesabe_mock_inprocess: MockHandle) -> None:
    runtime = hesabe_mock_inprocess.runtime
    merchant = MerchantRegistry.default().merchants[0]
    first = runtime.tokens.issue(merchant)
    assert runtime.store.get_token("access", first["access_token"]) is not None
    runtime.clock.advance(runtime.settings.refresh_ttl + 1)  # both tokens of the pair are dead now
    for _ in range(PURGE_EVERY):
        latest = runtime.tokens.issue(merchant)
    assert runtime.store.get_token("access", first["access_token"]) is None
    assert runtime.store.get_token("refresh", first["refresh_token"]) is None
    assert runtime.tokens.authenticate(latest["access_token"]) == merchant  # live ones stay


def test_a_missing_field_is_named_as_laravel_names_it(hesabe_mock_inprocess: MockHandle) -> None:
    """camelCase becomes words ("refresh token"), as in every other field error."""
    session = hesabe_mock_inprocess.control.session
    url = hesabe_mock_inprocess.url
    res = session.request("POST", f"{url}/api/v1/token-refresh", data=b"{}",
                          headers={"Content-Type": "application/json"})
    assert res.status_code == 400
    assert res.json()["response"] == {"refreshToken": ["The refresh token field is required."]}
