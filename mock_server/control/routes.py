"""The ``/_mock/`` endpoints: reset, seed, journal, findings, clock, payments, checkouts, saved-card
charges, refunds, raw state, faults.

Plain JSON in and out, never encrypted, loopback-only unless ``control_open`` (see
:mod:`mock_server.control.http`). docs/control-plane.md shows each with a curl example.
"""

from __future__ import annotations

import math
import os
import time
from datetime import datetime
from typing import Any, cast

from starlette.requests import Request
from starlette.routing import BaseRoute, Route

from hesabe_spec.enums import PaymentType, TransactionStatus
from hesabe_spec.errors import ConfigurationError
from hesabe_spec.operations import GATEWAY_PAGES, OPERATIONS
from mock_server.clock import KUWAIT
from mock_server.control.http import ControlError, Handler, control_endpoint, digits, int_param, table_routes
from mock_server.control.seed import MAX_SEED_FILE_BYTES, load_seed, read_seed_file, seed_fixture
from mock_server.faults import rule_from_json
from mock_server.inbound import Inbound
from mock_server.merchants import ENV_MERCHANT_VARS, Merchant, identity_fields
from mock_server.runtime import MockRuntime
from mock_server.shapes.checkout import callback_body, callback_url, page_session
from mock_server.state.cards import CardEntry
from mock_server.state.decisions import ChargeDecision
from mock_server.state.errors import NotFound, Refused
from mock_server.state.models import Checkout, Invoice, OpenInvoice, Refund

__all__ = ["PREFIX", "control_routes"]

PREFIX = "/_mock"


def _object(body: Any) -> dict[str, Any]:
    """The body's fields. ``[]`` is PHP's ``json_encode([])`` (an empty array is how PHP writes
    an empty map), so it is read as ``{}``."""
    if body == []:
        return {}
    if not isinstance(body, dict):
        raise ControlError(400, "request body must be a JSON object ({} for none; PHP: json_encode(new "
                                "stdClass()) or (object) [])")
    return body


def _only(doc: dict[str, Any], allowed: set[str], what: str) -> dict[str, Any]:
    """Refuse unknown fields: a typo (``"outcom"``) must not silently run the default."""
    unknown = sorted(set(doc) - allowed)
    if unknown:
        raise ControlError(400, f"unknown {what} field(s): {', '.join(unknown)}; "
                                f"known: {', '.join(sorted(allowed))}")
    return doc


def _merchant_code(mock: MockRuntime, body: dict[str, Any]) -> str | None:
    code = body.get("merchant_code")
    if code is None:
        return None
    if not any(m.merchant_code == str(code) for m in mock.merchants.merchants):
        raise ControlError(404, f"no merchant with code {code!r}")
    return str(code)


# -- reset / seed --------------------------------------------------------------------------------
def reset(mock: MockRuntime, _request: Request, body: Any) -> Any:
    """Forget state: everything (store, journal, faults, clock) or one merchant's records."""
    code = _merchant_code(mock, _only(_object(body), {"merchant_code"}, "reset"))
    mock.reset(next(m for m in mock.merchants.merchants if m.merchant_code == code) if code else None)
    return {"reset": code or "all"}


def seed(mock: MockRuntime, _request: Request, body: Any) -> Any:
    """Load invoices, open invoices and bulk rows from the body or from ``{"path": file}``."""
    doc = _object(body)
    for key in ("path", "fixture"):
        if key in doc:
            if set(doc) != {key} or not isinstance(doc[key], str):
                raise ControlError(400, f'{{"{key}": "..."}} is a string and takes no other keys')
            named = doc[key]
            doc = read_seed_file(named, limit=MAX_SEED_FILE_BYTES) if key == "path" else seed_fixture(named)
            break
    return 201, {"seeded": load_seed(doc, mock.store, mock.merchants, mock.clock)}


# -- merchants -----------------------------------------------------------------------------------
def list_merchants(mock: MockRuntime, _request: Request, _body: Any) -> Any:
    """The merchants this mock serves, without their secrets."""
    shown = [{"merchant_code": m.merchant_code, "merchant_id": m.merchant_id, "username": m.identity.username,
              "name": m.name} for m in mock.merchants.merchants]
    return {"merchants": shown}


