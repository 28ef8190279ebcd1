"""Fault injection: rules that make Hesabe operations slow, fail, or answer in broken ways.

A rule names an operation (or ``"*"``), a ``kind`` and how often it fires::

    {"operation": "get_invoice", "kind": "rate_limit", "probability": 0.5, "seed": 7, "times": 3,
     "retry_after": 2}

Kinds, by when they act:

* before the handler runs, so nothing changes: ``latency`` (``latency_ms`` added, then the
  request proceeds; any rule may also carry ``latency_ms`` this way), ``error_500`` (plain
  ``{"message":"Internal server error occurred"}``), ``rate_limit`` (429 with ``Retry-After``),
  ``drop_connection`` (closed with no reply), ``expired_token`` (401 ``Unauthenticated.`` as if
  the token had expired);
* after the handler ran, so the change has happened: ``malformed_ciphertext`` (the reply's hex
  is damaged: still hex, no longer whole AES blocks) and ``padding_16`` (the reply padded to
  16-byte blocks instead of 32), both on encrypted operations; ``mutate_reply`` (a JSON Patch,
  RFC 6902, applied to the decrypted reply of any operation, and ``http_status`` to change its
  HTTP status: an API that changed a type, a message or a status, or dropped a key; a patch that
  does not apply to a reply leaves it as it was, the journal's ``fault`` says why, and it does not
  count as fired);
* "it happened, but you never heard": ``delay_reply`` (the operation runs and commits, the
  reply waits ``latency_ms``; a client that gives up first is journalled as disconnected) and
  ``drop_after_processing`` (the operation runs and commits, then the connection is closed with
  no reply).

Each rule draws from its own ``random.Random(seed)``, so the same rules and the same request
sequence fire on the same requests every run; with several processes (:class:`SharedFaults`)
too, whichever process serves each request. ``times`` stops a rule after it fired N times.
A loopback client may also force one fault for one request: ``X-Mock-Fault: rate_limit`` (with
optional ``; latency_ms=200`` / ``; retry_after=3`` parameters; ``mutate_reply`` takes
``; http_status=418`` and, last, ``; patch=<the JSON patch>``).
"""

from __future__ import annotations

import asyncio
import json
import random
import threading
from dataclasses import asdict, dataclass, field
from itertools import count
from typing import Any

from hesabe_spec.crypto import PKCS7_BLOCK
from hesabe_spec.operations import OPERATIONS, closest_operation
from mock_server.exchange import Exchange, PipelineHook
from mock_server.json_patch import PatchError, apply_patch, check_patch
from mock_server.protocol import INTERNAL_ERROR, ascii_number
from mock_server.state.shared import SharedState
from mock_server.state.store import BIGINT_MAX, BIGINT_MIN

__all__ = ["FAULT_HEADER", "KINDS", "FaultError", "FaultRule", "Faults", "SharedFaults", "choose",
           "parse_header", "rule_from_json"]

FAULT_HEADER = "x-mock-fault"
#: kinds answered before the handler runs
_ANSWERING = ("error_500", "rate_limit", "drop_connection", "expired_token")
#: kinds that alter the encrypted reply after the handler ran
_ALTERING = ("malformed_ciphertext", "padding_16")
#: kinds that rewrite the decrypted reply after the handler ran (any operation)
_REWRITING = ("mutate_reply",)
#: kinds that let the handler run and commit, then keep the reply from the client
_UNHEARD = ("delay_reply", "drop_after_processing")
#: kinds whose ``latency_ms`` is what they do, not a wait before the request proceeds
_TIMED = ("latency", "delay_reply")
#: statuses an answer carries no body with (h11 refuses to send one): a mutated reply always has one
_BODILESS = frozenset({204, 304})
KINDS: tuple[str, ...] = ("latency", *_ANSWERING, *_ALTERING, *_REWRITING, *_UNHEARD)
_UNAUTHENTICATED = {"message": "Unauthenticated."}
_MAX_LATENCY_MS = 60_000


class FaultError(ValueError):
    """A rule or header that does not make sense; the message says which field and why."""


