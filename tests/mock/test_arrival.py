"""How a body arrived (mock_server/arrival.py): no secret of a plain body is shown, and a request
without readable ``data`` says why (the ``data_unreadable`` finding), on both hosts."""

from __future__ import annotations

import json
from typing import Any

import pytest

from hesabe_spec.sandbox import SANDBOX
from mock_server.testing import MockHandle

pytest_plugins = ["mock_server.testing"]

FORM = "application/x-www-form-urlencoded"
PASSWORD = SANDBOX.password


def _post(mock: MockHandle, path: str, body: bytes, headers: dict[str, str]) -> Any:
    return mock.control.session.request("POST", mock.url + path, data=body, headers=headers, timeout=10)


def _shown_anywhere(mock: MockHandle, seq: int) -> str:
    """Everything the journal, the exchange page and its copy snippets show of exchange ``seq``."""
    entry = next(e for e in mock.control.journal() if e["seq"] == seq)
    page = mock.control.session.request("GET", f"{mock.url}/_mock/ui/exchanges/{seq}", timeout=10).text
    return json.dumps(entry, ensure_ascii=False) + page


@pytest.mark.parametrize(("content_type", "body"), [
    (FORM, json.dumps({"username": SANDBOX.username, "password": PASSWORD}).encode()),  # JSON as a form
    ("application/json", json.dumps({"user": SANDBOX.username, "pass": PASSWORD}).encode()),  # misspelt
    ("application/json", json.dumps(PASSWORD).encode()),  # not an object
    (FORM, f"username={SANDBOX.username}&pwd={PASSWORD}".encode()),
    (FORM, f"username={SANDBOX.username}&password=Te&st@1234".encode()),  # an unencoded & splits it
    ("application/json", json.dumps({"username": {"pass": PASSWORD}}).encode()),  # nested in its own field
])
def test_no_login_body_shows_its_password(hesabe_mock_inprocess: MockHandle, content_type: str,
                                          body: bytes) -> None:
    mock = hesabe_mock_inprocess
    res = _post(mock, "/api/v1/login", body, {"Content-Type": content_type, "Accept": "application/json"})
    assert res.status_code in (400, 404)  # refused: a field error, or (a split password) wrong ones
    seq = mock.control.journal(operation="login")[-1]["seq"]
    shown = _shown_anywhere(mock, seq)
    for secret in (PASSWORD, "st@1234", "st%401234"):
        assert secret not in shown
    assert json.dumps(PASSWORD)[1:-1] not in shown and PASSWORD.replace("@", "%40") not in shown


@pytest.mark.parametrize("name", ["password", "pass", "user[password]"])
@pytest.mark.parametrize("faulted", [False, True])
def test_a_password_in_the_query_is_not_shown(hesabe_mock_inprocess: MockHandle, name: str,
                                              faulted: bool) -> None:
    """The server reads a login's fields from its query too; a fault may answer before the body
    is read (the query is kept as shown from the start)."""
    mock = hesabe_mock_inprocess
    if faulted:
        mock.control.add_fault("error_500", operation="login", times=1)
    _post(mock, f"/api/v1/login?username={SANDBOX.username}&{name}=Test%401234", b"{}",
          {"Content-Type": "application/json"})
    entry = mock.control.journal(operation="login")[-1]
    assert (entry["status"] == 500) == faulted
    shown = _shown_anywhere(mock, entry["seq"])
    assert PASSWORD not in shown and "Test%401234" not in shown and "Test%2540" not in shown


def test_a_secret_in_an_encrypted_requests_query_is_not_in_its_snippets(
        hesabe_mock_inprocess: MockHandle) -> None:
    mock = hesabe_mock_inprocess
    client = mock.client()
    prepared = client.prepare("list_invoices", bearer=client.tokens.bearer())
    mock.control.session.request("GET", prepared.url, headers=dict(prepared.headers), timeout=10,
                                 params={**dict(prepared.params), "accessCode": "QUERYSECRET7"})
    seq = mock.control.journal(operation="list_invoices")[-1]["seq"]
    page = mock.control.session.request("GET", f"{mock.url}/_mock/ui/exchanges/{seq}", timeout=10).text
    assert "QUERYSECRET7" not in page


