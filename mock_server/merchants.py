"""Merchants the mock knows: the public sandbox identity by default, more from a JSON file.

A merchants file is a JSON list of objects::

    [{"merchant_code": "900001", "access_code": "…", "secret_key": "<32 chars>",
      "iv_key": "<16 chars>", "username": "acme", "password": "…", "merchant_id": 90,
      "name": "acme", "profile": {"business_name": "Acme Trading", "email": "pay@acme.example"}}]

Each merchant has its own keys, tokens and data; nothing is shared between them. ``profile``
(optional) sets fields of what ``GET /api/v1/profile`` answers for that merchant (see
:mod:`mock_server.profiles`).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hesabe_spec.crypto import CipherKeys
from hesabe_spec.errors import ConfigurationError
from hesabe_spec.sandbox import SANDBOX, MerchantIdentity

__all__ = ["Merchant", "MerchantRegistry", "load_merchants"]


@dataclass(frozen=True, slots=True)
class Merchant:
    identity: MerchantIdentity
    keys: CipherKeys
    #: shown as ``created_by_merchant.name`` (the sandbox's panel user is "test")
    name: str = "test"
    #: profile fields given in the merchants file, over the ones derived from the identity
    profile: Mapping[str, Any] | None = field(default=None, compare=False, repr=False)

    @property
    def merchant_id(self) -> int:
        return self.identity.merchant_id

    @property
    def merchant_code(self) -> str:
        return self.identity.merchant_code

    @classmethod
    def from_identity(cls, identity: MerchantIdentity, name: str | None = None,
                      profile: Mapping[str, Any] | None = None) -> Merchant:
        return cls(identity, identity.keys, name or identity.username.lower(), profile)


class MerchantRegistry:
    """Look-ups by access code, merchant id and username."""

    def __init__(self, merchants: list[Merchant]) -> None:
        if not merchants:
            raise ConfigurationError("at least one merchant is needed")
        self.merchants = list(merchants)
        self._by_access = {m.identity.access_code: m for m in merchants}
        self._by_id = {m.merchant_id: m for m in merchants}
        self._by_user = {m.identity.username: m for m in merchants}
        for label, index in (("access_code", self._by_access), ("merchant_id", self._by_id),
                             ("username", self._by_user)):
            if len(index) != len(merchants):
                raise ConfigurationError(f"two merchants share the same {label}")

    def by_access_code(self, access_code: str | None) -> Merchant | None:
        return self._by_access.get(access_code or "")

    def by_id(self, merchant_id: int) -> Merchant | None:
        return self._by_id.get(merchant_id)

    def by_username(self, username: str) -> Merchant | None:
        return self._by_user.get(username)

    @classmethod
    def default(cls) -> MerchantRegistry:
        return cls([Merchant.from_identity(SANDBOX)])


def _merchant(entry: Any, where: str) -> Merchant:
    if not isinstance(entry, dict):
        raise ConfigurationError(f"{where}: each merchant must be a JSON object")
    required = ("merchant_code", "access_code", "secret_key", "iv_key", "username", "password", "merchant_id")
    missing = [k for k in required if k not in entry]
    if missing:
        raise ConfigurationError(f"{where}: merchant is missing {', '.join(missing)}")
    identity = MerchantIdentity(
        merchant_code=str(entry["merchant_code"]), access_code=str(entry["access_code"]),
        secret_key=str(entry["secret_key"]), iv_key=str(entry["iv_key"]),
        username=str(entry["username"]), password=str(entry["password"]),
        merchant_id=int(entry["merchant_id"]),
    )
    profile = entry.get("profile")
    if profile is not None and not isinstance(profile, dict):
        raise ConfigurationError(f"{where}: merchant {identity.merchant_code}: profile must be a JSON object")
    return Merchant.from_identity(identity, entry.get("name"), profile)


def load_merchants(path: str | Path, *, include_sandbox: bool = True) -> MerchantRegistry:
    """Read a merchants file; the sandbox identity is kept unless the file redefines it."""
    where = str(path)
    try:
        entries = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ConfigurationError(f"cannot read merchants file {where}: {exc}") from None
    if not isinstance(entries, list):
        raise ConfigurationError(f"{where}: expected a JSON list of merchants")
    merchants = [_merchant(e, where) for e in entries]
    if include_sandbox and all(m.identity.access_code != SANDBOX.access_code for m in merchants):
        merchants.insert(0, Merchant.from_identity(SANDBOX))
    return MerchantRegistry(merchants)
