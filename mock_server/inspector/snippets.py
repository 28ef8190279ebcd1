""""Copy as curl" and "copy as Python": one journalled exchange as a call a person can run again.

Both use the project's own tools: curl with ``hesabe-crypt`` to encrypt the payload and decrypt
the answer, Python with :class:`hesabe_spec.HesabeClient`. Neither holds a key, a token or a
password: they read ``$HESABE_*`` variables (``HESABE_SECRET_KEY`` / ``HESABE_IV_KEY`` for the
cipher, ``HESABE_ACCESS_CODE``, ``HESABE_MERCHANT_CODE``, ``HESABE_TOKEN`` for a bearer token from
``login``); the secret fields of an operation's own request (login's password, a refresh token)
become such variables too. Any other value the journal redacted is sent as the text it shows,
and no value a request carried becomes a variable or code.
"""

from __future__ import annotations

import json
import re
import secrets
import unicodedata
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from hesabe_spec.operations import OPERATIONS, Host, Operation
from mock_server.journal import REDACTED, plain_query

__all__ = ["curl_snippet", "python_snippet", "visible"]

#: the base URL variable of each host (the names ClientConfig reads)
_BASE: dict[Host, str] = {"merchant_api": "HESABE_MERCHANT_API_URL", "gateway": "HESABE_GATEWAY_URL"}
#: a redacted payload field -> the variable that holds its value
#: the secret fields an operation's own request carries -> the variable that holds the value. Only
#: these become variables: the keys of a request are its sender's to choose, and a variable
#: read for a key someone else planted would send that secret where the snippet sends the rest
_SECRET_VARS: dict[tuple[str, str], str] = {("login", "password"): "HESABE_MERCHANT_PASSWORD",
                                            ("refresh_token", "refreshToken"): "HESABE_REFRESH_TOKEN"}


#: characters that show as nothing or move the text around them (bidi controls, zero widths, the
#: byte-order mark, C1 controls, line separators)
_INVISIBLE = frozenset(("Cc", "Cf", "Zl", "Zp"))


def visible(json_text: str) -> str:
    """JSON text with every such character inside it written as its ``\\u`` escape: the same
    JSON value, and what one reads is what was sent (JSON itself escapes only the C0 controls)."""
    if json_text.isascii() and "\x7f" not in json_text:  # DEL: the one ASCII control JSON leaves raw
        return json_text
    # json.dumps writes a character beyond U+FFFF as its UTF-16 pair (\\udb40\\udc41), as JSON must
    return "".join(json.dumps(ch)[1:-1] if ch != "\n" and unicodedata.category(ch) in _INVISIBLE else ch
                   for ch in json_text)


@dataclass(frozen=True, slots=True)
class _Env:
    """A value the snippet reads from the environment variable ``name``. Its own type, so no text
    a request carried can pass for one (a request's strings are written as the strings they are)."""

    name: str


def _placeholders(value: Any, operation: str, key: str = "") -> Any:
    """``value`` with the operation's own secret fields (redacted in the journal) and the merchant
    code as :class:`_Env`; everything else as it is (another redacted value stays the text the
    journal shows: nobody's secret is sent for it)."""
    if isinstance(value, dict):
        return {k: _placeholders(v, operation, str(k)) for k, v in value.items()}
    if isinstance(value, list):
        return [_placeholders(v, operation) for v in value]
    variable = _SECRET_VARS.get((operation, key))
    if value == REDACTED and variable is not None:
        return _Env(variable)
    if key == "merchantCode":
        return _Env("HESABE_MERCHANT_CODE")
    return value


def _literal(value: Any, depth: int) -> str:
    """``value`` as Python source, :class:`_Env` as ``os.environ[...]``, one key per line."""
    pad, inner = "    " * (depth - 1), "    " * depth
    if isinstance(value, dict) and value:
        items = [f"{inner}{k!r}: {_literal(v, depth + 1)}," for k, v in value.items()]
        return "{\n" + "\n".join(items) + f"\n{pad}}}"
    if isinstance(value, list) and value:
        return "[\n" + "\n".join(f"{inner}{_literal(v, depth + 1)}," for v in value) + f"\n{pad}]"
    if isinstance(value, _Env):
        return f"os.environ[{value.name!r}]"
    return repr(value)


def _shell_json(payload: Any) -> str:
    """``payload`` as compact JSON in single quotes for a shell, each :class:`_Env` spliced in as
    its ``$VARIABLE``. The variables go through JSON as a marker holding a random nonce the text
    does not contain, so no string of the request can be taken for one."""
    nonce = secrets.token_hex(8)
    while nonce in json.dumps(payload, ensure_ascii=False, default=lambda env: env.name):
        nonce = secrets.token_hex(8)
    text = visible(json.dumps(payload, ensure_ascii=False, separators=(",", ":"),
                              default=lambda env: f"{nonce}{env.name}"))
    quoted = text.replace("'", "'\\''")
    marked = re.compile(f'"{nonce}([A-Z_]+)"')
    return "'" + marked.sub(lambda m: "\"'\"$" + m.group(1) + "\"'\"", quoted) + "'"


def _path_params(op: Operation, path: str) -> dict[str, str]:
    names = op.path_params
    if not names:
        return {}
    pattern = re.escape(op.path.rstrip("/"))
    for name in names:
        pattern = pattern.replace(re.escape("{" + name + "}"), f"(?P<{name}>[^/]+)")
    found = re.fullmatch(pattern + "/?", path)
    return found.groupdict() if found else {}


