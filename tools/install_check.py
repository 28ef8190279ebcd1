"""``make install-check``: the package as a user gets it, outside the source tree.

Steps (``--only`` picks some; each prints what it did and its seconds, a table closes the run):

* ``build``    - sdist and wheel with ``uv build`` (the wheel is built from the sdist, so a file
                 missing from the sdist fails here); both archives' contents are checked.
* ``base``     - ``pip install hesabe-harness`` (no extra) in a fresh virtualenv: prints what it
                 pulled (the client's dependencies only), then the ``base`` smoke set.
* ``pythons``  - ``[all]`` on every supported interpreter found on the machine (the classifiers in
                 pyproject.toml; /root/.pyenv/versions/* and python3.X on PATH): the ``full``
                 smoke set, and on the first one the pytest-xdist run on one shared mock.
                 A found interpreter below ``requires-python`` must be refused by the installer.
* ``minimum``  - ``[all]`` with every dependency pinned to its declared floor, ``full`` smoke set.
* ``pipx``     - the README's ``pipx run`` one-liner against the local wheel.

Virtualenvs live in ``.cache/install-check/<hash of pyproject.toml>/`` (gitignored): made and
filled once per dependency change, then only the freshly built wheel is reinstalled in them.
uv creates and fills them; it is told never to download an interpreter.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
import tomllib
import zipfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["main"]

ROOT = Path(__file__).resolve().parents[1]
PYPROJECT = ROOT / "pyproject.toml"
SMOKE = Path(__file__).with_name("smoke.py")
STEPS = ("build", "base", "pythons", "minimum", "pipx")
#: what the base install may pull: the client's three dependencies and theirs
BASE_ALLOWED = {
    "hesabe-harness",
    "requests",
    "pycryptodome",
    "jsonschema",
    "certifi",
    "charset-normalizer",
    "idna",
    "urllib3",
    "attrs",
    "jsonschema-specifications",
    "referencing",
    "rpds-py",
    "typing-extensions",
}
#: files a user of the sdist / wheel needs
SDIST_MUST = (
    "LICENSE",
    "README.md",
    "docs/fidelity.md",
    "docs/client.md",
    "fixtures/doc_samples.json",
    "examples/test_my_integration.py",
    "examples/merchants.json",
    "mock_server/seeds/seed-pages.json",
)
WHEEL_MUST = (
    "_hesabe_harness_pytest.py",
    "hesabe_spec/py.typed",
    "mock_server/py.typed",
    "contract_tests/py.typed",
    "mock_server/seeds/seed-pages.json",
    "mock_server/schemas/merchants.schema.json",
    "contract_tests/suite.ini",
    "hesabe_spec/schemas/defs.json",
    "mock_server/templates/page.html",
    "mock_server/templates/inspector.js",
    "mock_server/templates/inspector.css",
)


@dataclass
class Run:
    cache: Path
    uv: str
    dist: Path = field(init=False)
    timings: list[tuple[str, float]] = field(default_factory=list)
    wheel: Path | None = None
    #: lines for the closing note (what the base install pulled, which interpreters ran)
    notes: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.dist = self.cache / "dist"

    @contextmanager
    def step(self, name: str) -> Iterator[None]:
        print(f"\n== install-check: {name}", flush=True)
        started = time.monotonic()
        try:
            yield
        finally:
            self.timings.append((name, time.monotonic() - started))
            print(f"== {name}: {self.timings[-1][1]:.1f} s", flush=True)


def sh(
    *args: str | Path, cwd: Path | None = None, env: dict[str, str] | None = None, quiet: bool = False
) -> subprocess.CompletedProcess[str]:
    """Run a command; print its output unless ``quiet``; raise with the output when it fails."""
    done = subprocess.run(
        [str(a) for a in args], cwd=cwd, env=env, capture_output=True, text=True, timeout=900
    )
    if done.returncode != 0:
        sys.stdout.write(done.stdout + done.stderr)
        raise SystemExit(f"install-check: failed ({done.returncode}): {' '.join(map(str, args))}")
    if not quiet:
        sys.stdout.write(done.stdout)
    return done


def clean_env(**extra: str) -> dict[str, str]:
    """The environment for child commands: nothing of the caller's virtualenv, Hesabe or pytest."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("HESABE_", "HYPOTHESIS_", "PYTEST_", "VIRTUAL_ENV", "PYTHON"))
    }
    env["UV_PYTHON_DOWNLOADS"] = "never"
    env.update(extra)
    return env