def add_merchant(mock: MockRuntime, _request: Request, body: Any) -> Any:
    """A new merchant (fields of the merchants-file format may be given; the rest is generated),
    with its credentials and the ``HESABE_*`` variables a client needs for it."""
    try:
        merchant = mock.add_merchant(_object(body))
    except ConfigurationError as exc:
        raise ControlError(400, str(exc)) from None
    fields = identity_fields(merchant)
    env = {var: str(fields[name]) for name, var in ENV_MERCHANT_VARS.items()}
    return 201, {"merchant": fields, "env": env}


# -- journal -------------------------------------------------------------------------------------
def journal(mock: MockRuntime, request: Request, _body: Any) -> Any:
    """The last ``limit`` exchanges (oldest first), optionally of one ``operation``."""
    raw = request.query_params.get("limit")
    limit = None if raw is None else digits(raw, "limit")
    if limit is not None and limit < 1:
        raise ControlError(400, f"limit must be a positive integer, got {raw!r}")
    entries = mock.journal.entries(limit, request.query_params.get("operation") or None,
                                   request.query_params.get("merchant_code") or None)
    return {"capacity": mock.journal.capacity, "recorded": mock.journal.recorded, "entries": entries}


def clear_journal(mock: MockRuntime, _request: Request, _body: Any) -> Any:
    mock.journal.clear()
    return {"cleared": True}


# -- findings ------------------------------------------------------------------------------------
def findings(mock: MockRuntime, request: Request, _body: Any) -> Any:
    """Integration findings since the last reset, per rule (``?severity=error`` lists only those)."""
    severity = request.query_params.get("severity")
    if severity not in (None, "error", "warning"):
        raise ControlError(400, f"severity must be error or warning, got {severity!r}")
    summary = mock.findings.summary()
    if severity is not None:
        rules = summary["rules"]
        summary["rules"] = {name: rule for name, rule in rules.items() if rule["severity"] == severity}
    return summary


def clear_findings(mock: MockRuntime, _request: Request, _body: Any) -> Any:
    mock.findings.clear()
    return {"cleared": True}


# -- clock ---------------------------------------------------------------------------------------
def _clock_state(mock: MockRuntime) -> dict[str, Any]:
    return {"now": mock.clock.now().isoformat(timespec="seconds"), "epoch": mock.clock.time(),
            "today": mock.clock.today(), "frozen": mock.clock.frozen}


#: the instants the clock may show: from the epoch to 9000-01-01 (Kuwait), so every date the mock
#: writes, and every horizon it adds to one (expiries, monthly recurrences), has four digits
CLOCK_RANGE = (0.0, datetime(9000, 1, 1, tzinfo=KUWAIT).timestamp())


def _instant(value: Any) -> float:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        try:
            return float(value)
        except OverflowError:  # an integer past any float
            pass
    if isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value.strip())
        except ValueError:
            pass
        else:  # a time without an offset is Kuwait time, like every timestamp the mock writes
            return (moment if moment.tzinfo else moment.replace(tzinfo=KUWAIT)).timestamp()
    raise ControlError(400, f"set must be epoch seconds or an ISO 8601 time, got {value!r}")


def _check_landing(mock: MockRuntime, reset: bool, at: float | None, advance: float) -> None:
    """Refuse a move that would leave the clock outside :data:`CLOCK_RANGE` (NaN included)
    before anything moves."""
    start = at if at is not None else (time.time() if reset else mock.clock.time())
    landing = start + advance
    low, high = CLOCK_RANGE
    if not low <= landing < high:  # False for NaN too
        where = f"epoch second {landing:.0f}" if math.isfinite(landing) else "no time at all"
        raise ControlError(400, f"the clock must stay from 1970-01-01T03:00:00+03:00 to before "
                                f"9000-01-01T00:00:00+03:00; this move would take it to {where}")


def get_clock(mock: MockRuntime, _request: Request, _body: Any) -> Any:
    return _clock_state(mock)


