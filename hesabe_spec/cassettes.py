"""Cassettes: recorded Hesabe exchanges, one JSON file each, in a directory per recording.

A recording is a directory holding ``manifest.json`` and one cassette per exchange, numbered in
the order they happened (``0001-create_invoice.json``, ``0002-get_invoice.json`` ...). A cassette
keeps what a person needs to read the exchange and what a program needs to replay it: the
operation, the request (method, path, plain query parameters, the headers that are not secrets,
the decrypted payload and the wire facts of its ciphertext) and the response (HTTP status, its
headers, the decrypted body and the wire facts of its ciphertext: envelope form, padding, JSON
text escapes, as :mod:`hesabe_spec.wire_facts` describes them). Never the ciphertexts themselves,
a secret key, an access code or a bearer token: those never reach the disk.

The format (``"format": 1``) is documented with an example in ``docs/recording.md``. Files are
written with sorted-free, fixed key order, two-space indentation and UTF-8 text, so a recording
diffs well in review. :func:`reencode_response` gives back the response body as the wire carried
it (encrypted again, with the recorded envelope and padding), for playback and offline checks.

The manifest says where and when the recording was made, by whom, and whether it is ``real`` (a
Hesabe server answered) or ``synthetic`` (anything else: a mock, a hand-made set); optionally a
``seed`` (a shipped fixture name or a seed file in the directory) and a ``clock`` the replaying
mock needs so the records the recording reads exist.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, TypedDict, cast
from urllib.parse import urlsplit

from hesabe_spec.crypto import MAX_PAD, PKCS7_BLOCK, CipherKeys
from hesabe_spec.operations import OPERATIONS, Operation, resolve_operation
from hesabe_spec.wire import EnvelopeStyle, server_json, wrap_ciphertext
from hesabe_spec.wire_facts import WireFacts

__all__ = [
    "FORMAT",
    "MANIFEST",
    "Cassette",
    "CassetteRequest",
    "CassetteResponse",
    "Gap",
    "Label",
    "Manifest",
    "Recording",
    "RecordingError",
    "block_size_of",
    "cassette_name",
    "confirmation_problem",
    "dumps",
    "match_operation",
    "read_recording",
    "reencode_response",
    "write_cassette",
    "write_manifest",
]

FORMAT = 1
MANIFEST = "manifest.json"
Label = Literal["real", "synthetic"]
_CASSETTE = re.compile(r"^(\d{4,})-[a-z_]+\.json$")
_PARAM = re.compile(r"\{(\w+)\}")


class Gap(TypedDict):
    """A difference the parity report expects on this cassette, and why: a documented gap (the
    recording is partial, or the mock deliberately differs), tied to a row of docs/fidelity.md."""

    #: JSON pointer into the response body ("" for the whole answer), or a wire fact: "/wire/padding"
    pointer: str
    #: the difference kind the report gives it (``value``, ``type``, ``missing_key``, ``items`` ...)
    kind: str
    why: str
    #: the behaviour column of the docs/fidelity.md row that documents it
    fidelity: str


class CassetteRequest(TypedDict):
    method: str
    path: str
    #: plain query parameters (``data`` excluded: it is ``payload``)
    query: dict[str, str]
    #: headers without secrets (Authorization and accessCode are never kept)
    headers: dict[str, str]
    #: the decrypted payload (or the plain JSON of login/refresh); None when there was none
    payload: Any
    #: how ``data`` travelled: body-json, form, multipart, query, plain, none
    data_in: str
    wire: WireFacts | None


class CassetteResponse(TypedDict):
    status: int
    headers: dict[str, str]
    #: the decrypted body, or the plain JSON; None when it was neither
    body: Any
    encrypted: bool
    wire: WireFacts | None


class Cassette(TypedDict, total=False):
    format: int
    seq: int
    operation: str
    host: str
    recorded_at: str
    duration_ms: float
    request: CassetteRequest
    response: CassetteResponse
    #: JSON pointers whose values were masked (``--mask-pii``)
    masked: list[str]
    #: what the recording lacks (a partial docs sample ...)
    notes: list[str]
    gaps: list[Gap]


class Manifest(TypedDict, total=False):
    format: int
    label: Label
    upstream: str
    #: the payment gateway's host, when it is not ``upstream``
    gateway_upstream: str
    recorded_at: str
    recorded_by: str
    merchant_code: str
    masked_pii: bool
    description: str
    #: a shipped seed fixture name ("seed-pages") or a seed file in the directory
    seed: str
    #: the mock clock to set before replaying (ISO 8601)
    clock: str


@dataclass(frozen=True, slots=True)
class Recording:
    """A recording read from disk: its manifest and its cassettes in order, with their files."""

    directory: Path
    manifest: Manifest
    cassettes: tuple[tuple[Path, Cassette], ...]


def dumps(value: Any) -> str:
    """The stable, diff-friendly JSON text of a cassette or manifest."""
    return json.dumps(value, indent=2, ensure_ascii=False) + "\n"


def cassette_name(seq: int, operation: str) -> str:
    return f"{seq:04d}-{operation}.json"


def write_cassette(directory: Path, cassette: Cassette) -> Path:
    path = directory / cassette_name(cassette["seq"], cassette["operation"])
    path.write_text(dumps(cassette), encoding="utf-8")
    return path


def write_manifest(directory: Path, manifest: Manifest) -> Path:
    path = directory / MANIFEST
    path.write_text(dumps(manifest), encoding="utf-8")
    return path


class RecordingError(ValueError):
    """A directory that is not a readable recording; the message names the file and why."""


def read_recording(directory: str | Path) -> Recording:
    """The manifest and the cassettes of ``directory``, in their recorded order."""
    root = Path(directory)
    try:
        manifest = json.loads((root / MANIFEST).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise RecordingError(f"{root}: no {MANIFEST} (not a recording directory)") from None
    except ValueError as exc:
        raise RecordingError(f"{root / MANIFEST}: not JSON: {exc}") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise RecordingError(f'{root / MANIFEST}: expected a JSON object with "format": {FORMAT}')
    found: list[tuple[int, Path, Cassette]] = []
    for path in root.iterdir():
        m = _CASSETTE.match(path.name)
        if not m:
            continue
        try:
            cassette = json.loads(path.read_text(encoding="utf-8"))
        except ValueError as exc:
            raise RecordingError(f"{path}: not JSON: {exc}") from None
        if not isinstance(cassette, dict) or cassette.get("operation") not in OPERATIONS:
            raise RecordingError(f'{path}: not a cassette (no known "operation")')
        found.append((int(m.group(1)), path, cassette))  # type: ignore[arg-type]
    found.sort(key=lambda item: item[0])
    return Recording(root, cast(Manifest, manifest), tuple((path, cassette) for _, path, cassette in found))


def match_operation(method: str, path: str, payload: Any = None) -> tuple[Operation, dict[str, str]] | None:
    """The operation a request is, by the table's methods and path forms (a literal path wins over
    a templated one, as the server's routes do), then by its payload (single vs subscription
    invoice); with its path parameters."""
    templated: list[tuple[Operation, dict[str, str]]] = []
    for op in OPERATIONS.values():
        if method not in op.methods:
            continue
        for form in op.paths:
            if "{" not in form:
                if form == path:
                    return resolve_operation(op, payload), {}
                continue
            pattern = "^" + _PARAM.sub(
                r"(?P<\1>[^/]+)", re.escape(form).replace(r"\{", "{").replace(r"\}", "}")
            )
            m = re.match(pattern + "$", path)
            if m:
                templated.append((op, m.groupdict()))
    if templated:
        op, params = templated[0]
        return resolve_operation(op, payload), params
    return None


def block_size_of(wire: WireFacts | None) -> int:
    """The block size a recorded message was padded to: 32 (the server's) unless only PKCS#7's 16
    explains its pad; 32 when its wire facts were not recorded."""
    padding = wire.get("padding") if wire is not None else None
    return PKCS7_BLOCK if padding is not None and padding["scheme"] == "pkcs7-16" else MAX_PAD


def reencode_response(response: CassetteResponse, keys: CipherKeys) -> bytes:
    """The response body as the wire carried it: the decrypted body written as the server writes
    JSON, encrypted with ``keys`` and the recorded padding, in the recorded envelope; plain JSON
    for a plain answer. An encrypted answer whose wire facts were not recorded (a docs page that
    shows only the decrypted text) gets the server's usual form: ``{"response": hex}``, 32-byte
    padding."""
    plain = server_json(response["body"])
    wire = response["wire"]
    if not response["encrypted"]:
        return plain
    style: EnvelopeStyle = "bare" if wire is not None and wire["envelope"] == "bare" else "response"
    return wrap_ciphertext(keys.encrypt(plain, block_size=block_size_of(wire)), style)


def confirmation_problem(date: str, cassette: str | Path, root: str | Path = ".") -> str | None:
    """Why ``cassette`` (a path, relative to ``root``) cannot show a behaviour confirmed against the
    live sandbox on ``date`` (YYYY-MM-DD); None when it can: it is a cassette of a recording
    labelled ``real``, made from a ``*.hesabe.com`` upstream, on that date."""
    path = Path(root) / cassette
    if not path.is_file():
        return f"{cassette}: no such cassette"
    try:
        recording = read_recording(path.parent)
    except RecordingError as exc:
        return str(exc)
    if all(p.name != path.name for p, _ in recording.cassettes):
        return f"{cassette}: not a cassette of its recording"
    manifest = recording.manifest
    host = urlsplit(manifest.get("upstream", "")).hostname or ""
    if manifest.get("label") != "real" or not (host == "hesabe.com" or host.endswith(".hesabe.com")):
        return f"{cassette}: the recording is not a real one from a *.hesabe.com upstream"
    if not manifest.get("recorded_at", "").startswith(date):
        return f"{cassette}: recorded {manifest.get('recorded_at')!r}, not on {date}"
    return None
