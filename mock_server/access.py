"""Who may use the control plane, and how a web page in the developer's browser is kept out.

The control plane can pay invoices, read decrypted traffic and inject faults, so it is never
offered to the network by accident; ``hesabe-mock --open-control-plane`` is the explicit opt-in
(:func:`control_allowed`, the loopback rule).

Loopback is not enough on a developer's laptop: any web page open in the same browser can make
it send requests to ``127.0.0.1``. :func:`browser_refusal` stops the two ways it can:

* **DNS rebinding** (a page on ``evil.example`` whose name is re-pointed at 127.0.0.1, so the
  browser treats the mock as same-origin and may read its answers): every ``/_mock/`` request's
  ``Host`` must be a name no outsider can point at the mock (:func:`host_trusted`): an IP
  literal, ``localhost`` and ``*.localhost``, a single-label name (``mock`` in docker compose),
  a reserved suffix (``.test``, ``.internal``, ``.local``, ...), the host of ``--public-url`` and
  the names given with ``--allowed-hosts`` (``*`` trusts every name);
* **cross-site requests** (a form or ``fetch`` on another site posting to 127.0.0.1): a
  state-changing request (anything but GET/HEAD) that names an ``Origin`` must come from the
  mock's own origin, and one a browser sent (an ``Origin``, ``Referer``, ``Cookie``,
  ``Sec-Fetch-Site`` or ``Sec-Fetch-Dest`` header, or a ``Mozilla/`` user agent) must also
  carry the process's control token in ``X-Mock-Token``. Web pages cannot set that header on a
  cross-site request without a CORS preflight, which the mock never grants; the inspector's own
  page carries the token.

A client that is no browser (curl, ``MockControl``, a PHP test suite) sends none of those headers
and needs no token: browsers always add them, and a web page cannot take them away.
"""

from __future__ import annotations

import hmac
import ipaddress
from collections.abc import Mapping

from mock_server.settings import MockSettings

__all__ = [
    "TOKEN_HEADER",
    "WEBHOOK_USER_AGENT",
    "browser_refusal",
    "control_allowed",
    "host_trusted",
    "is_loopback",
    "sent_by_browser",
]

#: the header carrying the per-process control token (the inspector's scripts send it)
TOKEN_HEADER = "x-mock-token"
#: the ``User-Agent`` of the mock's own webhook sender, which the control plane never obeys: a
#: ``webhookUrl`` anyone may give must not turn the sender, a loopback client, into a way in
WEBHOOK_USER_AGENT = "hesabe-mock-webhook/1"
#: in-process test clients (Starlette's TestClient) never come from a network
_IN_PROCESS = frozenset({"testclient"})
#: suffixes no public DNS name can end in (RFC 6761, RFC 6762, ICANN's .internal, home.arpa),
#: plus ``.inprocess``, the name the in-process test transport uses
_RESERVED_SUFFIXES = (".localhost", ".test", ".invalid", ".example", ".internal", ".local", ".home.arpa",
                      ".inprocess")
#: methods that never change state (the control plane answers no others without changing something)
_SAFE_METHODS = frozenset({"GET", "HEAD"})
#: headers only a browser adds (a web page cannot remove them). Not ``Sec-Fetch-Mode``: Node's
#: fetch (undici) sends that one too, and a Node merchant's tests are no browser
_BROWSER_HEADERS = ("origin", "referer", "cookie", "sec-fetch-site", "sec-fetch-dest")


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


def _hostname(authority: str) -> str:
    """The host of a ``Host`` header value (port dropped, brackets of an IPv6 literal removed)."""
    text = authority.strip().lower()
    if text.startswith("["):
        return text[1:text.find("]")] if "]" in text else ""
    return text.rsplit(":", 1)[0] if text.count(":") == 1 else text


def _is_ip(name: str) -> bool:
    try:
        ipaddress.ip_address(name.split("%", 1)[0])
    except ValueError:
        return False
    return True


def host_trusted(settings: MockSettings, host_header: str | None) -> bool:
    """Whether a ``Host`` header names the mock in a way a rebinding attacker cannot (module doc).
    No ``Host`` at all (an HTTP/1.0 client, an ASGI scope built by hand) is no browser's request."""
    if host_header is None:
        return True
    name = _hostname(host_header).rstrip(".")
    if not name:
        return False
    if "*" in settings.allowed_hosts or name in settings.allowed_hosts or _is_ip(name):
        return True
    if name == "localhost" or "." not in name or name.endswith(_RESERVED_SUFFIXES):
        return True
    public = settings.public_base_url
    return public is not None and name == _hostname(public.split("://", 1)[-1].split("/", 1)[0])


def sent_by_browser(headers: Mapping[str, str]) -> bool:
    """Whether a request carries what only a browser sends (see the module doc)."""
    if any(name in headers for name in _BROWSER_HEADERS):
        return True
    return headers.get("user-agent", "").startswith("Mozilla/")


def browser_refusal(settings: MockSettings, method: str, headers: Mapping[str, str],
                    token: str) -> str | None:
    """Why a control-plane request is refused as possibly driven by another web page (or by a
    ``webhookUrl`` pointing at the control plane), or None.

    ``headers`` has lower-case names (Starlette's ``Headers`` does); ``token`` is the process's
    control token."""
    if headers.get("user-agent") == WEBHOOK_USER_AGENT:
        return ("the mock's own webhook sender does not drive the control plane: a webhookUrl points at "
                "/_mock/ (give your shop's endpoint instead)")
    host = headers.get("host")
    if not host_trusted(settings, host):
        return (f"the control plane does not answer the Host {host!r}: a name that is not loopback or "
                "local may be a DNS-rebinding page; start the mock with --allowed-hosts NAME to trust it")
    if method.upper() in _SAFE_METHODS:
        return None
    origin = headers.get("origin")
    if origin is not None and origin.split("://", 1)[-1].lower() != (host or "").lower():
        return (f"cross-site request refused: Origin {origin!r} is not this mock's own origin; "
                "the control plane only takes state changes from its own pages or non-browser clients")
    if headers.get("sec-fetch-site", "same-origin") not in ("same-origin", "none"):
        return "cross-site request refused: the browser says it came from another site (Sec-Fetch-Site)"
    if sent_by_browser(headers) and not hmac.compare_digest(headers.get(TOKEN_HEADER, "").encode(),
                                                            token.encode()):
        return (f"a browser's state-changing request needs the control token in {TOKEN_HEADER.title()} "
                "(the inspector at /_mock/ui sends it); clients that are not browsers need none")
    return None
