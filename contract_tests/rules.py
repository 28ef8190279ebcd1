"""The contract rules: named functions with one signature, kept in a registry, all run after every call.

A rule is ``rule(exchange: Exchange) -> list[Finding]``; it returns ``[]`` when the call keeps it
or when it does not apply (e.g. ``invalid_rejected`` on a valid call). A new rule is a new
function decorated with :func:`register`, never a new test file.

Lifecycle rules that need more than one call (dashboard stats, findability, pagination, paid vs
cancelled) live in :mod:`contract_tests.lifecycle_checks` and report the same :class:`Finding`.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from contract_tests.exchange import Exchange
from contract_tests.findings import Finding
from contract_tests.mutations import Mutation
from hesabe_spec.amounts import format_amount
from hesabe_spec.crypto import MAX_PAD
from hesabe_spec.enums import GatewayErrorCode, RefundStatus
from hesabe_spec.errors import HesabeError
from hesabe_spec.tolerance import tolerate
from hesabe_spec.validation import validate_request, validate_response
from hesabe_spec.wire import looks_like_hex, redact_reply, without_url_password
from hesabe_spec.wire_facts import pad_scheme

__all__ = ["RULES", "Rule", "register", "run_rules"]

Rule = Callable[[Exchange], list[Finding]]

#: rule name -> rule, in the order they run (and are documented)
RULES: dict[str, Rule] = {}

#: what every success or refusal envelope holds; the payment gateway's have no ``response`` on
#: refusals (``{"status", "code", "message"}``) nor on an enquiry (``data`` and ``results``)
_ENVELOPE_KEYS = {"status", "message", "response"}
_GATEWAY_KEYS = {"status", "message"}


def register(fn: Rule) -> Rule:
    """Add ``fn`` to :data:`RULES` under its function name."""
    if fn.__name__ in RULES:
        raise ValueError(f"rule {fn.__name__!r} registered twice")
    RULES[fn.__name__] = fn
    return fn


def run_rules(exchange: Exchange, rules: dict[str, Rule] | None = None) -> list[Finding]:
    """Every rule's findings for one call, in registry order."""
    found: list[Finding] = []
    for rule in (RULES if rules is None else rules).values():
        found.extend(rule(exchange))
    return found


def _finding(
    ex: Exchange, rule: str, pointer: str, expected: str, actual: Any, where: str = "response"
) -> Finding:
    shown = actual if isinstance(actual, str) else json.dumps(actual, ensure_ascii=False, default=repr)
    if len(shown) > 160:
        shown = shown[:159] + "…"
    return Finding(ex.name, rule, pointer, expected, shown, where)


def _is_plain_refusal(ex: Exchange) -> bool:
    # Hesabe answers auth failures in plain JSON ({"message": "Unauthenticated."}), not encrypted;
    # so do Laravel's throttle ({"message": "Too Many Attempts."}) and its router for a path or a
    # method it does not serve (404, 405), before any keys are known. Whether that refusal was
    # right is the other rules' question (valid_accepted, unauthenticated_rejected ...), asked once.
    return ex.status in (401, 403, 404, 405, 429) and ex.shape == "plain" and isinstance(ex.envelope, dict)


def _hex_of(ex: Exchange) -> str | None:
    text = ex.body.decode("utf-8", errors="replace").strip()
    if ex.shape == "bare":
        return text
    try:
        outer = json.loads(text)
    except ValueError:
        return None
    if ex.shape == "json-string" and isinstance(outer, str):
        return outer.strip()
    if ex.shape == "response" and isinstance(outer, dict):
        inner = outer.get("response")
        return inner.strip() if isinstance(inner, str) else None
    return None


# ------------------------------------------------------------------------------------------ rules


@register
def no_server_error(ex: Exchange) -> list[Finding]:
    """No call, however wrong its input, may produce a 5xx (said with what its body began with)."""
    if ex.status >= 500:
        return [_finding(ex, "no_server_error", "", "an HTTP status below 500",
                         f"HTTP {ex.status}{_body_excerpt(ex)}")]
    return []


#: how much of an unexpected body a finding quotes
_EXCERPT = 100


