"""Client settings from arguments or the environment variables the existing Hesabe SDK reads.

Precedence: an explicit argument wins, then the environment, then the public sandbox identity
(:data:`hesabe_spec.sandbox.SANDBOX` and :data:`~hesabe_spec.sandbox.SANDBOX_URL`). So an
integration that already exports ``HESABE_*`` variables can be pointed at the mock unchanged.

Hesabe has two hosts: ``base_url`` is the Merchant API (invoices), ``gateway_url`` the payment
gateway (checkout, enquiry, capture). Without a ``gateway_url`` the client pairs it with
``base_url``: the sandbox gateway for the sandbox Merchant API, the production gateway for the
production one, and ``base_url`` itself for anything else (the mock serves both on one port), so
pointing ``base_url`` at a mock never sends a checkout to the real sandbox.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any, TypedDict, Unpack

from hesabe_spec.crypto import PAD_BLOCKS, CipherKeys
from hesabe_spec.errors import ConfigurationError
from hesabe_spec.operations import Host
from hesabe_spec.sandbox import (
    PRODUCTION_GATEWAY_URL,
    PRODUCTION_URL,
    SANDBOX,
    SANDBOX_GATEWAY_URL,
    SANDBOX_URL,
)

__all__ = ["ENV_VARS", "ClientConfig", "ClientSettings"]

#: setting name -> environment variable (the names the existing Python SDK uses)
ENV_VARS: dict[str, str] = {
    "base_url": "HESABE_MERCHANT_API_URL",
    "gateway_url": "HESABE_GATEWAY_URL",
    "merchant_code": "HESABE_MERCHANT_CODE",
    "access_code": "HESABE_ACCESS_CODE",
    "secret_key": "HESABE_SECRET_KEY",
    "iv_key": "HESABE_IV_KEY",
    "username": "HESABE_MERCHANT_USERNAME",
    "password": "HESABE_MERCHANT_PASSWORD",
    "timeout": "HESABE_TIMEOUT",
}

_SECRET = "***"

#: settings that belong to one merchant and come together, or not at all (then the sandbox's)
_TOGETHER = (("merchant_code", "access_code", "secret_key", "iv_key"), ("username", "password"))


def _named(names: list[str]) -> list[str]:
    """Settings by the environment variable that sets them (an argument has the same name)."""
    return [f"{ENV_VARS[name]} ({name}=)" for name in names]


def _sandbox_credentials(config: ClientConfig) -> list[tuple[str, bool]]:
    """Each credential, and whether it is the public sandbox's."""
    return [("merchant code", config.merchant_code == SANDBOX.merchant_code),
            ("access code", config.access_code == SANDBOX.access_code),
            ("secret key", config.secret_key == SANDBOX.secret_key),
            ("IV", config.iv_key == SANDBOX.iv_key),
            ("username", config.username == SANDBOX.username),
            ("password", config.password == SANDBOX.password)]


#: the gateway that goes with each of Hesabe's Merchant API hosts
_PAIRED_GATEWAY = {SANDBOX_URL: SANDBOX_GATEWAY_URL, PRODUCTION_URL: PRODUCTION_GATEWAY_URL}


class ClientSettings(TypedDict, total=False):
    """:class:`ClientConfig`'s fields as keyword arguments (``HesabeClient(base_url=...)``,
    :meth:`ClientConfig.from_env`, :meth:`ClientConfig.with_changes`), so a type checker catches a
    misspelt one; ``None`` means "not given"."""

    base_url: str | None
    merchant_code: str | None
    access_code: str | None
    secret_key: str | None
    iv_key: str | None
    username: str | None
    password: str | None
    timeout: float | None
    request_block_size: int | None
    gateway_url: str | None