def set_clock(mock: MockRuntime, _request: Request, body: Any) -> Any:
    """``{"reset": true}``, ``{"set": ...}``, ``{"freeze": bool}``, ``{"advance": seconds}``."""
    doc = _only(_object(body), {"set", "freeze", "advance", "reset"}, "clock")
    freeze, advance, reset = doc.get("freeze"), doc.get("advance", 0), doc.get("reset", False)
    for name, flag in (("freeze", freeze), ("reset", reset)):
        if flag is not None and not isinstance(flag, bool):
            raise ControlError(400, f"{name} must be true or false, got {flag!r}")
    if isinstance(advance, bool) or not isinstance(advance, (int, float)):
        raise ControlError(400, f"advance must be a number of seconds, got {advance!r}")
    try:
        advance = float(advance)
    except OverflowError:  # an integer past any float
        advance = float("inf")
    at = _instant(doc["set"]) if "set" in doc else None
    _check_landing(mock, reset is True, at, advance)
    if reset is True:
        mock.clock.reset()
    if at is not None and freeze is True:
        mock.clock.freeze(at)  # frozen at exactly the instant asked for, in one change
    else:
        if at is not None:
            mock.clock.set(at)
        if freeze is True:
            mock.clock.freeze()
        elif freeze is False:
            mock.clock.unfreeze()
    if advance:
        mock.clock.advance(advance)
    mock.timer.wake()  # what the move made due happens now, read or not
    return _clock_state(mock)


# -- raw state and payments ----------------------------------------------------------------------
def _invoice_state(mock: MockRuntime, inv: Invoice) -> dict[str, Any]:
    merchant = mock.payments.merchant_of(inv)
    return {**inv.to_record(), "merchant_code": merchant.merchant_code,
            "expired": mock.payments.is_expired(inv)}


def _open_state(mock: MockRuntime, item: OpenInvoice) -> dict[str, Any]:
    return {**item.to_record(), "merchant_code": mock.payments.merchant_of(item).merchant_code}


def get_invoice(mock: MockRuntime, request: Request, _body: Any) -> Any:
    """An invoice as stored: status, transaction, failed attempts, expiry as the mock sees it."""
    return _invoice_state(mock, mock.payments.find_invoice(int_param(request, "id")))


def pay_invoice(mock: MockRuntime, request: Request, body: Any) -> Any:
    """``{"payment_type": 1, "outcome": "success"|"failure"|"cancelled"}`` (type: first allocated)."""
    doc = _only(_object(body), {"payment_type", "outcome"}, "payment")
    inv = mock.payments.find_invoice(int_param(request, "id"))
    payment_type = doc.get("payment_type", inv.payment_method[0] if inv.payment_method else None)
    result = mock.payments.pay_invoice(inv, payment_type, doc.get("outcome", "success"))
    return {"outcome": result.outcome, "paid": result.paid, "transaction": result.transaction,
            "invoice": _invoice_state(mock, cast(Invoice, result.record))}


def get_open_invoice(mock: MockRuntime, request: Request, _body: Any) -> Any:
    return _open_state(mock, mock.payments.find_open_invoice(int_param(request, "id")))


def pay_open_invoice(mock: MockRuntime, request: Request, body: Any) -> Any:
    """``{"amount": "5.000", "payment_type": 1, "outcome": "success", "customer": {...}}``."""
    doc = _only(_object(body), {"amount", "payment_type", "outcome", "customer"}, "payment")
    customer = doc.get("customer")
    if customer is not None and not isinstance(customer, dict):
        raise ControlError(400, "customer must be an object")
    result = mock.payments.pay_open_invoice(int_param(request, "id"), doc.get("amount"),
                                            doc.get("payment_type", int(PaymentType.KNET)),
                                            doc.get("outcome", "success"), customer)
    return {"outcome": result.outcome, "paid": result.paid, "transaction": result.transaction,
            "open_invoice": _open_state(mock, cast(OpenInvoice, result.record))}


# -- checkouts (the payment gateway) -------------------------------------------------------------
def _token(request: Request) -> str:
    raw = str(request.path_params.get("token", ""))
    if not raw.isascii() or not raw.isdigit() or len(raw) > 64:
        raise ControlError(400, f"token must be a transaction token (digits), got {raw!r}")
    return raw


