"""Tables and the targets, from the results dict ``python -m bench`` builds."""

from __future__ import annotations

from typing import Any

__all__ = ["SCALING_OPS", "render", "targets"]

#: the scaling section's operations, in table order (bench/scaling.py times each)
SCALING_OPS = ("get_by_id", "create", "page_first", "page_middle", "page_last", "status_first",
               "status_middle", "status_last", "search_unique", "search_common", "stats", "first_search",
               "first_common")


def _size(n: int) -> str:
    return f"{n // 1_000_000}M" if n >= 1_000_000 and n % 1_000_000 == 0 else (
        f"{n // 1000}k" if n >= 1000 and n % 1000 == 0 else str(n))


def _p99(t: dict[str, float]) -> str:
    cpu = f" ({t['cpu_p99_us'] / 1e3:.2f})" if "cpu_p99_us" in t else ""
    return f"{t['p99_us'] / 1e3:.2f}{cpu}"


def _table(headers: list[str], rows: list[list[str]]) -> str:
    widths = [max(len(h), *(len(r[i]) for r in rows)) if rows else len(h) for i, h in enumerate(headers)]
    line = "  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=False))
    out = [line, "  ".join("-" * w for w in widths)]
    out += [
        "  ".join(c.rjust(w) if i else c.ljust(w) for i, (c, w) in enumerate(zip(r, widths, strict=False)))
        for r in rows
    ]
    return "\n".join(out)


def _spread(point: dict[str, Any]) -> str:
    """Each run's ratio when the point is the median of several runs, else each round's."""
    if "ratio_runs" in point:
        return "runs " + " ".join(f"{x:.3f}" for x in point["ratio_runs"])
    return "rounds " + " ".join(f"{x:.2f}" for x in point.get("ratio_rounds", []))


def targets(res: dict[str, Any]) -> list[dict[str, Any]]:
    """Each target that this run measured: name, measured value, limit, holds."""
    out: list[dict[str, Any]] = []
    http = res.get("http")
    if http:
        # The memory store (`make mock`, `hesabe-mock`) is held to 0.5 x the baseline; the SQLite store
        # (`--db`, every answered write durable against a process crash) to 0.4 x for invoices.
        limits = {"memory": 0.5, "sqlite": 0.4}
        for store, scen in http["mock"].items():
            if store not in limits:
                continue
            for create in ("create_invoice", "create_checkout") if store == "memory" else ("create_invoice",):
                for c, r in scen.get(create, {}).items():
                    out.append(
                        {
                            "target": f"{create} / baseline req/s ({store}, c={c})",
                            "value": round(r["ratio"], 3),
                            "limit": f">= {limits[store]}",
                            "holds": r["ratio"] >= limits[store],
                            "spread": _spread(r),
                        }
                    )
    scaling = res.get("scaling")
    if scaling:
        for store, data in scaling.items():
            big = data["rows"][-1]
            for op in SCALING_OPS:
                limit_ms = 50 if op in ("search_common", "first_common") else 10
                p99_ms = big[op]["p99_us"] / 1e3
                out.append(
                    {
                        "target": f"{op} p99 at {big['size']:,} ({store}), ms",
                        "value": round(p99_ms, 2),
                        "limit": f"<= {limit_ms}",
                        "holds": p99_ms <= limit_ms,
                        "spread": (f"CPU p99 {big[op]['cpu_p99_us'] / 1e3:.2f}" if "cpu_p99_us" in big[op]
                                   else ""),
                    }
                )
    cold = res.get("coldstart")
    if cold:
        for store, c in cold.items():
            out.append(
                {
                    "target": f"cold start to first login ({store}), s",
                    "value": round(c["median_s"], 3),
                    "limit": "<= 1",
                    "holds": c["median_s"] <= 1,
                }
            )
    inproc = res.get("inprocess")
    if inproc:
        for op in ("get_invoice", "create_invoice", "list_invoices"):
            p99 = inproc[op]["p99_ms"]
            out.append(
                {
                    "target": f"in-process client {op} p99, ms",
                    "value": round(p99, 3),
                    "limit": "<= 1",
                    "holds": p99 <= 1,
                }
            )
    contract = res.get("contract")
    if contract and contract.get("present"):
        wall = contract["inprocess"]["wall_s"]
        out.append(
            {
                "target": "default contract suite, in-process mock, s",
                "value": round(wall, 1),
                "limit": "<= 60",
                "holds": wall <= 60 and contract["inprocess"]["returncode"] == 0,
            }
        )
    inspector = res.get("inspector")
    if inspector:
        for name, per in inspector["scenarios"].items():
            r = per["page"]
            out.append({"target": f"{name} req/s, inspector open / closed", "value": round(r["ratio"], 3),
                        "limit": ">= 0.9", "holds": r["ratio"] >= 0.9,
                        "spread": "rounds " + " ".join(f"{x:.2f}" for x in r["ratio_rounds"])})
    return out


