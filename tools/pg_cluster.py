"""A throwaway PostgreSQL cluster: initdb into a temporary directory, serve on loopback, delete.

The tests' session fixture (``tests/support/postgres.py``) and ``make mock-pg`` use it::

    python -m tools.pg_cluster -- hesabe-mock --port 8000      # a mock on a fresh database
    python -m tools.pg_cluster --print-url                     # check that a cluster can start

The server binaries come from ``PATH`` or Debian's ``/usr/lib/postgresql/<version>/bin``
(``make pg-deps`` installs the ``postgresql`` package when neither has ``initdb``). initdb refuses
to run as root, so as root the cluster is created and served by the ``postgres`` user (Debian's
package makes it) through ``runuser``; the directory is then owned by that user. The server
listens on 127.0.0.1 on a free port and on a socket inside the directory; authentication is
``trust`` for that loopback address only. Durability settings are relaxed (``fsync=off``): the
cluster lives as long as one test session, and killing the *mock* (what the crash tests do) never
loses a committed write with or without fsync.

The cluster never outlives the process that started it. Besides ``stop()`` (a ``with`` block, the
test session's end), a guard process holds the reading end of a pipe whose only writing end is in
that process: when the process ends in any way (normal exit, an exception, SIGTERM, Ctrl-C, even
``kill -9``) the kernel closes the pipe, and the guard stops the server and deletes the directory.
The guard runs in a session of its own, so Ctrl-C in the terminal does not stop it before it has
done that. ``PgCluster(watch=pid)`` also removes the cluster as soon as that other process ends
(Linux pidfd): a pytest-xdist worker's cluster goes with the run's main process, even while the
worker is still busy. A server this module did not start is never touched.
"""

from __future__ import annotations

import argparse
import contextlib
import glob
import os
import select
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from types import TracebackType

__all__ = ["ClusterError", "PgCluster", "find_bin_dir"]


class ClusterError(RuntimeError):
    """PostgreSQL is not installed, or the cluster could not be created or started."""


def find_bin_dir() -> Path | None:
    """The directory holding ``initdb`` and ``pg_ctl``: PATH first, then Debian's newest version."""
    found = shutil.which("initdb")
    if found and shutil.which("pg_ctl"):
        return Path(os.path.realpath(found)).parent
    def version(initdb: str) -> int:
        name = Path(initdb).parent.parent.name
        return int(name) if name.isdigit() else 0

    versions = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=version)
    return Path(versions[-1]).parent if versions else None