def _body_excerpt(ex: Exchange) -> str:
    """``" (text/html): <!DOCTYPE html>..."``: the Content-Type and the start of a body, to tell
    a framework's error page from the API's own answer. A JSON body is shown redacted (as the
    report shows every answer); any other text with its runs of whitespace collapsed and the user
    info of a URL in it hidden."""
    ctype = next((v for k, v in ex.headers.items() if k.lower() == "content-type"), "")
    if isinstance(ex.envelope, dict | list):
        text = json.dumps(redact_reply(ex.envelope), ensure_ascii=False)
    else:
        start = ex.body[: _EXCERPT * 4].decode("utf-8", errors="replace")
        text = without_url_password(" ".join(start.split()))
    if not text:
        return f" ({ctype}), empty body" if ctype else ", empty body"
    text = text if len(text) <= _EXCERPT else text[: _EXCERPT - 1] + "…"
    return f" ({ctype}): {text}" if ctype else f": {text}"


@register
def envelope_shape(ex: Exchange) -> list[Finding]:
    """Encrypted operations answer ``{"response": hex}`` or bare hex that decrypts with the
    merchant keys and holds ``{"status", "message", "response"}`` (the gateway's: ``{"status",
    "message"}`` and more); login/refresh, the enquiry and the void answer plain JSON."""
    rule = "envelope_shape"
    if ex.decode_error is not None:
        return [
            _finding(
                ex,
                rule,
                "",
                "a body that decodes (hex decrypting with the merchant keys, or JSON)",
                ex.decode_error,
            )
        ]
    found: list[Finding] = []
    if ex.operation.encrypted and not _is_plain_refusal(ex):
        if ex.shape not in ("response", "bare"):
            found.append(
                _finding(
                    ex, rule, "", 'an encrypted body: {"response": "<hex>"} or bare hex', f"{ex.shape} body"
                )
            )
    elif not ex.operation.encrypted and ex.shape != "plain":
        found.append(_finding(ex, rule, "", "a plain JSON body", f"{ex.shape} body"))
    env = ex.envelope
    if not isinstance(env, dict):
        return [*found, _finding(ex, rule, "", "a JSON object", env)]
    if _is_plain_refusal(ex) or set(env) == {"message"}:
        return found  # the documented bare {"message": ...} refusal
    wanted = _GATEWAY_KEYS if ex.operation.host == "gateway" else _ENVELOPE_KEYS
    if not set(env) >= wanted or not isinstance(env.get("status"), bool):
        shown = ", ".join(f'"{k}"' for k in sorted(wanted))
        found.append(_finding(ex, rule, "", f"an envelope {{{shown}}} with a boolean status", sorted(env)))
    return found


@register
def response_padding(ex: Exchange) -> list[Finding]:
    """The server pads responses to 32-byte blocks (pad 1..32), never 16-byte PKCS#7 (hesabe-api §B.2)."""
    hex_text = _hex_of(ex) if ex.operation.encrypted and ex.decode_error is None else None
    if not hex_text or not looks_like_hex(hex_text):
        return []
    size = len(hex_text) // 2
    try:
        plaintext = ex.keys.decrypt(hex_text)
    except HesabeError:
        return []  # envelope_shape reports undecryptable bodies
    pad = size - len(plaintext)
    if size % MAX_PAD or not 1 <= pad <= MAX_PAD:  # the server's block is the largest pad
        how = _PAD_SCHEMES.get(pad_scheme(plaintext, pad), "")
        return [
            _finding(
                ex,
                "response_padding",
                "",
                "32-byte block padding (ciphertext length a multiple of 32)",
                f"{size}-byte ciphertext, pad {pad}" + (f": {how}" if how else ""),
            )
        ]
    return []


@register
def response_hex_lowercase(ex: Exchange) -> list[Finding]:
    """The server writes its ciphertext as PHP's ``bin2hex`` does: lower-case hex (hesabe-api §2.4)."""
    hex_text = _hex_of(ex) if ex.operation.encrypted and ex.decode_error is None else None
    if not hex_text or not looks_like_hex(hex_text) or hex_text == hex_text.lower():
        return []
    return [_finding(ex, "response_hex_lowercase", "", "lower-case hex (PHP's bin2hex)",
                     "upper-case hex" if hex_text == hex_text.upper() else "mixed-case hex")]


#: what a wrong pad of an answer is, in words (hesabe_spec.wire_facts.pad_scheme)
_PAD_SCHEMES = {
    "pkcs7-16": "standard 16-byte PKCS#7 (most libraries' default), not Hesabe's 32-byte blocks",
    "utf16-16": "16-byte blocks counted in UTF-16 units, not bytes",
    "utf16-32": "32-byte blocks counted in UTF-16 units, not bytes",
    "characters-16": "16-byte blocks counted in characters, not bytes",
    "characters-32": "32-byte blocks counted in characters, not bytes",
}


