"""``hesabe-crypt``: encrypt and decrypt Hesabe payloads from the shell.

    hesabe-crypt decrypt HEX [--pretty|--raw]  prints the plaintext
    hesabe-crypt encrypt [JSON] [--block-size 16|32]   prints lower-case hex (stdin if JSON omitted)
    hesabe-crypt diagnose HEX [--json]         says why a ciphertext fails, or what is unusual about it

``decrypt`` and ``diagnose`` also take a pasted ``{"data": "<hex>"}`` / ``{"response": "<hex>"}``
body or a JSON string holding hex, and read stdin when HEX is omitted. Keys: the public sandbox
identity unless ``--secret-key`` / ``--iv-key`` or ``HESABE_SECRET_KEY`` / ``HESABE_IV_KEY`` say
otherwise (flags win). Bad input gives one line on stderr and exit status 2, never a traceback;
``diagnose`` exits 1 when it found a fault (the server could not read the ciphertext).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from typing import Any, NoReturn

from hesabe_spec.crypto import MAX_PAD, PAD_BLOCKS, CipherKeys
from hesabe_spec.errors import HesabeError
from hesabe_spec.extras import installed_version
from hesabe_spec.sandbox import SANDBOX
from hesabe_spec.wire_facts import WireFacts, describe_body

__all__ = ["main"]

PROG = "hesabe-crypt"


class UsageError(Exception):
    """Bad command-line input; reported as one line with exit status 2."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        # argparse prints the whole usage block; one line is easier to read in scripts.
        raise UsageError(f"{message} (see {PROG} --help)")


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(prog=PROG, description="Encrypt / decrypt Hesabe payloads (AES-256-CBC, hex).")
    parser.add_argument("--version", action="version", version=f"%(prog)s {installed_version()}")
    keys = _Parser(add_help=False)
    keys.add_argument("--secret-key", help="32-char secret key (default: $HESABE_SECRET_KEY or sandbox)")
    keys.add_argument("--iv-key", help="16-char IV key (default: $HESABE_IV_KEY or the sandbox IV)")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    dec = sub.add_parser("decrypt", parents=[keys], help="hex (or a {data|response: hex} body) -> plaintext")
    dec.add_argument("ciphertext", nargs="?", help="hex, or a JSON body holding it; stdin if omitted")
    dec.add_argument("--pretty", action="store_true", help="indent the JSON, non-ASCII as real characters")
    dec.add_argument("--raw", action="store_true", help="print the plaintext even when it is not JSON")
    enc = sub.add_parser("encrypt", parents=[keys], help="JSON -> hex")
    enc.add_argument("plaintext", nargs="?", help="the JSON text to encrypt; stdin if omitted")
    enc.add_argument("--block-size", type=int, choices=sorted(PAD_BLOCKS), default=MAX_PAD,
                     help="32: the server's padding (default); 16: PKCS#7 like Hesabe's request samples")
    diag = sub.add_parser("diagnose", parents=[keys],
                          help="hex (or a {data|response: hex} body) -> what the wire shows, what is wrong")
    diag.add_argument("ciphertext", nargs="?", help="hex, or a JSON body holding it; stdin if omitted")
    diag.add_argument("--json", action="store_true", help="print the wire facts as JSON")
    return parser


def _keys(args: argparse.Namespace) -> CipherKeys:
    secret = args.secret_key or os.environ.get("HESABE_SECRET_KEY") or SANDBOX.secret_key
    iv = args.iv_key or os.environ.get("HESABE_IV_KEY") or SANDBOX.iv_key
    return CipherKeys(secret, iv)


def _input(value: str | None, what: str) -> str:
    text = value if value is not None else sys.stdin.read()
    text = text.strip()
    if not text:
        raise UsageError(f"no {what} given (argument or stdin)")
    return text


def extract_hex(text: str) -> str:
    """The hex inside ``text``: bare hex, a JSON string, or ``{"data"|"response": hex}``."""
    if not text.startswith(("{", '"')):
        return text
    try:
        outer: Any = json.loads(text)
    except ValueError:
        raise UsageError("input looks like JSON but does not parse") from None
    if isinstance(outer, dict):
        for key in ("data", "response"):
            if isinstance(outer.get(key), str):
                return str(outer[key]).strip()
        raise UsageError('JSON input has no "data" or "response" string to decrypt')
    if isinstance(outer, str):
        return outer.strip()
    raise UsageError("JSON input is neither a hex string nor an object with data/response")