@dataclass
class FaultRule:
    """One fault rule. ``fired`` counts how often it applied; ``id`` is assigned on add."""

    kind: str
    operation: str = "*"
    probability: float = 1.0
    seed: int | None = None
    times: int | None = None
    latency_ms: int = 0
    #: ``rate_limit``: the Retry-After header's seconds; None sends no Retry-After at all
    retry_after: int | None = 1
    #: ``mutate_reply``: the JSON patch and the HTTP status to answer with instead (None: keep it)
    patch: list[dict[str, Any]] | None = None
    http_status: int | None = None
    id: int = 0
    fired: int = 0
    _rng: random.Random = field(default_factory=random.Random, repr=False, compare=False)
    #: how many times it drew: the n-th draw is the n-th number of ``random.Random(seed)``
    _draws: int = field(default=0, repr=False, compare=False)

    def __post_init__(self) -> None:
        self._rng = random.Random(self.seed)

    def matches(self, operation: str, encrypted: bool, bearer: bool) -> bool:
        if self.operation not in ("*", operation):
            return False
        if self.times is not None and self.fired >= self.times:
            return False
        # Faults that only make sense on an encrypted or authenticated call skip the others,
        # so a "*" rule is not used up by a login.
        if self.kind in _ALTERING and not encrypted:
            return False
        return not (self.kind == "expired_token" and not bearer)

    def roll(self) -> bool:
        """Draw once (always, so a seed gives the same sequence whatever fired before)."""
        self._draws += 1
        return self._rng.random() < self.probability

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data.pop("_rng")
        data.pop("_draws")
        if self.kind not in _REWRITING:
            data.pop("patch")
            data.pop("http_status")
        return data

    def rewrite(self, ex: Exchange) -> bool:
        """Apply ``patch`` and ``http_status`` to the reply (``mutate_reply``); False when the patch
        does not fit this reply, which is then left as it was."""
        if self.patch is not None and ex.body is not None:
            try:
                ex.body = apply_patch(ex.body, self.patch)
            except PatchError as exc:
                ex.fault = f"mutate_reply (not applied: {exc})"
                return False
        if self.http_status is not None:
            ex.status = self.http_status
        return True


def _int(data: dict[str, Any], key: str, default: int | None, low: int, high: int) -> int | None:
    value = data.get(key, default)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise FaultError(f"{key} must be an integer from {low} to {high}, got {value!r}")
    return value


def rule_from_json(data: Any) -> FaultRule:
    """Build a rule from control-plane JSON, refusing unknown fields and bad values."""
    if not isinstance(data, dict):
        raise FaultError("a fault rule must be a JSON object")
    allowed = {"kind", "operation", "probability", "seed", "times", "latency_ms", "retry_after", "patch",
               "http_status"}
    unknown = sorted(set(data) - allowed)
    if unknown:
        raise FaultError(f"unknown field(s) in fault rule: {', '.join(unknown)}")
    kind = data.get("kind")
    if kind not in KINDS:
        raise FaultError(f"kind must be one of {', '.join(KINDS)}, got {kind!r}")
    operation = data.get("operation", "*")
    if operation != "*" and (not isinstance(operation, str) or operation not in OPERATIONS):
        close = closest_operation(str(operation))
        hint = f"did you mean {close!r}? " if close else ""
        raise FaultError(f"unknown operation {operation!r} ({hint}an operation name of GET /_mock, "
                         "or \"*\")")
    probability = data.get("probability", 1.0)
    number = isinstance(probability, (int, float)) and not isinstance(probability, bool)
    if not number or not 0 <= probability <= 1:
        raise FaultError(f"probability must be a number from 0 to 1, got {probability!r}")
    latency = _int(data, "latency_ms", 0, 0, _MAX_LATENCY_MS) or 0
    if kind in _TIMED and latency == 0:
        raise FaultError(f"a {kind} rule needs latency_ms > 0")
    patch, http_status = data.get("patch"), _int(data, "http_status", None, 200, 599)
    if http_status in _BODILESS:
        raise FaultError(f"http_status {http_status} is an answer without a body; a mutated reply has one")
    if kind not in _REWRITING and (patch is not None or http_status is not None):
        raise FaultError("patch and http_status belong to a mutate_reply rule")
    if kind in _REWRITING:
        if patch is None and http_status is None:
            raise FaultError("a mutate_reply rule needs a patch (RFC 6902 JSON Patch) or an http_status")
        if patch is not None:
            try:
                patch = check_patch(patch)
            except PatchError as exc:
                raise FaultError(str(exc)) from None
    return FaultRule(
        kind=kind, operation=operation, probability=float(probability),
        seed=_int(data, "seed", None, BIGINT_MIN, BIGINT_MAX), times=_int(data, "times", None, 1, 10**9),
        latency_ms=latency, retry_after=_int(data, "retry_after", 1, 0, 86_400),
        patch=patch, http_status=http_status,
    )


