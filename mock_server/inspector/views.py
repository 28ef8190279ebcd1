"""``/_mock/ui``: the inspector's pages, server-rendered, behind the control plane's guard.

* ``/_mock/ui``: traffic, newest first, filterable; new exchanges arrive by polling
  ``/_mock/ui/traffic?after=<seq>`` (a cursor: a poll that finds nothing new costs one comparison
  in the journal), each row opening ``/_mock/ui/exchanges/{seq}`` beside the list;
* ``/_mock/ui/records``: a merchant's records, family by family (:mod:`.families`), with the
  control plane's actions as buttons;
* ``/_mock/ui/state``: the clock, fault rules, webhook deliveries (with redeliver).

Every page is plain HTML with one same-origin script and one stylesheet (no inline script or
style: the Content-Security-Policy forbids both). Buttons call the ordinary control-plane
endpoints with the process's control token in ``X-Mock-Token``. Nothing is kept per viewer:
the journal and the delivery log are already bounded, and each answer is capped (``_MAX_ROWS``).
``?part=1`` answers a page's ``<main>`` alone, which the script swaps in after an action.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from functools import cache
from importlib import resources
from typing import Any
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import BaseRoute

from hesabe_spec.operations import OPERATIONS
from mock_server.control.http import ControlError, ControlJSON, Handler, digits, int_param, table_routes
from mock_server.faults import KINDS, FaultRule
from mock_server.findings import CATALOG
from mock_server.inspector.families import FAMILIES, Action, Family, Row
from mock_server.inspector.labels import DIRECTION, label
from mock_server.inspector.snippets import curl_snippet, python_snippet, visible
from mock_server.merchants import Merchant
from mock_server.pages.render import esc
from mock_server.runtime import MockRuntime
from mock_server.webhooks.log import without_secrets

__all__ = ["HEADERS", "PREFIX", "inspector_routes"]

PREFIX = "/_mock/ui"
#: the most rows one traffic answer carries (the page keeps as many)
_MAX_ROWS = 200
#: the pages' headers: scripts and styles from the mock itself only, never framed, and a
#: referrer policy that keeps the Origin header on the page's own requests
HEADERS = {
    "Content-Security-Policy": "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; "
                               "img-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}
_LANG = "en"


def _t(key: str) -> str:
    return esc(label(_LANG, key))


@cache
def _asset(name: str) -> str:
    return resources.files("mock_server").joinpath("templates", name).read_text(encoding="utf-8")


def _page(mock: MockRuntime, request: Request, view: str, main: str, status: int = 200) -> Response:
    if request.query_params.get("part") == "1":
        return HTMLResponse(main, status, headers=HEADERS)
    current = ' aria-current="page"'
    nav = "".join(
        f'<a href="{PREFIX}{path}"{current if key == view else ""}>{_t(key)}</a>'
        for key, path in (("traffic", ""), ("records", "/records"), ("state", "/state")))
    document = (
        f'<!DOCTYPE html><html lang="{_LANG}" dir="{DIRECTION[_LANG]}"><head><meta charset="utf-8">'
        f'<meta name="viewport" content="width=device-width, initial-scale=1">'
        f'<meta name="robots" content="noindex"><meta name="mock-token" content="{esc(mock.control_token)}">'
        f'<title>{_t(view)} · {_t("title")}</title>'
        f'<link rel="stylesheet" href="{PREFIX}/inspector.css">'
        f'<link rel="icon" href="{PREFIX}/icon.svg" type="image/svg+xml">'
        f'<script src="{PREFIX}/inspector.js" defer></script></head>'
        f'<body data-view="{esc(view)}"><header><strong>{_t("title")}</strong>'
        f'<nav aria-label="{_t("nav")}">{nav}</nav></header>'
        f'<p id="flash" role="status" aria-live="polite" tabindex="-1"></p>'
        f'<main id="main">{main}</main></body></html>')
    return HTMLResponse(document, status, headers=HEADERS)


def _select(name: str, options: list[tuple[str, str]], chosen: str | None, label_key: str) -> str:
    opts = "".join(f'<option value="{esc(v)}"{" selected" if v == chosen else ""}>{esc(text)}</option>'
                   for v, text in options)
    return (f'<label for="f-{esc(name)}">{_t(label_key)}</label>'
            f'<select id="f-{esc(name)}" name="{esc(name)}">{opts}</select>')


# -- traffic -------------------------------------------------------------------------------------
def _filters(request: Request) -> dict[str, Any]:
    q = request.query_params
    status = (q.get("status") or "").strip().lower()
    if status and not ((status.isdigit() and len(status) == 3)
                       or (len(status) == 3 and status[0].isdigit() and status[1:] == "xx")):
        raise ControlError(400, f"status must be a code (404) or a class (4xx), got {status!r}")
    operation = q.get("operation") or None
    if operation is not None and operation not in OPERATIONS and operation != "unrouted":
        raise ControlError(400, f"no operation {operation!r}")
    return {"operation": operation, "status": status or None, "merchant_code": q.get("merchant") or None,
            "with_findings": q.get("findings") == "1"}


def _query_of(filters: dict[str, Any]) -> str:
    shown = {"operation": filters["operation"], "status": filters["status"],
             "merchant": filters["merchant_code"], "findings": "1" if filters["with_findings"] else None}
    return urlencode({k: v for k, v in shown.items() if v})


def _stamp(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).strftime("%H:%M:%S.%f")[:-3]


def _row(s: dict[str, Any]) -> str:
    severity = s["severity"]
    css = f' class="sev-{severity}"' if severity else ""
    count = s["findings"]
    found = (f'<span class="badge {esc(severity)}" title="{esc(severity)}">{count} '
             f'{_t("finding_one" if count == 1 else "finding_many")}</span>' if count else "")
    fault = f'<span class="badge fault">{esc(s["fault"])}</span>' if s["fault"] else ""
    status = s["status"] if s["status"] is not None else s["delivery"]
    return (f'<tr data-seq="{s["seq"]}" data-operation="{esc(s["operation"])}"{css}>'
            f'<td><a href="{PREFIX}/exchanges/{s["seq"]}" data-detail '
            f'aria-label="{_t("exchange")} #{s["seq"]}: {esc(s["method"])} {esc(s["operation"])}, '
            f'{esc(status)}">#{s["seq"]}</a></td>'
            f'<td>{esc(_stamp(s["started"]))}</td><td>{esc(s["method"])}</td>'
            f'<td class="op">{esc(s["operation"])}<br><small>{esc(s["path"])}</small></td>'
            f'<td class="status s{str(status)[:1]}">{esc(status)}</td>'
            f'<td>{esc(s["merchant_code"] or "")}</td>'
            f'<td>{found}{fault}</td><td class="num">{s["duration_ms"]:.1f}</td></tr>')


def _merchant_options(mock: MockRuntime) -> list[tuple[str, str]]:
    return [(m.merchant_code, f"{m.merchant_code} {m.name}") for m in mock.merchants.merchants]


def _since(mock: MockRuntime, after: int, filters: dict[str, Any]) -> tuple[int, list[dict[str, Any]], bool]:
    """The matching summaries after ``after`` (at most one answer's), the cursor for the next poll
    (what was recorded before looking, or the newest row shown if one arrived meanwhile: never a
    row twice), and whether more matched than the answer carries (its rows are then one link away)."""
    recorded = mock.journal.recorded
    found = mock.journal.recent(after, _MAX_ROWS + 1, **filters)
    cut = len(found) > _MAX_ROWS
    found = found[:_MAX_ROWS]
    return max(recorded, after, found[0]["seq"] if found else 0), found, cut


def _older_link(found: list[dict[str, Any]], filters: dict[str, Any], cut: bool) -> str:
    """A link to the exchanges older than the oldest row shown, when the list was cut."""
    if not cut or not found:
        return ""
    query = "&".join(part for part in (f"before={found[-1]['seq']}", _query_of(filters)) if part)
    return f'<p class="older"><a id="older" href="{PREFIX}?{esc(query)}">{_t("older")}</a></p>'


def traffic_page(mock: MockRuntime, request: Request, _body: Any) -> Any:
    """The traffic list (server-rendered once; the script then polls for newer rows), or with
    ``?before=<seq>`` the exchanges older than that, a still page that links to older ones yet."""
    filters = _filters(request)
    before_text = request.query_params.get("before")
    if before_text is not None:
        before = digits(before_text, "before", "a sequence number")
        found = mock.journal.recent(0, _MAX_ROWS + 1, before=before, **filters)
        older, found = len(found) > _MAX_ROWS, found[:_MAX_ROWS]
        rows = "".join(_row(s) for s in found) or f'<tr class="empty"><td colspan="8">{_t("none")}</td></tr>'
        back = f'<p><a href="{PREFIX}?{esc(_query_of(filters))}">{_t("newest")}</a></p>'
        table = (f'<table id="traffic-older"><caption>{_t("older_than")} #{before}</caption>'
                 f'<thead><tr>{_traffic_head()}</tr></thead><tbody>{rows}</tbody></table>')
        listing = back + table + _older_link(found, filters, older)
        return _page(mock, request, "traffic", _traffic_split(listing))
    cursor, found, cut = _since(mock, 0, filters)
    rows = "".join(_row(s) for s in found)
    empty = f'<tr class="empty"><td colspan="8">{_t("no_traffic")}</td></tr>' if not rows else ""
    ops = [("", label(_LANG, "any")), *((name, name) for name in OPERATIONS)]
    merchants = [("", label(_LANG, "any")), *_merchant_options(mock)]
    checked = " checked" if filters["with_findings"] else ""
    form = (f'<form class="filters" method="get" action="{PREFIX}" aria-label="{_t("filters")}">'
            f'{_select("operation", ops, filters["operation"] or "", "operation")}'
            f'<label for="f-status">{_t("status")}</label><input id="f-status" name="status" size="5" '
            f'placeholder="{_t("status_hint")}" value="{esc(filters["status"] or "")}">'
            f'{_select("merchant", merchants, filters["merchant_code"] or "", "merchant")}'
            f'<label class="check"><input type="checkbox" name="findings" value="1"{checked}> '
            f'{_t("has_findings")}</label><button type="submit">{_t("apply")}</button></form>')
    table = (f'<table id="traffic" data-cursor="{cursor}" data-epoch="{esc(mock.journal.epoch)}" '
             f'data-skipped="{esc(_t("skipped"))}" '
             f'data-filters="{esc(_query_of(filters))}" data-max="{_MAX_ROWS}">'
             f'<caption>{_t("live")}</caption><thead><tr>{_traffic_head()}</tr></thead>'
             f'<tbody>{empty}{rows}</tbody></table>')
    pause = (f'<button type="button" id="pause" aria-pressed="false" data-pause="{esc(_t("pause"))}" '
             f'data-resume="{esc(_t("resume"))}">{_t("pause")}</button>')
    listing = form + pause + table + _older_link(found, filters, cut)
    return _page(mock, request, "traffic", _traffic_split(listing))


def _traffic_head() -> str:
    return "".join(f"<th>{_t(k)}</th>" for k in ("seq", "time", "method", "operation", "status", "merchant",
                                                  "findings", "duration"))


def _traffic_split(listing: str) -> str:
    """The traffic view: the list and, beside it, the pane an opened exchange goes into."""
    return (f'<div class="split"><section class="list"><h1>{_t("traffic")}</h1>{listing}</section>'
            f'<section id="detail" class="detail" aria-live="polite" tabindex="-1"></section></div>')


def traffic_since(mock: MockRuntime, request: Request, _body: Any) -> Any:
    """``?after=<seq>&epoch=<the journal's>`` (+ the page's filters): the newer rows as HTML, and
    the next cursor. A cursor of another epoch (the mock restarted and numbers from 1 again) is
    answered from the start with ``"reset": true``: the page drops the rows it holds."""
    after = digits(request.query_params.get("after", "0"), "after", "a sequence number")
    epoch = request.query_params.get("epoch")
    reset = epoch is not None and epoch != mock.journal.epoch
    # cut: more matched than one answer carries; the matching rows older than "oldest" down to
    # the cursor were not sent (the page links to them: ?before=oldest)
    cursor, found, cut = _since(mock, 0 if reset else after, _filters(request))
    return ControlJSON({"cursor": cursor, "epoch": mock.journal.epoch, "reset": reset, "count": len(found),
                        "cut": cut, "oldest": found[-1]["seq"] if found else None,
                        "rows": "".join(_row(s) for s in found)}, headers={"Cache-Control": "no-store"})


# -- one exchange --------------------------------------------------------------------------------
def _pointer_keys(findings: list[dict[str, Any]]) -> dict[str, str]:
    """Top-level payload keys the findings point at -> their rule (the request JSON marks them)."""
    marks: dict[str, str] = {}
    for f in findings:
        parts = str(f.get("pointer") or "").split("/")
        if len(parts) >= 2 and parts[1]:
            marks.setdefault(parts[1].replace("~1", "/").replace("~0", "~"), str(f["rule"]))
    return marks


def _top_level_key(line: str) -> str | None:
    """The key a line of indent-2 JSON names at the top level, decoded (escapes and all)."""
    if not line.startswith('  "') or line.startswith("   "):
        return None
    try:
        key, _end = _DECODER.raw_decode(line, 2)
    except ValueError:
        return None
    return key if isinstance(key, str) else None


_DECODER = json.JSONDecoder()


def _json_block(value: Any, element_id: str, marks: dict[str, str] | None = None) -> str:
    if value is None:
        return f'<pre class="json" id="{element_id}">—</pre>'
    lines = []
    for line in json.dumps(value, ensure_ascii=False, indent=2).split("\n"):
        shown = esc(visible(line))
        key = _top_level_key(line) if marks else None
        if marks and key in marks:
            shown = f'<mark class="finding-at" title="{esc(marks[key])}">{shown}</mark>'
        lines.append(shown)
    return f'<pre class="json" id="{element_id}">' + "\n".join(lines) + "</pre>"


def _facts_table(facts: dict[str, Any] | None, raw: str | None, side: str) -> str:
    if facts is None and raw and side == "request":  # sent, but refused before its keys were known
        return (f'<p class="muted">{_t("not_decrypted")}</p><details><summary>{_t("raw_hex")}</summary>'
                f'<pre class="hex" id="hex-{side}">{esc(raw)}</pre></details>')
    if facts is None:
        return f'<p class="muted">{_t("not_encrypted")}</p>'
    pad = facts.get("padding") or {}
    plain = facts.get("plaintext") or {}
    js = plain.get("json") or {}
    escapes = js.get("escapes") or {}
    escape_text = ", ".join(t for t, on in (
        ("\\/ escaped", escapes.get("escaped_slashes")), ("raw /", escapes.get("raw_slashes")),
        (f"{escapes.get('unicode_escapes')} \\u escapes ({escapes.get('unicode_escape_case')})",
         escapes.get("unicode_escapes")), ("raw UTF-8", escapes.get("raw_non_ascii"))) if on) or "none"
    rows = [
        ("envelope", str(facts.get("envelope"))),
        ("hex", f"{facts.get('hex_length')} characters, {facts.get('hex_case') or '?'} case"),
        ("blocks", f"{facts.get('aes_blocks')} ({'whole' if facts.get('whole_blocks') else 'NOT whole'})"),
        ("padding", f"{pad.get('length')} bytes, scheme {pad.get('scheme')}" if pad else "unreadable"),
        ("json_style", f"{js.get('style')} {js.get('type')}" if js else "not JSON"),
        ("escapes", escape_text),
    ]
    cells = "".join(f"<tr><th scope=\"row\">{_t(k)}</th><td>{esc(v)}</td></tr>" for k, v in rows)
    diagnosis = "".join(f'<li class="diag {esc(d["kind"])}"><code>{esc(d["code"])}</code> '
                        f'{esc(d["message"])}</li>' for d in facts.get("diagnosis") or [])
    diag_html = f'<h4>{_t("diagnosis")}</h4><ul class="diagnosis">{diagnosis}</ul>' if diagnosis else ""
    hex_html = (f'<details><summary>{_t("raw_hex")}</summary>'
                f'<pre class="hex" id="hex-{side}">{esc(raw)}</pre></details>' if raw
                else f'<p class="muted">{_t("raw_hex")}: {_t("hex_hidden")}</p>')
    return f'<table class="facts" data-side="{side}">{cells}</table>{diag_html}{hex_html}'


def _findings_html(findings: list[dict[str, Any]]) -> str:
    if not findings:
        return f'<p class="muted">{_t("no_findings")}</p>'
    items = []
    for f in findings:
        rule = CATALOG.get(str(f["rule"]))
        at = f' <code>{esc(f["pointer"])}</code>' if f.get("pointer") else ""
        items.append(f'<li class="finding {esc(f["severity"])}" data-rule="{esc(f["rule"])}">'
                     f'<strong>{esc(f["rule"])}</strong> ({esc(f["severity"])}){at}: {esc(f["message"])}'
                     f'{f"<p>{esc(rule.summary)}</p>" if rule else ""}</li>')
    return f'<ul class="findings">{"".join(items)}</ul>'


def _copy_block(kind: str, text: str | None, seq: int) -> str:
    if text is None:
        return ""
    element = f"{kind}-{seq}"
    return (f'<div class="snippet"><button type="button" data-copy="{element}">{_t("copy_" + kind)}</button>'
            f'<pre id="{element}" class="code">{esc(text)}</pre></div>')


def exchange_page(mock: MockRuntime, request: Request, _body: Any) -> Any:
    """One exchange: decrypted request and response, wire facts, findings, fault, timing, snippets."""
    seq = int_param(request, "seq")
    entry = mock.journal.entry(seq)
    raw = mock.journal.raw_wire(seq)
    if entry is None or raw is None:
        never = not 0 < seq <= mock.journal.recorded  # else recorded once, and pushed out since
        main = (f'<article class="exchange" data-seq="{seq}"><h2>#{seq}</h2>'
                f'<p>{_t("never" if never else "gone")}</p></article>')
        return _page(mock, request, "traffic", main, 404 if never else 200)
    status = entry["status"] if entry["status"] is not None else entry["delivery"]
    facts = [("operation", entry["operation"]), ("routed_as", entry["routed_as"]),
             ("merchant", entry["merchant_code"]), ("client", entry["client"]), ("at", entry["at"]),
             ("timing", f'{entry["duration_ms"]:.1f} ms'), ("delivery", entry["delivery"])]
    dl = "".join(f"<dt>{_t(k)}</dt><dd>{esc(v)}</dd>" for k, v in facts if v not in (None, ""))
    fault = (f'<p class="fault-applied" role="note"><strong>{_t("fault")}:</strong> {esc(entry["fault"])}</p>'
             if entry["fault"] else "")
    query = raw.get("query") or ""
    wire = entry["wire"]
    why = "".join(f'<li class="diag {esc(d["kind"])}"><code>{esc(d["code"])}</code> {esc(d["message"])}</li>'
                  for d in entry.get("diagnosis") or [])  # a 506's: the wire's fault, or the payload rule
    why_html = (f'<section class="why"><h3>{_t("why_refused")}</h3><ul class="diagnosis">{why}</ul>'
                '</section>' if why else "")
    main = (
        f'<article class="exchange" data-seq="{seq}"><h2 id="exchange-title">{_t("exchange")} #{seq}: '
        f'{esc(entry["method"])} {esc(entry["path"])} → <span class="status">{esc(status)}</span></h2>'
        f'<dl class="facts">{dl}</dl>{fault}{why_html}'
        f'<section class="findings-box"><h3>{_t("findings")}</h3>'
        f'{_findings_html(entry["findings"])}</section>'
        f'<div class="pair"><section><h3>{_t("request")}</h3>'
        f'{_json_block(entry["request"], "request-json", _pointer_keys(entry["findings"]))}</section>'
        f'<section><h3>{_t("response")}</h3>{_json_block(entry["response"], "response-json")}</section></div>'
        f'<section class="wire"><h3>{_t("wire")}</h3><div class="pair">'
        f'<section><h4>{_t("wire_request")}</h4>{_facts_table(wire["request"], raw["request"], "request")}'
        f'</section><section><h4>{_t("wire_response")}</h4>'
        f'{_facts_table(wire["response"], raw["response"], "response")}</section></div></section>'
        f'{_copy_block("curl", curl_snippet(entry, query), seq)}'
        f'{_copy_block("python", python_snippet(entry, query), seq)}</article>')
    return _page(mock, request, "traffic", main)


# -- records -------------------------------------------------------------------------------------
def _subject(family: Family, row: Row) -> str:
    """The record a row's buttons act on, as a screen reader names it: "invoices 14697"."""
    return f"{_t(family.name)} {row.cells.get(family.columns[0], row.key)}"


