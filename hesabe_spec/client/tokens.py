"""The bearer-token lifecycle: log in on first use, refresh ahead of expiry, re-login as fallback.

Hesabe access tokens live ``expires_in`` seconds (900 in every sample) and ``token-refresh``
rotates both tokens. :class:`TokenManager` keeps one current :class:`Token` and serialises every
login/refresh under one lock, so twenty threads starting at once cause one login, not twenty.
It knows nothing about HTTP: the client hands it two callables.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from hesabe_spec.errors import EnvelopeError, HesabeError

__all__ = ["DEFAULT_TTL", "REFRESH_MARGIN", "Token", "TokenManager", "parse_token"]

#: renewals (INFO): when, and which way; never a token
log = logging.getLogger("hesabe.client.tokens")

#: lifetime assumed when the server omits ``expires_in`` (the documented 15 minutes)
DEFAULT_TTL = 900.0
#: refresh this many seconds before expiry, so a request never leaves with a dying token
REFRESH_MARGIN = 60.0


@dataclass(frozen=True, slots=True)
class Token:
    """One access/refresh token pair and when it was obtained (on the manager's clock)."""

    access_token: str = field(repr=False)
    refresh_token: str | None = field(repr=False)
    token_type: str = "Bearer"
    expires_in: float = DEFAULT_TTL
    obtained_at: float = 0.0

    def __repr__(self) -> str:
        return f"Token(token_type={self.token_type!r}, expires_in={self.expires_in!r}, access_token=***)"

    @property
    def expires_at(self) -> float:
        return self.obtained_at + self.expires_in

    def fresh(self, now: float, margin: float = REFRESH_MARGIN) -> bool:
        """True while more than ``margin`` seconds of life remain, or a quarter of its lifetime when
        that is shorter (a token of 60 s is used for 45, not refreshed before every call)."""
        return now < self.expires_at - min(margin, self.expires_in / 4)


def parse_token(envelope: Any, obtained_at: float) -> Token:
    """Read a login/refresh answer; tolerant of where the token object sits.

    Hesabe sends ``{"response": {"token": {...}}}``; its ``response`` (``{"token": {...}}``, what
    ``client.login()`` returns), ``{"response": {...}}`` and a bare token object are accepted too.
    ``expires_in`` may be a string (Hesabe's app types it so).
    """
    candidates = [envelope]
    if isinstance(envelope, Mapping):
        response = envelope.get("response")
        candidates = [response.get("token") if isinstance(response, Mapping) else None, response,
                      envelope.get("token"), envelope]
    for obj in candidates:
        if isinstance(obj, Mapping) and isinstance(obj.get("access_token"), str) and obj["access_token"]:
            try:
                ttl = float(obj.get("expires_in") or DEFAULT_TTL)
            except (TypeError, ValueError):
                ttl = DEFAULT_TTL
            refresh = obj.get("refresh_token")
            return Token(
                access_token=obj["access_token"],
                refresh_token=refresh if isinstance(refresh, str) and refresh else None,
                token_type=str(obj.get("token_type") or "Bearer"),
                expires_in=ttl,
                obtained_at=obtained_at,
            )
    raise EnvelopeError("login/refresh answer carries no access_token")


class TokenManager:
    """Hands out a valid access token, logging in or refreshing as needed (thread-safe).

    ``login()`` and ``refresh(refresh_token)`` return the decoded answer envelope (or raise a
    :class:`HesabeError`); ``clock`` is monotonic seconds, injectable for tests.
    """

    def __init__(
        self,
        login: Callable[[], Any],
        refresh: Callable[[str], Any],
        *,
        clock: Callable[[], float] = time.monotonic,
        refresh_margin: float = REFRESH_MARGIN,
    ) -> None:
        self._login = login
        self._refresh = refresh
        self._clock = clock
        self._margin = refresh_margin
        self._lock = threading.RLock()
        self._token: Token | None = None

    def __repr__(self) -> str:
        return f"TokenManager(token={self._token!r})"

    @property
    def token(self) -> Token | None:
        """The current token, if any (for inspection; use :meth:`bearer` to get a valid one)."""
        return self._token

    def age(self) -> float | None:
        """Seconds since the current token was obtained, on this manager's clock (None: none yet)."""
        token = self._token
        return None if token is None else self._clock() - token.obtained_at

    def bearer(self) -> str:
        """A valid access token: the current one, a refreshed one, or one from a fresh login."""
        token = self._token
        if token is not None and token.fresh(self._clock(), self._margin):
            return token.access_token
        with self._lock:
            # Another thread may have renewed it while this one waited for the lock.
            token = self._token
            now = self._clock()
            if token is not None and token.fresh(now, self._margin):
                return token.access_token
            return self._renew(token).access_token

    def reauthenticate(self, rejected: str) -> str:
        """After a 401 with ``rejected``: renew once, unless another thread already did."""
        with self._lock:
            token = self._token
            if token is not None and token.access_token != rejected:
                return token.access_token
            return self._renew(token).access_token

    def adopt(self, envelope: Any) -> Token:
        """Take the token from a login/refresh answer obtained elsewhere: its envelope, or what
        ``client.login()`` returns (another process's login, say: see :func:`parse_token`)."""
        with self._lock:
            self._token = parse_token(envelope, self._clock())
            return self._token

    def expire(self, rejected: str) -> None:
        """Mark ``rejected`` as dead if it is still current; the next :meth:`bearer` renews it."""
        with self._lock:
            token = self._token
            if token is not None and token.access_token == rejected:
                self._token = replace(token, obtained_at=float("-inf"))

    def clear(self) -> None:
        """Forget the current token; the next :meth:`bearer` logs in."""
        with self._lock:
            self._token = None

    def _renew(self, token: Token | None) -> Token:
        if token is not None and token.refresh_token:
            left = token.expires_at - self._clock()
            state = f"{left:.0f} s of its life left" if left > 0 else "expired"
            log.info("refreshing the access token (%s)", state)
            try:
                return self.adopt(self._refresh(token.refresh_token))
            except HesabeError as exc:
                # An expired or rotated-away refresh token is normal after a long idle; log in again.
                log.info("token refresh refused (%s); logging in again", type(exc).__name__)
        else:
            log.info("logging in (%s)", "no token yet" if token is None else "no refresh token")
        renewed = self.adopt(self._login())
        log.info("logged in; the access token lives %.0f s", renewed.expires_in)
        return renewed