def _redacted(value: Any, key: str = "") -> list[str]:
    """The fields whose value the journal redacted, in order."""
    if isinstance(value, dict):
        return [name for k, v in value.items() for name in _redacted(v, str(k))]
    if isinstance(value, list):
        return [name for v in value for name in _redacted(v, key)]
    return [key] if value == REDACTED else []


def _stand_in_note(entry: dict[str, Any]) -> list[str]:
    """A comment when a refused request's secret is replaced by a variable: the snippet then sends
    the configured value, not the one that was refused (a wrong password logs in)."""
    status = entry.get("status")
    names = _redacted(entry.get("request"))
    if not names or not isinstance(status, int) or status < 400:
        return []
    shown = ", ".join(dict.fromkeys(names))
    return [f"# {shown}: redacted in the journal, so this sends your configured value (or the text",
            f"# [redacted]) instead; it may not be refused as the original was (HTTP {status})"]


#: what a snippet says of a request whose payload the mock never read
_UNREAD = ("# This request's data was never decrypted (the keys or the access code did not fit, or it\n"
           "# was not Hesabe's ciphertext): there is no payload to send again. The journal's wire facts\n"
           "# and its diagnosis say what the mock received.")


def _unread_note(entry: dict[str, Any]) -> str:
    """What a snippet says instead of a request that had no payload: why, when the mock knows."""
    for found in entry.get("findings") or ():
        if isinstance(found, dict) and found.get("rule") == "data_unreadable":
            return ("# No data was read from this request, so there is no payload to send again:\n# "
                    + visible(str(found.get("message", ""))).replace("\n", " "))
    return _UNREAD


def _unread(op: Operation, entry: dict[str, Any]) -> bool:
    """An encrypted operation's request the mock refused before it had a payload."""
    return op.encrypted and op.payload_in != "none" and entry.get("request") is None


def curl_snippet(entry: dict[str, Any], query: str = "") -> str | None:
    """A shell snippet sending the exchange's request again (None for a request no operation took)."""
    op = OPERATIONS.get(str(entry.get("operation")))
    if op is None:
        return None
    if _unread(op, entry):
        return _unread_note(entry)
    base = "$" + _BASE[op.host]
    path = op.format_path(**_path_params(op, str(entry.get("path", ""))))
    shell_json = _shell_json(_placeholders(entry.get("request"), op.name))
    lines: list[str] = _stand_in_note(entry)
    if op.auth == "bearer":
        lines.append("# HESABE_TOKEN: an access token from login (POST /api/v1/login)")
    filters = plain_query(query)
    url = f"{base}{path}"
    head = [f"curl -s -X {op.method} \"{url}"]
    if op.encrypted:
        lines.append("# hesabe-crypt reads the keys from $HESABE_SECRET_KEY and $HESABE_IV_KEY")
        lines.append(f"DATA=$(hesabe-crypt encrypt {shell_json})")
    if op.payload_in == "query":
        params = "&".join(["data=$DATA"] + [f"{quote(k)}={quote(v)}" for k, v in filters.items()])
        head[0] += "?" + params
    elif filters:
        head[0] += "?" + "&".join(f"{quote(k)}={quote(v)}" for k, v in filters.items())
    head[0] += "\""
    head.append("-H 'Accept: application/json' -H 'Content-Type: application/json'")
    if op.auth != "none":
        head.append("-H \"accessCode: $HESABE_ACCESS_CODE\"")
    if op.auth == "bearer":
        head.append("-H \"Authorization: Bearer $HESABE_TOKEN\"")
    if op.payload_in == "body":
        head.append("-d \"{\\\"data\\\":\\\"$DATA\\\"}\"")
    elif op.payload_in == "plain":
        head.append(f"-d {shell_json}")
    command = " \\\n  ".join(head)
    if op.encrypted:
        command += " \\\n  | hesabe-crypt decrypt --pretty"
    lines.append(command)
    return "\n".join(lines)


def python_snippet(entry: dict[str, Any], query: str = "") -> str | None:
    """A Python snippet making the same call with the reference client (None as for curl)."""
    op = OPERATIONS.get(str(entry.get("operation")))
    if op is None:
        return None
    if _unread(op, entry):
        return _unread_note(entry)
    payload = entry.get("request")
    if isinstance(payload, dict):
        payload = {k: v for k, v in payload.items() if k != "merchantCode"}  # the client adds its own
    text = _literal(_placeholders(payload, op.name), 1)
    args = [repr(op.name)]
    if op.payload_in != "none" and payload not in (None, {}):
        args.append(f"payload={text}")
    params = _path_params(op, str(entry.get("path", "")))
    if params:
        args.append(f"path_params={params!r}")
    filters = plain_query(query)
    if filters:
        args.append(f"query={filters!r}")
    uses_env = "os.environ" in text
    lines = ["import os" if uses_env else "", "from hesabe_spec import HesabeClient", "",
             "# HESABE_MERCHANT_API_URL, HESABE_GATEWAY_URL, HESABE_MERCHANT_CODE, HESABE_ACCESS_CODE,",
             "# HESABE_SECRET_KEY, HESABE_IV_KEY, HESABE_MERCHANT_USERNAME / _PASSWORD: from the environment",
             "client = HesabeClient()",
             *_stand_in_note(entry),
             "# validate=False: the payload goes as the journal shows it, even what the client would refuse",
             f"result = client.call({', '.join(args)}, validate=False, raise_errors=False)",
             "print(result.status, result.envelope)"]
    return "\n".join(line for i, line in enumerate(lines) if line or i > 0)
