"""Identifiers that look like Hesabe's: invoice tokens, payment-link keys, auth tokens.

Seen on the wire: invoice token = merchant id + epoch seconds + 6-11 random digits
("84" "1759667833" "9677489"); access_key = 8 characters of digits and capitals ("9Q6EE769");
split_access_key = "SP" + the first invoice's access key; access token = an RS256 JWT (Laravel
Passport); refresh token = "def50200" + a long hex string. Payment gateway (checkout §4.5):
transaction token = merchant code + epoch seconds + 13 digits, the first a 9 in every sample; the
checkout session is opaque (the mock's: 48 random bytes as hex). All randomness comes from the kernel's
CSPRNG through the buffered :mod:`~mock_server.state.entropy` (a login draws ~540 bytes, a create
~25).
"""

from __future__ import annotations

import base64
import json
import string
from functools import lru_cache

from mock_server.state import entropy

__all__ = [
    "access_key",
    "access_token",
    "checkout_session",
    "digits",
    "family_of_access",
    "family_of_refresh",
    "invoice_token",
    "refresh_token",
    "sms_message_id",
    "token_family",
    "transaction_token",
]

_KEY_ALPHABET = string.digits + string.ascii_uppercase


def invoice_token(merchant_id: int, epoch: float) -> str:
    return f"{merchant_id}{int(epoch)}{entropy.random_string(string.digits, 9)}"


def access_key() -> str:
    return entropy.random_string(_KEY_ALPHABET, 8)


def digits(n: int) -> str:
    """``n`` random decimal digits (KNET payment ids, track ids, ...)."""
    return entropy.random_string(string.digits, n)


def transaction_token(merchant_code: str, epoch: float) -> str:
    """A payment-gateway transaction token: ``<merchantCode><epoch seconds>9<12 digits>``."""
    return f"{merchant_code}{int(epoch)}9{digits(12)}"


def checkout_session() -> str:
    """The opaque session of a checkout (``response.data``): what the payment page is opened with."""
    return entropy.token_hex(48)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def token_family() -> str:
    """A random id shared by a token pair, so rotating the refresh token revokes its access token."""
    return entropy.token_hex(16)


def family_of_refresh(token: str) -> str:
    return token[8:40]


@lru_cache(maxsize=1024)
def family_of_access(token: str) -> str | None:
    # Cached: every authenticated request asks, for the same few live tokens.
    try:
        claims = json.loads(base64.urlsafe_b64decode(token.split(".")[1] + "==="))
        return str(claims["jti"])[:32]
    except (ValueError, IndexError, KeyError, TypeError):
        return None


_JWT_HEADER = _b64(json.dumps({"typ": "JWT", "alg": "RS256"}, separators=(",", ":")).encode())


def access_token(merchant_id: int, issued_at: float, ttl: float, family: str) -> str:
    """A JWT-shaped bearer token; its signature is 256 random bytes, so it cannot be forged."""
    claims = {
        "aud": "2",
        "jti": family + entropy.token_hex(24),
        "iat": round(issued_at, 6),
        "nbf": round(issued_at, 6),
        "exp": round(issued_at + ttl, 6),
        "sub": str(merchant_id),
        "scopes": ["*"],
    }
    body = _b64(json.dumps(claims, separators=(",", ":")).encode())
    return ".".join((_JWT_HEADER, body, _b64(entropy.token_bytes(256))))


def refresh_token(family: str) -> str:
    return "def50200" + family + entropy.token_hex(240)


def sms_message_id() -> str:
    h = entropy.token_hex(16)
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"