def render(res: dict[str, Any]) -> str:
    parts: list[str] = []
    http = res.get("http")
    if http:
        rows = [
            ["baseline GET /", str(c), f"{b['rps']:.0f}", f"{b['p50_ms']:.2f}", f"{b['p99_ms']:.2f}",
             "", "", ""]
            for c, b in http["baseline_get"].items()
        ]
        for store, scen in http["mock"].items():
            for name, per_c in scen.items():
                for c, r in per_c.items():
                    err = f" ({r['errors']} errors)" if r["errors"] else ""
                    rows.append(
                        [
                            f"{store} {name}",
                            str(c),
                            f"{r['rps']:.0f}{err}",
                            f"{r['p50_ms']:.2f}",
                            f"{r['p99_ms']:.2f}",
                            f"{r['baseline']['rps']:.0f}",
                            f"{r['ratio']:.2f}",
                            f"{r['ratio_get']:.2f}" if "ratio_get" in r else "",
                        ]
                    )
        parts.append(
            f"HTTP on loopback ({http['generator']}, one uvicorn worker, mock seeded with"
            f" {http['seeded']:,} invoices; baseline = bare Starlette sent the same request; each point"
            f" {http.get('rounds', 1)} mock windows of {http.get('window_s', http['seconds']):g}s, each"
            " between two baseline windows; x baseline = median of the rounds' ratios"
            + (f", then the median of {http['runs']} fresh-server runs" if http.get("runs") else "")
            + ")\n"
            + _table(["scenario", "conc", "req/s", "p50 ms", "p99 ms", "baseline req/s", "x baseline",
                      "x GET /"], rows)
        )
    scaling = res.get("scaling")
    if scaling:
        columns = [(store, r) for store, data in scaling.items() for r in data["rows"]]
        headers = ["p99 ms (CPU p99)", *(f"{store} {_size(r['size'])}" for store, r in columns)]
        rows = [
            [op, *(_p99(r[op]) for _store, r in columns)] for op in SCALING_OPS
        ]
        rows.append(["seed s (total)", *(f"{r['seed_total_s']:.1f}" for _store, r in columns)])
        rows.append(["bytes/invoice", *(
            f"{r['rss_bytes_per_invoice']:.0f}"
            + (f" +{r['db_bytes_per_invoice']:.0f} file" if "db_bytes_per_invoice" in r else "")
            for _store, r in columns)])
        parts.append(
            "Scaling (the real handler, in-process, no HTTP/crypto; p99 of wall time, in brackets of"
            " CPU time; 'common' = a word 1% of invoices carry; middle/last = page N/2 and N)\n"
            + _table(headers, rows)
        )
    held = res.get("held")
    if held:
        from bench.held import READS

        rows = [
            [store, f"{int(n):,}",
             *(f"{r[name]['p50_ms']:.3f} ({r[name]['x_empty']:.2f})" for name in READS)]
            for store, per_n in held.items() for n, r in per_n.items()
        ]
        parts.append(
            "Reads against the records held (in-process; n ACTIVE monthly subscriptions, paid, none"
            " due): median ms, in brackets x the same store's with none held\n"
            + _table(["store", "subscriptions", *(f"{name} ms" for name in READS)], rows)
        )
    inproc = res.get("inprocess")
    if inproc:
        rows = [
            [op, f"{r['p50_ms']:.3f}", f"{r['p90_ms']:.3f}", f"{r['p99_ms']:.3f}", str(r["n"])]
            for op, r in inproc.items()
        ]
        parts.append(
            "In-process (HesabeClient + ASGITransport against create_app())\n"
            + _table(["operation", "p50 ms", "p90 ms", "p99 ms", "calls"], rows)
        )
    cold = res.get("coldstart")
    if cold:
        rows = [
            [
                s,
                f"{c['median_s'] * 1e3:.0f}",
                f"{c['min_s'] * 1e3:.0f}",
                f"{c['max_s'] * 1e3:.0f}",
                f"{c['url_printed_median_s'] * 1e3:.0f}",
                str(c["runs"]),
            ]
            for s, c in cold.items()
        ]
        parts.append(
            "Cold start (hesabe-mock --port 0 -> first successful login)\n"
            + _table(["store", "median ms", "min ms", "max ms", "URL printed ms", "runs"], rows)
        )
    contract = res.get("contract")
    if contract:
        if not contract.get("present"):
            parts.append("Contract suite: not present yet")
        else:
            rows = [
                [
                    m,
                    f"{r['wall_s']:.1f}",
                    str(r["examples"]),
                    f"{r['examples_per_s']:.0f}",
                    str(r["exchanges"]),
                    r["summary"] if isinstance(r["summary"], str) else str(r["summary"]),
                ]
                for m, r in ((k, contract[k]) for k in ("inprocess", "loopback"))
            ]
            parts.append(
                "Contract suite (pytest contract_tests, default profile)\n"
                + _table(["target", "wall s", "examples", "examples/s", "judged calls", "result"], rows)
            )
    inspector = res.get("inspector")
    if inspector:
        rows = [
            [name, label, f"{r['closed_rps']:.0f}", f"{r['open_rps']:.0f}", f"{r['ratio']:.3f}",
             " ".join(f"{x:.2f}" for x in r["ratio_rounds"]), f"{r['polls']} / {r['rows_polled']}"]
            for name, per in inspector["scenarios"].items() for label, r in per.items()
        ]
        parts.append(
            f"Inspector open vs closed (one uvicorn worker, memory store, c={inspector['concurrency']};"
            f" 'page' polls every {inspector['page_poll_s']:g}s as the page does, 'x10' ten times as often)\n"
            + _table(["scenario", "tab", "closed req/s", "open req/s", "open/closed", "rounds",
                      "polls / rows"], rows))
    t = res.get("targets") or []
    if t:
        rows = [[x["target"], str(x["value"]), x["limit"], "holds" if x["holds"] else "MISSED",
                 x.get("spread", "")] for x in t]
        parts.append("Targets\n" + _table(["target", "measured", "limit", "", ""], rows))
    return "\n\n".join(parts)
