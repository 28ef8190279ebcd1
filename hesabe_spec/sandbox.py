"""The public sandbox identity Hesabe publishes in every docs page (safe to ship as default)."""

from __future__ import annotations

from dataclasses import dataclass, field

from hesabe_spec.crypto import CipherKeys

__all__ = ["SANDBOX", "SANDBOX_URL", "MerchantIdentity"]

SANDBOX_URL = "https://merchantapisandbox.hesabe.com"


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