@dataclass(frozen=True, slots=True)
class ClientConfig:
    """Everything the client needs to reach one merchant account.

    ``repr`` shows the URLs, the merchant code and the username, never the access code (on the
    gateway it authorises a call by itself), the secret key, the IV or the password.
    ``request_block_size`` is the pad block for requests: 16 (PKCS#7, like Hesabe's own samples
    and apps) by default, 32 to pad like the server does.
    """

    base_url: str = SANDBOX_URL
    merchant_code: str = SANDBOX.merchant_code
    access_code: str = SANDBOX.access_code
    secret_key: str = field(default=SANDBOX.secret_key, repr=False)
    iv_key: str = field(default=SANDBOX.iv_key, repr=False)
    username: str = SANDBOX.username
    password: str = field(default=SANDBOX.password, repr=False)
    timeout: float = 30.0
    request_block_size: int = 16
    #: the payment gateway; ``None``: the one paired with ``base_url`` (see the module docstring)
    gateway_url: str | None = None

    def __post_init__(self) -> None:
        # Normalise here so every caller (env, args, replace()) gets the same checks.
        object.__setattr__(self, "base_url", str(self.base_url).rstrip("/"))
        object.__setattr__(self, "merchant_code", str(self.merchant_code))
        if not self.base_url.startswith(("http://", "https://")):
            raise ConfigurationError(f"base URL must start with http:// or https://, got {self.base_url!r}")
        if self.gateway_url is not None:
            object.__setattr__(self, "gateway_url", str(self.gateway_url).rstrip("/"))
            if not self.gateway_url.startswith(("http://", "https://")):
                raise ConfigurationError(
                    f"gateway URL must start with http:// or https://, got {self.gateway_url!r}")
        try:
            timeout = float(self.timeout)
        except (TypeError, ValueError):
            raise ConfigurationError(f"timeout must be a number of seconds, got {self.timeout!r}") from None
        if not timeout > 0:
            raise ConfigurationError(f"timeout must be positive, got {self.timeout!r}")
        object.__setattr__(self, "timeout", timeout)
        if self.request_block_size not in PAD_BLOCKS:
            raise ConfigurationError(f"request_block_size must be 16 or 32, got {self.request_block_size!r}")
        self.keys  # noqa: B018 - validates the key lengths now rather than on the first request
        sandbox_values = [name for name, value in _sandbox_credentials(self) if value]
        on_production = {self.base_url, self.gateway} & {PRODUCTION_URL, PRODUCTION_GATEWAY_URL}
        if on_production and sandbox_values:
            variables = ", ".join(ENV_VARS[name] for group in _TOGETHER for name in group)
            raise ConfigurationError(
                f"{' and '.join(sorted(on_production))} {'is' if len(on_production) == 1 else 'are'} "
                "Hesabe's production, but the "
                f"{', '.join(sandbox_values)} {'is' if len(sandbox_values) == 1 else 'are'} the public "
                f"sandbox's: set your merchant's own ({variables})")

    def __repr__(self) -> str:
        return (
            f"ClientConfig(base_url={self.base_url!r}, gateway={self.gateway!r}, "
            f"merchant_code={self.merchant_code!r}, "
            f"access_code={_SECRET}, secret_key={_SECRET}, iv_key={_SECRET}, "
            f"username={self.username!r}, password={_SECRET}, timeout={self.timeout!r})"
        )

    @property
    def gateway(self) -> str:
        """The payment gateway's base URL: ``gateway_url``, or the one paired with ``base_url``."""
        if self.gateway_url is not None:
            return self.gateway_url
        return _PAIRED_GATEWAY.get(self.base_url, self.base_url)

    def url_for(self, host: Host) -> str:
        """The base URL of one of Hesabe's hosts (an operation's ``host``)."""
        return self.gateway if host == "gateway" else self.base_url

    @property
    def keys(self) -> CipherKeys:
        """The AES keys (raises :class:`ConfigurationError` for wrong lengths)."""
        return CipherKeys(self.secret_key, self.iv_key)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None,
                 **overrides: Unpack[ClientSettings]) -> ClientConfig:
        """Build from ``environ`` (default ``os.environ``); non-``None`` ``overrides`` win.

        Empty environment variables count as unset, so ``HESABE_SECRET_KEY=`` in a ``.env`` file
        does not silently replace the default with an empty key.
        """
        env = os.environ if environ is None else environ
        unknown = set(overrides) - set(ENV_VARS) - {"request_block_size"}
        if unknown:
            raise ConfigurationError(f"unknown setting(s): {', '.join(sorted(unknown))}")
        values: dict[str, Any] = {}
        for name, var in ENV_VARS.items():
            if env.get(var):
                values[name] = env[var]
        values.update({k: v for k, v in dict(overrides).items() if v is not None})
        for group in _TOGETHER:
            given = [name for name in group if name in values]
            missing = [name for name in group if name not in values]
            if given and missing:
                raise ConfigurationError(
                    f"{', '.join(_named(given))} {'is' if len(given) == 1 else 'are'} set but "
                    f"{', '.join(_named(missing))} {'is' if len(missing) == 1 else 'are'} not: the "
                    "public sandbox's would stand in, and they belong to another merchant")
        return cls(**values)

    def with_changes(self, **changes: Unpack[ClientSettings]) -> ClientConfig:
        """A copy with some settings changed (validated again). A new ``base_url`` without a new
        ``gateway_url`` keeps an explicit gateway and re-pairs a derived one; ``None`` changes
        nothing."""
        given: dict[str, Any] = {k: v for k, v in changes.items() if v is not None}
        return replace(self, **given)