def test_a_recorded_query_keeps_no_secret() -> None:
    from hesabe_spec.operations import OPERATIONS
    from mock_server.recording.capture import cassette_of

    cassette = cassette_of(1, OPERATIONS["list_invoices"], method="GET", path="/api/v1/invoice/",
                           query_string="accessCode=QUERYSECRET7&page=2", request_headers={},
                           request_body=b"", status=400, response_headers={},
                           response_body=b'{"status":false}', keys=SANDBOX.keys, started=0.0, duration_ms=1.0)
    assert cassette["request"]["query"] == {"accessCode": "[redacted]", "page": "2"}


def test_a_recorded_login_keeps_no_password() -> None:
    from hesabe_spec.operations import OPERATIONS
    from mock_server.recording.capture import cassette_of

    body = json.dumps({"username": SANDBOX.username, "password": PASSWORD}).encode()
    cassette = cassette_of(1, OPERATIONS["login"], method="POST", path="/api/v1/login",
                           query_string="password=Q%401", request_headers={"Content-Type": FORM},
                           request_body=body, status=400, response_headers={},
                           response_body=b'{"status":false}', keys=SANDBOX.keys, started=0.0, duration_ms=1.0)
    written = json.dumps(cassette)
    assert PASSWORD not in written and "Q@1" not in written


def test_a_login_keeps_its_own_fields_to_show(hesabe_mock_inprocess: MockHandle) -> None:
    mock = hesabe_mock_inprocess
    body = json.dumps({"username": SANDBOX.username, "password": PASSWORD, "remember": "yes"}).encode()
    _post(mock, "/api/v1/login", body, {"Content-Type": "application/json"})
    entry = mock.control.journal(operation="login")[-1]
    assert entry["request"] == {"username": SANDBOX.username, "password": "[redacted]",
                                "[redacted] field 1": "[redacted]"}  # a name may hold a secret too


def test_a_refresh_token_sent_as_a_form_field_name_is_not_shown(hesabe_mock_inprocess: MockHandle) -> None:
    mock = hesabe_mock_inprocess
    creds = json.dumps({"username": SANDBOX.username, "password": PASSWORD}).encode()
    login = _post(mock, "/api/v1/login", creds, {"Content-Type": "application/json"})
    refresh = json.loads(login.content)["response"]["token"]["refresh_token"]
    body = json.dumps({"refreshToken": refresh}).encode()
    res = _post(mock, "/api/v1/token-refresh", body, {"Content-Type": FORM})
    assert res.status_code != 200
    seq = mock.control.journal(operation="refresh_token")[-1]["seq"]
    assert refresh not in _shown_anywhere(mock, seq)


def _create_invoice(mock: MockHandle, body: bytes, content_type: str | None) -> Any:
    client = mock.client()
    headers = {"Authorization": f"Bearer {client.tokens.bearer()}", "accessCode": SANDBOX.access_code}
    if content_type is not None:
        headers["Content-Type"] = content_type
    return _post(mock, "/api/v1/invoice", body, headers)


def _valid_create(mock: MockHandle) -> Any:
    """A valid create_invoice request, as the reference client prepares it."""
    client = mock.client()
    payload = {"amount": "2.000", "invoiceType": "0", "invoiceSubType": "3", "expiresAt": "2099-01-01"}
    return client.prepare("create_invoice", payload, bearer=client.tokens.bearer())


_HEX = SANDBOX.keys.encrypt(b'{"merchantCode":"842217"}')


@pytest.mark.parametrize(("content_type", "body", "said"), [
    (FORM, json.dumps({"data": _HEX}).encode(), "the body is JSON but its Content-Type is " + FORM),
    ("application/json", f"data={_HEX}".encode(), "urlencoded form (data=...) but its Content-Type is "
                                                   "application/json"),
    (None, f"data={_HEX}".encode(), "urlencoded form (data=...) but it has no Content-Type"),
    ("application/json", _HEX.encode(), "the bare hex ciphertext"),
    ("application/json", b'{"merchantCode":"842217","amount":"1.000"}', "(its fields: merchantCode, amount)"),
    ("application/json", b"", "empty body"),
    ("application/json", b'{"data":null}', "data was null"),
    ("application/json", b'["data"]', "JSON but not an object"),
    (FORM, b"amount=1.000", "the form has no data field"),
    ("application/json", b"{'data': 'ab12'}", "not valid JSON"),
    ("application/json", b'{"data":"ab12",}', "not valid JSON"),
    ("application/json", b'\xef\xbb\xbf{"data":"ab12"}', "byte-order mark"),
    ("text/plain;charset=UTF-8", json.dumps({"data": _HEX}).encode(),  # fetch's default for a string
     "the body is JSON but its Content-Type is text/plain: the server reads a JSON body only"),
    (None, json.dumps({"data": _HEX}).encode(), "the body is JSON but it has no Content-Type"),
])
def test_a_merchant_api_request_without_data_says_why(
        hesabe_mock_inprocess: MockHandle, content_type: str | None, body: bytes, said: str) -> None:
    mock = hesabe_mock_inprocess
    res = _create_invoice(mock, body, content_type)
    assert res.status_code == 400  # the server's answer is unchanged: Request not found
    entry = mock.control.journal(operation="create_invoice")[-1]
    found = [f for f in entry["findings"] if f["rule"] == "data_unreadable"]
    assert len(found) == 1 and said in found[0]["message"] and found[0]["severity"] == "warning"


