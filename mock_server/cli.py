"""``hesabe-mock``: serve the mock with uvicorn.

    hesabe-mock --host 127.0.0.1 --port 8000 [--db state.sqlite | --db postgresql://...] [--workers N]
                [--envelope response|bare]
                [--token-ttl 900] [--merchants merchants.json] [--seed seed-pages]
                [--refund-auto-approve SECONDS] [--strict] [--log-level info]
                [--checkout-ttl 1800] [--callback-nesting flat|nested] [--gateway-envelope bare|response]
                [--open-control-plane] [--allowed-hosts NAME,...] [--replay RECORDING_DIR]
    hesabe-mock record --upstream URL --out DIR [--allow-writes] [--mask-pii]   (the recording proxy:
                mock_server/recording/record_cli.py)

One port serves both of Hesabe's hosts: the Merchant API (``/api/v1/...``) and the payment
gateway (``/checkout``, ``/payment``, ``/api/transaction/...``); their paths never collide.

``--port 0`` picks a free port; the real URL is printed on one line (``Hesabe mock listening on
http://127.0.0.1:PORT``) before the first request can arrive, and the inspector's address
(``/_mock/ui``) a few lines below it.

Every option can also come from the environment: ``--token-ttl`` from ``HESABE_MOCK_TOKEN_TTL``,
``--open-control-plane`` from ``HESABE_MOCK_OPEN_CONTROL_PLANE=1``, and so on (the command line
wins). When ``HESABE_MERCHANT_CODE``, ``HESABE_ACCESS_CODE``, ``HESABE_SECRET_KEY``,
``HESABE_IV_KEY``, ``HESABE_MERCHANT_USERNAME`` or ``HESABE_MERCHANT_PASSWORD`` are set, the mock
serves that merchant too, so an integration configured through them works against it unchanged.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import signal
import socket
import sys
import time
from collections import deque
from collections.abc import Callable, Mapping
from typing import Any

from hesabe_spec.errors import ConfigurationError
from hesabe_spec.extras import installed_version
from hesabe_spec.operations import OPERATIONS
from hesabe_spec.sandbox import SANDBOX

__all__ = ["ENV_PREFIX", "apply_environment", "build_parser", "env_var", "main"]

#: prefix of the environment variable of every option (``--token-ttl`` -> HESABE_MOCK_TOKEN_TTL)
ENV_PREFIX = "HESABE_MOCK_"
_TRUE, _FALSE = ("1", "true", "yes", "on"), ("0", "false", "no", "off", "")


def env_var(action: argparse.Action) -> str:
    """The environment variable of one option."""
    return ENV_PREFIX + action.dest.upper()


def _options(parser: argparse.ArgumentParser) -> list[argparse.Action]:
    return [a for a in parser._actions if a.option_strings and a.dest not in ("help", "version")]


def apply_environment(parser: argparse.ArgumentParser, environ: Mapping[str, str]) -> None:
    """Make ``HESABE_MOCK_<OPTION>`` the default of every option (checked like the option itself)
    and name the variable in each option's help."""
    for action in _options(parser):
        var = env_var(action)
        action.help = f"{action.help} [env {var}]"
        if var not in environ:
            continue
        raw = environ[var].strip()
        if isinstance(action, argparse._StoreTrueAction):
            if raw.lower() not in _TRUE + _FALSE:
                parser.error(f"{var}={raw!r}: expected one of {', '.join(_TRUE + _FALSE[:-1])}")
            action.default = raw.lower() in _TRUE
            continue
        try:
            value = action.type(raw) if callable(action.type) else raw
        except (argparse.ArgumentTypeError, ValueError) as exc:
            parser.error(f"{var}={raw!r}: {exc}")
        if action.choices is not None and value not in action.choices:
            parser.error(f"{var}={raw!r}: expected one of {', '.join(map(str, action.choices))}")
        action.default = value


def _whole(what: str, low: int, high: int, note: str = "") -> Callable[[str], int]:
    """An argparse type: a whole number from ``low`` to ``high``, errors naming ``what``."""
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not a {what} number: {text!r}") from None
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"{what} must be {low}-{high}{note}, got {value}")
        return value

    return parse


_port = _whole("port", 0, 65535, " (0 picks a free one)")
_workers = _whole("workers", 1, 64)


