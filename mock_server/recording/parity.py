"""Parity: replay a recording against the mock (or any server) and report how the answers differ.

:func:`run_parity` sends each cassette's request again, in the recorded order, to the target: a
fresh in-process mock by default, or a URL. Before the first one it seeds what the recording
needs (the manifest's ``seed`` and ``clock``, through the control plane), logs in once for the
bearer operations, and as it goes it carries the mock's own ids, tokens and access keys forward
(a request naming a record the recording created names the mock's record instead). Secrets the
cassette does not hold (``[redacted]`` passwords and refresh tokens) are the replaying identity's
own (``HESABE_*`` variables, else the public sandbox identity).

Each pair of answers goes through :mod:`mock_server.recording.compare`. A difference the cassette
lists in its ``gaps`` (a partial docs sample, a deliberate choice) is *documented*, with the
docs/fidelity.md row that explains it; any other difference is *unexplained*. The report
(:class:`ParityReport`) is written as Markdown and JSON; its exit code is 1 while anything is
unexplained, so it can gate CI.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from hesabe_spec.cassettes import Cassette, Gap, Recording, block_size_of, read_recording
from hesabe_spec.crypto import CipherKeys
from hesabe_spec.errors import HesabeError
from hesabe_spec.operations import OPERATIONS, Operation
from hesabe_spec.wire import decode_response
from hesabe_spec.wire_facts import WireFacts, describe_body
from mock_server.journal import REDACTED
from mock_server.recording.compare import TRANSFORMERS, Comparison, Difference, compare_bodies, compare_wire

if TYPE_CHECKING:
    from hesabe_spec.client.config import ClientConfig
    from hesabe_spec.client.transport import Transport

__all__ = ["CassetteResult", "ParityReport", "run_parity"]


@dataclass(slots=True)
class CassetteResult:
    cassette: str
    operation: str
    differences: list[Difference] = field(default_factory=list)
    transformed: dict[str, int] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    @property
    def unexplained(self) -> list[Difference]:
        return [d for d in self.differences if d.gap is None]

    @property
    def verdict(self) -> str:
        if self.unexplained:
            return "differs"
        return "documented" if self.differences else "matched"


@dataclass(slots=True)
class ParityReport:
    recording: str
    label: str
    against: str
    results: list[CassetteResult]
    made_at: str = field(default_factory=lambda: datetime.now(UTC).isoformat(timespec="seconds"))

    @property
    def unexplained(self) -> int:
        return sum(len(r.unexplained) for r in self.results)

    @property
    def exit_code(self) -> int:
        return 1 if self.unexplained else 0

    def per_operation(self) -> dict[str, dict[str, int]]:
        table: dict[str, dict[str, int]] = {}
        for r in self.results:
            row = table.setdefault(r.operation, {"matched": 0, "documented": 0, "differs": 0})
            row[r.verdict] += 1
        return table

    def to_json(self) -> dict[str, Any]:
        return {
            "recording": self.recording,
            "label": self.label,
            "against": self.against,
            "made_at": self.made_at,
            "parity": "100%" if not self.unexplained else "differs",
            "unexplained": self.unexplained,
            "operations": self.per_operation(),
            "transformers": {name: t.description for name, t in TRANSFORMERS.items()},
            "cassettes": [
                {
                    "cassette": r.cassette,
                    "operation": r.operation,
                    "verdict": r.verdict,
                    "differences": [d.to_json() for d in r.differences],
                    "transformed": r.transformed,
                    "notes": r.notes,
                }
                for r in self.results
            ],
        }

    def to_markdown(self) -> str:
        verdict = "100% parity" if not self.unexplained else f"{self.unexplained} unexplained difference(s)"
        lines = [
            f"# Parity report: {self.recording}",
            "",
            f"Recording labelled **{self.label}**, replayed against {self.against} on {self.made_at}.",
            "",
            f"**{verdict}** (documented gaps are listed, tied to docs/fidelity.md).",
            "",
            "| operation | matched | documented | differs |",
            "|---|---|---|---|",
        ]
        for name, row in self.per_operation().items():
            lines.append(f"| {name} | {row['matched']} | {row['documented']} | {row['differs']} |")
        for r in self.results:
            if not r.differences and not r.notes:
                continue
            lines += ["", f"## {r.cassette} ({r.operation}): {r.verdict}", ""]
            lines += [f"- note: {n}" for n in r.notes]
            for d in r.differences:
                said = (
                    f'documented: {d.gap["why"]} (docs/fidelity.md: "{d.gap["fidelity"]}")'
                    if d.gap
                    else "**unexplained**"
                )
                detail = f" ({d.detail})" if d.detail else ""
                lines.append(
                    f"- `{d.kind}` at `{d.pointer}`: recorded `{_short(d.recorded)}`, mock "
                    f"`{_short(d.mock)}`{detail}; {said}"
                )
        lines += [
            "",
            "Transformers (volatile values compared by form, not value): "
            + ", ".join(f"`{n}`" for n in TRANSFORMERS),
            "",
        ]
        return "\n".join(lines)

    def write(self, out: Path) -> tuple[Path, Path]:
        """``OUT.md`` and ``OUT.json`` (``out`` without its suffix)."""
        base = out.with_suffix("") if out.suffix in (".md", ".json") else out
        base.parent.mkdir(parents=True, exist_ok=True)
        md, js = base.with_suffix(".md"), base.with_suffix(".json")
        md.write_text(self.to_markdown(), encoding="utf-8")
        js.write_text(json.dumps(self.to_json(), indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        return md, js


def _short(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False) if not isinstance(value, str) else value
    return text if len(text) <= 80 else text[:79] + "…"


def _covers(gap: Gap, diff: Difference) -> bool:
    pointer = gap["pointer"]
    inside = diff.pointer == pointer or diff.pointer.startswith(pointer.rstrip("/") + "/")
    return gap["kind"] == diff.kind and inside


def _substitute(value: Any, ids: Mapping[str, Any]) -> Any:
    """``value`` with every recorded id / token / key replaced by the mock's (same JSON type)."""
    if isinstance(value, dict):
        return {k: _substitute(v, ids) for k, v in value.items()}
    if isinstance(value, list):
        return [_substitute(v, ids) for v in value]
    if isinstance(value, (str, int)) and not isinstance(value, bool) and str(value) in ids:
        new = ids[str(value)]
        return str(new) if isinstance(value, str) else new
    return value