def _button(action: Action, subject: str | None = None) -> str:
    """An action's button; ``subject`` (the record it acts on) goes into its accessible name, so a
    screen reader tells fifty "Pay" buttons apart."""
    body = json.dumps(action.body, separators=(",", ":"))
    method = f' data-method="{esc(action.method)}"' if action.method != "POST" else ""
    confirm = f' data-confirm="{esc(action.confirm)}"' if action.confirm else ""
    named = f' aria-label="{esc(_t(action.label))}: {esc(subject)}"' if subject else ""
    return (f'<button type="button" data-post="/_mock{esc(action.path)}" data-body="{esc(body)}"{method}'
            f'{confirm}{named} data-action="{esc(action.label)}">{_t(action.label)}</button>')


def _merchant(mock: MockRuntime, request: Request) -> Merchant:
    code = request.query_params.get("merchant")
    merchants = mock.merchants.merchants
    if not code:
        return merchants[0]
    for merchant in merchants:
        if merchant.merchant_code == code:
            return merchant
    raise ControlError(404, f"no merchant with code {code!r}")


def records_page(mock: MockRuntime, request: Request, _body: Any) -> Any:
    """A merchant's records, family by family, with the control plane's actions as buttons."""
    merchant = _merchant(mock, request)
    picker = (f'<form class="filters" method="get" action="{PREFIX}/records">'
              f'{_select("merchant", _merchant_options(mock), merchant.merchant_code, "records_for")}'
              f'<button type="submit">{_t("show")}</button></form>')
    sections = []
    for family in FAMILIES:
        rows = family.rows(mock, merchant)
        head = "".join(f"<th>{_t(c)}</th>" for c in family.columns) + f"<th>{_t('actions')}</th>"
        body = "".join(
            f'<tr data-record="{esc(r.key)}">'
            + "".join(f'<td data-col="{esc(c)}">{esc(r.cells.get(c, ""))}</td>' for c in family.columns)
            + f'<td class="actions">{"".join(_button(a, _subject(family, r)) for a in r.actions)}</td></tr>'
            for r in rows)
        table = (f'<table data-family="{esc(family.name)}"><thead><tr>{head}</tr></thead>'
                 f'<tbody>{body}</tbody></table>' if rows else f'<p class="muted">{_t("none")}</p>')
        sections.append(f'<section id="{esc(family.name)}"><h2>{_t(family.name)}</h2>{table}</section>')
    main = f'<h1>{_t("records")}</h1>{picker}{"".join(sections)}'
    return _page(mock, request, "records", main)