@register
def response_schema(ex: Exchange) -> list[Finding]:
    """The decrypted body validates against the operation's response schema."""
    if not isinstance(ex.envelope, dict):
        return []
    return [
        _finding(ex, "response_schema", v.pointer, v.expected, v.actual)
        for v in validate_response(ex.name, ex.envelope)
    ]


@register
def success_message(ex: Exchange) -> list[Finding]:
    """A success carries the literal message of the operation table (the fidelity register)."""
    env = ex.envelope
    if not (isinstance(env, dict) and env.get("status") is True):
        return []
    expected = ex.operation.success_message
    if env.get("message") != expected:
        return [_finding(ex, "success_message", "/message", json.dumps(expected), env.get("message"))]
    return []


@register
def success_status(ex: Exchange) -> list[Finding]:
    """A success (``status`` true) comes with HTTP 200: every Hesabe success does, and a client may
    check the status line before the body."""
    env = ex.envelope
    if isinstance(env, dict) and env.get("status") is True and ex.status != 200:
        return [_finding(ex, "success_status", "/status", "HTTP 200 (a success)", f"HTTP {ex.status}")]
    return []


@register
def valid_accepted(ex: Exchange) -> list[Finding]:
    """A schema-valid payload on an existing resource is accepted (HTTP < 400, status true)."""
    if ex.intent != "valid" or ex.accepted:
        return []
    env = ex.envelope if isinstance(ex.envelope, dict) else {}
    got = {
        "http": ex.status,
        "status": env.get("status"),
        "message": env.get("message"),
        "response": env.get("response"),
    }
    return [_finding(ex, "valid_accepted", "/status", "true (the payload is valid)", got)]


#: Laravel's answer to a bearer it does not accept
_UNAUTHENTICATED = {"message": "Unauthenticated."}


@register
def bearer_honoured(ex: Exchange) -> list[Finding]:
    """The session's bearer token is accepted for as long as its login said (``expires_in``): a
    401 before that names the cause once, where every call it refused is a ``valid_accepted`` or
    ``invalid_rejected`` finding of its own operation."""
    lived = ex.context.get("bearer_lived")
    if ex.status != 401 or not lived or ex.envelope != _UNAUTHENTICATED:
        return []  # another 401 (a wrong accessCode's "Invalid Signature.") says nothing of the token
    age, expires_in = lived
    if age >= expires_in:
        return []
    return [_finding(ex, "bearer_honoured", "", f"the bearer accepted for expires_in = {expires_in:g} s",
                     f"HTTP 401 {age:.0f} s after it was issued")]


def _error_keys(env: Any) -> list[str]:
    """Field-error keys: under ``response`` (Merchant API) or ``data`` (payment gateway)."""
    if not isinstance(env, dict):
        return []
    keys: list[str] = []
    for where in ("response", "data"):
        errors = env.get(where)
        if isinstance(errors, dict):
            keys += [k for k, v in errors.items() if isinstance(v, list)]
    return keys


@register
def invalid_rejected(ex: Exchange) -> list[Finding]:
    """A payload breaking exactly one rule is refused with a field error naming the broken field;
    unless the Merchant API tolerates the break (:mod:`hesabe_spec.tolerance`): an amount with
    float drift is then refused as a whole (code 506), and a value the server reads anyway (an
    empty optional value, a 2-decimal amount, an unusable page) is accepted, with an integration
    finding at its pointer on a mock that reports them; a URL target may answer either way."""
    if ex.intent != "invalid" or ex.mutation is None:
        return []
    m = ex.mutation
    if ex.operation.host == "merchant_api":
        tolerated = tolerate(ex.name, m.payload)
        if tolerated.invalid_data:
            return _invalid_data_expected(ex)
        if tolerated.notes and not validate_request(ex.name, tolerated.payload):
            return _tolerance_expected(ex)
    elif m.kind == "unknown":
        # the gateway ignores a member it does not define too (a checkout notes it); a URL target
        # may answer either way
        if ex.accepted or "mock_findings" not in ex.context:
            return []
        expected = f"acceptance: the gateway ignores it ({m.describe()})"
        return [_finding(ex, "invalid_rejected", m.pointer, expected, {"http": ex.status}, where="request")]
    if ex.accepted:
        return [
            _finding(
                ex,
                "invalid_rejected",
                m.pointer,
                f"a refusal ({m.describe()})",
                f"accepted: HTTP {ex.status}, status true",
                where="request",
            )
        ]
    keys = _error_keys(ex.envelope)
    dotted = m.dotted_key
    if _names_field(keys, m):
        return []
    return [
        _finding(
            ex,
            "invalid_rejected",
            "/response",
            f"a field error keyed {dotted!r} ({m.describe()})",
            {
                "http": ex.status,
                "error keys": keys,
                "message": ex.envelope.get("message") if isinstance(ex.envelope, dict) else None,
            },
        )
    ]