def _run_pg(bin_dir: Path, as_root: bool, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    """Run one of the server's programs; as root through the postgres user (initdb and postgres
    refuse root)."""
    command = [str(bin_dir / args[0]), *args[1:]]
    if as_root:
        command = ["runuser", "-u", "postgres", "--", *command]
    done = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
    if check and done.returncode != 0:
        said = (done.stderr or done.stdout).strip()
        raise ClusterError(f"{args[0]} failed ({done.returncode}): {said}")
    return done


def _remove(bin_dir: Path, as_root: bool, directory: Path) -> None:
    """Stop the server in ``directory`` if it runs (immediately: nothing in it is kept), delete it."""
    data = directory / "data"
    if (data / "postmaster.pid").exists():
        _run_pg(bin_dir, as_root, "pg_ctl", "-D", str(data), "-m", "immediate", "-w", "stop", check=False)
    shutil.rmtree(directory, ignore_errors=True)


def _guard(fds: Sequence[int], directory: Path, bin_dir: Path) -> int:
    """The guard process: wait until the owner's end of the pipe is closed (or the watched process,
    whose pidfd is the second descriptor, has ended), then remove the cluster (nothing to do when
    the owner already has)."""
    for terminal_signal in (signal.SIGINT, signal.SIGHUP):
        signal.signal(terminal_signal, signal.SIG_IGN)
    pipe = fds[0]
    while True:
        ready, _, _ = select.select(fds, [], [])
        if pipe not in ready or not os.read(pipe, 4096):
            break  # a pidfd is readable once its process has ended; the pipe at its end of file
    _remove(bin_dir, os.geteuid() == 0, directory)
    return 0


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class PgCluster:
    """One throwaway cluster; ``with PgCluster() as pg: pg.url`` (a superuser URL, database postgres)."""

    def __init__(self, *, watch: int | None = None) -> None:
        """``watch``: also remove the cluster as soon as that process ends (a pytest-xdist worker
        watches the run's main process: stopping the run stops its workers' clusters at once)."""
        bin_dir = find_bin_dir()
        if bin_dir is None:
            raise ClusterError("PostgreSQL is not installed (no initdb on PATH or in"
                               " /usr/lib/postgresql/*/bin); `make pg-deps` installs Debian's postgresql")
        self.bin_dir = bin_dir
        self.port = 0
        self.directory: Path | None = None
        self._as_root = os.geteuid() == 0
        self._guard: subprocess.Popen[bytes] | None = None
        self._guard_pipe: int | None = None  # the writing end; closed: the guard removes the cluster
        self._watch = watch

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        return _run_pg(self.bin_dir, self._as_root, *args, check=check)

    def _start_guard(self, directory: Path) -> None:
        read_end, write_end = os.pipe()  # not inherited by anything else this process starts
        passed = [read_end]
        try:
            if self._watch is not None and hasattr(os, "pidfd_open"):  # Linux; elsewhere the pipe alone
                with contextlib.suppress(OSError):  # a kernel without pidfds: the pipe alone too
                    passed.append(os.pidfd_open(self._watch))
            self._guard = subprocess.Popen(
                [sys.executable, "-I", str(Path(__file__).resolve()), "--guard", ",".join(map(str, passed)),
                 str(directory), str(self.bin_dir)],
                pass_fds=passed, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL, start_new_session=True)
        except BaseException:
            os.close(write_end)
            raise
        finally:
            for fd in passed:
                os.close(fd)
        self._guard_pipe = write_end

    def start(self) -> PgCluster:
        directory = Path(tempfile.mkdtemp(prefix="hesabe-pg-"))
        self.directory = directory
        try:
            self._start_guard(directory)
            if self._as_root:
                shutil.chown(directory, "postgres", "postgres")
            data = directory / "data"
            self._run("initdb", "-D", str(data), "-U", "postgres", "--auth=trust", "--encoding=UTF8",
                      "--locale=C", "--no-sync")
            self.port = _free_port()
            options = (f"-p {self.port} -k {directory} -c listen_addresses=127.0.0.1 -c fsync=off"
                       " -c synchronous_commit=off -c full_page_writes=off -c max_connections=200")
            self._run("pg_ctl", "-D", str(data), "-l", str(directory / "server.log"), "-o", options, "-w",
                      "-t", "60", "start")
        except BaseException:
            self.stop()
            raise
        return self

    def log_tail(self, lines: int = 20) -> str:
        log = self.directory / "server.log" if self.directory else None
        if log is None or not log.exists():
            return ""
        return "\n".join(log.read_text(errors="replace").splitlines()[-lines:])

    def stop(self) -> None:
        """Stop the server (immediately: nothing in it is kept) and delete the directory."""
        directory, self.directory = self.directory, None
        if directory is not None:
            _remove(self.bin_dir, self._as_root, directory)
        pipe, self._guard_pipe = self._guard_pipe, None
        if pipe is not None:
            os.close(pipe)  # the guard finds nothing left to remove and ends
        guard, self._guard = self._guard, None
        if guard is not None:
            guard.wait(timeout=60)

    def __enter__(self) -> PgCluster:
        return self.start()

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.pg_cluster", description=__doc__.split("\n")[0])
    parser.add_argument("--print-url", action="store_true", help="start, print the URL, stop")
    parser.add_argument("command", nargs="*", help="run this with HESABE_MOCK_DB set to the cluster's URL")
    parser.add_argument("--guard", nargs=3, metavar=("FDS", "DIRECTORY", "BIN_DIR"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.guard:
        fds, directory, bin_dir = args.guard
        return _guard([int(fd) for fd in fds.split(",")], Path(directory), Path(bin_dir))
    try:
        cluster = PgCluster().start()
    except ClusterError as exc:
        print(f"pg_cluster: {exc}", file=sys.stderr)
        return 2
    try:
        print(f"throwaway PostgreSQL at {cluster.url} (deleted on exit)", flush=True)
        if args.print_url or not args.command:
            return 0
        env = {**os.environ, "HESABE_MOCK_DB": cluster.url}
        try:
            child = subprocess.Popen(args.command, env=env)
        except OSError as exc:  # not found, not executable: say so (the cluster is removed all the same)
            print(f"pg_cluster: cannot run {args.command[0]!r}: {exc.strerror} (not on PATH? "
                  "give its path, e.g. .venv/bin/hesabe-mock)", file=sys.stderr)
            return 2

        def forward(signum: int, _frame: object) -> None:  # stop the command, then the cluster
            child.send_signal(signum)

        signal.signal(signal.SIGTERM, forward)
        signal.signal(signal.SIGINT, forward)
        return child.wait()
    finally:
        cluster.stop()


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
