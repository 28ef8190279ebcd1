"""``hesabe-contract``: run the shipped contract suite from anywhere, against any server.

    hesabe-contract --url http://127.0.0.1:8000 --profile ci -n 2 --report report.json

It runs pytest on the installed ``contract_tests`` directory with its own configuration
(``suite.ini``), so the current directory's pytest settings and conftest files play no part.
Options it does not know go to pytest as they are (``-k refresh``, ``-x``, ``-v``).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from importlib.util import find_spec
from pathlib import Path

from hesabe_spec.extras import installed_version

__all__ = ["build_parser", "main", "pytest_args"]

SUITE = Path(__file__).resolve().parent


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="hesabe-contract",
        description="Run the Hesabe contract suite against a server (default: an in-process mock). "
        "Unknown options are passed to pytest.",
    )
    p.add_argument("--url", metavar="URL",
                   help="the server to test, e.g. a running hesabe-mock (default: HESABE_MERCHANT_API_URL, "
                   "else an in-process mock, which needs the [mock] extra)")
    p.add_argument("--mock", choices=("inprocess", "process"),
                   help="start a mock instead of testing a URL: in-process, or a hesabe-mock subprocess")
    p.add_argument("--profile", choices=("ci", "dev", "live"),
                   help="Hypothesis profile: ci (fast, derandomized), dev (more examples), live (gentle, "
                   "1 s between calls); default: live on a URL, dev on a mock")
    p.add_argument("--report", metavar="FILE", help="write the contract report as JSON")
    p.add_argument("--junit-xml", metavar="FILE", help="write a JUnit XML report (for CI test tabs)")
    p.add_argument("-n", "--workers", metavar="N",
                   help="run in N processes (pytest-xdist; 'auto' = one per core); on a URL each worker "
                   "runs as its own merchant when the server can make one (hesabe-mock can)")
    p.add_argument("--allow-sms", action="store_true",
                   help="on a URL, also run operations that text customers (needs --sms-mobile)")
    p.add_argument("--sms-mobile", metavar="NUMBER", help="the only mobile number SMS may go to")
    p.add_argument("--run-prefix", metavar="PREFIX", help="prefix of every reference number created")
    p.add_argument("--operations", metavar="NAME,...",
                   help="the operations the server serves (a partial implementation): the tests of the "
                   "others are left out, and a test calling one is skipped, saying which")
    p.add_argument("--shrink", action="store_true",
                   help="shrink a failure to a minimal example on a URL too (more calls: for a server of "
                   "your own)")
    p.add_argument("--fresh-merchant", action="store_true",
                   help="on a URL, run as a new merchant from the server's POST /_mock/merchants")
    p.add_argument("--version", action="version", version=f"%(prog)s {installed_version()}")
    return p


def pytest_args(args: argparse.Namespace, passthrough: list[str]) -> list[str]:
    """The pytest command line for ``args`` (paths made absolute: pytest runs from the suite).

    Tests named in ``passthrough`` as the report's re-run lines name them (``test_auth.py::test_x``,
    relative to the suite) run alone; otherwise the whole suite runs."""
    selected = [_in_suite(arg) for arg in passthrough if _names_tests(arg)]
    passthrough = [arg for arg in passthrough if not _names_tests(arg)]
    out = [*(selected or [str(SUITE)]), "-c", str(SUITE / "suite.ini"), "--rootdir", str(SUITE),
           "--confcutdir", str(SUITE), "-p", "contract_tests.plugin"]
    if args.url:
        out += ["--hesabe-url", args.url]
    if args.mock:
        out += ["--hesabe-mock", args.mock]
    if args.report:
        out += ["--hesabe-report", str(Path(args.report).resolve())]
    if args.junit_xml:
        out += ["--junit-xml", str(Path(args.junit_xml).resolve())]
    if args.workers:
        out += ["-n", str(args.workers)]
    if args.allow_sms:
        out.append("--hesabe-allow-sms")
    if args.sms_mobile:
        out += ["--hesabe-sms-mobile", args.sms_mobile]
    if args.run_prefix:
        out += ["--hesabe-run-prefix", args.run_prefix]
    if args.fresh_merchant:
        out.append("--hesabe-fresh-merchant")
    if args.shrink:
        out.append("--hesabe-shrink")
    if args.operations:
        out += ["--hesabe-operations", args.operations]
    return out + passthrough


def _names_tests(arg: str) -> bool:
    """Is ``arg`` a test file or a test's id (``test_auth.py``, ``test_auth.py::test_login[x]``)?"""
    return not arg.startswith("-") and (arg.partition("::")[0].endswith(".py"))


def _in_suite(arg: str) -> str:
    """A test id relative to the suite (as the report's re-run lines give them) made absolute; a
    path that exists from here is kept as it is."""
    path, sep, rest = arg.partition("::")
    if Path(path).exists():
        return arg
    return str(SUITE / path) + sep + rest


def main(argv: list[str] | None = None) -> int:
    args, passthrough = build_parser().parse_known_args(argv)
    missing = [name for name in ("pytest", "hypothesis") if find_spec(name) is None]
    if args.workers and find_spec("xdist") is None:
        missing.append("pytest-xdist")
    if missing:
        print(f"hesabe-contract: needs the [contract] extra ({', '.join(missing)} not installed): "
              "pip install 'hesabe-harness[contract]'", file=sys.stderr)
        return 2
    env = dict(os.environ)
    if args.profile:
        env["HYPOTHESIS_PROFILE"] = args.profile
    # A fresh interpreter: pytest must import the suite itself to rewrite its assertions.
    command = [sys.executable, "-m", "pytest", *pytest_args(args, passthrough)]
    try:
        return subprocess.call(command, env=env)
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
