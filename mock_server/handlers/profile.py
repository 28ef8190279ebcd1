"""The merchant profile handler."""

from __future__ import annotations

from mock_server.profiles import profile_of
from mock_server.runtime import Call, Reply

__all__ = ["get_profile"]


def get_profile(call: Call) -> Reply:
    return Reply(profile_of(call.merchant))
