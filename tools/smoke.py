"""The install smoke set, run by an installed copy of hesabe-harness outside the source tree.

``tools/install_check.py`` copies this file into an empty directory and runs it with a throwaway
virtualenv's interpreter, isolated (``python -I``), so everything it imports comes from that
virtualenv. Standard library and the installed package only. Modes:

* ``base``  - the base install: spec and client work; the mock and the suite name their extra.
* ``full``  - ``[all]``: ``hesabe-mock --seed seed-pages`` over real HTTP, the client against it, a
  merchant from ``POST /_mock/merchants``, the ``HESABE_*`` merchant, an in-process contract run.
* ``xdist`` - ``full`` plus ``hesabe-contract --url URL -n 2`` on that one mock, report merged.
"""

from __future__ import annotations

import json
import os
import queue
import re
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

BIN = Path(sys.executable).parent
ENV_MERCHANT = {
    "HESABE_MERCHANT_CODE": "700007",
    "HESABE_ACCESS_CODE": "smoke-access-code",
    "HESABE_SECRET_KEY": "S" * 32,
    "HESABE_IV_KEY": "I" * 16,
    "HESABE_MERCHANT_USERNAME": "smoke",
    "HESABE_MERCHANT_PASSWORD": "smoke-password",
}


def check(condition: bool, what: str, detail: str = "") -> None:
    if not condition:
        raise SystemExit(f"smoke: FAILED: {what}\n{detail}")
    print(f"smoke: ok  {what}", flush=True)


def run(
    *args: str, env: dict[str, str] | None = None, timeout: float = 300
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        list(args), capture_output=True, text=True, timeout=timeout, env={**os.environ, **(env or {})}
    )


def installed_here() -> None:
    import hesabe_spec

    where = Path(hesabe_spec.__file__).resolve()
    check("site-packages" in where.parts, f"hesabe_spec comes from the virtualenv ({where.parent})")
    done = run(str(BIN / "hesabe-crypt"), "--version")
    check(done.returncode == 0 and done.stdout.startswith("hesabe-crypt "), "hesabe-crypt --version")


def base() -> None:
    installed_here()
    from hesabe_spec import SANDBOX, decrypt, encrypt
    from hesabe_spec.client import HesabeClient

    hexed = encrypt('{"merchantCode":"842217"}', SANDBOX.secret_key, SANDBOX.iv_key)
    check(
        decrypt(hexed, SANDBOX.secret_key, SANDBOX.iv_key) == b'{"merchantCode":"842217"}',
        "encrypt/decrypt round trip",
    )
    with HesabeClient(base_url="http://127.0.0.1:9") as client:
        prepared = client.prepare("get_invoice", path_params={"id": 1})
    check(prepared.url == "http://127.0.0.1:9/api/v1/invoice/1", "the client builds requests")
    from mock_server.control import MockControl  # an HTTP client: the base install drives a mock elsewhere

    check(MockControl("http://127.0.0.1:9").base_url == "http://127.0.0.1:9", "MockControl without [mock]")
    for module, extra in (("mock_server.app", "mock"), ("contract_tests", "contract")):
        try:
            __import__(module)
        except ModuleNotFoundError as exc:
            check(f"hesabe-harness[{extra}]" in str(exc), f"import {module} names the [{extra}] extra: {exc}")
        else:
            check(False, f"import {module} fails without its extra")
    done = run(str(BIN / "hesabe-contract"), "--url", "http://127.0.0.1:9")
    check(
        done.returncode == 2 and "hesabe-harness[contract]" in done.stderr, "hesabe-contract names its extra"
    )
    done = run(str(BIN / "hesabe-mock"), "--port", "0")
    check(done.returncode == 2 and "hesabe-harness[mock]" in done.stderr, "hesabe-mock names its extra")
    done = run(str(BIN / "hesabe-parity"), ".")
    check(done.returncode == 2 and "hesabe-harness[mock]" in done.stderr, "hesabe-parity names its extra")


@contextmanager
def mock_process(*args: str, env: dict[str, str] | None = None) -> Iterator[str]:
    """``hesabe-mock --port 0 ARGS`` from this virtualenv; yields its URL."""
    proc = subprocess.Popen(
        [str(BIN / "hesabe-mock"), "--port", "0", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, **(env or {})},
    )
    lines: queue.Queue[str | None] = queue.Queue()

    def drain() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            lines.put(line)
        lines.put(None)

    reader = threading.Thread(target=drain, daemon=True)
    reader.start()
    seen: list[str] = []
    try:
        while True:
            line = lines.get(timeout=60)
            if line is None:
                raise SystemExit(f"smoke: FAILED: hesabe-mock exited: {''.join(seen)}")
            seen.append(line)
            found = re.search(r"listening on (http://\S+)", line)
            if found:
                break
        # the start-up lines after the URL (store, merchants, seed) come right after it
        while not any(s.startswith("  seeded") for s in seen) and "--seed" in args:
            line = lines.get(timeout=60)
            if line is None:
                break
            seen.append(line)
        print("".join("    | " + s for s in seen), end="", flush=True)
        yield found.group(1)
    finally:
        proc.terminate()
        proc.wait(15)
        reader.join(5)
        if proc.stdout is not None:
            proc.stdout.close()