# -- clock, faults, webhooks -----------------------------------------------------------------------
def _clock_html(mock: MockRuntime) -> str:
    clock = mock.clock
    frozen = clock.frozen
    toggle = Action("unfreeze" if frozen else "freeze", "/clock", {"freeze": not frozen})
    steps = "".join(_button(Action(key, "/clock", {"advance": seconds})) for key, seconds in (
        ("advance_minute", 60), ("advance_hour", 3600), ("advance_day", 86400)))
    form = (f'<form data-post="/_mock/clock" class="inline"><label for="advance-s">{_t("seconds")}</label>'
            f'<input id="advance-s" name="advance" type="number" step="any" required>'
            f'<button type="submit">{_t("advance")}</button></form>')
    return (f'<section id="clock"><h2>{_t("clock")}</h2><p><span id="clock-now">'
            f'{esc(clock.now().isoformat(timespec="seconds"))}</span> '
            f'(<span id="clock-mode">{_t("frozen" if frozen else "running")}</span>)</p>'
            f'<div class="actions">{_button(toggle)}{steps}'
            f'{_button(Action("reset_clock", "/clock", {"reset": True}))}</div>{form}</section>')


def _fault_details(rule: FaultRule) -> str:
    """What tells two rules of one kind apart: their options, the patch as compact JSON."""
    parts = [f"latency_ms={rule.latency_ms}" if rule.latency_ms else "",
             f"retry_after={rule.retry_after}" if rule.kind == "rate_limit" else "",
             f"seed={rule.seed}" if rule.seed is not None else "",
             f"http_status={rule.http_status}" if rule.http_status is not None else "",
             "patch=" + json.dumps(rule.patch, ensure_ascii=False, separators=(",", ":"))
             if rule.patch is not None else ""]
    return "; ".join(p for p in parts if p)