@pytest.mark.parametrize("content_type", ["Application/X-WWW-Form-Urlencoded", FORM + "; charset=UTF-8",
                                          FORM + " charset=utf-8", FORM + ",text/plain"])
def test_a_form_is_read_whatever_the_case_of_its_content_type(hesabe_mock_inprocess: MockHandle,
                                                                content_type: str) -> None:
    """PHP reads such a form (it lower-cases the media type), so the server finds data in it."""
    mock = hesabe_mock_inprocess
    prepared = _valid_create(mock)
    hex_data = json.loads(prepared.body)["data"]
    body = f"data={hex_data}&junk=".encode() + b"\xff"  # a byte that is not UTF-8 spoils only its field
    res = _post(mock, "/api/v1/invoice", body, {**dict(prepared.headers), "Content-Type": content_type})
    assert res.status_code == 200, res.content


def test_data_that_is_not_text_says_what_it_was(hesabe_mock_inprocess: MockHandle) -> None:
    mock = hesabe_mock_inprocess
    _create_invoice(mock, b'{"data":{"hex":"00"}}', "application/json")
    entry = mock.control.journal(operation="create_invoice")[-1]
    assert [f["message"] for f in entry["findings"]] == [
        "data was an object in JSON: it must be the ciphertext as a hex string"]


def test_a_read_request_carries_no_such_finding(hesabe_mock_inprocess: MockHandle) -> None:
    mock = hesabe_mock_inprocess
    mock.client().list_invoices()
    assert mock.control.journal(operation="list_invoices")[-1]["findings"] == []


def test_a_gateway_506_without_data_is_diagnosed(hesabe_mock_inprocess: MockHandle) -> None:
    mock = hesabe_mock_inprocess
    body = json.dumps({"data": SANDBOX.keys.encrypt(b'{"merchantCode":"842217"}')}).encode()
    res = _post(mock, "/checkout", body, {"accessCode": SANDBOX.access_code, "Content-Type": FORM})
    entry = mock.control.journal(operation="create_checkout")[-1]
    assert res.status_code == 400 and entry["response"]["code"] == 506  # Invalid Request Data
    assert [d["code"] for d in entry["diagnosis"]] == ["data_unreadable"]
    assert "Content-Type: application/json" in entry["diagnosis"][0]["message"]
    snippet = mock.control.session.request("GET", f"{mock.url}/_mock/ui/exchanges/{entry['seq']}",
                                           timeout=10).text
    assert "the keys or the access code did not fit" not in snippet


@pytest.mark.parametrize("store", ["memory", "sqlite"])
@pytest.mark.parametrize(("path", "body"), [
    ("/api/v1/login", b'{"username":"Test","password":"\\ud800"}'),
    ("/api/v1/token-refresh", b'{"refreshToken":"\\udc00x"}'),
])
def test_an_unpaired_surrogate_is_unreadable_json_not_a_500(tmp_path: Any, store: str, path: str,
                                                             body: bytes) -> None:
    """PHP's json_decode refuses "\\ud800" (JSON_ERROR_UTF16): the request has no fields."""
    from hesabe_spec.client import ASGITransport
    from mock_server.app import create_app
    from mock_server.state.sqlite import SqliteStore

    app = create_app(store=SqliteStore(str(tmp_path / "s.sqlite")) if store == "sqlite" else None)
    with ASGITransport(app) as transport:
        res = transport.request("POST", "http://mock" + path, data=body,
                                headers={"Content-Type": "application/json"})
    assert res.status_code == 400 and res.json()["message"].startswith("Request not found")


