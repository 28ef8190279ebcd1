"""Comparing a recorded answer with the mock's: the differences, and the named transformers.

What is compared, in this order: the HTTP status (``/status``); whether the answer is encrypted,
its envelope form, its padding and its JSON text style (``/wire/...``, from the two answers'
:class:`~hesabe_spec.wire_facts.WireFacts`); then the bodies, member by member
(``/body/...``): every object's key set (``missing_key``, ``extra_key``) and order
(``key_order``), every value's JSON type (``type``), and every value (``value``) except where a
named transformer says the value is volatile. A transformer still holds its values to their form
(a timestamp stays a timestamp of the same layout, a token stays digits), and ids, tokens and
access keys it matched are remembered, so the next request of the replay names the mock's
record instead of the recorded one.

List pages (a ``data`` array beside a ``pagination`` block) hold whatever the account holds: their
rows are compared pairwise and a different row count is no difference, unless one side has no
row at all (``items``: nothing could be compared). Any other array of a different length is a
``length`` difference.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from hesabe_spec.cassettes import Gap
from hesabe_spec.crypto import MAX_PAD, PKCS7_BLOCK
from hesabe_spec.wire import REDACTED, is_secret_field, redact
from hesabe_spec.wire_facts import WireFacts

__all__ = ["TRANSFORMERS", "Difference", "Transformer", "compare_bodies", "compare_wire", "json_type"]


@dataclass(frozen=True, slots=True)
class Transformer:
    """Values that differ between any two servers, told by their key (and parent key)."""

    name: str
    description: str
    keys: frozenset[str] = frozenset()
    #: every member of an object under one of these keys
    parents: frozenset[str] = frozenset()
    #: (key, parent) pairs
    pairs: frozenset[tuple[str, str]] = frozenset()
    #: the form both values must keep (same type is always required)
    same_form: Callable[[Any, Any], bool] = lambda a, b: True
    #: remember recorded -> mock, so later requests name the mock's record
    maps_ids: bool = False

    def applies(self, key: str, parent: str) -> bool:
        return key in self.keys or parent in self.parents or (key, parent) in self.pairs


def _digits_alike(a: Any, b: Any) -> bool:
    return (
        not isinstance(a, str)
        or not isinstance(b, str)
        or (a.isdigit() == b.isdigit() and bool(a) == bool(b))
    )


def _both_empty_or_not(a: Any, b: Any) -> bool:
    return bool(a) == bool(b) and (str(a).startswith("SP") == str(b).startswith("SP"))


def _layout(value: Any) -> Any:
    return re.sub(r"\d", "9", value) if isinstance(value, str) else value


def _url_shape(value: Any) -> Any:
    if not isinstance(value, str):
        return value
    parts = urlsplit(value)
    return parts.path.rsplit("/", 1)[0], sorted(k for k, _ in parse_qsl(parts.query, keep_blank_values=True))


TRANSFORMERS: dict[str, Transformer] = {
    t.name: t
    for t in (
        Transformer(
            "ids", "record ids: each server numbers its own records", keys=frozenset({"id"}), maps_ids=True
        ),
        Transformer(
            "tokens",
            "invoice, transaction and payment tokens and payment ids: minted per record (digits stay digits)",
            keys=frozenset(
                {
                    "token",
                    "paymentToken",
                    "payment_token",
                    "transaction_token",
                    "transaction_id",
                    "payment_id",
                    "paymentId",
                    "track_id",
                }
            ),
            same_form=_digits_alike,
            maps_ids=True,
        ),
        Transformer(
            "access_keys",
            "payment-link keys: minted per invoice (empty stays empty, a split key keeps SP)",
            keys=frozenset({"access_key", "split_access_key"}),
            same_form=_both_empty_or_not,
            maps_ids=True,
        ),
        Transformer(
            "urls",
            "links: another host, and a key in the path (the path above it and the query's "
            "parameters must match)",
            keys=frozenset(
                {
                    "url",
                    "spliturl",
                    "page_url",
                    "next_page_url",
                    "previous_page_url",
                    "webviewUrl",
                    "callback_url",
                }
            ),
            same_form=lambda a, b: _url_shape(a) == _url_shape(b),
        ),
        Transformer(
            "timestamps",
            "moments of the server's clock (the layout must match)",
            keys=frozenset(
                {
                    "created_at",
                    "updated_at",
                    "paid_on",
                    "paidOn",
                    "post_date",
                    "refund_requested_at",
                    "transaction_datetime",
                    "datetime",
                    "refund_at",
                }
            ),
            same_form=lambda a, b: _layout(a) == _layout(b),
        ),
        Transformer(
            "sms_receipts",
            "the SMS gateway's receipt (a message id per text; empty stays empty)",
            keys=frozenset({"sms_response"}),
            same_form=lambda a, b: bool(a) == bool(b),
        ),
        Transformer(
            "sessions",
            "a checkout's payment-page session (hex minted per checkout)",
            pairs=frozenset({("data", "response")}),
            same_form=lambda a, b: isinstance(a, str) == isinstance(b, str),
        ),
        Transformer(
            "redacted",
            "secrets the recorder never writes (passwords, access and refresh tokens, shown as [redacted]): "
            "whatever the mock answers there stands, but it must answer something",
        ),
        Transformer(
            "account_totals",
            "counters and sums over everything the account holds, not only what the recording made",
            parents=frozenset({"stats", "order_stats"}),
            pairs=frozenset(
                {("total", "pagination"), ("count", "pagination"), ("total_pages", "pagination")}
            ),
        ),
    )
}


@dataclass(slots=True)
class Difference:
    """One way the mock's answer differs from the recorded one."""

    kind: str
    pointer: str
    recorded: Any
    mock: Any
    detail: str = ""
    #: the cassette's documented gap that explains it (None: unexplained)
    gap: Gap | None = None

    def __post_init__(self) -> None:
        # a report shows no secret the cassettes never hold: the mock's answer has real ones (a
        # type difference holds the two types' names, and its detail is made of shown values)
        if self.kind != "type":
            self.recorded, self.mock = _shown(self.recorded, self.pointer), _shown(self.mock, self.pointer)

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "kind": self.kind,
            "pointer": self.pointer,
            "recorded": self.recorded,
            "mock": self.mock,
        }
        if self.detail:
            out["detail"] = self.detail
        if self.gap is not None:
            out["documented"] = {"why": self.gap["why"], "fidelity": self.gap["fidelity"]}
        return out