def _seconds(text: str) -> float:
    try:
        seconds = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number of seconds, got {text!r}") from None
    if not 0 <= seconds < 10**9:
        raise argparse.ArgumentTypeError(f"seconds must be between 0 and 10^9, got {text}")
    return seconds


def _hosts(text: str) -> tuple[str, ...]:
    names = tuple(name.strip().lower().rstrip(".") for name in text.split(",") if name.strip())
    if any(not name or "/" in name or " " in name for name in names):
        raise argparse.ArgumentTypeError(f"expected host names separated by commas, got {text!r}")
    return names


def build_parser() -> argparse.ArgumentParser:
    about = "Serve a stateful mock of Hesabe's Merchant API and payment gateway."
    more = ("hesabe-mock record --upstream URL --out DIR records a real server's exchanges as cassettes "
            "(hesabe-mock record --help); hesabe-parity compares the mock with them.")
    p = argparse.ArgumentParser(prog="hesabe-mock", description=about, epilog=more)
    p.add_argument("--host", default="127.0.0.1", help="interface to bind (default: loopback)")
    p.add_argument("--port", type=_port, default=8000, help="port; 0 picks a free one (default 8000)")
    p.add_argument("--db", metavar="PATH|URL",
                   help="keep state in a SQLite file, or in PostgreSQL (postgresql://user@host/db; several "
                        "workers and hosts can share it) (default: memory, one process)")
    p.add_argument("--workers", type=_workers, default=1, metavar="N",
                   help="serve with N processes on one port, sharing the --db store (SQLite or PostgreSQL) "
                        "and everything the control plane changes; the memory store cannot be shared")
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
    p.add_argument("--merchants", metavar="FILE",
                   help="JSON list of extra merchants (format: mock_server/schemas/merchants.schema.json)")
    p.add_argument("--public-url", metavar="URL", help="base for invoice links (default: request URL)")
    p.add_argument("--refund-auto-approve", type=_seconds, metavar="SECONDS",
                   help="approve pending refunds SECONDS of mock clock after they were asked for "
                        "(default: only POST /_mock/refunds/{id}/approve|reject decides)")
    p.add_argument("--open-control-plane", action="store_true",
                   help="serve /_mock/ to non-loopback clients too (default: loopback only)")
    p.add_argument("--allowed-hosts", type=_hosts, default=(), metavar="NAME,...",
                   help="more Host names the control plane and inspector answer (* for any); loopback, "
                        "IP literals and local names always do")
    p.add_argument("--seed", metavar="NAME|FILE",
                   help="load a seed document at start: a shipped fixture (seed-pages) or a JSON file")
    p.add_argument("--strict", action="store_true",
                   help="refuse, with a field error, what the real server accepts but the mock reports as an "
                        "integration finding (unknown field, empty value, 2-decimal amount ...)")
    p.add_argument("--replay", metavar="DIR",
                   help="answer requests that match a recording's cassettes with their recorded replies; "
                   "everything else goes to the mock (`hesabe-mock record` makes recordings)")
    p.add_argument("--log-level", default="warning",
                   choices=("critical", "error", "warning", "info", "debug", "trace"),
                   help="uvicorn's log level; info and debug also log every request (default: warning)")
    p.add_argument("--version", action="version", version=f"%(prog)s {installed_version()}")
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


