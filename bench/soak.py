"""Soak: sustained mixed load on a real ``hesabe-mock`` for N seconds; memory must stay bounded.

    python bench/soak.py [--seconds 60] [--threads 4] [--interval 5] [--db FILE] [--reset-every 15]

Starts ``hesabe-mock --host 127.0.0.1 --port 0`` (loopback only, always), drives it with client
threads (creates, SMS creates, lists, details, resends, cancels, payments through the control
plane, open invoices, hostile requests, logins and token refreshes) and prints, every interval,
the server's RSS, requests served and errors, and the journal's size against its cap. The
store is reset through ``/_mock/reset`` every ``--reset-every`` seconds, so the records kept stay
bounded and what remains is what a leak would show: RSS after warm-up must not keep growing.

Exit status 1 when a request got a 5xx or a transport error, or when RSS grew more than
``--max-growth-mib`` between the end of warm-up and the end of the run.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import subprocess
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import requests

from hesabe_spec.sandbox import SANDBOX
from hesabe_spec.wire import decode_response, encode_request

MAX_SECONDS = 3600
MC = {"merchantCode": SANDBOX.merchant_code}
_URL = re.compile(r"listening on (http://\S+)")


def rss_mib(pid: int) -> float:
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    out = subprocess.run(["ps", "-o", "rss=", "-p", str(pid)], capture_output=True, text=True, check=False)
    return int(out.stdout.strip() or 0) / 1024


@dataclass
class Tally:
    lock: threading.Lock = field(default_factory=threading.Lock)
    served: int = 0
    errors: int = 0
    by_op: Counter[str] = field(default_factory=Counter)
    problems: list[str] = field(default_factory=list)

    def note(self, op: str, status: int | None, detail: str = "") -> None:
        with self.lock:
            self.served += 1
            self.by_op[op] += 1
            if status is None or status >= 500:
                self.errors += 1
                if len(self.problems) < 10:
                    self.problems.append(f"{op}: {status} {detail[:160]}")


class Worker(threading.Thread):
    def __init__(self, url: str, n: int, tally: Tally, stop: threading.Event) -> None:
        super().__init__(name=f"soak-{n}")
        self.url, self.tally, self.stop = url, tally, stop
        self.rng = random.Random(n)
        self.http = requests.Session()
        self.token = ""
        self.refresh = ""
        self.mine: list[tuple[int, str]] = []  # (id, token) of invoices this worker created

    # -- wire --------------------------------------------------------------------------------
    def login(self) -> None:
        r = self.http.post(f"{self.url}/api/v1/login", timeout=10,
                           json={"username": SANDBOX.username, "password": SANDBOX.password})
        self.tally.note("login", r.status_code, r.text)
        tok = r.json()["response"]["token"]
        self.token, self.refresh = tok["access_token"], tok["refresh_token"]

    def call(self, name: str, method: str, path: str, payload: Any, *, data: str | None = None) -> Any:
        hex_data = data if data is not None else encode_request(payload, SANDBOX.keys)
        headers = {"Authorization": f"Bearer {self.token}", "accessCode": SANDBOX.access_code}
        where = "params" if method == "GET" else "json"
        kw: dict[str, Any] = {where: {"data": hex_data}}
        r = self.http.request(method, self.url + path, headers=headers, timeout=10, **kw)
        self.tally.note(name, r.status_code, r.text)
        if r.status_code == 401:  # the store was reset under us: log in again
            self.login()
            return None
        env = decode_response(r.content, SANDBOX.keys).envelope
        return env.get("response") if isinstance(env, dict) and env.get("status") else None

    # -- the mix -----------------------------------------------------------------------------
    def step(self) -> None:
        roll = self.rng.random()
        amount = f"{self.rng.randint(1, 500_000) / 1000:.3f}"
        if roll < 0.25 or not self.mine:
            sms = self.rng.random() < 0.3
            body = {**MC, "customerName": "Soak", "amount": amount, "invoiceType": "1" if sms else "0",
                    "invoiceSubType": "0" if sms else "3", "allocatePayType": "1,2",
                    "expiresAt": "2031-01-01",
                    "referenceNumber": f"SOAK-{self.rng.getrandbits(32)}", "description": "soak run",
                    **({"mobileNumber": "66666666", "countryCode": "965"} if sms else {})}
            inv = self.call("create_invoice", "POST", "/api/v1/invoice", body)
            if inv:
                self.mine = [*self.mine[-200:], (int(inv["id"]), str(inv["token"]))]
        elif roll < 0.45:
            self.call("list_invoices", "GET", "/api/v1/invoice-dashboard",
                      {**MC, "page": self.rng.randint(1, 5), **({"search": "soak"} if roll < 0.3 else {})})
        elif roll < 0.55:
            self.call("get_invoice", "GET", f"/api/v1/invoice/{self.rng.choice(self.mine)[0]}", MC)
        elif roll < 0.6:
            inv_id, _tok = self.rng.choice(self.mine)
            self.call("resend_invoice", "POST", "/api/v1/invoice/resend",
                      {**MC, "resendId": str(inv_id), "mobileNumber": "66666666", "countryCode": "965"})
        elif roll < 0.67:
            _id, tok = self.mine.pop(self.rng.randrange(len(self.mine)))
            self.call("cancel_invoice", "PUT", f"/api/v1/invoice/{tok}", {**MC, "statusId": "3"})
        elif roll < 0.74:
            inv_id, _tok = self.mine.pop(self.rng.randrange(len(self.mine)))
            r = self.http.post(f"{self.url}/_mock/invoices/{inv_id}/pay", json={"outcome": "success"},
                               timeout=10)
            self.tally.note("pay (control plane)", r.status_code, r.text)
        elif roll < 0.8:
            self.call("create_open_invoice", "POST", "/api/v1/open-invoice",
                      {**MC, "title": "Soak link", "amountType": "0", "fixAmount": amount})
        elif roll < 0.9:  # hostile: undecryptable, bad field types, unknown ids
            kind = self.rng.randrange(3)
            if kind == 0:
                self.call("hostile", "POST", "/api/v1/invoice", None, data="zz" * self.rng.randint(1, 64))
            elif kind == 1:
                self.call("hostile", "POST", "/api/v1/invoice", {**MC, "amount": -1, "customerName": []})
            else:
                self.call("hostile", "GET", f"/api/v1/invoice/{self.rng.randint(10**9, 10**12)}", MC)
        elif roll < 0.95:
            r = self.http.post(f"{self.url}/api/v1/token-refresh", json={"refreshToken": self.refresh},
                               timeout=10)
            self.tally.note("refresh_token", r.status_code, r.text)
            if r.status_code == 200:
                tok = r.json()["response"]["token"]
                self.token, self.refresh = tok["access_token"], tok["refresh_token"]
            else:
                self.login()
        else:
            self.login()

    def run(self) -> None:
        try:
            self.login()
            while not self.stop.is_set():
                try:
                    self.step()
                except (requests.RequestException, ValueError, KeyError) as exc:
                    self.tally.note("transport", None, repr(exc))
                    if self.stop.wait(0.05):
                        break
        finally:
            self.http.close()


def start_server(db: str | None) -> tuple[subprocess.Popen[str], str]:
    cmd = [sys.executable, "-m", "mock_server.cli", "--host", "127.0.0.1", "--port", "0"]
    proc = subprocess.Popen(cmd + (["--db", db] if db else []), stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    found = _URL.search(proc.stdout.readline())
    if not found:
        proc.kill()
        raise SystemExit("hesabe-mock did not print its URL")
    return proc, found.group(1)


def journal_size(http: requests.Session, url: str) -> tuple[int, int, int]:
    body = http.get(f"{url}/_mock/journal", timeout=10).json()
    return len(body.get("entries", [])), int(body.get("capacity", 0)), int(body.get("recorded", 0))


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--seconds", type=float, default=60, help=f"run length (max {MAX_SECONDS})")
    p.add_argument("--threads", type=int, default=4)
    p.add_argument("--interval", type=float, default=5, help="seconds between rows of the table")
    p.add_argument("--db", help="SQLite file for the mock (default: memory store)")
    p.add_argument("--reset-every", type=float, default=15, help="POST /_mock/reset period (0: never)")
    p.add_argument("--max-growth-mib", type=float, default=25, help="RSS growth allowed after warm-up")
    p.add_argument("--json", help="also write the samples to this file")
    args = p.parse_args(argv)
    seconds = min(max(args.seconds, 1.0), MAX_SECONDS)

    proc, url = start_server(args.db)
    tally, stop = Tally(), threading.Event()
    workers = [Worker(url, n, tally, stop) for n in range(max(1, args.threads))]
    control = requests.Session()
    samples: list[dict[str, Any]] = []
    print(f"soak: {url} ({'sqlite ' + args.db if args.db else 'memory store'}), {len(workers)} threads, "
          f"{seconds:.0f} s, reset every {args.reset_every or 'never'} s")
    print(f"{'t (s)':>6} {'RSS MiB':>8} {'served':>8} {'req/s':>7} {'5xx/err':>7} {'journal':>12} "
          f"{'resets':>6}")
    started = time.monotonic()
    last_reset, resets, last_served = started, 0, 0
    try:
        for w in workers:
            w.start()
        next_sample = started
        while True:
            now = time.monotonic()
            if args.reset_every and now - last_reset >= args.reset_every:
                control.post(f"{url}/_mock/reset", json={}, timeout=10).raise_for_status()
                last_reset, resets = now, resets + 1
            if now >= next_sample:
                kept, cap, recorded = journal_size(control, url)
                served = tally.served
                rate = (served - last_served) / args.interval if samples else 0.0
                row = {"t": round(now - started, 1), "rss_mib": round(rss_mib(proc.pid), 1), "served": served,
                       "rps": round(rate), "errors": tally.errors, "journal": kept, "journal_cap": cap,
                       "journal_recorded": recorded, "resets": resets}
                samples.append(row)
                last_served = served
                print(f"{row['t']:>6} {row['rss_mib']:>8} {served:>8} {row['rps']:>7} {tally.errors:>7} "
                      f"{f'{kept}/{cap}':>12} {resets:>6}", flush=True)
                next_sample += args.interval
                if now - started >= seconds:
                    break
            time.sleep(min(0.1, max(0.0, next_sample - time.monotonic())))
    finally:
        stop.set()
        for w in workers:
            w.join(timeout=30)
        control.close()
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        if proc.stdout:
            proc.stdout.close()

    # warm-up: the first third (imports, first pages of the store, allocator arenas reaching size)
    warm = samples[max(1, len(samples) // 3)]["rss_mib"] if len(samples) > 1 else samples[0]["rss_mib"]
    peak_late = max(s["rss_mib"] for s in samples[len(samples) // 2:])
    growth = peak_late - warm
    journal_ok = all(s["journal"] <= s["journal_cap"] for s in samples)
    print(f"\nrequests: {tally.served} in {seconds:.0f} s ({tally.served / seconds:.0f}/s); by operation: "
          + ", ".join(f"{k} {v}" for k, v in tally.by_op.most_common()))
    print(f"RSS after warm-up {warm:.1f} MiB, peak in the second half {peak_late:.1f} MiB, "
          f"growth {growth:+.1f} MiB (allowed {args.max_growth_mib}); journal within its cap: {journal_ok}; "
          f"5xx/transport errors: {tally.errors}")
    for problem in tally.problems:
        print("  ", problem)
    if args.json:
        with open(args.json, "w", encoding="utf-8") as f:
            json.dump({"samples": samples, "served": tally.served, "errors": tally.errors,
                       "growth_mib": growth, "by_op": dict(tally.by_op)}, f, indent=1)
    ok = tally.errors == 0 and growth <= args.max_growth_mib and journal_ok
    print("verdict:", "bounded" if ok else "NOT OK")
    return 0 if ok else 1


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    sys.exit(main())