@dataclass(slots=True)
class Comparison:
    differences: list[Difference] = field(default_factory=list)
    #: transformer name -> how many values it covered
    transformed: dict[str, int] = field(default_factory=dict)
    #: recorded id / token / key -> the mock's
    ids: dict[str, Any] = field(default_factory=dict)
    #: recorded record id too short to map anywhere (``"5"`` may be a page number) -> the mock's,
    #: mapped only where a record id stands: a segment of a later request's path
    path_ids: dict[str, Any] = field(default_factory=dict)


def json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    return (
        "array" if isinstance(value, list) else "object" if isinstance(value, dict) else type(value).__name__
    )


def _escape(key: str) -> str:
    return key.replace("~", "~0").replace("/", "~1")


def _pad_label(wire: WireFacts) -> str:
    """ "32", "16", "either" (both schemes give this pad) or the wire facts' own scheme name."""
    padding, plain = wire.get("padding"), wire.get("plaintext")
    if padding is None or plain is None:
        return "unknown"
    size, pad = plain["bytes"], padding["length"]
    by_32, by_16 = pad == MAX_PAD - size % MAX_PAD, pad == PKCS7_BLOCK - size % PKCS7_BLOCK
    return "either" if by_32 and by_16 else "32" if by_32 else "16" if by_16 else padding["scheme"]


def compare_wire(
    recorded: WireFacts | None,
    mock: WireFacts | None,
    rec_encrypted: bool,
    mock_encrypted: bool,
    out: Comparison,
) -> None:
    """Encrypted or plain, envelope form, padding, JSON text style."""
    if rec_encrypted != mock_encrypted:
        out.differences.append(
            Difference(
                "envelope",
                "/wire/encrypted",
                rec_encrypted,
                mock_encrypted,
                "one answer is encrypted, the other plain JSON",
            )
        )
        return
    if recorded is None or mock is None:
        return
    if recorded["envelope"] != mock["envelope"]:
        out.differences.append(
            Difference("envelope", "/wire/envelope", recorded["envelope"], mock["envelope"])
        )
    rec_pad, mock_pad = _pad_label(recorded), _pad_label(mock)
    if "either" not in (rec_pad, mock_pad) and rec_pad != mock_pad:
        out.differences.append(
            Difference(
                "padding", "/wire/padding", rec_pad, mock_pad, "the reply is padded to another block size"
            )
        )
    rec_plain, mock_plain = recorded.get("plaintext"), mock.get("plaintext")
    rec_json = rec_plain["json"] if rec_plain else None
    mock_json = mock_plain["json"] if mock_plain else None
    if rec_json and mock_json and rec_json["style"] != mock_json["style"]:
        out.differences.append(
            Difference(
                "json_style",
                "/wire/json_style",
                rec_json["style"],
                mock_json["style"],
                "the JSON text is written differently (escapes, spacing)",
            )
        )


