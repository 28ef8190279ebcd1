"""The recording proxy: forward every request unchanged to an upstream Hesabe server, keep a cassette.

:class:`RecordingProxy` is a plain ASGI app. Each request is forwarded as it came (same method,
path, query string, body bytes and headers, ciphertext included; only the hop-by-hop headers and
``Host`` are the proxy's own): the payment gateway's operations and pages to ``gateway_upstream``
(Hesabe serves them on a host of their own), everything else to ``upstream``. The answer is
handed back as it came (status, body, headers, no redirect followed). Requests that are one of
the table's operations (the Merchant API's and the payment gateway's alike, whatever operations the
table holds) are also written as a cassette (:mod:`mock_server.recording.capture`), numbered in
the order their answers arrived. Anything else (the mock's ``/_mock/`` control plane, the hosted
pages) is forwarded unrecorded.

Operations that move money or text a customer are refused with HTTP 403 and a plain
``{"status": false, "message": ...}`` naming ``--allow-writes``, unless it was given: a recording
session against a real account must not pay out or send SMS by accident. The payload decides
for invoice creation (``invoiceType`` "1" texts the customer).
"""

from __future__ import annotations

import json
import logging
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import anyio

from hesabe_spec.cassettes import (
    FORMAT,
    Label,
    Manifest,
    match_operation,
    write_cassette,
    write_manifest,
)
from hesabe_spec.crypto import CipherKeys
from hesabe_spec.operations import GATEWAY_PAGES, Operation
from mock_server.recording.capture import cassette_of, request_payload, writes_reason

if TYPE_CHECKING:
    import requests

__all__ = ["Recorder", "RecordingProxy"]

log = logging.getLogger("hesabe_mock")

#: hop-by-hop headers (RFC 9110 §7.6.1) and the ones requests sets itself
_HOP = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-authenticate",
        "proxy-authorization",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
        "host",
        "content-length",
    }
)


class Recorder:
    """Writes the cassettes of one recording directory, numbered in order; thread-safe."""

    def __init__(
        self,
        directory: Path,
        keys: CipherKeys,
        *,
        upstream: str,
        label: Label,
        recorded_by: str,
        merchant_code: str,
        mask: bool = False,
        description: str = "",
        gateway_upstream: str | None = None,
    ) -> None:
        self.directory = directory
        self.keys = keys
        self.mask = mask
        self._lock = threading.Lock()
        directory.mkdir(parents=True, exist_ok=True)
        if any(directory.glob("[0-9][0-9][0-9][0-9]-*.json")):
            raise FileExistsError(f"{directory} already holds cassettes: record into a new directory")
        manifest: Manifest = {
            "format": FORMAT,
            "label": label,
            "upstream": upstream,
            "recorded_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "recorded_by": recorded_by,
            "merchant_code": merchant_code,
            "masked_pii": mask,
        }
        if gateway_upstream and gateway_upstream.rstrip("/") != upstream.rstrip("/"):
            manifest["gateway_upstream"] = gateway_upstream
        if description:
            manifest["description"] = description
        write_manifest(directory, manifest)
        self._seq = 0

    def record(self, op: Operation, **exchange: Any) -> Path:
        with self._lock:
            self._seq += 1
            cassette = cassette_of(self._seq, op, keys=self.keys, mask=self.mask, **exchange)
            return write_cassette(self.directory, cassette)

    @property
    def recorded(self) -> int:
        with self._lock:
            return self._seq