def parse_header(value: str) -> FaultRule:
    """``X-Mock-Fault: kind[; key=value]...`` as a one-shot rule."""
    head, sep, patch_text = value.partition("patch=")
    kind, *params = [p.strip() for p in head.split(";")]
    data: dict[str, Any] = {"kind": kind}
    if sep:
        if not params or params[-1] != "":
            raise FaultError("X-Mock-Fault: patch=... must be a parameter, after a ';'")
        params.pop()
        try:
            data["patch"] = json.loads(patch_text)
        except (ValueError, RecursionError):
            raise FaultError("X-Mock-Fault: patch= must be a JSON array (RFC 6902 JSON Patch)") from None
    for param in params:
        key, sep, raw = param.partition("=")
        number = ascii_number(raw.strip())
        if not sep or number is None:
            raise FaultError(f"bad X-Mock-Fault parameter {param!r} (expected key=integer)")
        data[key.strip()] = number
    if kind in _TIMED and "latency_ms" not in data:
        raise FaultError(f"X-Mock-Fault: {kind} needs a latency_ms=N parameter")
    return rule_from_json(data)


def _corrupt(data: bytes) -> bytes:
    """Damage the reply's ciphertext but keep it hex inside the same JSON wrapping.

    One hex digit in the middle is flipped and the last byte is cut, so the text still looks
    like Hesabe's (a client takes the decrypt path) but is no whole number of AES blocks: every
    client must fail with a crypto error, never read garbage as data.
    """
    text = data.decode("ascii")
    quoted = text.startswith("{")
    hex_start = text.index('"', text.index(":")) + 1 if quoted else 0
    hex_end = text.index('"', hex_start) if quoted else len(text.rstrip())
    digits = list(text[hex_start:hex_end - 2])
    if digits:
        middle = len(digits) // 2
        digits[middle] = "0" if digits[middle] != "0" else "f"
    return (text[:hex_start] + "".join(digits) + text[hex_end:]).encode("ascii")


def choose(rules: list[FaultRule], operation: str, encrypted: bool,
           bearer: bool) -> tuple[FaultRule | None, int]:
    """Roll every matching rule in order: the first that fires (any kind but ``latency``) and the
    latency to add before the request proceeds; counts what fired."""
    chosen: FaultRule | None = None
    latency = 0
    for rule in rules:
        if not rule.matches(operation, encrypted, bearer) or not rule.roll():
            continue
        if rule.kind == "latency":
            rule.fired += 1
            latency += rule.latency_ms
        elif chosen is None:
            rule.fired += 1
            latency += 0 if rule.kind in _TIMED else rule.latency_ms
            chosen = rule
    return chosen, latency


def _give_back(rules: list[FaultRule], rule_id: int) -> None:
    """Take back one firing of rule ``rule_id`` (its patch fitted no reply)."""
    for rule in rules:
        if rule.id == rule_id and rule.fired:
            rule.fired -= 1