def project() -> dict[str, object]:
    data: dict[str, object] = tomllib.loads(PYPROJECT.read_text())["project"]
    return data


def supported_versions() -> list[tuple[int, int]]:
    """The ``Programming Language :: Python :: 3.X`` classifiers: the versions promised, and tested."""
    found = [re.fullmatch(r"Programming Language :: Python :: 3\.(\d+)", c) for c in project()["classifiers"]]  # type: ignore[attr-defined]
    return sorted((3, int(m.group(1))) for m in found if m)


def interpreters() -> dict[tuple[int, int], Path]:
    """Interpreters on this machine by version: /root/.pyenv/versions/*, python3.X on PATH, this one."""
    candidates = [Path(sys.executable)]
    candidates += sorted(Path("/root/.pyenv/versions").glob("3.*/bin/python3"))
    for minor in range(8, 20):
        found = shutil.which(f"python3.{minor}")
        if found:
            candidates.append(Path(found))
    out: dict[tuple[int, int], Path] = {}
    for path in candidates:
        try:
            done = subprocess.run(
                [str(path), "-c", "import sys; print(*sys.version_info[:2])"],
                capture_output=True,
                text=True,
                timeout=30,
            )
        except OSError:
            continue
        if done.returncode == 0:  # a pyenv shim of a version that is not selected fails here
            major, minor = map(int, done.stdout.split())
            out.setdefault((major, minor), path)
    return out


def build(run: Run) -> None:
    shutil.rmtree(run.dist, ignore_errors=True)
    # SOURCE_DATE_EPOCH: the same sources give the same wheel bytes (pipx keys its cache by path).
    sh(
        run.uv,
        "build",
        "--out-dir",
        run.dist,
        ROOT,
        env=clean_env(SOURCE_DATE_EPOCH="1767225600"),
        quiet=True,
    )
    sdist = next(run.dist.glob("*.tar.gz"))
    wheel = next(run.dist.glob("*.whl"))
    with tarfile.open(sdist) as archive:
        names = {n.split("/", 1)[1] for n in archive.getnames() if "/" in n}
    missing = [n for n in SDIST_MUST if n not in names]
    if missing:
        raise SystemExit(f"install-check: the sdist lacks {missing}")
    with zipfile.ZipFile(wheel) as archive:
        wheel_names = set(archive.namelist())
    missing = [n for n in WHEEL_MUST if n not in wheel_names]
    if missing:
        raise SystemExit(f"install-check: the wheel lacks {missing}")
    stray = sorted(
        {n.split("/")[0] for n in wheel_names}
        - {"_hesabe_harness_pytest.py", "hesabe_spec", "mock_server", "contract_tests"}
        - {n.split("/")[0] for n in wheel_names if ".dist-info" in n}
    )
    if stray:
        raise SystemExit(f"install-check: unexpected top-level names in the wheel: {stray}")
    digest = hashlib.sha256(wheel.read_bytes()).hexdigest()[:12]
    keyed = run.cache / "wheels" / digest / wheel.name
    keyed.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(wheel, keyed)
    run.wheel = keyed
    print(
        f"built {sdist.name} ({len(names)} files) and {wheel.name} ({len(wheel_names)} files, sha {digest})"
    )


def venv(run: Run, name: str, python: Path, requirement: str, constraints: list[str] | None = None) -> Path:
    """A cached virtualenv with ``requirement``'s dependencies; the fresh wheel reinstalled in it."""
    key = hashlib.sha256(PYPROJECT.read_bytes()).hexdigest()[:12]
    home = run.cache / "install-check" / key / name
    python_in = home / "bin" / "python"
    stamp = home / ".filled"
    assert run.wheel is not None
    env = clean_env()
    if not stamp.exists():
        shutil.rmtree(home, ignore_errors=True)
        sh(run.uv, "venv", "--quiet", "--python", python, home, env=env)
        extra: list[str | Path] = []
        if constraints:
            pins = home / "constraints.txt"
            pins.write_text("\n".join(constraints) + "\n")
            extra = ["--constraint", pins]
        sh(
            run.uv,
            "pip",
            "install",
            "--quiet",
            "--python",
            python_in,
            *extra,
            requirement.replace("WHEEL", str(run.wheel)),
            env=env,
        )
        stamp.touch()
        print(f"{name}: new virtualenv {home}")
    else:
        print(f"{name}: cached virtualenv {home}")
    sh(
        run.uv,
        "pip",
        "install",
        "--quiet",
        "--python",
        python_in,
        "--no-deps",
        "--reinstall",
        run.wheel,
        env=env,
    )
    return python_in


