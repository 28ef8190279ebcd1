"""Lifecycle rules that need several calls: stats, findability, pagination, paid vs cancelled.

Each check takes the session and a :class:`Model` of what this run did, makes its own (judged)
calls, and raises :class:`~contract_tests.errors.ContractViolation` with :class:`Finding` s named
like the per-call rules. The state machine calls them; proof-of-power tests may too.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from contract_tests.errors import hides_violations
from contract_tests.findings import Finding
from contract_tests.session import ContractSession
from hesabe_spec.enums import InvoiceKind, InvoiceStatus, PaymentType

__all__ = [
    "Model",
    "ModelInvoice",
    "check_details_match_rows",
    "check_findable",
    "check_pages",
    "check_stats",
    "read_stats",
    "stats_numbers",
]

#: their frames stay out of a ContractViolation's traceback (contract_tests.errors.hides_violations)
__tracebackhide__ = hides_violations

#: what the details and the dashboard row of one invoice share by design (hesabe-api.md 4.6 lists
#: where the two shapes differ: merchant_id, invoice_sub_type and transaction types)
SHARED_FIELDS = ("id", "token", "amount", "invoice_status", "reference_number")

#: walk at most this many pages when looking for an invoice (live targets hold others' data)
MAX_PAGES = 40


@dataclass
class ModelInvoice:
    id: int
    token: str
    reference: str
    kind: InvoiceKind
    status: InvoiceStatus = InvoiceStatus.UNPAID
    pay_types: tuple[int, ...] = (PaymentType.KNET,)


@dataclass
class Model:
    """What the run believes is true of the invoices it created."""

    invoices: dict[int, ModelInvoice] = field(default_factory=dict)
    baseline: dict[str, int] = field(default_factory=dict)

    def counts(self) -> dict[str, int]:
        statuses = [i.status for i in self.invoices.values()]
        return {
            "total_invoice_count": len(statuses),
            "invoice_paid": statuses.count(InvoiceStatus.PAID),
            "invoice_not_paid": statuses.count(InvoiceStatus.UNPAID),
            "invoice_cancelled": statuses.count(InvoiceStatus.CANCELLED),
        }


def _fail(session: ContractSession, findings: list[Finding], what: str) -> None:
    if findings:
        raise session.violation(findings, {"lifecycle check": what})


def stats_numbers(stats: Any) -> dict[str, int]:
    """Dashboard stats as ints (null counters mean zero: there are no rows)."""
    stats = stats if isinstance(stats, dict) else {}
    return {
        k: int(stats.get(k) or 0)
        for k in ("total_invoice_count", "invoice_paid", "invoice_not_paid", "invoice_cancelled")
    }


def read_stats(session: ContractSession) -> dict[str, int]:
    ex = session.call("list_invoices", {})
    return stats_numbers(ex.response.get("stats"))


def check_stats(session: ContractSession, model: Model) -> None:
    """stats_match_model."""
    now = read_stats(session)
    want = {k: model.baseline.get(k, 0) + v for k, v in model.counts().items()}
    findings = [
        Finding(
            "list_invoices",
            "stats_match_model",
            f"/response/stats/{k}",
            str(want[k]),
            str(now[k]),
            "lifecycle",
        )
        for k in want
        if now[k] != want[k]
    ]
    _fail(
        session, findings, f"stats after {len(model.invoices)} created invoice(s); baseline {model.baseline}"
    )


def check_unique(session: ContractSession, model: Model) -> None:
    """ids_tokens_unique (ids are the model's keys, so only tokens can collide)."""
    tokens = [i.token for i in model.invoices.values()]
    dupes = sorted({t for t in tokens if tokens.count(t) > 1})
    _fail(
        session,
        [
            Finding(
                "create_invoice",
                "ids_tokens_unique",
                "/response/token",
                "unique tokens",
                f"repeated: {dupes}",
                "lifecycle",
            )
        ]
        if dupes
        else [],
        "token uniqueness",
    )


def check_get(session: ContractSession, inv: ModelInvoice) -> dict[str, Any]:
    """found_by_get, and the status the model expects (cancelled_never_paid when it was cancelled)."""
    # "observe": a 404 here is this rule's finding (the invoice is lost), not a generic refusal.
    ex = session.call("get_invoice", {}, path_params={"id": inv.id}, intent="observe")
    got = ex.response if ex.accepted and isinstance(ex.response, dict) else {}
    findings = []
    if got.get("id") != inv.id or got.get("token") != inv.token:
        findings.append(
            Finding(
                "get_invoice",
                "found_by_get",
                "/response/id",
                f"invoice {inv.id} ({inv.token})",
                f"{got.get('id')} ({got.get('token')})",
                "lifecycle",
            )
        )
    elif got.get("invoice_status") != inv.status:
        rule = "cancelled_never_paid" if inv.status == InvoiceStatus.CANCELLED else "found_by_get"
        findings.append(
            Finding(
                "get_invoice",
                rule,
                "/response/invoice_status",
                str(inv.status.value),
                str(got.get("invoice_status")),
                "lifecycle",
            )
        )
    _fail(session, findings, f"get invoice {inv.id}")
    return got


def check_search(session: ContractSession, inv: ModelInvoice) -> None:
    """found_by_search: the reference number finds the invoice."""
    ex = session.call("list_invoices", {"search": inv.reference})
    rows = ((ex.response or {}).get("invoices") or {}).get("data") or []
    if not any(r.get("id") == inv.id for r in rows if isinstance(r, dict)):
        _fail(
            session,
            [
                Finding(
                    "list_invoices",
                    "found_by_search",
                    "/response/invoices/data",
                    f"invoice {inv.id} among the results for search={inv.reference!r}",
                    f"ids {[r.get('id') for r in rows if isinstance(r, dict)]}",
                    "lifecycle",
                )
            ],
            f"search {inv.reference}",
        )


def check_status_filter(session: ContractSession, inv: ModelInvoice) -> None:
    """filtered_by_status: the list filtered by the invoice's status (and searched by its
    reference) shows it, filtered by another status does not, and every row has the status asked."""
    other = next(s for s in InvoiceStatus if s != inv.status)
    findings: list[Finding] = []
    for asked, shown in ((inv.status, True), (other, False)):
        ex = session.call("list_invoices", {"search": inv.reference, "status": str(asked.value)})
        block = (ex.response or {}).get("invoices") or {}
        rows = [r for r in block.get("data") or [] if isinstance(r, dict)]
        wrong = sorted({str(r.get("invoice_status")) for r in rows if r.get("invoice_status") != asked.value})
        if wrong or any(r.get("id") == inv.id for r in rows) != shown:
            where = "among" if shown else "not among"
            expected = (f"invoice {inv.id} ({inv.status.name.lower()}) {where} the rows of status="
                        f"{asked.value}, every row of status {asked.value}")
            actual = f"ids {[r.get('id') for r in rows]}"
            actual += f", statuses {', '.join(wrong)}" if wrong else ""
            findings.append(Finding("list_invoices", "filtered_by_status", "/response/invoices/data",
                                    expected, actual, "lifecycle"))
    _fail(session, findings, f"status filter, search {inv.reference}")


def check_pages(session: ContractSession, model: Model, *, max_pages: int = MAX_PAGES) -> None:
    """found_on_a_page and pages_consistent: walk the list newest first."""
    seen: dict[object, int] = {}  # row id as the server sent it (maybe missing) -> its page
    findings: list[Finding] = []
    page, total, complete = 1, None, False
    wanted = set(model.invoices)
    while page <= max_pages:
        ex = session.call("list_invoices", {"page": page})
        block = (ex.response or {}).get("invoices") or {}
        rows = [r for r in block.get("data") or [] if isinstance(r, dict)]
        pag = block.get("pagination") or {}
        total = pag.get("total", total)
        if pag.get("count") != len(rows):
            findings.append(
                Finding(
                    "list_invoices",
                    "pages_consistent",
                    "/response/invoices/pagination/count",
                    str(len(rows)),
                    str(pag.get("count")),
                    "lifecycle",
                )
            )
        for r in rows:
            if r.get("id") in seen:
                findings.append(
                    Finding(
                        "list_invoices",
                        "pages_consistent",
                        "/response/invoices/data",
                        f"invoice {r.get('id')} on one page only",
                        f"on pages {seen[r['id']]} and {page}",
                        "lifecycle",
                    )
                )
            seen.setdefault(r.get("id"), page)
        if not rows or not pag.get("next_page_url"):
            complete = True
            break
        if wanted <= set(seen) and session.target.live:
            break  # on a live target stop once ours are found: the rest is other people's data
        page += 1
    if complete and isinstance(total, int) and len(seen) != total:
        findings.append(
            Finding(
                "list_invoices",
                "pages_consistent",
                "/response/invoices/pagination/total",
                f"{total} distinct invoices over all pages",
                f"{len(seen)}",
                "lifecycle",
            )
        )
    missing = sorted(wanted - set(seen))
    if missing and (complete or page > max_pages):
        findings.append(
            Finding(
                "list_invoices",
                "found_on_a_page",
                "/response/invoices/data",
                "every created invoice on some page",
                f"missing ids {missing[:10]}",
                "lifecycle",
            )
        )
    _fail(session, findings, f"walked {page} page(s)")


def check_details_match_rows(session: ContractSession, rows: list[Any], *, limit: int = 3) -> None:
    """details_match_row: get each of the first ``limit`` rows of one list answer and compare the
    fields both shapes carry. Each side is one answer, so other users of a shared sandbox cannot
    make it fail, short of paying or cancelling that very invoice between the two calls."""
    findings = []
    for row in [r for r in rows if isinstance(r, dict) and isinstance(r.get("id"), int)][:limit]:
        ex = session.call("get_invoice", {}, path_params={"id": row["id"]}, intent="observe")
        details = ex.response if ex.accepted and isinstance(ex.response, dict) else {}
        findings += [
            Finding("get_invoice", "details_match_row", f"/response/{key}",
                    f"{row.get(key)!r} (its list row)", repr(details.get(key)), "lifecycle")
            for key in SHARED_FIELDS if details.get(key) != row.get(key)
        ]
    _fail(session, findings, "details of the rows of one list page")


def check_findable(session: ContractSession, model: Model) -> None:
    """Every created invoice by get, by search and on a page; ids and tokens unique."""
    check_unique(session, model)
    for inv in model.invoices.values():
        check_get(session, inv)
        check_search(session, inv)
    check_pages(session, model)