def _checkout_state(mock: MockRuntime, request: Request, checkout: Checkout) -> dict[str, Any]:
    """A checkout as stored, where its page is, and (once completed) the redirect it made."""
    merchant = mock.checkouts.merchant_of(checkout)
    checkout = mock.checkouts.reported(checkout)
    base = (mock.settings.public_base_url or Inbound(request.scope, request.receive).base_url()).rstrip("/")
    state: dict[str, Any] = {**checkout.to_record(), "merchant_code": merchant.merchant_code,
                             "payment_url": GATEWAY_PAGES["payment_page"].url(base, page_session(checkout))}
    if checkout.paid_on is not None or checkout.status != TransactionStatus.PENDING:
        # no page, no redirect: a POS sale, a saved card's charge, a recurrence name no URL
        redirected = bool(checkout.response_url or checkout.failure_url)
        nesting = mock.settings.callback_nesting
        state["callback"] = callback_body(checkout, nesting) if redirected else None
        state["callback_url"] = callback_url(checkout, merchant.keys, nesting) if redirected else None
    return state


def get_checkout(mock: MockRuntime, request: Request, _body: Any) -> Any:
    """A checkout as stored: status, result, notes on the request, the page and the callback."""
    return _checkout_state(mock, request, mock.checkouts.find(_token(request)))


_CARD_FIELDS = ("number", "expiry", "cvv")


def _card(value: Any) -> CardEntry | None:
    if value is None:
        return None
    if not isinstance(value, dict) or not all(isinstance(value.get(k), str) for k in _CARD_FIELDS):
        raise ControlError(400, 'card must be {"number": "...", "expiry": "MM/YY", "cvv": "..."}')
    return CardEntry(value["number"], value["expiry"], value["cvv"])


def pay_checkout(mock: MockRuntime, request: Request, body: Any) -> Any:
    """``{"outcome": "success"|"failure"|"cancelled"|"expired", "result_code": "NOT CAPTURED",
    "payment_type": 1, "card": {...}}``: the customer completes the page (all optional)."""
    doc = _only(_object(body), {"outcome", "result_code", "payment_type", "card"}, "checkout payment")
    outcome, result_code = doc.get("outcome", "success"), doc.get("result_code")
    if not isinstance(outcome, str) or (result_code is not None and not isinstance(result_code, str)):
        raise ControlError(400, "outcome and result_code must be strings")
    payment_type = doc.get("payment_type")
    if isinstance(payment_type, bool) or not isinstance(payment_type, int | str | None):
        raise ControlError(400, f"payment_type must be a number, got {payment_type!r}")
    checkout = mock.checkouts.pay(_token(request), outcome, result_code=result_code,
                                  payment_type=payment_type, card=_card(doc.get("card")))
    return _checkout_state(mock, request, checkout)


# -- off-session charges (saved cards, subscription recurrences) ---------------------------------
def _charge_merchant(mock: MockRuntime, body: dict[str, Any]) -> Merchant:
    code = _merchant_code(mock, body)
    merchant = mock.merchants.by_code(code) if code is not None else mock.merchants.merchants[0]
    assert merchant is not None  # _merchant_code checked it
    return merchant


def _charges_state(mock: MockRuntime, merchant: Merchant) -> dict[str, Any]:
    queued = [{"outcome": d.outcome, "result_code": d.result_code}
              for d in mock.charge_decisions.pending(merchant.merchant_id)]
    return {"merchant_code": merchant.merchant_code, "queued": queued}


def get_charge_decisions(mock: MockRuntime, request: Request, _body: Any) -> Any:
    """The decisions queued for a merchant's next off-session charges (``?merchant_code=``)."""
    code = request.query_params.get("merchant_code")
    return _charges_state(mock, _charge_merchant(mock, {} if code is None else {"merchant_code": code}))


def decide_next_charge(mock: MockRuntime, _request: Request, body: Any) -> Any:
    """``{"outcome": "success"|"failure", "result_code": "DECLINED", "merchant_code": "842217"}``:
    how the merchant's next off-session charge ends: a saved card's charge or a subscription's
    recurrence (queued, one charge each; default: approved)."""
    doc = _only(_object(body), {"outcome", "result_code", "merchant_code"}, "charge decision")
    outcome, result_code = doc.get("outcome", "success"), doc.get("result_code")
    if not isinstance(outcome, str) or (result_code is not None and not isinstance(result_code, str)):
        raise ControlError(400, "outcome and result_code must be strings")
    merchant = _charge_merchant(mock, doc)
    mock.charge_decisions.queue(merchant.merchant_id, ChargeDecision(outcome, result_code))
    return 201, _charges_state(mock, merchant)