def freeze(run: Run, python: Path) -> dict[str, str]:
    done = sh(run.uv, "pip", "freeze", "--python", python, env=clean_env(), quiet=True)
    pairs = (line.split("==", 1) for line in done.stdout.splitlines() if "==" in line)
    return {name.lower().replace("_", "-"): version for name, version in pairs}


def smoke(python: Path, mode: str) -> None:
    """Run the smoke set with ``python`` in an empty directory outside the tree."""
    with tempfile.TemporaryDirectory(prefix="hesabe-smoke-") as where:
        script = Path(where) / "smoke.py"
        shutil.copyfile(SMOKE, script)
        sh(python, "-I", script, mode, cwd=Path(where), env=clean_env())


def base(run: Run) -> None:
    python = venv(run, "base", Path(sys.executable), "WHEEL")
    pulled = freeze(run, python)
    run.notes.append(
        "pip install hesabe-harness pulled: " + ", ".join(f"{n} {v}" for n, v in sorted(pulled.items()))
    )
    print(run.notes[-1])
    extra = sorted(set(pulled) - BASE_ALLOWED)
    if extra:
        raise SystemExit(f"install-check: the base install pulled more than the client needs: {extra}")
    smoke(python, "base")


def pythons(run: Run) -> None:
    found = interpreters()
    wanted = supported_versions()
    print("interpreters found: " + ", ".join(f"{a}.{b} ({p})" for (a, b), p in sorted(found.items())))
    ran: list[str] = []
    for version in wanted:
        if version not in found:
            continue
        python = venv(run, f"all-py{version[0]}.{version[1]}", found[version], "WHEEL[all]")
        smoke(python, "xdist" if not ran else "full")
        ran.append(f"{version[0]}.{version[1]}")
    too_old = [v for v in found if v < wanted[0]]
    for version in too_old:
        assert run.wheel is not None
        done = subprocess.run(
            [
                run.uv,
                "pip",
                "install",
                "--dry-run",
                "--python",
                str(found[version]),
                "--system",
                str(run.wheel),
            ],
            capture_output=True,
            text=True,
            env=clean_env(),
            timeout=300,
        )
        refused = done.returncode != 0 and f"python>={wanted[0][0]}.{wanted[0][1]}" in done.stderr.lower()
        if not refused:
            raise SystemExit(
                f"install-check: Python {version} was not refused by requires-python:\n{done.stderr}"
            )
        print(f"Python {version[0]}.{version[1]}: refused by requires-python, as it should be")
    run.notes.append(
        f"install smoke set ran on Python {', '.join(ran)} "
        f"(supported: {', '.join(f'{a}.{b}' for a, b in wanted)})"
    )
    print(run.notes[-1])
    if "3.11" not in ran:
        raise SystemExit(
            "install-check: Python 3.11 was not found; it is the least the smoke set must run on"
        )


def floors() -> list[str]:
    """``name==floor`` for every declared ``name>=floor`` (base and extras, not the dev tools)."""
    data = project()
    declared = list(data["dependencies"])  # type: ignore[call-overload]
    for extra, reqs in data["optional-dependencies"].items():  # type: ignore[attr-defined]
        if extra in ("mock", "contract", "speedups"):
            declared += reqs
    pins = []
    for req in declared:
        found = re.fullmatch(r"([A-Za-z0-9_.-]+)>=([0-9][0-9.]*)", req.replace(" ", ""))
        if found:
            pins.append(f"{found.group(1)}=={found.group(2)}")
    return sorted(pins)


def _name(pin: str) -> str:
    return pin.split("==")[0].lower().replace("_", "-")


def _release(version: str) -> tuple[int, ...]:
    """``6.100`` and ``6.100.0`` are the same release."""
    parts = [int(p) for p in re.findall(r"\d+", version.split("+")[0])]
    while parts and parts[-1] == 0:
        parts.pop()
    return tuple(parts)