def main(argv: list[str] | None = None, environ: Mapping[str, str] | None = None) -> int:
    env = os.environ if environ is None else environ
    given = sys.argv[1:] if argv is None else argv
    if given[:1] == ["record"]:
        from mock_server.recording.record_cli import main as record

        return record(given[1:], env)
    parser = build_parser()
    apply_environment(parser, env)
    args = parser.parse_args(argv)
    from hesabe_spec.cassettes import Recording, RecordingError, read_recording

    recording: Recording | None = None
    if args.replay:
        try:
            recording = read_recording(args.replay)
        except RecordingError as exc:
            print(f"hesabe-mock: --replay: {exc}", file=sys.stderr)
            return 2

    from mock_server.app import create_app
    from mock_server.control.seed import SeedError, fixture_names, load_seed, read_seed_file, seed_fixture
    from mock_server.merchants import env_merchant, load_merchants, registry_of
    from mock_server.settings import MockSettings
    from mock_server.state.opening import (
        StoreOpenError,
        claim_sqlite_file,
        describe,
        is_postgres_url,
        open_store,
    )

    if args.workers > 1 and args.replay:
        print("hesabe-mock: --replay plays its cassettes in order in one process; it cannot be shared by "
              "--workers", file=sys.stderr)
        return 2
    if args.workers > 1 and not args.db:
        print(f"hesabe-mock: --workers {args.workers} needs a store the workers can share: --db FILE "
              "(SQLite) or --db postgresql://... (the memory store lives in one process)", file=sys.stderr)
        return 2
    # another worker or host may serve the same database: share the control plane
    shared = args.workers > 1 or is_postgres_url(args.db)
    try:
        from_env = env_merchant(env)
        extra = [from_env] if from_env is not None else []
        merchants = load_merchants(args.merchants, extra=extra) if args.merchants else registry_of(extra)
        on_file = bool(args.db) and not is_postgres_url(args.db)
        # held (and inherited by the workers) until this process ends
        claim = claim_sqlite_file(args.db, shared=shared) if on_file else None
        store = open_store(args.db)
    except ConfigurationError as exc:
        print(f"hesabe-mock: {exc}", file=sys.stderr)
        return 2
    except StoreOpenError as exc:
        print(f"hesabe-mock: {exc}", file=sys.stderr)
        return 2
    if args.checkout_ttl < 1:
        print("hesabe-mock: --checkout-ttl must be at least 1 second", file=sys.stderr)
        return 2
    settings = MockSettings(envelope=args.envelope, token_ttl=args.token_ttl,
                            public_base_url=args.public_url, control_open=args.open_control_plane,
                            allowed_hosts=args.allowed_hosts,
                            refund_auto_approve_after=args.refund_auto_approve,
                            checkout_ttl=args.checkout_ttl, callback_nesting=args.callback_nesting,
                            gateway_envelope=args.gateway_envelope, strict=args.strict,
                            shared=shared)
    app = create_app(settings, store, merchants)
    counts = ""
    if args.seed:
        runtime = app.state.mock
        try:
            doc = seed_fixture(args.seed) if args.seed in fixture_names() else read_seed_file(args.seed)
            seeded = load_seed(doc, runtime.store, runtime.merchants, runtime.clock)
        except SeedError as exc:
            print(f"hesabe-mock: --seed {args.seed}: {exc}", file=sys.stderr)
            store.close()
            return 2
        counts = ", ".join(f"{len(ids)} {kind.replace('_', ' ')}" for kind, ids in seeded.items())
    try:
        sock = _bind(args.host, args.port)
    except OSError as exc:
        print(f"hesabe-mock: cannot listen on {args.host}:{args.port}: {exc.strerror}", file=sys.stderr)
        return 2
    host, port = sock.getsockname()[:2]
    shown = f"[{host}]" if ":" in host else host
    print(f"Hesabe mock listening on http://{shown}:{port}", flush=True)
    url = f"http://{shown}:{port}"
    print(f"  store: {describe(args.db)}; merchants: "
          f"{', '.join(m.merchant_code for m in merchants.merchants)}", flush=True)
    if settings.shared:
        print(f"  workers: {args.workers}, control plane shared through the store", flush=True)
        differ = app.state.mock.settings_differ
        if differ:
            print("hesabe-mock: warning: the last mock started on this database (it may have stopped "
                  f"since) had other settings ({'; '.join(differ)}): while both run, what a request gets "
                  "depends on which one it reaches; start every host with the same settings",
                  file=sys.stderr, flush=True)
    if counts:
        print(f"  seeded {args.seed}: {counts}", flush=True)
    print(f"  serves the Merchant API and the payment gateway on this one port "
          f"(HESABE_MERCHANT_API_URL={url} HESABE_GATEWAY_URL={url})", flush=True)
    print(f"  inspector: {url}/_mock/ui (traffic decrypted, records, clock, faults, webhooks)", flush=True)
    if merchants.by_access_code(SANDBOX.access_code) is not None:
        # The sandbox identity is public (Hesabe prints it in every docs page), so showing it is safe.
        print(f"  try:  curl -s -X POST {url}{OPERATIONS['login'].path} -H 'Content-Type: application/json' "
              f"-d '{{\"username\":\"{SANDBOX.username}\",\"password\":\"{SANDBOX.password}\"}}'",
              flush=True)
        print(f"  or:   HESABE_MERCHANT_API_URL={url} {sys.executable} -c "
              f"\"from hesabe_spec import HesabeClient; print(HesabeClient().list_invoices()['stats'])\"",
              flush=True)
    def served(app: Any) -> Any:
        """The app, behind the recording's playback when ``--replay`` gave one."""
        if recording is None:
            return app
        from mock_server.recording.playback import Playback

        return Playback(app, app.state.mock, recording)

    if recording is not None:
        print(f"  replaying {len(recording.cassettes)} cassette(s) from {args.replay}; the rest goes to "
              "the mock", flush=True)
    try:
        if args.workers == 1:
            return _serve(app, served(app), sock, args.log_level)
        # each worker opens its own connection: none is carried across fork()
        app.state.mock.close()
        store.close()
        sys.stdout.flush()

        def spawn() -> int:
            pid = os.fork()
            if pid == 0:  # pragma: no cover - the worker (tests run it as a real process)
                code = 1
                try:
                    for signum in (signal.SIGTERM, signal.SIGINT):  # uvicorn sets its own
                        signal.signal(signum, signal.SIG_DFL)
                    worker_app = create_app(settings, open_store(args.db), merchants)
                    code = _serve(worker_app, served(worker_app), sock, args.log_level)
                finally:
                    os._exit(code)
            return pid

        return _supervise(spawn, args.workers)
    finally:
        if claim is not None:
            claim.close()