class Faults(PipelineHook):
    """The rule set of one mock server, applied in ``before`` to every Hesabe exchange."""

    def __init__(self, *, header_allowed: Any = None) -> None:
        self._lock = threading.Lock()
        self._rules: list[FaultRule] = []
        self._ids = count(1)
        #: callable(Exchange) -> bool: may this client use the X-Mock-Fault header?
        self._header_allowed = header_allowed or (lambda ex: False)

    # -- rule management --------------------------------------------------------------------
    def add(self, rule: FaultRule) -> FaultRule:
        with self._lock:
            rule.id = next(self._ids)
            self._rules.append(rule)
            return rule

    def rules(self) -> list[FaultRule]:
        with self._lock:
            return list(self._rules)

    def remove(self, rule_id: int) -> bool:
        with self._lock:
            kept = [r for r in self._rules if r.id != rule_id]
            removed = len(kept) != len(self._rules)
            self._rules = kept
            return removed

    def clear(self) -> None:
        with self._lock:
            self._rules = []

    # -- the hook ---------------------------------------------------------------------------
    def _pick(self, ex: Exchange) -> tuple[FaultRule | None, int]:
        """The first rule that fires (any kind but ``latency``) and the latency to add before
        the request proceeds."""
        header = ex.headers.get(FAULT_HEADER)
        if not header and not self.any_rules():
            return None, 0  # the usual case: no fault anywhere
        op = OPERATIONS[ex.operation]
        bearer = op.auth == "bearer"
        if header and self._header_allowed(ex):
            rule = parse_header(header)
            if rule.matches(ex.operation, op.encrypted, bearer):
                rule.fired = 1
                if rule.kind == "latency":
                    return None, rule.latency_ms
                return rule, 0 if rule.kind in _TIMED else rule.latency_ms
            return None, 0
        return self._choose(ex.operation, op.encrypted, bearer)

    def any_rules(self) -> bool:
        """Whether any rule is set (read without the lock: a list is swapped whole)."""
        return bool(self._rules)

    def _choose(self, operation: str, encrypted: bool, bearer: bool) -> tuple[FaultRule | None, int]:
        with self._lock:
            return choose(self._rules, operation, encrypted, bearer)

    def after(self, ex: Exchange) -> None:
        if ex.rewrite is not None:
            ex.rewrite(ex)

    def _rewriting(self, rule: FaultRule) -> Any:
        """``rule``'s rewrite of a reply; a patch that does not fit the reply gives its firing back,
        so ``fired`` and ``times`` count the replies it changed."""
        def rewrite(ex: Exchange) -> None:
            if not rule.rewrite(ex) and rule.id:
                self._unfire(rule.id)
        return rewrite

    def _unfire(self, rule_id: int) -> None:
        with self._lock:
            _give_back(self._rules, rule_id)

    async def before(self, ex: Exchange) -> None:
        try:
            rule, latency = self._pick(ex)
        except FaultError as exc:
            ex.status, ex.body, ex.fault = 400, {"message": f"X-Mock-Fault: {exc}"}, "bad_header"
            return
        if latency:
            ex.fault = "latency"
            await asyncio.sleep(latency / 1000)
        if rule is None:
            return
        ex.fault = rule.kind
        if rule.kind == "error_500":
            ex.status, ex.body = 500, dict(INTERNAL_ERROR)
        elif rule.kind == "rate_limit":
            ex.status, ex.body = 429, {"message": "Too Many Attempts."}
            if rule.retry_after is not None:
                ex.reply_headers["Retry-After"] = str(rule.retry_after)
        elif rule.kind == "drop_connection":
            ex.dropped = True
        elif rule.kind == "expired_token":
            ex.status, ex.body = 401, dict(_UNAUTHENTICATED)
        elif rule.kind == "padding_16":
            ex.block_size = PKCS7_BLOCK
        elif rule.kind == "mutate_reply":
            ex.rewrite = self._rewriting(rule)
        elif rule.kind == "malformed_ciphertext":
            ex.mangle = _corrupt
        elif rule.kind == "delay_reply":
            ex.delay_reply_ms = rule.latency_ms
        elif rule.kind == "drop_after_processing":
            ex.drop_after_processing = True