def _faults_html(mock: MockRuntime) -> str:
    rules = mock.faults.rules()
    cols = ("id", "kind", "operation", "probability", "times", "fired", "details")
    head = "".join(f"<th>{_t(c)}</th>" for c in cols) + f"<th>{_t('actions')}</th>"
    body = "".join(
        f'<tr data-rule="{r.id}">' + "".join(f"<td>{esc(v)}</td>" for v in (
            r.id, r.kind, r.operation, r.probability, "∞" if r.times is None else r.times, r.fired))
        + f'<td class="details"><code>{esc(visible(_fault_details(r)))}</code></td>'
        + f'<td>{_button(Action("remove", f"/faults/{r.id}", method="DELETE"), f"rule {r.id} ({r.kind})")}'
        + '</td></tr>' for r in rules)
    table = f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>" if rules else \
        f'<p class="muted">{_t("none")}</p>'
    kinds = [(k, k) for k in KINDS]
    ops = [("*", "*"), *((name, name) for name in OPERATIONS)]
    form = (f'<form data-post="/_mock/faults" class="inline add-fault">{_select("kind", kinds, None, "kind")}'
            f'{_select("operation", ops, "*", "operation")}'
            f'<label for="f-probability">{_t("probability")}</label>'
            f'<input id="f-probability" name="probability" type="number" min="0" max="1" step="0.01" '
            f'value="1"><label for="f-times">{_t("times")}</label>'
            f'<input id="f-times" name="times" type="number" min="1">'
            f'<label for="f-latency">{_t("latency")}</label>'
            f'<input id="f-latency" name="latency_ms" type="number" min="0">'
            f'<label for="f-http-status">{_t("http_status")}</label>'
            f'<input id="f-http-status" name="http_status" type="number" min="200" max="599">'
            f'<label for="f-patch">{_t("patch")}</label>'
            f'<textarea id="f-patch" name="patch" data-json rows="1" '
            f'placeholder=\'[{{"op": "remove", "path": "/message"}}]\'></textarea>'
            f'<button type="submit">{_t("add_fault")}</button></form>')
    return f'<section id="faults"><h2>{_t("faults")}</h2>{table}{form}</section>'


