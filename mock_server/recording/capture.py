"""One HTTP exchange as a cassette: decrypt both ways, describe the wire, drop the secrets, mask PII.

The recording proxy and the seed-cassette builder both make their cassettes here. Secrets are the
journal's (:func:`mock_server.journal.redact`: passwords, access and refresh tokens, keys, access
codes), plus the ``Authorization`` and ``accessCode`` headers, which are never kept at all; the
ciphertexts are not kept either (the wire facts say what they looked like). ``--mask-pii``
replaces customer data (names, e-mail addresses, phone numbers, the SMS texts that quote them) by
stable stand-ins of the same type and length class, and lists every masked pointer.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl

from hesabe_spec.cassettes import FORMAT, Cassette, CassetteRequest, CassetteResponse
from hesabe_spec.crypto import CipherKeys
from hesabe_spec.enums import CreateInvoiceType
from hesabe_spec.errors import HesabeError
from hesabe_spec.operations import Operation
from hesabe_spec.wire import decode_request_data, decode_response, redact_reply
from hesabe_spec.wire_facts import WireFacts, describe_body, describe_ciphertext
from mock_server.arrival import shown_plain_fields
from mock_server.journal import redact
from mock_server.protocol import FORM, MULTIPART, NO_DATA, media_type, read_data_field, read_plain_fields

__all__ = ["KEPT_HEADERS", "cassette_of", "mask_pii", "request_payload", "writes_reason"]

#: the headers a cassette keeps (everything else, Authorization and accessCode first, is dropped)
KEPT_HEADERS = frozenset({"content-type", "accept", "accept-language", "retry-after", "allow", "location"})
#: customer data, by key, wherever it appears; ``name`` only inside a ``customer`` object
_PII_KEYS = frozenset(
    {
        "customername",
        "customer_name",
        "customeremail",
        "customer_email",
        "email",
        "mobilenumber",
        "mobile_number",
        "phone_number",
        "phone",
        "en_sms",
        "ar_sms",
        "sms_mobile",
        "card_holder",
    }
)
def writes_reason(op: Operation, payload: Any) -> str | None:
    """Why recording ``op`` with ``payload`` needs ``--allow-writes`` (it moves money or texts a
    customer), or None when it is safe against a real account."""
    if op.moves_money:
        return f"{op.name} moves money"
    if op.sends_sms:
        return f"{op.name} sends an SMS"
    items = [payload] if isinstance(payload, dict) else []
    if isinstance(payload, dict) and isinstance(payload.get("invoices"), list):
        items += [i for i in payload["invoices"] if isinstance(i, dict)]
    if op.kind == "create" and any(str(i.get("invoiceType")) == CreateInvoiceType.SMS for i in items):
        return f'{op.name} with invoiceType "1" texts the customer'
    return None


def _stand_in(value: Any) -> Any:
    """The same stand-in for the same value wherever it stands (a request's ``customerName`` and
    the answer's ``customer.name``), so a replayed request's echo matches the recorded answer."""
    if not isinstance(value, str) or not value:
        return value
    digest = hashlib.sha256(value.encode("utf-8")).hexdigest()
    if value.isdigit():
        digits = "".join(str(int(c, 16) % 10) for c in digest)
        return (digits * (len(value) // len(digits) + 1))[: len(value)]
    if "@" in value:
        return f"masked-{digest[:8]}@example.invalid"
    return f"masked-{digest[:8]}"


def mask_pii(value: Any, pointer: str = "", masked: list[str] | None = None, *, parent: str = "") -> Any:
    """``value`` with customer data replaced; each masked JSON pointer appended to ``masked``."""
    if isinstance(value, dict):
        out: dict[str, Any] = {}
        for key, item in value.items():
            where = f"{pointer}/{key}"
            lowered = str(key).lower()
            pii = lowered in _PII_KEYS or (lowered == "name" and parent == "customer")
            if pii and isinstance(item, str) and item:
                out[key] = _stand_in(item)
                if masked is not None:
                    masked.append(where)
            else:
                out[key] = mask_pii(item, where, masked, parent=lowered)
        return out
    if isinstance(value, list):
        return [mask_pii(item, f"{pointer}/{i}", masked, parent=parent) for i, item in enumerate(value)]
    return value


def _request_data(
    op: Operation, content_type: str, body: bytes, query: list[tuple[str, str]], keys: CipherKeys
) -> tuple[Any, str, WireFacts | None]:
    """(payload, how data travelled, wire facts of its ciphertext)."""
    if op.payload_in == "plain":
        try:
            return read_plain_fields(content_type, body), "plain", None
        except (ValueError, UnicodeDecodeError):
            return None, "plain", None
    if op.payload_in == "none":
        return None, "none", None
    data: Any = read_data_field(content_type, body)
    kind = media_type(content_type)
    data_in = "form" if kind == FORM else "multipart" if kind == MULTIPART else "body-json"
    if data is NO_DATA:
        data = next((v for k, v in query if k == "data"), None)
        data_in = "query"
    if not isinstance(data, str) or not data:
        return None, data_in, None
    facts = describe_ciphertext(data.strip(), keys, envelope="data")
    try:
        payload = decode_request_data(data.strip(), keys)
    except (HesabeError, ValueError):
        payload = None
    return payload, data_in, facts


def request_payload(
    op: Operation, content_type: str, body: bytes, query_string: str, keys: CipherKeys
) -> Any:
    """The decrypted payload of a request (None when there is none or it cannot be read)."""
    return _request_data(op, content_type, body, parse_qsl(query_string, keep_blank_values=True), keys)[0]


def _headers(headers: Mapping[str, str]) -> dict[str, str]:
    return {k.lower(): v for k, v in sorted(headers.items()) if k.lower() in KEPT_HEADERS}


def cassette_of(
    seq: int,
    op: Operation,
    *,
    method: str,
    path: str,
    query_string: str,
    request_headers: Mapping[str, str],
    request_body: bytes,
    status: int,
    response_headers: Mapping[str, str],
    response_body: bytes,
    keys: CipherKeys,
    started: float,
    duration_ms: float,
    mask: bool = False,
) -> Cassette:
    """The cassette of one exchange (secrets dropped; PII masked when ``mask``)."""
    query = parse_qsl(query_string, keep_blank_values=True)
    lowered = {k.lower(): v for k, v in request_headers.items()}
    payload, data_in, request_wire = _request_data(
        op, lowered.get("content-type", ""), request_body, query, keys
    )
    encrypted = False
    body: Any = None
    response_wire: WireFacts | None = None
    try:
        decoded = decode_response(response_body, keys)
        body, encrypted = decoded.envelope, decoded.encrypted
    except HesabeError:
        pass
    if encrypted:
        response_wire = describe_body(response_body, keys)
    query_fields: Any = {k: v for k, v in query if k != "data"}
    if op.payload_in == "plain":  # a login's password can be anywhere in its body or query
        payload, query_fields = shown_plain_fields(op, payload), shown_plain_fields(op, query_fields)
    request: CassetteRequest = {
        "method": method,
        "path": path,
        "query": redact(query_fields),
        "headers": _headers(request_headers),
        "payload": redact(payload),
        "data_in": data_in,
        "wire": request_wire,
    }
    response: CassetteResponse = {
        "status": status,
        "headers": _headers(response_headers),
        "body": redact_reply(body),
        "encrypted": encrypted,
        "wire": response_wire,
    }
    cassette: Cassette = {
        "format": FORMAT,
        "seq": seq,
        "operation": op.name,
        "host": op.host,
        "recorded_at": datetime.fromtimestamp(started, UTC).isoformat(timespec="seconds"),
        "duration_ms": round(duration_ms, 1),
        "request": request,
        "response": response,
    }
    if mask:
        masked: list[str] = []
        request["payload"] = mask_pii(request["payload"], "/request/payload", masked)
        request["query"] = mask_pii(request["query"], "/request/query", masked)
        response["body"] = mask_pii(response["body"], "/response/body", masked)
        cassette["masked"] = masked
    return cassette
