"""The public sandbox identity and test data Hesabe publishes in its docs (safe to ship as default).

Two hosts: the Merchant API (invoices, refunds) and the payment gateway (checkout, the hosted
payment page, transaction enquiry, capture). Sandbox and production differ by host only
(hesabe-checkout-api.md §1).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from hesabe_spec.crypto import CipherKeys
from hesabe_spec.enums import PaymentType, ResultCode

__all__ = [
    "MPGS_EXPIRY_RESULTS",
    "PRODUCTION_GATEWAY_URL",
    "PRODUCTION_URL",
    "SANDBOX",
    "SANDBOX_GATEWAY_URL",
    "SANDBOX_URL",
    "TEST_CARDS",
    "MerchantIdentity",
    "SandboxCard",
]

SANDBOX_URL = "https://merchantapisandbox.hesabe.com"
PRODUCTION_URL = "https://merchantapi.hesabe.com"
SANDBOX_GATEWAY_URL = "https://sandbox.hesabe.com"
PRODUCTION_GATEWAY_URL = "https://api.hesabe.com"


@dataclass(frozen=True, slots=True)
class MerchantIdentity:
    """Everything that identifies one merchant to Hesabe. ``repr`` hides the secrets."""

    merchant_code: str
    access_code: str
    secret_key: str = field(repr=False)
    iv_key: str = field(repr=False)
    username: str
    password: str = field(repr=False)
    merchant_id: int = 84

    @property
    def keys(self) -> CipherKeys:
        return CipherKeys(self.secret_key, self.iv_key)


SANDBOX = MerchantIdentity(
    merchant_code="842217",
    access_code="c333729b-d060-4b74-a49d-7686a8353481",
    secret_key="PkW64zMe5NVdrlPVNnjo2Jy9nOb7v1Xg",
    iv_key="5NVdrlPVNnjo2Jy9",
    username="Test",
    password="Test@1234",
    merchant_id=84,
)


@dataclass(frozen=True, slots=True)
class SandboxCard:
    """A test card of the docs' test-credentials page (checkout §10).

    ``expiry`` is ``MM/YY`` as printed (``None`` where the page prints none); the printed dates
    are long past, and the sandbox still takes them: the expiry selects the outcome, it is not
    checked against today. ``cvv`` is the KNET PIN for the KNET card.
    """

    scheme: str
    number: str
    expiry: str | None
    cvv: str
    #: the payment types whose card form takes it
    payment_types: tuple[int, ...]


_MPGS = (PaymentType.MPGS, PaymentType.MPGS_SUBSCRIPTION)
_AMEX = (PaymentType.AMEX, PaymentType.MPGS_AMEX)
_CYBERSOURCE = (PaymentType.CYBERSOURCE, PaymentType.CYBERSOURCE_SUBSCRIPTION)

#: every documented test card; the first of each payment type succeeds with its printed expiry
TEST_CARDS: tuple[SandboxCard, ...] = (
    SandboxCard("KNET", "8888880000000001", "09/25", "1234", (PaymentType.KNET,)),
    SandboxCard("Visa", "4012001037141112", "12/25", "207", _MPGS),
    SandboxCard("MasterCard", "5453010000095539", "12/25", "300", _MPGS),
    SandboxCard("MasterCard", "5555555555554444", "09/25", "123", _MPGS),
    SandboxCard("American Express", "345678901234564", "09/25", "1234", _AMEX),
    SandboxCard("Visa", "4000000000000002", None, "123", _CYBERSOURCE),
    SandboxCard("American Express", "340000000002708", "09/25", "1234", _CYBERSOURCE),
)

#: MPGS cards: an expiry from this table picks the gateway's outcome instead of the printed one
#: (05/37 is "unknown CVV" on the page, a decline; 05/39 is also listed as DECLINED there, a doc
#: error: it is the approving date)
MPGS_EXPIRY_RESULTS: dict[str, ResultCode] = {
    "05/39": ResultCode.CAPTURED,
    "04/27": ResultCode.EXPIRED_CARD,
    "08/28": ResultCode.TIMED_OUT,
    "01/37": ResultCode.ACQUIRER_SYSTEM_ERROR,
    "02/37": ResultCode.UNSPECIFIED_FAILURE,
    "05/37": ResultCode.DECLINED,
}