def _shown(value: Any, pointer: str) -> Any:
    """``value`` as a report may show it: under a secret's key, or inside it, ``[redacted]``."""
    if value is not None and is_secret_field(pointer.rsplit("/", 1)[-1]):
        return REDACTED
    return redact(value)


def _transformer(key: str | None, parent: str | None) -> Transformer | None:
    if key is None:
        return None
    return next((t for t in TRANSFORMERS.values() if t.applies(key, parent or "")), None)


def compare_bodies(
    recorded: Any,
    mock: Any,
    out: Comparison,
    pointer: str = "/body",
    key: str | None = None,
    parent: str | None = None,
    container: Any = None,
) -> None:
    """Every difference between two decoded bodies, into ``out``."""
    if recorded == REDACTED and mock is not None and not isinstance(mock, (dict, list)):
        out.transformed["redacted"] = out.transformed.get("redacted", 0) + 1
        return
    rec_type, mock_type = json_type(recorded), json_type(mock)
    if rec_type != mock_type:
        out.differences.append(
            Difference("type", pointer, rec_type, mock_type,
                       f"{_shown(recorded, pointer)!r} vs {_shown(mock, pointer)!r}"[:200])
        )
        return
    transformer = _transformer(key, parent) if rec_type not in ("object", "array") else None
    if transformer is not None:
        if recorded == mock:
            return
        if not transformer.same_form(recorded, mock):
            out.differences.append(
                Difference(
                    "value", pointer, recorded, mock, f"transformer {transformer.name}: not the same form"
                )
            )
            return
        out.transformed[transformer.name] = out.transformed.get(transformer.name, 0) + 1
        # short values ("1", "12") could be anything else in a later request: only real-sized ids map
        # everywhere; a short record id maps in a path (``/invoice/5``), where only an id stands
        if transformer.maps_ids and recorded is not None and len(str(recorded)) >= 4:
            out.ids[str(recorded)] = mock
        elif transformer.name == "ids" and recorded is not None:
            out.path_ids[str(recorded)] = mock
        return
    if rec_type == "object":
        _compare_objects(recorded, mock, out, pointer, key)
    elif rec_type == "array":
        _compare_arrays(recorded, mock, out, pointer, key, parent, container)
    elif recorded != mock:
        out.differences.append(Difference("value", pointer, recorded, mock))


def _compare_objects(
    recorded: dict[str, Any], mock: dict[str, Any], out: Comparison, pointer: str, key: str | None
) -> None:
    for name in recorded:
        if name not in mock:
            out.differences.append(
                Difference(
                    "missing_key",
                    f"{pointer}/{_escape(name)}",
                    recorded[name],
                    None,
                    "the mock's answer lacks this key",
                )
            )
    for name in mock:
        if name not in recorded:
            out.differences.append(
                Difference(
                    "extra_key",
                    f"{pointer}/{_escape(name)}",
                    None,
                    mock[name],
                    "the recorded answer has no such key",
                )
            )
    rec_order = [k for k in recorded if k in mock]
    mock_order = [k for k in mock if k in recorded]
    if rec_order != mock_order:
        out.differences.append(Difference("key_order", pointer or "/", rec_order, mock_order))
    for name in rec_order:
        compare_bodies(recorded[name], mock[name], out, f"{pointer}/{_escape(name)}", name, key, recorded)


def _compare_arrays(
    recorded: list[Any],
    mock: list[Any],
    out: Comparison,
    pointer: str,
    key: str | None,
    parent: str | None,
    container: Any,
) -> None:
    listing = key == "data" and isinstance(container, dict) and "pagination" in container
    for i in range(min(len(recorded), len(mock))):
        compare_bodies(recorded[i], mock[i], out, f"{pointer}/{i}", key, parent, recorded)
    if len(recorded) == len(mock):
        return
    if not listing:
        out.differences.append(Difference("length", pointer, len(recorded), len(mock)))
    elif not recorded or not mock:
        out.differences.append(
            Difference(
                "items",
                pointer,
                len(recorded),
                len(mock),
                "one list page has no row: the rows' shape could not be compared",
            )
        )