def _serve(app: Any, served: Any, sock: socket.socket, log_level: str) -> int:
    """Serve ``served`` (``app``, or a wrapper of it) on ``sock`` with uvicorn until a signal stops
    it; then close the app's store."""
    import uvicorn

    from mock_server.heap import prepare_for_serving
    from mock_server.runtime import runtime_of
    from mock_server.serving import QuietUpgrades, SecretlessAccessLog, uvicorn_config

    config = uvicorn_config(served, log_level=log_level, access_log=log_level in ("info", "debug"))
    logging.getLogger("uvicorn.access").addFilter(SecretlessAccessLog())  # after uvicorn's logging setup
    logging.getLogger("uvicorn.error").addFilter(QuietUpgrades())
    server = uvicorn.Server(config)
    prepare_for_serving()
    try:
        server.run(sockets=[sock])
    finally:
        runtime_of(app).store.close()
    return 0


#: a worker that dies is replaced, unless this many died within ``RESTART_WINDOW_S``: then it
#: cannot run (a broken database, no memory) and the mock stops
MAX_RESTARTS = 5
RESTART_WINDOW_S = 60.0


def _supervise(spawn: Callable[[], int], workers: int) -> int:
    """Start ``workers`` workers and wait for them; pass SIGTERM / SIGINT on to them. A worker that
    dies meanwhile is replaced (its in-flight requests are lost; what it acknowledged is in the
    store); if workers keep dying, stop them all and fail."""
    running = {spawn() for _ in range(workers)}
    stopping: list[int] = []
    deaths: deque[float] = deque()

    def forward(signum: int, _frame: Any) -> None:
        stopping.append(signum)
        for pid in list(running):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signum)

    signal.signal(signal.SIGTERM, forward)
    signal.signal(signal.SIGINT, forward)
    failed = False
    while running:
        pid, status = os.wait()
        running.discard(pid)
        exited = os.waitstatus_to_exitcode(status)
        if stopping:
            # uvicorn re-raises the signal that stopped it: a worker we stopped ends "killed by" it
            failed = failed or exited not in (0, -signal.SIGTERM, -signal.SIGINT)
            continue
        now = time.monotonic()
        deaths.append(now)
        while deaths[0] < now - RESTART_WINDOW_S:
            deaths.popleft()
        if len(deaths) > MAX_RESTARTS:
            print(f"hesabe-mock: worker {pid} exited ({exited}): {len(deaths)} workers died in "
                  f"{RESTART_WINDOW_S:g} s; stopping the others", file=sys.stderr, flush=True)
            failed = True
            forward(signal.SIGTERM, None)
            continue
        print(f"hesabe-mock: worker {pid} exited ({exited}); starting another", file=sys.stderr, flush=True)
        replacement = spawn()
        running.add(replacement)
        if stopping:  # a signal came while it was starting
            forward(stopping[-1], None)
    return 1 if failed else 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