def _names_field(keys: list[str], m: Mutation) -> bool:
    """Whether field-error keys name the field ``m`` broke (``invoices.0.amount``, ``amount``)."""
    return any(k == m.dotted_key or k == m.field or k.endswith("." + m.field) for k in keys)


def _invalid_data_expected(ex: Exchange) -> list[Finding]:
    env = ex.envelope if isinstance(ex.envelope, dict) else {}
    if not ex.accepted and env.get("code") == GatewayErrorCode.INVALID_REQUEST_DATA:
        return []
    assert ex.mutation is not None
    got = {"http": ex.status, "status": env.get("status"), "code": env.get("code"),
           "message": env.get("message")}
    return [_finding(ex, "invalid_rejected", "/code",
                     f"506 Invalid Request Data for the whole request ({ex.mutation.describe()})", got)]


def _tolerance_expected(ex: Exchange) -> list[Finding]:
    assert ex.mutation is not None
    reported = ex.context.get("mock_findings")
    if reported is None:
        return []  # a server that does not report findings may accept or refuse a tolerated value
    m = ex.mutation
    if not ex.accepted:
        env = ex.envelope if isinstance(ex.envelope, dict) else {}
        if not _names_field(_error_keys(env), m) and env.get("code") != GatewayErrorCode.INVALID_REQUEST_DATA:
            return []  # refused by a rule of the data (items short of the new amount ...), not this value
        return [_finding(ex, "invalid_rejected", m.pointer,
                         f"acceptance: the real server tolerates this ({m.describe()})",
                         {"http": ex.status, "code": env.get("code"), "error keys": _error_keys(env)},
                         where="request")]
    if any(str(f.get("pointer", "")).startswith(m.pointer) for f in reported if isinstance(f, dict)):
        return []
    return [_finding(ex, "invalid_rejected", m.pointer,
                     f"an integration finding at {m.pointer} for the tolerated value ({m.describe()})",
                     {"findings": reported}, where="request")]


@register
def refusal_honoured(ex: Exchange) -> list[Finding]:
    """What the lifecycle forbids (cancel a paid invoice, reuse a rotated refresh token) is refused,
    with the operation's verified refusal message where it has one (``Operation.refused_message``)."""
    if ex.intent != "refused":
        return []
    if not ex.accepted:
        wanted = ex.operation.refused_message
        said = ex.envelope.get("message") if isinstance(ex.envelope, dict) else None
        if wanted is None or said == wanted:
            return []
        return [_finding(ex, "refusal_honoured", "/message", json.dumps(wanted),
                         f"{json.dumps(said)} (HTTP {ex.status}): {ex.context.get('why', '')}".rstrip(": "))]
    return [
        _finding(
            ex,
            "refusal_honoured",
            "/status",
            "false (the lifecycle forbids this call)",
            f"HTTP {ex.status}, status true: {ex.context.get('why', '')}".rstrip(": "),
        )
    ]


@register
def unauthenticated_rejected(ex: Exchange) -> list[Finding]:
    """No bearer, a bad bearer or an expired bearer: HTTP 401, nothing done. On the payment
    gateway, an unknown accessCode: HTTP 401 with code 501 "Invalid Merchant"."""
    if ex.intent != "unauthenticated":
        return []
    why = ex.context.get("why", "bad bearer")
    if ex.status != 401:
        return [_finding(ex, "unauthenticated_rejected", "", f"HTTP 401 ({why})", f"HTTP {ex.status}")]
    code = ex.envelope.get("code") if isinstance(ex.envelope, dict) else None
    if ex.operation.host == "gateway" and code != GatewayErrorCode.INVALID_MERCHANT:
        return [_finding(ex, "unauthenticated_rejected", "/code", f"501 ({why})", code)]
    return []


