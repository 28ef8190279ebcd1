"""``hesabe-mock record``: a recording proxy in front of a Hesabe server (or any compatible one).

::

    hesabe-mock record --upstream https://merchantapisandbox.hesabe.com --out recordings/2026-12-07
    # Recording proxy on http://127.0.0.1:8010 -> https://merchantapisandbox.hesabe.com

Point the integration (or ``hesabe-contract --url``, or the client's ``base_url``) at the printed
URL; every operation's exchange becomes a cassette in ``--out``. Stop it with Ctrl-C. The keys
that decrypt the exchanges are the ``HESABE_*`` variables' (the public sandbox identity when
none is set); they are never written. Every option also comes from ``HESABE_RECORD_<OPTION>``.
"""

from __future__ import annotations

import argparse
import getpass
import os
import sys
from collections.abc import Mapping
from pathlib import Path
from urllib.parse import urlsplit

from hesabe_spec.errors import ConfigurationError
from hesabe_spec.extras import installed_version

__all__ = ["build_parser", "main"]


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="hesabe-mock record",
        description="Forward requests unchanged to an upstream Hesabe server and keep each exchange as a "
        "cassette (decrypted, secrets dropped). Env: HESABE_RECORD_<OPTION>.",
    )
    p.add_argument(
        "--upstream",
        required=True,
        metavar="URL",
        help="the server to forward to: https://merchantapisandbox.hesabe.com, "
        "https://sandbox.hesabe.com, or a mock's URL",
    )
    p.add_argument(
        "--gateway-upstream",
        metavar="URL",
        default=None,
        help="where the payment gateway's operations and pages go (default: the gateway paired "
        "with --upstream, https://sandbox.hesabe.com for the sandbox, else --upstream itself)",
    )
    p.add_argument("--out", required=True, metavar="DIR", help="a new directory for the cassettes")
    p.add_argument("--host", default="127.0.0.1", help="interface to listen on (default: loopback)")
    p.add_argument("--port", type=int, default=8010, help="port; 0 picks a free one (default 8010)")
    p.add_argument(
        "--allow-writes",
        action="store_true",
        help="also forward operations that move money (refunds, capture, void) or text customers "
        "(resend, bulk send, SMS invoices); refused with a 403 otherwise",
    )
    p.add_argument(
        "--mask-pii",
        action="store_true",
        help="replace customer names, e-mail addresses, phone numbers and SMS texts in the cassettes",
    )
    p.add_argument(
        "--label",
        choices=("real", "synthetic"),
        default=None,
        help="real: a Hesabe server answers; synthetic: anything else (default: real for a "
        "*.hesabe.com upstream, else synthetic)",
    )
    p.add_argument("--recorded-by", default=None, help="who records (default: the login name)")
    p.add_argument("--description", default="", help="a line for the manifest: what this recording covers")
    p.add_argument("--version", action="version", version=f"%(prog)s {installed_version()}")
    return p


def _environment(parser: argparse.ArgumentParser, argv: list[str], environ: Mapping[str, str]) -> list[str]:
    """``HESABE_RECORD_<OPTION>`` values for the options not given on the command line."""
    given = {a.split("=", 1)[0] for a in argv if a.startswith("--")}
    extra: list[str] = []
    for action in parser._actions:
        if not action.option_strings or action.dest in ("help", "version"):
            continue
        flag = action.option_strings[0]
        raw = environ.get(f"HESABE_RECORD_{action.dest.upper()}")
        if raw is None or flag in given:
            continue
        if isinstance(action, argparse._StoreTrueAction):
            if raw.lower() in ("1", "true", "yes", "on"):
                extra.append(flag)
        else:
            extra += [flag, raw]
    return extra


def main(argv: list[str] | None = None, environ: Mapping[str, str] | None = None) -> int:
    env = os.environ if environ is None else environ
    args_in = list(sys.argv[2:] if argv is None else argv)
    parser = build_parser()
    args = parser.parse_args(args_in + _environment(parser, args_in, env))
    import uvicorn

    from hesabe_spec.cassettes import Label
    from hesabe_spec.client.config import ClientConfig
    from mock_server.recording.proxy import Recorder, RecordingProxy

    if urlsplit(args.upstream).scheme not in ("http", "https"):
        print(
            f"hesabe-mock record: --upstream must be an http(s) URL, got {args.upstream!r}", file=sys.stderr
        )
        return 2
    host = urlsplit(args.upstream).hostname or ""
    hesabe = host == "hesabe.com" or host.endswith(".hesabe.com")
    label: Label = args.label or ("real" if hesabe else "synthetic")
    try:
        identity = ClientConfig.from_env(env)
        # the pairing of Merchant API and gateway hosts is the client's (one fact, one place)
        gateway = args.gateway_upstream or ClientConfig(base_url=args.upstream.rstrip("/")).gateway
        recorder = Recorder(
            Path(args.out),
            identity.keys,
            upstream=args.upstream,
            label=label,
            recorded_by=args.recorded_by or getpass.getuser(),
            merchant_code=identity.merchant_code,
            mask=args.mask_pii,
            description=args.description,
            gateway_upstream=gateway,
        )
        proxy = RecordingProxy(
            args.upstream, recorder, gateway_upstream=gateway, allow_writes=args.allow_writes
        )
    except (ConfigurationError, ValueError, OSError) as exc:
        print(f"hesabe-mock record: {exc}", file=sys.stderr)
        return 2
    from mock_server.cli import _bind

    try:
        sock = _bind(args.host, args.port)
    except OSError as exc:
        print(
            f"hesabe-mock record: cannot listen on {args.host}:{args.port}: {exc.strerror}", file=sys.stderr
        )
        return 2
    bound_host, port = sock.getsockname()[:2]
    print(f"Recording proxy on http://{bound_host}:{port} -> {args.upstream}", flush=True)
    if gateway.rstrip("/") != args.upstream.rstrip("/"):
        print(f"  payment gateway -> {gateway}", flush=True)
    print(
        f"  cassettes: {args.out} ({label}); writes {'allowed' if args.allow_writes else 'refused'}; "
        f"PII {'masked' if args.mask_pii else 'kept'}",
        flush=True,
    )
    server = uvicorn.Server(uvicorn.Config(proxy, log_level="warning", lifespan="on"))
    try:
        server.run(sockets=[sock])
    finally:  # uvicorn re-raises the Ctrl-C it stopped on, after shutting down
        print(f"recorded {recorder.recorded} exchange(s) in {args.out}", flush=True)
    return 0
