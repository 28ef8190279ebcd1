"""Hypothesis settings profiles ``dev``, ``ci`` and ``live``, chosen by ``HYPOTHESIS_PROFILE``.

Without ``HYPOTHESIS_PROFILE`` the profile is ``live`` against a URL and ``dev`` against a mock
the suite starts. The choice is applied to the contract tests only (through
:func:`contract_settings`), never loaded globally: the plugin is active in every pytest run of
the environment and must not change other tests' Hypothesis settings.
"""

from __future__ import annotations

import os
from datetime import timedelta

from hypothesis import HealthCheck, Phase, settings

__all__ = ["PROFILES", "THROTTLE", "active_profile", "choose_profile", "contract_settings", "set_active"]

_QUIET = [HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.data_too_large]

PROFILES: dict[str, settings] = {
    # Local exploration: more examples, the example database on, a generous deadline.
    "dev": settings(
        max_examples=20, stateful_step_count=20, deadline=timedelta(seconds=5), suppress_health_check=_QUIET
    ),
    # make test: fast and reproducible (derandomized, no database), still every operation.
    "ci": settings(
        max_examples=8,
        stateful_step_count=15,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=_QUIET,
        print_blob=True,
    ),
    # A real server: a handful of calls, no deadline (network), no shrinking storm on failure.
    "live": settings(
        max_examples=3,
        stateful_step_count=8,
        deadline=None,
        database=None,
        suppress_health_check=_QUIET,
        phases=[Phase.explicit, Phase.reuse, Phase.generate, Phase.target, Phase.explain],  # no shrink
    ),
}

#: seconds kept between two calls, by profile (live targets are shared infrastructure)
THROTTLE: dict[str, float] = {"dev": 0.0, "ci": 0.0, "live": 1.0}

_active = "dev"
#: whether the run's target is a URL: every shrinking step would then be real calls to it
_remote = False
#: shrink failures whatever the target and profile (``--hesabe-shrink``: a server of one's own)
_shrink = False
#: every phase but shrinking
_NO_SHRINK = [Phase.explicit, Phase.reuse, Phase.generate, Phase.target, Phase.explain]


def choose_profile(live: bool, environ: dict[str, str] | None = None) -> str:
    """``HYPOTHESIS_PROFILE`` if it names one of :data:`PROFILES`, else ``live``/``dev`` by target.

    An unknown name is not an error here: the variable may be meant for another test suite in the
    same run, and the plugin must never break a run that is not the contract suite's.
    """
    env = os.environ if environ is None else environ
    name = env.get("HYPOTHESIS_PROFILE", "")
    return name if name in PROFILES else ("live" if live else "dev")


def set_active(name: str, *, remote: bool = False, shrink: bool = False) -> None:
    """Use profile ``name``; ``remote``: the target is a URL, so no profile shrinks a failure
    (each step of a shrink is real calls: one broken field cost a ``ci`` run against a URL six
    minutes of shrinking, where the failure found first says the same), unless ``shrink`` asks
    for it (a server of one's own, where a minimal example is worth the calls)."""
    global _active, _remote, _shrink
    _active, _remote, _shrink = name, remote, shrink


def active_profile() -> str:
    return _active


def contract_settings(**overrides: object) -> settings:
    """The active profile's settings (with ``overrides``), for ``@contract_settings()`` or state
    machines; without the shrinking phase against a URL, with it whenever ``shrink`` was asked."""
    if "phases" not in overrides:
        phases = [p for p in PROFILES[_active].phases if p in _NO_SHRINK]
        if _shrink:
            overrides["phases"] = [*phases, Phase.shrink]
        elif _remote:
            overrides["phases"] = phases
    return settings(PROFILES[_active], **overrides)  # type: ignore[arg-type]