@register
def token_rotation(ex: Exchange) -> list[Finding]:
    """Login/refresh success carries a Bearer token pair; a refresh issues tokens unlike the old ones."""
    if ex.operation.kind != "auth" or not ex.accepted:
        return []
    token = ex.response.get("token") if isinstance(ex.response, dict) else None
    if not isinstance(token, dict) or not token.get("access_token") or not token.get("refresh_token"):
        return [_finding(ex, "token_rotation", "/response/token", "an access and a refresh token", token)]
    old = ex.context.get("old_tokens") or {}
    same = [k for k in ("access_token", "refresh_token") if old.get(k) and old.get(k) == token.get(k)]
    if same:
        return [
            _finding(
                ex,
                "token_rotation",
                f"/response/token/{same[0]}",
                "a new token after refresh",
                "the same token again",
            )
        ]
    return []


# -------------------------------------------------------------- rules that hold on one list response
# Each reads one response only, so it holds on any server at any moment: two calls would race the
# other users of a shared sandbox. Each was checked against seed 003's real body first.

_COUNTERS = ("invoice_paid", "invoice_not_paid", "invoice_cancelled")


def _count(value: Any) -> int | None:
    """A dashboard counter as a number: null (no rows) is 0; anything unreadable is None."""
    if value is None:
        return 0
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


@register
def stats_add_up(ex: Exchange) -> list[Finding]:
    """In ``stats`` and in ``order_stats``, the total is paid + unpaid + cancelled."""
    if ex.name != "list_invoices" or not ex.accepted or not isinstance(ex.response, dict):
        return []
    found = []
    for block in ("stats", "order_stats"):
        stats = ex.response.get(block)
        if not isinstance(stats, dict):
            continue  # response_schema reports a missing block
        total, parts = _count(stats.get("total_invoice_count")), [_count(stats.get(k)) for k in _COUNTERS]
        if total is None or None in parts:
            continue  # response_schema reports an unreadable counter
        if total != sum(p for p in parts if p is not None):
            shown = {k: stats.get(k) for k in ("total_invoice_count", *_COUNTERS)}
            found.append(_finding(ex, "stats_add_up", f"/response/{block}/total_invoice_count",
                                  "the sum of paid, not paid and cancelled", shown))
    return found


def _unfiltered(ex: Exchange) -> bool:
    sent = set(ex.payload) if isinstance(ex.payload, dict) else set()
    return not (sent - {"merchantCode", "page"}) and not (set(ex.params) - {"page"})


@register
def stats_match_pagination(ex: Exchange) -> list[Finding]:
    """Unfiltered, the dashboard's ``stats`` total is its list's ``pagination.total`` (stats ignore the
    filters, so only an unfiltered list can be compared; orders are in neither)."""
    if ex.name != "list_invoices" or not ex.accepted or not _unfiltered(ex):
        return []
    if not isinstance(ex.response, dict):
        return []
    stats, invoices = ex.response.get("stats"), ex.response.get("invoices")
    pagination = invoices.get("pagination") if isinstance(invoices, dict) else None
    if not isinstance(stats, dict) or not isinstance(pagination, dict):
        return []
    total, listed = stats.get("total_invoice_count"), pagination.get("total")
    if isinstance(total, int) and isinstance(listed, int) and total != listed:
        return [_finding(ex, "stats_match_pagination", "/response/invoices/pagination/total",
                         f"{total} (stats.total_invoice_count of the same unfiltered answer)", listed)]
    return []


def _pagination(ex: Exchange) -> tuple[str, dict[str, Any]] | None:
    response = ex.response if isinstance(ex.response, dict) else {}
    for pointer, holder in (("/response/pagination", response), ("/response/invoices/pagination",
                                                                  response.get("invoices"))):
        block = holder.get("pagination") if isinstance(holder, dict) else None
        if isinstance(block, dict):
            return pointer, block
    return None


