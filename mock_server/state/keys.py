"""Identifiers that look like Hesabe's: invoice tokens, payment-link keys, auth tokens.

Seen on the wire (docs/fidelity.md, "Identifiers"): invoice token = merchant id + epoch seconds
+ 6 to 10 more digits in the 2025 samples ("84" "1759657093" "983406", "84" "1759651918"
"9744686058"); access_key = 8 characters, "9" then seven of the only characters the samples
use, 3-9 and E Q R W Y ("98WRR6R9", "95366WQ9", "977YY8Q9", "953668Y9", "9E4Y773Q");
split_access_key = "SP" + the first invoice's access key; access token = an RS256 JWT (Laravel
Passport); refresh token = "def50200" + a long hex string. Payment gateway (checkout §4.5):
transaction token = merchant code + epoch seconds + 13 digits, the first a 9 in every sample; the
checkout session is opaque (the mock's: 48 random bytes as hex). All randomness comes from the kernel's
CSPRNG through the buffered :mod:`~mock_server.state.entropy` (a login and a create each draw
many small amounts, which one buffered read from the kernel serves).
"""

from __future__ import annotations

import base64
import json
import string
from datetime import date
from functools import lru_cache

from mock_server.state import entropy

__all__ = [
    "KEY_ALPHABET",
    "TOKEN_SUFFIX_DIGITS",
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

#: every character of the access keys in the seeds (a QWERTY-and-digits alphabet; 0-2 and T never
#: occur in them)
KEY_ALPHABET = "3456789EQRWY"
#: how many digits follow the epoch seconds in an invoice token (the 2025 samples: 6, 8, 9, 10)
TOKEN_SUFFIX_DIGITS = range(6, 11)


def invoice_token(merchant_id: int, epoch: float) -> str:
    """Merchant id, epoch seconds, then 6-10 random digits with no leading zero (as an integer
    prints): every length equally likely, then every number of that length."""
    size = TOKEN_SUFFIX_DIGITS[entropy.randbelow(len(TOKEN_SUFFIX_DIGITS))]
    lowest = 10 ** (size - 1)
    return f"{merchant_id}{int(epoch)}{lowest + entropy.randbelow(9 * lowest)}"


def access_key() -> str:
    """"9" and seven characters of :data:`KEY_ALPHABET`, like every access key in the seeds."""
    return "9" + entropy.random_string(KEY_ALPHABET, 7)


def digits(n: int) -> str:
    """``n`` random decimal digits (KNET payment ids, track ids, ...)."""
    return entropy.random_string(string.digits, n)


def _day(stamp: str) -> str:
    """The year's last digit and the day of the year of a ``YYYY-MM-DD...`` Kuwait-local stamp."""
    day = date.fromisoformat(stamp[:10])
    return f"{day.year % 10}{day.timetuple().tm_yday:03d}"


def payment_ids(stamp: str, knet: bool) -> tuple[str, str]:
    """A payment's ``(PaymentID, TransactionID)`` on the day of ``stamp``. KNET's carry the year's
    last digit and the day of the year: ``100`` + them + 11 digits (``100424210000015649`` was paid
    on day 242 of 2024), and them + 11 digits (``424210001296274``). Other rails: 12 digits each."""
    if not knet:
        return digits(12), digits(12)
    day = _day(stamp)
    return f"100{day}{digits(11)}", f"{day}{digits(11)}"


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
