"""Who may use the control plane: loopback clients, or anybody when ``control_open`` is set.

The control plane can pay invoices, read decrypted traffic and inject faults, so it is never
offered to the network by accident; ``hesabe-mock --open-control-plane`` is the explicit opt-in.
"""

from __future__ import annotations

import ipaddress

from mock_server.settings import MockSettings

__all__ = ["control_allowed", "is_loopback"]

#: in-process test clients (Starlette's TestClient) never come from a network
_IN_PROCESS = frozenset({"testclient"})


def is_loopback(host: str | None) -> bool:
    if not host:
        return False
    if host in _IN_PROCESS:
        return True
    try:
        addr = ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        return False
    mapped = getattr(addr, "ipv4_mapped", None)
    return bool((mapped or addr).is_loopback)


def control_allowed(settings: MockSettings, host: str | None) -> bool:
    return settings.control_open or is_loopback(host)