def minimum(run: Run) -> None:
    found = interpreters()
    oldest = supported_versions()[0]
    pins = floors()
    python = venv(
        run, f"minimum-py{oldest[0]}.{oldest[1]}", found.get(oldest, Path(sys.executable)), "WHEEL[all]", pins
    )
    got = freeze(run, python)
    wrong = [pin for pin in pins if _release(got.get(_name(pin), "")) != _release(pin.split("==")[1])]
    if wrong:
        raise SystemExit(f"install-check: not at the floor: {wrong} (installed {got})")
    print("every dependency at its declared floor: " + ", ".join(pins))
    probe = (
        "from mock_server.fast_validation import _compiled; "
        "print(_compiled('create_invoice.request') is not None)"
    )
    done = sh(python, "-I", "-c", probe, env=clean_env(), quiet=True)
    if done.stdout.strip() != "True":
        raise SystemExit("install-check: jsonschema-rs at its floor cannot build the mock's validator")
    print("jsonschema-rs at its floor builds the mock's compiled validator")
    smoke(python, "full")


def pipx(run: Run) -> None:
    assert run.wheel is not None
    pipx_bin = Path(sys.executable).with_name("pipx")
    if not pipx_bin.exists():
        raise SystemExit("install-check: pipx is not installed (it is in the dev extra: make install)")
    env = clean_env(PIPX_HOME=str(run.cache / "pipx"), PIPX_BIN_DIR=str(run.cache / "pipx" / "bin"))
    # The README's one-liner, with the local wheel in place of the package name.
    done = sh(
        pipx_bin, "run", "--spec", f"{run.wheel}[mock]", "hesabe-mock", "--version", env=env, quiet=True
    )
    print(f"pipx run --spec '<wheel>[mock]' hesabe-mock --version -> {done.stdout.strip()}")
    if not done.stdout.startswith("hesabe-mock "):
        raise SystemExit("install-check: pipx run did not start hesabe-mock")
    probe = (
        "import subprocess,sys,urllib.request,re;"
        "p=subprocess.Popen(sys.argv[1:],stdout=subprocess.PIPE,text=True);"
        "url=re.search(r'(http://\\S+)',p.stdout.readline()).group(1);"
        "body=urllib.request.urlopen(url+'/_mock/clock',timeout=30).read();"
        "p.terminate();p.wait(10);print(url, body[:40])"
    )
    done = sh(
        sys.executable,
        "-c",
        probe,
        pipx_bin,
        "run",
        "--spec",
        f"{run.wheel}[mock]",
        "hesabe-mock",
        "--port",
        "0",
        env=env,
        quiet=True,
    )
    print(f"pipx run ... hesabe-mock --port 0 served {done.stdout.strip()}")


ACTIONS: dict[str, Callable[[Run], None]] = {
    "build": build,
    "base": base,
    "pythons": pythons,
    "minimum": minimum,
    "pipx": pipx,
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="install_check", description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--only",
        default=",".join(STEPS),
        help=f"comma-separated steps out of {', '.join(STEPS)} (build always runs)",
    )
    parser.add_argument("--cache", type=Path, default=ROOT / ".cache", help="where virtualenvs are kept")
    args = parser.parse_args(argv)
    chosen = [s.strip() for s in args.only.split(",") if s.strip()]
    unknown = set(chosen) - set(STEPS)
    if unknown:
        parser.error(f"unknown step(s): {', '.join(sorted(unknown))}")
    uv = Path(sys.executable).with_name("uv")
    if not uv.exists():
        raise SystemExit("install-check: uv is not installed (it is in the dev extra: make install)")
    run = Run(args.cache.resolve(), str(uv))
    for name in ["build", *[s for s in STEPS if s in chosen and s != "build"]]:
        with run.step(name):
            ACTIONS[name](run)
    seconds = ", ".join(f"{n} {s:.0f}" for n, s in run.timings)
    summary = [f"install-check seconds: {seconds}; total {sum(s for _, s in run.timings):.0f}", *run.notes]
    print("\n" + "\n".join(summary))
    # make test prints this in its closing note
    (run.cache / "install-check-summary.txt").write_text("".join(f"  {line}\n" for line in summary))
    return 0


if __name__ == "__main__":
    sys.exit(main())