class SharedFaults(Faults):
    """The rule set every process of one mock shares through its store (``--workers``, hosts).

    The rules, what each fired and how often each drew live in the ``faults`` control document; a
    request that meets a rule rolls it inside one read-modify-write of that document, so ``times``
    holds across processes and a seeded rule's draws are one sequence: the n-th request the rule
    sees, whichever process serves it, gets the n-th number of ``random.Random(seed)``, exactly as
    in one process. Which requests those are follows the order in which the requests reach the
    store (deterministic for a client that sends one request at a time). A request with no rule
    set costs nothing more: the runtime's per-request sync says whether any exist.
    """

    def __init__(self, shared: SharedState, *, header_allowed: Any = None) -> None:
        super().__init__(header_allowed=header_allowed)
        self._shared = shared
        self._present = False
        #: rule id -> (seed, its generator, draws taken from it): the next draw without replaying
        self._generators: dict[int, tuple[int | None, random.Random, int]] = {}

    def load(self, text: str | None) -> None:
        """Note whether the shared document (changed by some process) holds any rule."""
        self._present = bool(text) and bool(json.loads(text or "{}").get("rules"))

    def any_rules(self) -> bool:
        return self._present

    def _rules_of(self, text: str | None) -> tuple[int, list[FaultRule]]:
        doc = json.loads(text) if text else {}
        rules = []
        for data in doc.get("rules", []):
            fields = {k: v for k, v in data.items() if k != "draws"}
            rule = FaultRule(**fields)
            self._position(rule, int(data.get("draws", 0)))
            rules.append(rule)
        return int(doc.get("next_id", 1)), rules

    def _position(self, rule: FaultRule, draws: int) -> None:
        seed, generator, taken = self._generators.get(rule.id, (rule.seed, rule._rng, 0))
        if seed != rule.seed or taken > draws:
            generator, taken = random.Random(rule.seed), 0
        for _ in range(draws - taken):
            generator.random()
        rule._rng, rule._draws = generator, draws

    def _dump(self, next_id: int, rules: list[FaultRule]) -> str:
        for rule in rules:
            self._generators[rule.id] = (rule.seed, rule._rng, rule._draws)
        self._present = bool(rules)
        return json.dumps({"next_id": next_id,
                           "rules": [{**r.to_json(), "draws": r._draws} for r in rules]})

    def _edit(self, edit: Any) -> Any:
        """Run ``edit(next_id, rules) -> (next_id, rules, result)`` on the shared rules, atomically."""
        out: list[Any] = []

        def change(text: str | None) -> str:
            next_id, rules = self._rules_of(text)
            next_id, rules, result = edit(next_id, rules)
            out.append(result)
            return self._dump(next_id, rules)

        self._shared.change_control("faults", change)
        return out[0]

    def add(self, rule: FaultRule) -> FaultRule:
        def edit(next_id: int, rules: list[FaultRule]) -> tuple[int, list[FaultRule], FaultRule]:
            rule.id = next_id
            return next_id + 1, [*rules, rule], rule

        added: FaultRule = self._edit(edit)
        return added

    def rules(self) -> list[FaultRule]:
        return self._rules_of(self._shared.control_documents().get("faults", (0, ""))[1])[1]

    def remove(self, rule_id: int) -> bool:
        def edit(next_id: int, rules: list[FaultRule]) -> tuple[int, list[FaultRule], bool]:
            kept = [r for r in rules if r.id != rule_id]
            return next_id, kept, len(kept) != len(rules)

        removed: bool = self._edit(edit)
        return removed

    def clear(self) -> None:
        self._edit(lambda next_id, _rules: (next_id, [], None))

    def _unfire(self, rule_id: int) -> None:
        def edit(next_id: int, rules: list[FaultRule]) -> tuple[int, list[FaultRule], None]:
            _give_back(rules, rule_id)
            return next_id, rules, None

        self._edit(edit)

    def _choose(self, operation: str, encrypted: bool, bearer: bool) -> tuple[FaultRule | None, int]:
        def edit(next_id: int, rules: list[FaultRule]) -> tuple[int, list[FaultRule], Any]:
            return next_id, rules, choose(rules, operation, encrypted, bearer)

        chosen: tuple[FaultRule | None, int] = self._edit(edit)
        return chosen
