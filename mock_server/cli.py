"""``hesabe-mock``: serve the mock with uvicorn.

    hesabe-mock --host 127.0.0.1 --port 8000 [--db state.sqlite] [--envelope response|bare]
                [--token-ttl 900] [--merchants merchants.json] [--log-level info]
                [--checkout-ttl 1800] [--callback-nesting flat|nested] [--gateway-envelope bare|response]

One port serves both of Hesabe's hosts: the Merchant API (``/api/v1/...``) and the payment
gateway (``/checkout``, ``/payment``, ``/api/transaction/...``); their paths never collide.

``--port 0`` picks a free port; the real URL is printed on one line (``Hesabe mock listening on
http://127.0.0.1:PORT``) before the first request can arrive.
"""

from __future__ import annotations

import argparse
import socket
import sqlite3
import sys

from hesabe_spec.errors import ConfigurationError
from hesabe_spec.operations import OPERATIONS
from hesabe_spec.sandbox import SANDBOX

__all__ = ["build_parser", "main"]


def _port(text: str) -> int:
    try:
        port = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a port number: {text!r}") from None
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"port must be 0-65535 (0 picks a free one), got {port}")
    return port


def build_parser() -> argparse.ArgumentParser:
    about = "Serve a stateful mock of Hesabe's Merchant API and payment gateway."
    p = argparse.ArgumentParser(prog="hesabe-mock", description=about)
    p.add_argument("--host", default="127.0.0.1", help="interface to bind (default: loopback)")
    p.add_argument("--port", type=_port, default=8000, help="port; 0 picks a free one (default 8000)")
    p.add_argument("--db", metavar="PATH", help="SQLite file to keep state in (default: memory)")
    p.add_argument("--envelope", choices=("response", "bare"), default="response",
                   help='outer body: {"response": hex} (docs, default) or bare hex (Hesabe app)')
    p.add_argument("--token-ttl", type=int, default=900, help="access token lifetime in seconds")
    p.add_argument("--checkout-ttl", type=int, default=1800,
                   help="how long a checkout session can be paid, in seconds (default 1800)")
    p.add_argument("--callback-nesting", choices=("flat", "nested"), default="flat",
                   help="callback fields flat under response (Hesabe's plugins, default) "
                        "or under response.data")
    p.add_argument("--gateway-envelope", choices=("bare", "response"), default="bare",
                   help='payment gateway answers: bare hex (default, what the kits read) '
                        'or {"response": hex}')
    p.add_argument("--merchants", metavar="FILE", help="JSON list of extra merchants")
    p.add_argument("--public-url", metavar="URL", help="base for invoice links (default: request URL)")
    p.add_argument("--open-control-plane", action="store_true",
                   help="serve /_mock/ to non-loopback clients too (default: loopback only)")
    p.add_argument("--log-level", default="warning",
                   choices=("critical", "error", "warning", "info", "debug", "trace"))
    return p


def _bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # proto must say TCP: asyncio sets TCP_NODELAY on accepted connections only when the listening
    # socket is IPPROTO_TCP; with proto 0 every reply waited ~40 ms (Nagle vs delayed ACK).
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(2048)
    sock.set_inheritable(True)
    return sock


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    import uvicorn

    from mock_server.app import create_app
    from mock_server.heap import prepare_for_serving
    from mock_server.merchants import MerchantRegistry, load_merchants
    from mock_server.serving import uvicorn_config
    from mock_server.settings import MockSettings
    from mock_server.state.memory import MemoryStore
    from mock_server.state.store import Store

    try:
        merchants = load_merchants(args.merchants) if args.merchants else MerchantRegistry.default()
        if args.db:
            from mock_server.state.sqlite import SqliteStore

            store: Store = SqliteStore(args.db)
        else:
            store = MemoryStore()
    except ConfigurationError as exc:
        print(f"hesabe-mock: {exc}", file=sys.stderr)
        return 2
    except (sqlite3.Error, OSError) as exc:
        print(f"hesabe-mock: cannot open the database {args.db!r}: {exc} "
              "(does its directory exist and is it writable?)", file=sys.stderr)
        return 2
    if args.checkout_ttl < 1:
        print("hesabe-mock: --checkout-ttl must be at least 1 second", file=sys.stderr)
        return 2
    settings = MockSettings(envelope=args.envelope, token_ttl=args.token_ttl,
                            public_base_url=args.public_url, control_open=args.open_control_plane,
                            checkout_ttl=args.checkout_ttl, callback_nesting=args.callback_nesting,
                            gateway_envelope=args.gateway_envelope)
    app = create_app(settings, store, merchants)
    try:
        sock = _bind(args.host, args.port)
    except OSError as exc:
        print(f"hesabe-mock: cannot listen on {args.host}:{args.port}: {exc.strerror}", file=sys.stderr)
        return 2
    host, port = sock.getsockname()[:2]
    shown = f"[{host}]" if ":" in host else host
    print(f"Hesabe mock listening on http://{shown}:{port}", flush=True)
    url = f"http://{shown}:{port}"
    print(f"  store: {args.db or 'memory'}; merchants: "
          f"{', '.join(m.merchant_code for m in merchants.merchants)}", flush=True)
    print(f"  serves the Merchant API and the payment gateway on this one port "
          f"(HESABE_MERCHANT_API_URL={url} HESABE_GATEWAY_URL={url})", flush=True)
    if merchants.by_access_code(SANDBOX.access_code) is not None:
        # The sandbox identity is public (Hesabe prints it in every docs page), so showing it is safe.
        print(f"  try:  curl -s -X POST {url}{OPERATIONS['login'].path} -H 'Content-Type: application/json' "
              f"-d '{{\"username\":\"{SANDBOX.username}\",\"password\":\"{SANDBOX.password}\"}}'",
              flush=True)
        print(f"  or:   HESABE_MERCHANT_API_URL={url} {sys.executable} -c "
              f"\"from hesabe_spec import HesabeClient; print(HesabeClient().list_invoices()['stats'])\"",
              flush=True)
    config = uvicorn_config(app, log_level=args.log_level, access_log=args.log_level in ("info", "debug"))
    server = uvicorn.Server(config)
    prepare_for_serving()
    try:
        server.run(sockets=[sock])
    finally:
        store.close()
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
