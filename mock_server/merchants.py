"""Merchants the mock knows: the public sandbox identity by default, more from a JSON file, from
the ``HESABE_*`` variables, or made at run time (``POST /_mock/merchants``).

A merchants file is a JSON list of objects (``mock_server/schemas/merchants.schema.json``, an
example in ``examples/merchants.json``)::

    [{"merchant_code": "900001", "access_code": "…", "secret_key": "<32 chars>",
      "iv_key": "<16 chars>", "username": "acme", "password": "…", "merchant_id": 90,
      "name": "acme", "profile": {"business_name": "Acme Trading", "email": "pay@acme.example"}}]

Each merchant has its own keys, tokens and data; nothing is shared between them. ``profile``
(optional) sets fields of what ``GET /api/v1/profile`` answers for that merchant (see
:mod:`mock_server.profiles`).
"""

from __future__ import annotations

import itertools
import json
import secrets
import string
import threading
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from hesabe_spec.crypto import CipherKeys
from hesabe_spec.errors import ConfigurationError
from hesabe_spec.sandbox import SANDBOX, MerchantIdentity
from hesabe_spec.wire import is_secret_field

__all__ = [
    "ENV_MERCHANT_VARS",
    "MAX_GIVEN_ID",
    "Merchant",
    "MerchantRegistry",
    "env_merchant",
    "identity_fields",
    "load_merchants",
    "merchant_fields",
    "merchant_from_fields",
    "merchants_schema",
    "new_merchant",
    "registry_of",
]

#: merchant field -> the environment variable the Hesabe SDKs (and the reference client) read
ENV_MERCHANT_VARS: dict[str, str] = {
    "merchant_code": "HESABE_MERCHANT_CODE",
    "access_code": "HESABE_ACCESS_CODE",
    "secret_key": "HESABE_SECRET_KEY",
    "iv_key": "HESABE_IV_KEY",
    "username": "HESABE_MERCHANT_USERNAME",
    "password": "HESABE_MERCHANT_PASSWORD",
}


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
        # Usernames match whatever their case (fidelity.md: the samples log in as "Test" and "test")
        self._by_user = {m.identity.username.casefold(): m for m in merchants}
        self._lock = threading.Lock()
        for label, index in (("access_code", self._by_access), ("merchant_id", self._by_id),
                             ("username", self._by_user)):
            if len(index) != len(merchants):
                raise ConfigurationError(f"two merchants share the same {label}")
        codes = [m.merchant_code for m in merchants]
        if len(set(codes)) != len(codes):
            raise ConfigurationError("two merchants share the same merchant_code")

    def add(self, merchant: Merchant) -> Merchant:
        """Serve one more merchant from now on (``POST /_mock/merchants``); identifiers must be new."""
        with self._lock:
            clashes = [label for label, taken in (
                ("merchant_code", any(m.merchant_code == merchant.merchant_code for m in self.merchants)),
                ("access_code", merchant.identity.access_code in self._by_access),
                ("merchant_id", merchant.merchant_id in self._by_id),
                ("username", merchant.identity.username.casefold() in self._by_user)) if taken]
            if clashes:
                raise ConfigurationError(f"another merchant already has this {' and '.join(clashes)}")
            self._by_access[merchant.identity.access_code] = merchant
            self._by_id[merchant.merchant_id] = merchant
            self._by_user[merchant.identity.username.casefold()] = merchant
            self.merchants = [*self.merchants, merchant]
            return merchant

    def by_code(self, merchant_code: str) -> Merchant | None:
        return next((m for m in self.merchants if m.merchant_code == merchant_code), None)

    def by_access_code(self, access_code: str | None) -> Merchant | None:
        return self._by_access.get(access_code or "")

    def by_id(self, merchant_id: int) -> Merchant | None:
        return self._by_id.get(merchant_id)

    def by_username(self, username: str) -> Merchant | None:
        """The merchant whose panel username is ``username`` in any letter case."""
        return self._by_user.get(username.casefold())

    @classmethod
    def default(cls) -> MerchantRegistry:
        return cls([Merchant.from_identity(SANDBOX)])


