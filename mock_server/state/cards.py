"""The card form of the mock's payment page: the documented test cards and the result each gives.

The docs' test-credentials page (:data:`hesabe_spec.sandbox.TEST_CARDS`) is the whole truth here:

* KNET: the test card with its printed expiry and PIN is CAPTURED; any other expiry or PIN is
  NOT CAPTURED (the page says so).
* Cards on the MPGS rails (Visa/MasterCard, MPGS Amex, MPGS subscription): an expiry from the
  gateway's table (:data:`hesabe_spec.sandbox.MPGS_EXPIRY_RESULTS`) gives that outcome; the
  printed expiry approves; any other expiry declines.
* The other card rails (Amex, Cybersource): the printed expiry approves (any expiry where none is
  printed), any other declines.
* A number that is not a test card of the chosen method, or a wrong CVV, declines.

No date is compared with today: the printed expiries are long past and the sandbox takes them.
Wallets (Apple Pay, Google Pay, ...) have no card form: the page only asks to pay or not.
"""

from __future__ import annotations

from dataclasses import dataclass

from hesabe_spec.enums import PaymentType, ResultCode
from hesabe_spec.sandbox import MPGS_EXPIRY_RESULTS, TEST_CARDS, SandboxCard

__all__ = ["CARD_METHODS", "CardEntry", "brand", "card_result", "carries", "masked", "normal_expiry",
           "prefill"]

#: payment types paid with a card form (every type some test card is for)
CARD_METHODS: frozenset[int] = frozenset(t for card in TEST_CARDS for t in card.payment_types)
_MPGS_RAILS = frozenset({PaymentType.MPGS, PaymentType.MPGS_AMEX, PaymentType.MPGS_SUBSCRIPTION})


@dataclass(frozen=True, slots=True)
class CardEntry:
    """What the customer typed into the card form (as typed)."""

    number: str
    expiry: str
    cvv: str


def _digits(text: str) -> str:
    return "".join(ch for ch in text if ch.isascii() and ch.isdigit())


def normal_expiry(text: str) -> str:
    """``"9/25"``, ``"09/2025"``, ``"0925"`` -> ``"09/25"``; anything else as typed, stripped."""
    month, sep, year = text.strip().partition("/")
    if not sep and len(_digits(text)) == 4:
        month, year = _digits(text)[:2], _digits(text)[2:]
    month, year = _digits(month), _digits(year)
    if month and year and 1 <= int(month) <= 12 and len(year) in (2, 4):
        return f"{int(month):02d}/{year[-2:]}"
    return text.strip()


def prefill(payment_type: int) -> SandboxCard | None:
    """The test card the form starts with: the first documented one for the method (it succeeds)."""
    return next((card for card in TEST_CARDS if payment_type in card.payment_types), None)


def card_result(payment_type: int, entry: CardEntry) -> ResultCode:
    """The result of paying with ``entry`` by ``payment_type`` (see the module docstring)."""
    number, expiry, cvv = _digits(entry.number), normal_expiry(entry.expiry), entry.cvv.strip()
    knet = payment_type == PaymentType.KNET
    declined = ResultCode.NOT_CAPTURED if knet else ResultCode.DECLINED
    card = next((c for c in TEST_CARDS if payment_type in c.payment_types and c.number == number), None)
    if card is None or cvv != card.cvv:
        return declined
    if payment_type in _MPGS_RAILS and expiry in MPGS_EXPIRY_RESULTS:
        return MPGS_EXPIRY_RESULTS[expiry]
    if card.expiry is None or expiry == card.expiry:
        return ResultCode.CAPTURED
    return declined


#: the results only the MPGS gateway gives (its test-card table's outcomes)
_MPGS_ONLY = frozenset(MPGS_EXPIRY_RESULTS.values()) - {ResultCode.CAPTURED, ResultCode.DECLINED}


def carries(payment_type: int, result: ResultCode) -> bool:
    """Whether a payment by ``payment_type`` can end with ``result``: the MPGS outcomes
    (EXPIRED_CARD, TIMED_OUT ...) on an MPGS rail only, DECLINED on a card rail other than KNET
    (whose declines read NOT CAPTURED); any other result on any method."""
    if result in _MPGS_ONLY:
        return payment_type in _MPGS_RAILS
    if result == ResultCode.DECLINED:
        return payment_type != PaymentType.KNET
    return True


def brand(number: str, payment_type: int) -> str:
    """The card scheme as the enquiry's ``customerCardType`` shows it."""
    if payment_type == PaymentType.KNET:
        return "KNET"
    card = next((c for c in TEST_CARDS if c.number == _digits(number)), None)
    return (card.scheme if card else "Card").upper()


def masked(number: str) -> str:
    """``4012001037141112`` -> ``401200******1112`` (first six and last four, as card receipts)."""
    digits = _digits(number)
    if len(digits) < 10:
        return "*" * len(digits)
    return digits[:6] + "*" * (len(digits) - 10) + digits[-4:]