@pytest.mark.parametrize("content_type", ["application/json", "application/json; charset=UTF-8",
                                          "application/vnd.api+json"])
def test_a_json_content_type_is_read_as_laravel_reads_it(hesabe_mock_inprocess: MockHandle,
                                                         content_type: str) -> None:
    mock = hesabe_mock_inprocess
    prepared = _valid_create(mock)
    headers = {**dict(prepared.headers), "Content-Type": content_type}
    res = _post(mock, "/api/v1/invoice", prepared.body, headers)
    assert res.status_code == 200, res.content


def test_a_login_sent_as_text_has_no_fields(hesabe_mock_inprocess: MockHandle) -> None:
    """Laravel reads no JSON under text/plain: the fields are missing, as on the server."""
    body = json.dumps({"username": SANDBOX.username, "password": PASSWORD}).encode()
    res = _post(hesabe_mock_inprocess, "/api/v1/login", body, {"Content-Type": "text/plain;charset=UTF-8"})
    assert res.status_code == 400 and res.json()["message"] == "The username field is required."


@pytest.mark.hesabe_mock_findings("off")  # refresh_token is an unknown_field finding (below)
@pytest.mark.parametrize(("path", "body", "field", "message"), [
    ("/api/v1/token-refresh", {"refresh_token": "abc"}, "refreshToken",
     "The refresh token field is required."),
    ("/api/v1/login", {"username": SANDBOX.username}, "password", "The password field is required."),
])
def test_a_plain_refusals_field_errors_are_journaled_as_answered(hesabe_mock_inprocess: MockHandle, path: str,
                                                                body: dict[str, str], field: str,
                                                                message: str) -> None:
    """The messages name a secret field but quote no value: the journal shows what the client got."""
    mock = hesabe_mock_inprocess
    res = _post(mock, path, json.dumps(body).encode(), {"Content-Type": "application/json"})
    assert res.json()["response"] == {field: [message]}
    entry = mock.control.journal()[-1]
    assert entry["response"]["response"] == {field: [message]}


@pytest.mark.hesabe_mock_findings("off")
def test_a_plain_field_in_another_style_is_named_and_nothing_else_is(
        hesabe_mock_inprocess: MockHandle) -> None:
    """``refresh_token`` for ``refreshToken`` is the usual slip of a snake_case client: the finding
    names it; a name that is no restyled field (it may be part of a password) is never quoted."""
    mock = hesabe_mock_inprocess
    _post(mock, "/api/v1/token-refresh", json.dumps({"refresh_token": "abc", "Test@12": "x"}).encode(),
          {"Content-Type": "application/json"})
    _post(mock, "/api/v1/login", json.dumps({"username": SANDBOX.username, "Password": PASSWORD}).encode(),
          {"Content-Type": "application/json"})
    refresh, login = mock.control.journal()[-2:]
    assert [(f["rule"], f["pointer"]) for f in refresh["findings"]] == [("unknown_field", "/refresh_token")]
    assert "did you mean refreshToken?" in refresh["findings"][0]["message"]
    assert "Test@12" not in json.dumps(refresh)
    assert [(f["rule"], f["pointer"]) for f in login["findings"]] == [("unknown_field", "/Password")]
    assert PASSWORD not in json.dumps(login)


@pytest.mark.parametrize("access_code", [None, "not-the-code-42"])
def test_a_refused_access_code_on_the_merchant_api_says_why(hesabe_mock_inprocess: MockHandle,
                                                            access_code: str | None) -> None:
    """401 "Invalid Signature." says nothing; the journal says what was wrong with the header."""
    mock = hesabe_mock_inprocess
    client = mock.client()
    prepared = client.prepare("list_invoices", bearer=client.tokens.bearer())
    headers = {k: v for k, v in prepared.headers.items() if k.lower() != "accesscode"}
    if access_code is not None:
        headers["accessCode"] = access_code
    res = mock.control.session.request("GET", prepared.url, headers=headers, params=dict(prepared.params),
                                       timeout=10)
    assert res.status_code == 401 and res.json()["message"] == "Invalid Signature."
    [found] = mock.control.journal(operation="list_invoices")[-1]["findings"]
    assert found["rule"] == "access_code"
    assert ("no accessCode header" if access_code is None else
            f"not the access code of merchant {SANDBOX.merchant_code}") in found["message"]
    assert "not-the-code-42" not in found["message"]