@cache
def merchants_schema() -> dict[str, Any]:
    """The JSON Schema of a merchants file (``mock_server/schemas/merchants.schema.json``)."""
    text = resources.files("mock_server").joinpath("schemas/merchants.schema.json").read_text("utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema



def _problems(instance: Any, schema: Mapping[str, Any]) -> list[str]:
    """Every place ``instance`` breaks ``schema``, as ``/pointer: message`` lines."""
    from jsonschema import Draft202012Validator

    validator = Draft202012Validator({**merchants_schema(), **schema})
    found = sorted(validator.iter_errors(instance), key=lambda e: [str(p) for p in e.absolute_path])
    out = []
    for error in found:
        where = "/" + "/".join(str(p) for p in error.absolute_path)
        # the access code too (hesabe_spec.wire.SECRET_FIELDS): on the gateway it authorises a call
        secret = any(is_secret_field(str(p)) for p in error.absolute_path)
        # jsonschema quotes the value; a secret's value never goes into a message.
        said = f"breaks {error.validator} {error.validator_value!r}" if secret else error.message
        out.append(f"{where}: {said}")
    return out


def merchant_fields(entry: Any, where: str, *, partial: bool = False) -> dict[str, Any]:
    """One merchant object checked against the schema (``partial``: any field may be missing)."""
    definition = dict(merchants_schema()["$defs"]["merchant"])
    if partial:
        definition["required"] = []
    problems = _problems(entry, definition)
    if problems:
        raise ConfigurationError(f"{where}: " + "; ".join(problems))
    fields = dict(entry)
    if isinstance(fields.get("merchant_id"), float):  # 3.0 is an integer to JSON Schema: kept as 3
        fields["merchant_id"] = int(fields["merchant_id"])
    if str(fields.get("access_code", "")).endswith("\n"):  # the schema's "$" lets Python's re take it
        raise ConfigurationError(f"{where}: /access_code: breaks pattern '^[!-~]+$' (a header carries it)")
    return fields


def _from_fields(fields: Mapping[str, Any], where: str) -> Merchant:
    identity = MerchantIdentity(**{k: fields[k] for k in (*ENV_MERCHANT_VARS, "merchant_id")})
    try:
        identity.keys  # noqa: B018 - 32 + 16 bytes of UTF-8, not just characters
    except ConfigurationError as exc:
        raise ConfigurationError(f"{where}: {exc}") from None
    return Merchant.from_identity(identity, fields.get("name"), fields.get("profile"))


def merchant_from_fields(fields: Mapping[str, Any]) -> Merchant:
    """A merchant from the merchants-file format (what :func:`identity_fields` gives)."""
    return _from_fields(fields, "merchant")


def load_merchants(path: str | Path, *, include_sandbox: bool = True,
                   extra: list[Merchant] | None = None) -> MerchantRegistry:
    """Read a merchants file; the sandbox identity is kept unless the file redefines it."""
    where = str(path)
    try:
        entries = json.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigurationError(f"cannot read merchants file {where}: {exc.strerror or exc}") from None
    except ValueError as exc:
        raise ConfigurationError(f"merchants file {where} is not valid JSON: {exc}") from None
    problems = _problems(entries, {})
    if problems:
        shown = "; ".join(problems[:5]) + (f"; and {len(problems) - 5} more" if len(problems) > 5 else "")
        raise ConfigurationError(f"merchants file {where} does not match the merchants schema "
                                 f"(mock_server/schemas/merchants.schema.json): {shown}")
    merchants = [_from_fields(e, f"{where} /{i}") for i, e in enumerate(entries)]
    return registry_of(merchants + list(extra or []), include_sandbox=include_sandbox)


def registry_of(merchants: list[Merchant], *, include_sandbox: bool = True) -> MerchantRegistry:
    """A registry of ``merchants``, with the sandbox identity first unless one of them replaces it
    (shares its access code, username or merchant code)."""
    def replaces_sandbox(m: Merchant) -> bool:
        return (m.identity.access_code == SANDBOX.access_code
                or m.identity.username.casefold() == SANDBOX.username.casefold()
                or m.merchant_code == SANDBOX.merchant_code)

    if include_sandbox and not any(replaces_sandbox(m) for m in merchants):
        merchants = [Merchant.from_identity(SANDBOX), *merchants]
    return MerchantRegistry(merchants)


def env_merchant(environ: Mapping[str, str]) -> Merchant | None:
    """The merchant the ``HESABE_*`` variables describe, or None when none of them is set.

    Unset fields keep the sandbox identity's values; its ``merchant_id`` is 85 (the sandbox
    merchant's is 84), or 84 when the variables describe the sandbox merchant itself.
    """
    given = {field: environ[var] for field, var in ENV_MERCHANT_VARS.items() if environ.get(var)}
    if not given:
        return None
    values: dict[str, Any] = {field: getattr(SANDBOX, field) for field in ENV_MERCHANT_VARS}
    values.update(given)
    same = values["merchant_code"] == SANDBOX.merchant_code
    values["merchant_id"] = SANDBOX.merchant_id if same else SANDBOX.merchant_id + 1
    names = ", ".join(ENV_MERCHANT_VARS[f] for f in given)
    return _from_fields(merchant_fields(values, f"the merchant in {names}"), f"the merchant in {names}")


def _token(alphabet: str, length: int) -> str:
    return "".join(secrets.choice(alphabet) for _ in range(length))


#: the largest id the mock takes from outside, a merchant's (the merchants schema's maximum) or a
#: seeded record's: 2^53 - 1, the largest integer a JavaScript client reads exactly. The ids above
#: stay free for the ones the mock makes itself, so none can be used up from outside
MAX_GIVEN_ID = 2**53 - 1


def _next_merchant_id(registry: MerchantRegistry) -> int:
    """One above the largest id, or the smallest free one once that would pass the maximum."""
    taken = {m.merchant_id for m in registry.merchants}
    above = max(taken, default=0) + 1
    return above if above <= MAX_GIVEN_ID else next(i for i in itertools.count(1) if i not in taken)


def new_merchant(registry: MerchantRegistry, fields: Mapping[str, Any] | None = None) -> Merchant:
    """A fresh merchant with every field not in ``fields`` generated, added to ``registry``."""
    given = merchant_fields(dict(fields or {}), "merchant", partial=True)
    alnum = string.ascii_letters + string.digits
    code = given.get("merchant_code")
    while code is None or (registry.by_code(code) is not None and "merchant_code" not in given):
        code = str(secrets.randbelow(900_000) + 100_000)
    values: dict[str, Any] = {
        "merchant_code": code,
        "access_code": str(uuid.uuid4()),
        "secret_key": _token(alnum, 32),
        "iv_key": _token(alnum, 16),
        "username": f"merchant-{code}",
        "password": _token(alnum, 16),
        "merchant_id": _next_merchant_id(registry),
        **given,
    }
    return registry.add(_from_fields(values, "merchant"))


def identity_fields(merchant: Merchant) -> dict[str, Any]:
    """A merchant in the merchants-file format (secrets included: the control plane is local)."""
    identity = merchant.identity
    return {"merchant_code": identity.merchant_code, "access_code": identity.access_code,
            "secret_key": identity.secret_key, "iv_key": identity.iv_key, "username": identity.username,
            "password": identity.password, "merchant_id": identity.merchant_id, "name": merchant.name,
            **({"profile": dict(merchant.profile)} if merchant.profile else {})}