class RecordingProxy:
    """ASGI app: forward to ``upstream``, record the operations' exchanges with ``recorder``."""

    def __init__(
        self,
        upstream: str,
        recorder: Recorder,
        *,
        gateway_upstream: str | None = None,
        allow_writes: bool = False,
        timeout: float = 60.0,
    ) -> None:
        for option, url in (("--upstream", upstream), ("--gateway-upstream", gateway_upstream or upstream)):
            parts = urlsplit(url)
            if parts.scheme not in ("http", "https") or not parts.netloc:
                raise ValueError(f"{option} must be an http(s) URL, got {url!r}")
        self.upstream = upstream.rstrip("/")
        #: where the payment gateway's operations and pages go (Hesabe serves them on another host)
        self.gateway_upstream = (gateway_upstream or upstream).rstrip("/")
        self.recorder = recorder
        self.allow_writes = allow_writes
        self.timeout = timeout
        import requests  # the one HTTP client of the proxy, loaded when a proxy is made

        self._session = requests.Session()
        self._errors = requests.RequestException
        self._session.trust_env = False  # forward to exactly the upstream named, never a proxy from the env
        self._session.headers.clear()  # the caller's headers only, not requests' defaults

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            while True:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    await send({"type": "lifespan.startup.complete"})
                elif message["type"] == "lifespan.shutdown":
                    self._session.close()
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        if scope["type"] != "http":
            return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        method, path = scope["method"], scope["path"]
        # forwarded as the client wrote it (percent-escapes and all); matched on the decoded path
        raw_path = (scope.get("raw_path") or path.encode("utf-8")).decode("latin-1")
        query = scope.get("query_string", b"").decode("latin-1")
        headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
        lowered = {k.lower(): v for k, v in headers.items()}
        found = match_operation(method, path)
        op = None
        if found is not None:
            payload = request_payload(
                found[0], lowered.get("content-type", ""), body, query, self.recorder.keys
            )
            op = match_operation(method, path, payload)[0] if payload is not None else found[0]  # type: ignore[index]
            reason = None if self.allow_writes else writes_reason(op, payload)
            if reason is not None:
                refusal = {
                    "status": False,
                    "message": f"hesabe-mock record: {reason}; not forwarded. Pass "
                    "--allow-writes to record it.",
                }
                await _send(send, 403, {"content-type": "application/json"}, json.dumps(refusal).encode())
                return
        started = time.time()
        clock = time.perf_counter()
        try:
            base = self.gateway_upstream if _on_gateway(op, path) else self.upstream
            upstream = await anyio.to_thread.run_sync(
                self._forward, base, method, raw_path, query, headers, body
            )
        except self._errors as exc:
            message = {
                "status": False,
                "message": f"hesabe-mock record: upstream unreachable: {type(exc).__name__}",
            }
            await _send(send, 502, {"content-type": "application/json"}, json.dumps(message).encode())
            return
        duration = (time.perf_counter() - clock) * 1000
        reply_headers = {
            k: v
            for k, v in upstream.headers.items()
            if k.lower() not in _HOP and k.lower() != "content-encoding"
        }
        if op is not None:
            self._record(
                op,
                method=method,
                path=path,
                query_string=query,
                request_headers=headers,
                request_body=body,
                status=upstream.status_code,
                response_headers=reply_headers,
                response_body=upstream.content,
                started=started,
                duration_ms=duration,
            )
        await _send(send, upstream.status_code, reply_headers, upstream.content)

    def _record(self, op: Operation, **exchange: Any) -> None:
        """Write the cassette; an exchange that cannot be written is still answered (and logged)."""
        try:
            self.recorder.record(op, **exchange)
        except Exception:
            log.exception("hesabe-mock record: could not write the cassette of a %s exchange", op.name)

    def _forward(
        self, base: str, method: str, path: str, query: str, headers: dict[str, str], body: bytes
    ) -> requests.Response:
        url = base + path + (f"?{query}" if query else "")
        sent = {k: v for k, v in headers.items() if k.lower() not in _HOP}
        return self._session.request(
            method, url, headers=sent, data=body or None, timeout=self.timeout, allow_redirects=False
        )


#: the gateway's browser pages (the operation table's GATEWAY_PAGES)
_GATEWAY_PAGES = frozenset(page.path for page in GATEWAY_PAGES.values())


def _on_gateway(op: Operation | None, path: str) -> bool:
    return op.host == "gateway" if op is not None else path.rstrip("/") in _GATEWAY_PAGES


async def _send(send: Any, status: int, headers: dict[str, str], body: bytes) -> None:
    raw = [(k.encode("latin-1"), v.encode("latin-1")) for k, v in headers.items()]
    raw.append((b"content-length", str(len(body)).encode()))
    await send({"type": "http.response.start", "status": status, "headers": raw})
    await send({"type": "http.response.body", "body": body})
