"""``hesabe-mock --replay DIR``: a matching request gets its recorded answer, encrypted again for the
caller; everything else (other requests, bad credentials, the control plane) is the mock's. And the
``hesabe-parity`` command's report files and exit codes."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from hesabe_spec.cassettes import read_recording
from hesabe_spec.client import HesabeClient
from hesabe_spec.sandbox import SANDBOX

ROOT = Path(__file__).resolve().parents[2]
SEED_PAGES = ROOT / "fixtures" / "cassettes" / "seed-pages"


def _bin(name: str) -> str:
    return str(Path(sys.executable).with_name(name))


@pytest.fixture(scope="module")
def replaying() -> Iterator[str]:
    proc = subprocess.Popen(
        [_bin("hesabe-mock"), "--port", "0", "--replay", str(SEED_PAGES)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        assert proc.stdout is not None
        lines = [proc.stdout.readline() for _ in range(2)]
        assert lines[0].startswith("Hesabe mock listening on "), lines
        url = lines[0].split()[-1]
        yield url
    finally:
        proc.terminate()
        proc.communicate(timeout=30)


def test_a_recorded_request_gets_the_recorded_answer(replaying: str) -> None:
    cassette = read_recording(SEED_PAGES).cassettes[0][1]  # resend 1782: no such invoice in this mock
    client = HesabeClient(base_url=replaying)
    result = client.resend_invoice(1782, mobile_number="66666666", return_result=True)
    assert result.headers["X-Mock-Replayed"] == "0001-resend_invoice.json"
    assert result.envelope == cassette["response"]["body"] and result.shape == "response"
    assert result.headers["Content-Type"] == "application/json"  # {"response": hex} is JSON
    again = client.resend_invoice(1782, mobile_number="66666666", return_result=True)
    assert again.envelope == result.envelope  # the last answer repeats


def test_everything_else_is_the_mock(replaying: str) -> None:
    client = HesabeClient(base_url=replaying)
    other = client.call(
        "resend_invoice",
        {"resendId": "1783", "mobileNumber": "66666666", "countryCode": "965"},
        raise_errors=False,
    )
    assert other.status == 404 and "X-Mock-Replayed" not in other.headers
    assert client.get_profile()["username"]
    token_less = requests.post(
        f"{replaying}/api/v1/invoice/resend",
        headers={"accessCode": SANDBOX.access_code},
        json={"data": "00"},
        timeout=10,
    )
    assert token_less.status_code == 401 and token_less.json() == {"message": "Unauthenticated."}
    assert requests.get(f"{replaying}/_mock/journal?limit=1", timeout=10).status_code == 200


def test_a_bad_replay_directory_is_refused(tmp_path: Path) -> None:
    done = subprocess.run(
        [_bin("hesabe-mock"), "--port", "0", "--replay", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2 and "--replay" in done.stderr and "no manifest.json" in done.stderr


def test_the_parity_command(tmp_path: Path) -> None:
    done = subprocess.run(
        [_bin("hesabe-parity"), str(SEED_PAGES), "--out", str(tmp_path / "report")],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "5 cassette(s), 100% parity" in done.stdout
    report = json.loads((tmp_path / "report.json").read_text("utf-8"))
    assert report["parity"] == "100%" and report["label"] == "real"
    assert "seed 003 dashboard cassette" in (tmp_path / "report.md").read_text("utf-8")
    broken = subprocess.run(
        [_bin("hesabe-parity"), str(tmp_path)], capture_output=True, text=True, timeout=60
    )
    assert broken.returncode == 2 and "not a recording directory" in broken.stderr


def test_a_replayed_bare_hex_answer_is_labelled_as_the_mock_labels_it(tmp_path: Path) -> None:
    """A checkout's answer is bare hex: replayed, it is text/html as served, not JSON."""
    from hesabe_spec.client import ASGITransport
    from mock_server.app import create_app
    from mock_server.recording.playback import Playback
    from mock_server.recording.proxy import Recorder, RecordingProxy
    from mock_server.testing import running_mock, serve_app

    out = tmp_path / "recording"
    with running_mock() as upstream:
        recorder = Recorder(out, SANDBOX.keys, upstream=upstream.url, label="synthetic",
                            recorded_by="tests", merchant_code=SANDBOX.merchant_code)
        with serve_app(RecordingProxy(upstream.url, recorder)) as proxy:
            HesabeClient(base_url=proxy).checkout("5.000", response_url="https://shop.example/ok",
                                                  order_reference_number="REPLAY-1")
    recording = read_recording(out)
    [(_path, cassette)] = recording.cassettes
    app = create_app()
    with ASGITransport(Playback(app, app.state.mock, recording)) as transport:
        client = HesabeClient(base_url="http://mock", transport=transport)
        answer = client.call("create_checkout", cassette["request"]["payload"], raise_errors=False)
    assert answer.headers.get("X-Mock-Replayed"), "not replayed: the request did not match the cassette"
    assert answer.headers["Content-Type"] == "text/html; charset=UTF-8" and answer.shape == "bare"