def _webhooks_html(mock: MockRuntime) -> str:
    deliveries = mock.webhooks.deliveries(limit=_MAX_ROWS)
    deliveries.reverse()  # newest first
    cols = ("id", "kind", "state_col", "url", "attempts")
    head = "".join(f"<th>{_t(c)}</th>" for c in cols) + f"<th>{_t('actions')}</th>"
    rows = []
    for d in map(without_secrets, deliveries):
        attempts = "".join(f'<li>#{a["attempt"]} {esc(a["at"][11:23])}: {esc(a["status"] or "")} '
                           f'{esc(a["error"] or "")} ({a["duration_ms"]} ms)</li>' for a in d["attempts"])
        again = d["source"].get("redelivery_of")
        redeliver = "/webhooks/{}/redeliver".format(d["id"])
        kind = f'{d["kind"]} of #{again}' if again else d["kind"]
        url = d["url"]
        rows.append(f'<tr data-delivery="{d["id"]}" data-state="{esc(d["state"])}"><td>{d["id"]}</td>'
                    f'<td>{esc(kind)}</td><td>{esc(d["state"])}</td><td class="url">{esc(url)}</td>'
                    f'<td><ol class="attempts">{attempts}</ol></td>'
                    f'<td>{_button(Action("redeliver", redeliver), "delivery " + str(d["id"]))}</td></tr>')
    table = f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>" if rows else \
        f'<p class="muted">{_t("none")}</p>'
    return f'<section id="webhooks"><h2>{_t("webhooks")}</h2>{table}</section>'