class Replayer:
    """Sends cassette requests to one target as one merchant, carrying the target's ids forward."""

    def __init__(self, transport: Transport, base_url: str, identity: ClientConfig) -> None:
        self.transport = transport
        self.base_url = base_url.rstrip("/")
        self.identity = identity
        self.keys: CipherKeys = identity.keys
        self.ids: dict[str, Any] = {}
        #: short record ids, mapped in paths only (Comparison.path_ids)
        self.path_ids: dict[str, Any] = {}
        self._bearer: str | None = None
        self._refresh: str | None = None

    def _send(
        self,
        method: str,
        path: str,
        *,
        headers: dict[str, str],
        body: bytes | None = None,
        params: dict[str, str] | None = None,
    ) -> Any:
        return self.transport.request(
            method,
            self.base_url + path,
            headers=headers,
            data=body,
            params=params or None,
            timeout=60,
            allow_redirects=False,
        )

    def control(self, method: str, path: str, doc: Any = None) -> Any:
        body = json.dumps(doc).encode() if doc is not None else None
        resp = self._send(method, f"/_mock/{path}", headers={"Content-Type": "application/json"}, body=body)
        if resp.status_code >= 400:
            raise RuntimeError(f"/_mock/{path}: HTTP {resp.status_code} {resp.content[:200]!r}")
        return resp

    def prepare(self, recording: Recording) -> None:
        manifest = recording.manifest
        seed = manifest.get("seed")
        if seed:
            file = recording.directory / seed
            doc = json.loads(file.read_text(encoding="utf-8")) if file.is_file() else {"fixture": seed}
            self.control("POST", "seed", doc)
        if manifest.get("clock"):
            self.control("POST", "clock", {"set": manifest["clock"]})

    def _login(self) -> None:
        resp = self._send(
            "POST",
            OPERATIONS["login"].path,
            headers={"Content-Type": "application/json"},
            body=json.dumps(
                {"username": self.identity.username, "password": self.identity.password}
            ).encode(),
        )
        try:
            token = json.loads(resp.content)["response"]["token"]
            self._bearer, self._refresh = token["access_token"], token["refresh_token"]
        except (ValueError, KeyError, TypeError):
            raise RuntimeError(
                f"logging in as {self.identity.username!r} failed: HTTP {resp.status_code} "
                f"{resp.content[:200]!r}"
            ) from None

    def _plain_payload(self, op: Operation, payload: Any) -> Any:
        secrets = {
            "password": self.identity.password,
            "refresh_token": self._refresh,
            "refreshtoken": self._refresh,
            "username": self.identity.username,
        }
        if not isinstance(payload, dict):
            return payload
        return {k: (secrets.get(k.lower()) if v == REDACTED else v) for k, v in payload.items()}

    def replay(self, cassette: Cassette) -> Any:
        op = OPERATIONS[cassette["operation"]]
        request = cassette["request"]
        in_path = {**self.path_ids, **self.ids}
        path = "/".join(str(in_path.get(part, part)) for part in request["path"].split("/"))
        params = {k: str(_substitute(v, self.ids)) for k, v in request["query"].items()}
        headers = {k: v for k, v in request["headers"].items() if k in ("accept", "content-type")}
        if op.auth != "none":
            headers["accessCode"] = self.identity.access_code
        if op.auth == "bearer":
            if self._bearer is None:
                self._login()
            headers["Authorization"] = f"Bearer {self._bearer}"
        body: bytes | None = None
        payload = _substitute(request["payload"], self.ids)
        if op.payload_in == "plain":
            if op.name == "refresh_token" and self._refresh is None:
                self._login()
            headers["content-type"] = "application/json"
            body = json.dumps(self._plain_payload(op, payload)).encode()
        elif op.encrypted and payload is not None:
            wire: WireFacts | None = request["wire"]
            block = block_size_of(wire)
            code = self.identity.merchant_code
            if isinstance(payload, dict) and "merchantCode" in payload:
                payload = {**payload, "merchantCode": code}
            hexed = self.keys.encrypt(json.dumps(payload, separators=(",", ":")).encode(), block_size=block)
            if request["data_in"] == "query":
                params["data"] = hexed
            elif request["data_in"] in ("form", "multipart"):
                headers["content-type"] = "application/x-www-form-urlencoded"
                body = urlencode({"data": hexed}).encode()
            else:
                headers["content-type"] = "application/json"
                body = json.dumps({"data": hexed}).encode()
        resp = self._send(request["method"], path, headers=headers, body=body, params=params)
        if op.kind == "auth" and resp.status_code == 200:
            token = json.loads(resp.content)["response"]["token"]
            self._bearer, self._refresh = token["access_token"], token["refresh_token"]
        return resp


