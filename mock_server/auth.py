"""Login, token refresh and bearer checks, bound to merchants and the mock's clock.

Tokens are random (``secrets``), stored with their merchant and expiry, rotate on refresh (the
old refresh and access tokens stop working at once), and are compared by dictionary lookup on
the full token, so no prefix of a token is ever compared on its own.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass, field
from typing import Any

from mock_server.clock import Clock
from mock_server.merchants import Merchant, MerchantRegistry
from mock_server.settings import MockSettings
from mock_server.state import keys
from mock_server.state.store import Store

__all__ = ["PURGE_EVERY", "TokenService"]

#: expired tokens are swept once every this many logins/refreshes (amortised, never per request)
PURGE_EVERY = 128


@dataclass
class TokenService:
    store: Store
    clock: Clock
    merchants: MerchantRegistry
    settings: MockSettings
    _issued: int = field(default=0, init=False, repr=False)

    def check_password(self, username: str, password: str) -> Merchant | None:
        merchant = self.merchants.by_username(username)
        # Constant time on purpose: compare_digest, and a stand-in secret for an unknown user, so
        # neither how much of a password matched nor whether the user exists shows in the timing
        # (tests/reliability/test_security.py checks the replies are identical and the call is made).
        expected = merchant.identity.password if merchant else "\0" * 16
        ok = hmac.compare_digest(password.encode("utf-8"), expected.encode("utf-8"))
        return merchant if ok and merchant is not None else None

    def issue(self, merchant: Merchant) -> dict[str, Any]:
        now = self.clock.time()
        self._issued += 1
        if self._issued % PURGE_EVERY == 0:
            # A CI job that logs in per test would otherwise grow the store by every dead token.
            self.store.purge_expired_tokens(now)
        family = keys.token_family()
        access = keys.access_token(merchant.merchant_id, now, self.settings.token_ttl, family)
        refresh = keys.refresh_token(family)
        self.store.put_token("access", access, merchant.merchant_id, now + self.settings.token_ttl)
        self.store.put_token("refresh", refresh, merchant.merchant_id, now + self.settings.refresh_ttl)
        return {"token_type": "Bearer", "expires_in": self.settings.token_ttl,
                "access_token": access, "refresh_token": refresh}

    def refresh(self, refresh_token: str) -> dict[str, Any] | None:
        """Rotate: the old refresh token and every access token of its family stop working."""
        found = self.store.get_token("refresh", refresh_token)
        if found is None or found[1] <= self.clock.time():
            return None
        merchant = self.merchants.by_id(found[0])
        if merchant is None:
            return None
        self.store.revoke_token("refresh", refresh_token)
        family = keys.family_of_refresh(refresh_token)
        self.store.put_token("revoked-family", family, merchant.merchant_id,
                             self.clock.time() + self.settings.token_ttl)
        return self.issue(merchant)

    def expired(self, bearer: str) -> bool:
        """Whether ``bearer`` is an access token this mock issued that has expired (not one it
        never issued, nor one revoked by a refresh)."""
        found = self.store.get_token("access", bearer)
        return found is not None and found[1] <= self.clock.time()

    def authenticate(self, bearer: str) -> Merchant | None:
        """The merchant a live access token belongs to, or None (unknown, revoked or expired)."""
        found = self.store.get_token("access", bearer)
        if found is None or found[1] <= self.clock.time():
            return None
        family = keys.family_of_access(bearer)
        if family is None or self.store.get_token("revoked-family", family) is not None:
            return None
        return self.merchants.by_id(found[0])