def full(xdist: bool, workdir: Path) -> None:
    installed_here()
    from hesabe_spec.client import HesabeClient
    from mock_server.control import MockControl

    done = run(str(BIN / "hesabe-mock"), "--version")
    check(done.returncode == 0 and done.stdout.startswith("hesabe-mock "), "hesabe-mock --version")
    done = run(str(BIN / "hesabe-parity"), "--version")
    check(done.returncode == 0 and done.stdout.startswith("hesabe-parity "), "hesabe-parity --version")
    done = run(str(BIN / "hesabe-mock"), "record", "--help")
    check(done.returncode == 0 and "--allow-writes" in done.stdout, "hesabe-mock record --help")
    with mock_process("--seed", "seed-pages", env={**ENV_MERCHANT, "HESABE_MOCK_TOKEN_TTL": "600"}) as url:
        with MockControl(url) as control, HesabeClient(base_url=url) as client:
            check(control.invoice(12880)["id"] == 12880, "--seed seed-pages loaded the packaged records")
            login = client.login()
            check(login["token"]["expires_in"] in (600, "600"), "HESABE_MOCK_TOKEN_TTL reached the mock")
            inv = client.create_invoice(
                amount="12.5",
                customer_name="Smoke",
                invoice_type="0",
                invoice_sub_type="3",
                allocate_pay_type=[1, 2],
                expires_at="2099-12-31",
                reference_number="SMOKE-1",
            )
            control.pay_invoice(inv["id"], payment_type=1)
            check(client.get_invoice(inv["id"])["invoice_status"] == 1, "client over HTTP: create, pay, get")
            script = control.session.get(f"{url}/_mock/ui/inspector.js", timeout=10)
            check(script.status_code == 200 and "X-Mock-Token" in script.text,
                  "the inspector's script is packaged and served")
            made = control.create_merchant()
            env = made["env"]
            with HesabeClient(
                base_url=url,
                merchant_code=env["HESABE_MERCHANT_CODE"],
                access_code=env["HESABE_ACCESS_CODE"],
                secret_key=env["HESABE_SECRET_KEY"],
                iv_key=env["HESABE_IV_KEY"],
                username=env["HESABE_MERCHANT_USERNAME"],
                password=env["HESABE_MERCHANT_PASSWORD"],
            ) as fresh:
                stats = fresh.list_invoices()["stats"]
            check(
                stats["total_invoice_count"] in (0, None), "POST /_mock/merchants: a merchant with no records"
            )
        env_client = HesabeClient(
            base_url=url,
            merchant_code=ENV_MERCHANT["HESABE_MERCHANT_CODE"],
            access_code=ENV_MERCHANT["HESABE_ACCESS_CODE"],
            secret_key=ENV_MERCHANT["HESABE_SECRET_KEY"],
            iv_key=ENV_MERCHANT["HESABE_IV_KEY"],
            username=ENV_MERCHANT["HESABE_MERCHANT_USERNAME"],
            password=ENV_MERCHANT["HESABE_MERCHANT_PASSWORD"],
        )
        with env_client:
            check("stats" in env_client.list_invoices(), "the HESABE_* merchant is served too")
        if xdist:
            report = workdir / "xdist-report.json"
            done = run(
                str(BIN / "hesabe-contract"),
                "--url",
                url,
                "--profile",
                "ci",
                "-n",
                "2",
                "--report",
                str(report),
                "--junit-xml",
                str(workdir / "junit.xml"),
                "-q",
            )
            tail = (done.stdout + done.stderr)[-3000:]
            check(done.returncode == 0, "hesabe-contract --url URL -n 2 passes on one shared mock", tail)
            data = json.loads(report.read_text())
            check(
                data["workers"] == 2 and data["target"].count("own merchant") == 2,
                f"the report merges both workers, each its own merchant: {data['target']}",
            )
            check(
                sum(t["run"] for t in data["operations"].values()) > 100 and not data["violations"],
                f"merged report: {len(data['operations'])} operations, no violations",
            )
            check((workdir / "junit.xml").exists(), "--junit-xml written")
    report = workdir / "inprocess-report.json"
    done = run(
        str(BIN / "hesabe-contract"),
        "--profile",
        "ci",
        "--report",
        str(report),
        "-q",
        "-k",
        "test_auth or refresh",
    )
    check(done.returncode == 0, "in-process contract run", (done.stdout + done.stderr)[-3000:])
    answer: Any = json.loads(report.read_text())
    check(
        "in-process mock" in answer["target"] and answer["operations"]["login"]["run"] > 0,
        "in-process contract report written",
    )


def main(argv: list[str]) -> int:
    mode = argv[1] if len(argv) > 1 else "full"
    print(f"smoke: {mode} on Python {sys.version.split()[0]} ({sys.executable})", flush=True)
    if mode == "base":
        base()
    else:
        full(mode == "xdist", Path.cwd())
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