def _decrypt(args: argparse.Namespace) -> str:
    raw = _keys(args).decrypt(extract_hex(_input(args.ciphertext, "ciphertext")))
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise UsageError("decrypted bytes are not UTF-8 text (wrong key?)") from None
    if args.raw:
        return text
    try:
        parsed = json.loads(text)
    except ValueError:
        # A wrong IV garbles only the first block and the pad still checks out, so "not JSON"
        # is the one symptom left; Hesabe plaintexts are always JSON.
        raise UsageError("decrypted text is not JSON (wrong key or IV?); --raw prints it anyway") from None
    return json.dumps(parsed, indent=2, ensure_ascii=False) if args.pretty else text


def _encrypt(args: argparse.Namespace) -> str:
    text = _input(args.plaintext, "JSON")
    try:
        json.loads(text)
    except ValueError as exc:
        raise UsageError(f"not valid JSON: {exc}") from None
    # The text is encrypted exactly as given, so a compact sample reproduces its ciphertext.
    return _keys(args).encrypt(text, block_size=args.block_size)


def _diagnose(args: argparse.Namespace) -> tuple[str, int]:
    facts = describe_body(_input(args.ciphertext, "ciphertext"), _keys(args))
    faulty = any(d["kind"] == "fault" for d in facts["diagnosis"])
    text = json.dumps(facts, indent=2, ensure_ascii=False) if args.json else _facts_text(facts)
    return text, 1 if faulty else 0


def _facts_text(facts: WireFacts) -> str:
    """The wire facts for a person: one line per fact, then the diagnosis."""
    lines = [f"envelope:   {facts['envelope']}"]
    hex_case = f", {facts['hex_case']} case" if facts["hex_case"] else ""
    lines.append(f"hex:        {facts['hex_length']} characters{hex_case}")
    if facts["ciphertext_bytes"] is not None:
        whole = "whole" if facts["whole_blocks"] else "NOT whole"
        lines.append(f"ciphertext: {facts['ciphertext_bytes']} bytes, {whole} 16-byte AES blocks "
                     f"({facts['aes_blocks']})")
    pad = facts["padding"]
    if pad is not None:
        state = f"scheme {pad['scheme']}" if pad["consistent"] else "inconsistent"
        lines.append(f"padding:    last byte {pad['length']}, {state}")
    plain = facts["plaintext"]
    if plain is not None:
        what = "UTF-8" if plain["utf8"] else "not UTF-8"
        parsed = plain["json"]
        if parsed is not None:
            keys = f", keys {', '.join(parsed['keys'])}" if parsed["keys"] else ""
            what += f" JSON {parsed['type']}, {parsed['style']} style{keys}"
        lines.append(f"plaintext:  {plain['bytes']} bytes, {what}")
    found = facts["diagnosis"]
    lines.append("diagnosis:  " + ("nothing unusual" if not found else ""))
    lines += [f"  {d['kind']} {d['code']}: {d['message']}" for d in found]
    return "\n".join(line.rstrip() for line in lines)


def _write(text: str) -> None:
    try:
        sys.stdout.write(text + "\n")
    except UnicodeEncodeError:  # a non-UTF-8 terminal: send the UTF-8 bytes anyway
        sys.stdout.flush()
        sys.stdout.buffer.write((text + "\n").encode("utf-8"))


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; returns the exit status (0 ok, 1 ``diagnose`` found a fault, 2 bad input)."""
    status = 0
    try:
        args = _parser().parse_args(argv)
        if args.command == "diagnose":
            text, status = _diagnose(args)
        else:
            text = _decrypt(args) if args.command == "decrypt" else _encrypt(args)
        _write(text)
    except (UsageError, HesabeError) as exc:
        print(f"{PROG}: error: {exc}", file=sys.stderr)
        return 2
    return status


if __name__ == "__main__":
    raise SystemExit(main())