def compare_answer(cassette: Cassette, status: int, body: bytes, keys: CipherKeys) -> Comparison:
    """The differences between the cassette's recorded answer and this one."""
    out = Comparison()
    recorded = cassette["response"]
    if recorded["status"] != status:
        out.differences.append(Difference("status", "/status", recorded["status"], status, "HTTP status"))
    try:
        decoded = decode_response(body, keys)
        got, encrypted = decoded.envelope, decoded.encrypted
    except HesabeError as exc:
        out.differences.append(
            Difference("envelope", "/body", recorded["body"], None, f"the answer cannot be read: {exc}")
        )
        return out
    mock_wire = describe_body(body, keys) if encrypted else None
    compare_wire(recorded["wire"], mock_wire, recorded["encrypted"], encrypted, out)
    compare_bodies(recorded["body"], got, out)
    # a masked value (--mask-pii) is a stand-in: an SMS text quoting a name cannot match its echo
    masked = {where.removeprefix("/response") for where in cassette.get("masked", [])
              if where.startswith("/response/body/")}
    kept = [d for d in out.differences if not (d.kind == "value" and d.pointer in masked)]
    if len(kept) < len(out.differences):
        out.transformed["masked"] = out.transformed.get("masked", 0) + len(out.differences) - len(kept)
        out.differences = kept
    return out


@contextmanager
def _target(against: str | None, environ: Mapping[str, str]) -> Iterator[tuple[Transport, str, str]]:
    if against:
        import requests

        with requests.Session() as session:
            session.trust_env = False
            yield session, against, against
        return
    from mock_server.app import create_app
    from mock_server.merchants import env_merchant, registry_of

    merchant = env_merchant(environ)
    app = create_app(merchants=registry_of([merchant] if merchant else []))
    from hesabe_spec.client.transport import ASGITransport

    with ASGITransport(app) as transport:
        yield transport, "http://mock", "a fresh in-process mock"


def run_parity(
    directory: str | Path, against: str | None = None, environ: Mapping[str, str] | None = None
) -> ParityReport:
    """Replay ``directory``'s cassettes against ``against`` (default: a fresh in-process mock)."""
    env = os.environ if environ is None else environ
    recording = read_recording(directory)
    from hesabe_spec.client.config import ClientConfig

    identity = ClientConfig.from_env(env)
    results: list[CassetteResult] = []
    with _target(against, env) as (transport, base_url, shown):
        replayer = Replayer(transport, base_url, identity)
        replayer.prepare(recording)
        for path, cassette in recording.cassettes:
            result = CassetteResult(path.name, cassette["operation"], notes=list(cassette.get("notes", [])))
            resp = replayer.replay(cassette)
            compared = compare_answer(cassette, int(resp.status_code), bytes(resp.content), identity.keys)
            replayer.ids.update(compared.ids)
            replayer.path_ids.update(compared.path_ids)
            for diff in compared.differences:
                diff.gap = next((g for g in cassette.get("gaps", []) if _covers(g, diff)), None)
            result.differences, result.transformed = compared.differences, compared.transformed
            results.append(result)
    return ParityReport(str(directory), str(recording.manifest.get("label", "?")), shown, results)
