"""Drive the mock app in-process, without sockets or threads, for profiling one scenario.

    python -m bench.hotpath create_invoice 5000 [--profile]   (pyinstrument, when installed)
    python -m bench.hotpath create_invoice 5000 --db /tmp/hot.sqlite   (the SQLite store)

Prints the mean cost per request; with ``--profile`` a pyinstrument tree of where it goes.
"""

from __future__ import annotations

import argparse
import asyncio
import time
from typing import Any
from urllib.parse import urlencode, urlsplit

from bench.seed import CHECKOUT_PAYLOAD, COMMON_TERM, CREATE_PAYLOAD, seed_store
from hesabe_spec.client import HesabeClient
from hesabe_spec.sandbox import SANDBOX
from mock_server.app import create_app
from mock_server.state.memory import MemoryStore
from mock_server.state.store import Store

__all__ = ["main"]


async def _call(app: Any, method: str, url: str, headers: dict[str, str], body: bytes) -> tuple[int, bytes]:
    parts = urlsplit(url)
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": parts.path,
        "raw_path": parts.path.encode(),
        "root_path": "",
        "query_string": parts.query.encode(),
        "client": ("127.0.0.1", 1),
        "server": ("mock", 80),
        "headers": [(k.lower().encode(), v.encode()) for k, v in headers.items()]
        + [(b"content-length", str(len(body)).encode())],
    }
    out: dict[str, Any] = {"body": b""}

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(msg: dict[str, Any]) -> None:
        if msg["type"] == "http.response.start":
            out["status"] = msg["status"]
        else:
            out["body"] += msg.get("body", b"")

    await app(scope, receive, send)
    return out["status"], out["body"]


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser()
    p.add_argument("scenario", choices=["login", "create_invoice", "get_invoice", "list_page1", "search",
                                        "create_checkout"])
    p.add_argument("n", type=int, nargs="?", default=3000)
    p.add_argument("--seed", type=int, default=10000)
    p.add_argument("--profile", action="store_true")
    p.add_argument("--db", help="a SQLite file to keep state in (default: the memory store)")
    p.add_argument("--concurrency", type=int, default=1,
                   help="requests in flight at once (asyncio.gather; writes then share commits)")
    args = p.parse_args(argv)
    store: Store
    if args.db:
        from mock_server.state.sqlite import SqliteStore

        store = SqliteStore(args.db)
    else:
        store = MemoryStore()
    seed_store(store, args.seed)
    app = create_app(store=store)
    client = HesabeClient(base_url="http://mock")
    loop = asyncio.new_event_loop()

    def send(prep: Any) -> tuple[int, bytes]:
        url = prep.url + ("?" + urlencode(dict(prep.params)) if prep.params else "")
        return loop.run_until_complete(_call(app, prep.method, url, dict(prep.headers), prep.body or b""))

    import json

    status, body = send(client.prepare("login", {"username": SANDBOX.username, "password": SANDBOX.password}))
    token = json.loads(body)["response"]["token"]["access_token"]
    preps = {
        "login": client.prepare("login", {"username": SANDBOX.username, "password": SANDBOX.password}),
        "create_invoice": client.prepare("create_invoice", dict(CREATE_PAYLOAD), bearer=token),
        "get_invoice": client.prepare("get_invoice", {}, path_params={"id": 1}, bearer=token),
        "list_page1": client.prepare("list_invoices", {"page": 1}, bearer=token),
        "search": client.prepare("list_invoices", {"page": 1, "search": COMMON_TERM}, bearer=token),
        "create_checkout": client.prepare("create_checkout", dict(CHECKOUT_PAYLOAD)),
    }
    prep = preps[args.scenario]
    status, _ = send(prep)
    assert status == 200, status
    for _ in range(200):
        send(prep)
    profiler = None
    if args.profile:
        from pyinstrument import Profiler

        profiler = Profiler(interval=0.0002)
        profiler.start()
    url = prep.url + ("?" + urlencode(dict(prep.params)) if prep.params else "")

    async def together(n: int) -> None:
        await asyncio.gather(*(_call(app, prep.method, url, dict(prep.headers), prep.body or b"")
                               for _ in range(n)))

    t0, c0 = time.perf_counter(), time.process_time()
    for _ in range(args.n // args.concurrency):
        loop.run_until_complete(together(args.concurrency))
    dt, cpu = time.perf_counter() - t0, time.process_time() - c0
    if profiler is not None:
        profiler.stop()
        print(profiler.output_text(unicode=False, color=False, show_all=False))
    print(
        f"{args.scenario}: {dt / args.n * 1e6:.1f} us/request wall, {cpu / args.n * 1e6:.1f} us CPU"
        f" ({args.n / dt:.0f}/s in-process, one core)"
    )


if __name__ == "__main__":
    main()
