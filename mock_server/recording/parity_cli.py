"""``hesabe-parity DIR [--against URL] [--out REPORT]``: replay a recording, report the differences.

Exit status: 0 when every difference is explained (none, or a documented gap), 1 when any is
not, 2 when the recording cannot be read or the target cannot be reached.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from hesabe_spec.extras import installed_version

__all__ = ["build_parser", "main"]


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="hesabe-parity",
        description="Replay a recording's requests against the mock (or a server) and compare the answers: "
        "status, envelope, padding, JSON style, message, keys and their order, types, values (volatile ones "
        "through named transformers).",
    )
    p.add_argument("recording", metavar="DIR", help="a recording directory (manifest.json + cassettes)")
    p.add_argument(
        "--against",
        metavar="URL",
        default=None,
        help="a running server with the mock's control plane (default: a fresh in-process mock)",
    )
    p.add_argument(
        "--out",
        metavar="REPORT",
        default=None,
        help="write REPORT.md and REPORT.json (default: print the Markdown only)",
    )
    p.add_argument("--quiet", action="store_true", help="print the verdict line only")
    p.add_argument("--version", action="version", version=f"%(prog)s {installed_version()}")
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    from hesabe_spec.cassettes import RecordingError
    from mock_server.recording.parity import run_parity

    try:
        report = run_parity(args.recording, args.against)
    except RecordingError as exc:
        print(f"hesabe-parity: {exc}", file=sys.stderr)
        return 2
    except (OSError, RuntimeError) as exc:
        print(f"hesabe-parity: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 2
    if args.out:
        md, js = report.write(Path(args.out))
        print(f"hesabe-parity: wrote {md} and {js}")
    if not args.quiet and not args.out:
        print(report.to_markdown())
    verdict = "100% parity" if not report.unexplained else f"{report.unexplained} unexplained difference(s)"
    print(f"hesabe-parity: {len(report.results)} cassette(s), {verdict}")
    return report.exit_code