# -- refunds -------------------------------------------------------------------------------------
def _refund_state(mock: MockRuntime, refund: Refund) -> dict[str, Any]:
    merchant = mock.merchants.by_id(refund.merchant_id)
    return {**refund.to_record(), "merchant_code": merchant.merchant_code if merchant else None}


def _find_refund(mock: MockRuntime, refund_id: int) -> Refund:
    for merchant in mock.merchants.merchants:
        try:
            return mock.refunds.get(merchant.merchant_id, refund_id)
        except NotFound:
            continue
    raise ControlError(404, f"no refund with id {refund_id}")


def get_refund(mock: MockRuntime, request: Request, _body: Any) -> Any:
    """A refund as stored: status, amounts, the payment it refunds (due auto-approvals settled)."""
    return _refund_state(mock, _find_refund(mock, int_param(request, "id")))


def _decide(mock: MockRuntime, request: Request, body: Any, approve: bool) -> Any:
    doc = _only(_object(body), {"remarks"}, "refund decision")
    remarks = doc.get("remarks")
    if remarks is not None and not isinstance(remarks, str):
        raise ControlError(400, f"remarks must be a string, got {remarks!r}")
    refund = _find_refund(mock, int_param(request, "id"))
    decide = mock.refunds.approve if approve else mock.refunds.reject
    try:
        decided = decide(refund.merchant_id, refund.id, remarks or None)
    except Refused as exc:
        raise ControlError(409, exc.message, reason="already_decided") from None
    return _refund_state(mock, decided)


def approve_refund(mock: MockRuntime, request: Request, body: Any) -> Any:
    """Approve a pending refund (``{"remarks": "..."}`` optional): it counts as refunded."""
    return _decide(mock, request, body, approve=True)


def reject_refund(mock: MockRuntime, request: Request, body: Any) -> Any:
    """Reject a pending refund: its amount is free to refund again."""
    return _decide(mock, request, body, approve=False)


def _auto_approve_state(mock: MockRuntime) -> dict[str, Any]:
    return {"seconds": mock.refunds.auto_approve_after}


def get_auto_approve(mock: MockRuntime, _request: Request, _body: Any) -> Any:
    return _auto_approve_state(mock)


def set_auto_approve(mock: MockRuntime, _request: Request, body: Any) -> Any:
    """``{"seconds": N}``: approve pending refunds N seconds (mock clock) after they were asked for;
    ``{"seconds": null}``: only the control plane decides."""
    doc = _only(_object(body), {"seconds"}, "auto-approve")
    if "seconds" not in doc:
        raise ControlError(400, 'give {"seconds": N} or {"seconds": null}')
    seconds = doc["seconds"]
    if seconds is not None and (isinstance(seconds, bool) or not isinstance(seconds, (int, float))
                                or not 0 <= seconds < 10**9):
        raise ControlError(400, f"seconds must be a number of seconds >= 0 or null, got {seconds!r}")
    mock.set_auto_approve(None if seconds is None else float(seconds))
    return _auto_approve_state(mock)


# -- faults --------------------------------------------------------------------------------------
def list_faults(mock: MockRuntime, _request: Request, _body: Any) -> Any:
    return {"rules": [r.to_json() for r in mock.faults.rules()]}


def add_faults(mock: MockRuntime, _request: Request, body: Any) -> Any:
    """One rule object, or ``{"rules": [...]}``; all are checked before any is added."""
    items = body.get("rules") if isinstance(body, dict) and "rules" in body else [body]
    if not isinstance(items, list):
        raise ControlError(400, "rules must be a list of rule objects")
    rules = [rule_from_json(item) for item in items]
    return 201, {"rules": [mock.faults.add(r).to_json() for r in rules]}


def clear_faults(mock: MockRuntime, _request: Request, _body: Any) -> Any:
    mock.faults.clear()
    return {"rules": []}