@register
def page_counts_consistent(ex: Exchange) -> list[Finding]:
    """A page's ``count`` fits ``per_page``, its page number and the ``total``: full pages before the
    last, the rest on the last, none after; ``total_pages`` and the next/previous links agree."""
    if ex.operation.kind != "read" or not ex.accepted:
        return []
    located = _pagination(ex)
    if located is None:
        return []
    pointer, p = located
    numbers = [p.get(k) for k in ("total", "count", "per_page", "current_page", "total_pages")]
    ints = [n for n in numbers if isinstance(n, int) and not isinstance(n, bool)]
    if len(ints) != len(numbers) or not p["per_page"]:
        return []  # response_schema reports missing or mistyped members
    total, count, per_page, page, pages = ints
    pages_expected = -(-total // per_page)
    expected = min(per_page, max(0, total - per_page * (page - 1)))
    problems: list[tuple[str, str, Any]] = []
    if pages != pages_expected and not (total == 0 and pages == 1):
        problems.append(("total_pages", f"ceil(total / per_page) = {pages_expected}", pages))
    if count != expected:
        # one answer cannot say which of the two is wrong: the rows counted or the total
        problems.append(("count", f"{expected} (page {page} of {total} at {per_page} a page; or the total "
                                  "is what is off)", count))
    if (p.get("next_page_url") is None) != (page >= pages):
        problems.append(("next_page_url", "a link exactly when a later page exists", p.get("next_page_url")))
    if (p.get("previous_page_url") is None) != (page <= 1):
        problems.append(("previous_page_url", "a link exactly when page > 1", p.get("previous_page_url")))
    return [_finding(ex, "page_counts_consistent", f"{pointer}/{key}", want, got)
            for key, want, got in problems]


def _fils(value: Any) -> int | None:
    """A 3-decimal money string as whole fils; None if it is not one."""
    text = value if isinstance(value, str) else ""
    whole, dot, frac = text.partition(".")
    if not (whole.isdigit() and dot and len(frac) == 3 and frac.isdigit()):
        return None
    return int(whole) * 1000 + int(frac)


_REFUND_AMOUNTS = ("pending", "approved", "rejected")
#: a refund's ``status`` -> the stats key it counts under (every other value is a rejection)
_REFUND_STATUS_WORDS: dict[Any, str] = {RefundStatus.PENDING.value: "pending",
                                        RefundStatus.APPROVED.value: "approved"}


@register
def refund_stats_add_up(ex: Exchange) -> list[Finding]:
    """The refund list's stats add up: the total amount is pending + approved + rejected; and
    an unfiltered list that fits on one page holds exactly the counted requests, whose amounts by
    status (0 pending, 1 approved, anything else rejected) are the stats' amounts."""
    response = ex.response if ex.name == "list_refunds" and ex.accepted else None
    stats = response.get("stats") if isinstance(response, dict) else None
    if not isinstance(stats, dict):
        return []
    rule, base = "refund_stats_add_up", "/response/stats/"
    parts = {k: _fils(stats.get(f"{k}_total_refund_request_amount") or "0.000") for k in _REFUND_AMOUNTS}
    total = _fils(stats.get("total_refund_request_amount") or "0.000")
    if total is None or None in parts.values():
        return []  # response_schema reports amounts that are not 3-decimal strings
    found = []
    if total != sum(p for p in parts.values() if p is not None):
        found.append(_finding(ex, rule, base + "total_refund_request_amount",
                              "pending + approved + rejected amounts", stats))
    block = response.get("refund_request_list") if isinstance(response, dict) else None
    rows = block.get("data") if isinstance(block, dict) else None
    pagination = block.get("pagination") if isinstance(block, dict) else None
    filtered = any(ex.payload.get(k) for k in ("search", "fromDate", "toDate")) if isinstance(
        ex.payload, dict) else True
    if filtered or not isinstance(rows, list) or not isinstance(pagination, dict):
        return found
    if pagination.get("current_page") != 1 or pagination.get("next_page_url") is not None:
        return found  # the rows are not all here
    if len(rows) != stats.get("total_refund_request_count"):
        found.append(_finding(ex, rule, base + "total_refund_request_count",
                              f"{len(rows)} (the rows listed)", stats.get("total_refund_request_count")))
    by_status = dict.fromkeys(_REFUND_AMOUNTS, 0)
    for row in rows:
        amount = _fils(row.get("amount")) if isinstance(row, dict) else None
        if amount is None:
            return found  # response_schema reports the row
        by_status[_REFUND_STATUS_WORDS.get(row.get("status"), "rejected")] += amount
    for key, value in by_status.items():
        if value != parts[key]:
            found.append(_finding(ex, rule, f"{base}{key}_total_refund_request_amount",
                                  f"{format_amount(Decimal(value).scaleb(-3))} (the {key} rows' amounts)",
                                  stats.get(f"{key}_total_refund_request_amount")))
    return found