def state_page(mock: MockRuntime, request: Request, _body: Any) -> Any:
    main = f'<h1>{_t("state")}</h1>{_clock_html(mock)}{_faults_html(mock)}{_webhooks_html(mock)}'
    return _page(mock, request, "state", main)


# -- assets --------------------------------------------------------------------------------------
def script(_mock: MockRuntime, _request: Request, _body: Any) -> Any:
    return Response(_asset("inspector.js"), media_type="text/javascript; charset=utf-8", headers=HEADERS)


def stylesheet(_mock: MockRuntime, _request: Request, _body: Any) -> Any:
    return Response(_asset("inspector.css"), media_type="text/css; charset=utf-8", headers=HEADERS)


#: the tab's icon (the page names it, so the browser does not ask the API for /favicon.ico)
_ICON = ('<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 16 16"><rect width="16" height="16" rx="3" '
         'fill="#0b5"/><path d="M4 4v8M12 4v8M4 8h8" stroke="#fff" stroke-width="2"/></svg>')


def icon(_mock: MockRuntime, _request: Request, _body: Any) -> Any:
    return Response(_ICON, media_type="image/svg+xml", headers=HEADERS)


_TABLE: list[tuple[str, str, Handler]] = [
    ("", "GET", traffic_page),
    ("/traffic", "GET", traffic_since),
    ("/exchanges/{seq}", "GET", exchange_page),
    ("/records", "GET", records_page),
    ("/state", "GET", state_page),
    ("/inspector.js", "GET", script),
    ("/inspector.css", "GET", stylesheet),
    ("/icon.svg", "GET", icon),
]


def inspector_routes() -> list[BaseRoute]:
    """The inspector's pages and assets, behind the control plane's guard."""
    return table_routes(PREFIX, _TABLE)