def delete_fault(mock: MockRuntime, request: Request, _body: Any) -> Any:
    rule_id = int_param(request, "id")
    if not mock.faults.remove(rule_id):
        raise ControlError(404, f"no fault rule with id {rule_id}")
    return {"deleted": rule_id}


# -- index ---------------------------------------------------------------------------------------
_TABLE: list[tuple[str, str, Handler]] = [
    ("/reset", "POST", reset),
    ("/seed", "POST", seed),
    ("/merchants", "GET", list_merchants),
    ("/merchants", "POST", add_merchant),
    ("/journal", "GET", journal),
    ("/journal", "DELETE", clear_journal),
    ("/findings", "GET", findings),
    ("/findings", "DELETE", clear_findings),
    ("/clock", "GET", get_clock),
    ("/clock", "POST", set_clock),
    ("/invoices/{id}", "GET", get_invoice),
    ("/invoices/{id}/pay", "POST", pay_invoice),
    ("/open-invoices/{id}", "GET", get_open_invoice),
    ("/open-invoices/{id}/pay", "POST", pay_open_invoice),
    ("/checkouts/{token}", "GET", get_checkout),
    ("/checkouts/{token}/pay", "POST", pay_checkout),
    ("/charges", "GET", get_charge_decisions),
    ("/charges", "POST", decide_next_charge),
    ("/refunds/auto-approve", "GET", get_auto_approve),
    ("/refunds/auto-approve", "POST", set_auto_approve),
    ("/refunds/{id}", "GET", get_refund),
    ("/refunds/{id}/approve", "POST", approve_refund),
    ("/refunds/{id}/reject", "POST", reject_refund),
    ("/faults", "GET", list_faults),
    ("/faults", "POST", add_faults),
    ("/faults", "DELETE", clear_faults),
    ("/faults/{id}", "DELETE", delete_fault),
]


def index(mock: MockRuntime, request: Request, _body: Any) -> Any:
    """Every control endpoint served by this app (also those other modules add, e.g. webhooks), the
    Hesabe operations it serves (the names fault rules and journal filters take: method and path
    each), and which process answered (``--workers``: any of them may)."""
    if request.method not in ("GET", "HEAD"):
        raise ControlError(405, f"{PREFIX} answers GET, not {request.method}", allowed=["GET"])
    listed = [f"{method} {PREFIX}{path}" for path, method, _h in _TABLE]
    for route in request.app.routes:
        path = getattr(route, "path", "")
        if path.startswith(PREFIX + "/") and "{rest" not in path and not any(path == PREFIX + p for p, _m, _h
                                                                            in _TABLE):
            listed += [f"{m} {path}" for m in sorted((getattr(route, "methods", None) or set()) - {"HEAD"})]
    operations = {name: f"{op.method} {op.path}" for name, op in OPERATIONS.items()}
    return {"endpoints": listed, "operations": operations,
            "process": {"pid": os.getpid(), "shared": mock.shared is not None}}


def unknown(_mock: MockRuntime, request: Request, _body: Any) -> Any:
    path = request.url.path
    allowed = sorted({m for p, m, _h in _TABLE if _same_shape(PREFIX + p, path)})
    if allowed:
        raise ControlError(405, f"{path} answers {', '.join(allowed)}, not {request.method}", allowed=allowed)
    raise ControlError(404, f"no control endpoint {request.method} {path}; GET {PREFIX} lists them")


def _same_shape(pattern: str, path: str) -> bool:
    want, got = pattern.strip("/").split("/"), path.strip("/").split("/")
    return len(want) == len(got) and all(w == g or w.startswith("{") for w, g in zip(want, got, strict=True))


def control_routes() -> list[BaseRoute]:
    """The routes, grouped by path so one path answers several methods; a catch-all last."""
    return [
        # every method, so another is refused behind the guard and in its words (a 405), not Starlette's
        Route(PREFIX, control_endpoint(index), methods=["GET", "POST", "PUT", "PATCH", "DELETE"]),
        *table_routes(PREFIX, _TABLE, unknown),
        Route(PREFIX + "/{rest:path}", control_endpoint(unknown),
              methods=["GET", "POST", "PUT", "PATCH", "DELETE"]),
    ]
