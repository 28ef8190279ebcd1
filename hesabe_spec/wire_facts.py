"""Wire facts: one Hesabe ciphertext described as the wire saw it, as one JSON shape.

:func:`describe_ciphertext` answers what a person debugging an integration asks of a hex string:
how it was wrapped, how long it is and in what case, whether it is whole AES blocks, how it was
padded (the server's 32-byte scheme, 16-byte PKCS#7, or a pad counted in characters), what the
plaintext is and how its JSON is written (escapes, spacing, key order), and, in ``diagnosis``,
why it fails or what is unusual about it. :func:`describe_body` finds the hex in any body form
first. The result is a :class:`WireFacts` (a ``TypedDict``: plain JSON values only), the one
shape every feature that shows wire details uses: the mock's journal (every entry, and the
diagnosis of every 506), ``hesabe-crypt diagnose``.

Diagnosis codes (``Diagnosis.code``), each with a ``kind``: ``fault`` (why it cannot be read),
``unusual`` (accepted, but not what the server or most kits write) or ``fragile`` (fine here,
breaks some kits):

======================  ========  ==============================================================
code                    kind      meaning
======================  ========  ==============================================================
not_hex                 fault     empty, odd length or characters other than 0-9 a-f A-F
base64_hex              fault     the hex spells base64 text that is the ciphertext: PHP's
                                  openssl_encrypt answers base64 unless OPENSSL_RAW_DATA is set
not_whole_blocks        fault     not a multiple of 16 bytes: truncated or damaged in transit
zero_padding            fault     padded with NUL bytes (mcrypt's habit, or a hand-made pad of
                                  "\0"): Hesabe's pad bytes hold the pad's length
space_padding           fault     padded with spaces: the same mistake with 0x20
wrong_key               fault     the pad is garbage: another secret key (or not Hesabe's cipher)
wrong_iv                fault     the pad checks out and all but the first 16 bytes read as text:
                                  another IV key
not_utf8                fault     the plaintext is not UTF-8
not_json                fault     the plaintext is not JSON
double_padding          fault     pad bytes left after unpadding: padded twice (a kit's own pad
                                  and the cipher library's PKCS#7)
json_not_object         unusual   JSON, but not an object (Hesabe payloads are objects)
uppercase_hex           unusual   A-F in upper case (accepted; Hesabe writes lower case)
pkcs7_16                unusual   16-byte PKCS#7 (accepted on requests; the server pads to 32)
pad_by_utf16            fault     the pad was counted in UTF-16 units, not bytes (hesabe-crypt-ts,
                                  the Flutter kit): breaks on other non-ASCII text
pad_by_characters       fault     the pad was counted in characters, not bytes (Python kits
                                  padding a str): breaks on other non-ASCII text
pad_unknown             unusual   a consistent pad no known scheme gives
not_php_json            unusual   JSON not as PHP's json_encode writes it (normal for requests
                                  from JavaScript or Python; a Hesabe reply never looks so)
pad_of_32_with_space    fragile   a pad of 32 is the byte 0x20, a space: kits that strip at the
                                  first pad character cut this text at its first space
======================  ========  ==============================================================
"""

from __future__ import annotations

import base64
import json
import re
from typing import Any, Literal, TypedDict

from Crypto.Cipher import AES

from hesabe_spec.crypto import MAX_PAD, PAD_BLOCKS, PKCS7_BLOCK, CipherKeys
from hesabe_spec.errors import HesabeError
from hesabe_spec.wire import server_json

__all__ = [
    "Diagnosis",
    "EscapeFacts",
    "JsonFacts",
    "PaddingFacts",
    "PlaintextFacts",
    "WireFacts",
    "describe_body",
    "describe_ciphertext",
    "pad_scheme",
    "pad_unit",
]

#: how the hex travelled: ``data`` (request ``{"data": hex}`` or ``?data=``), ``response``
#: (``{"response": hex}``), ``bare`` (the hex alone), ``json-string`` (a JSON string holding it)
Envelope = Literal["data", "response", "bare", "json-string"]
HexCase = Literal["lower", "upper", "mixed", "digits"]
PadScheme = Literal[
    "server-32", "pkcs7-16", "either", "utf16-32", "utf16-16", "characters-32", "characters-16", "unknown"
]
JsonStyle = Literal["php", "compact", "spaced", "pretty", "other"]
DiagnosisKind = Literal["fault", "unusual", "fragile"]


class Diagnosis(TypedDict):
    code: str
    kind: DiagnosisKind
    message: str


class PaddingFacts(TypedDict):
    #: the pad length the last byte claims (1..32 when it is consistent)
    length: int
    #: every pad byte equals the length, 1..32: what the server's unpad accepts
    consistent: bool
    #: which scheme gives this pad for this plaintext ("either" when 32 and 16 agree)
    scheme: PadScheme


class EscapeFacts(TypedDict):
    #: ``\\/`` occurs (PHP's default), ``/`` occurs unescaped
    escaped_slashes: bool
    raw_slashes: bool
    #: ``\\uXXXX`` escapes, and their hex digit case
    unicode_escapes: int
    unicode_escape_case: Literal["lower", "upper", "mixed"] | None
    #: non-ASCII characters written as they are (UTF-8)
    raw_non_ascii: bool


class JsonFacts(TypedDict):
    #: ``php``: byte for byte what PHP's json_encode writes; ``compact``: no whitespace
    #: (JSON.stringify); ``spaced``: ", " and ": " (Python's json.dumps defaults); ``pretty``:
    #: newlines and indentation
    style: JsonStyle
    type: Literal["object", "array", "string", "number", "boolean", "null"]
    #: the top-level keys in the order written (objects only)
    keys: list[str]
    escapes: EscapeFacts


class PlaintextFacts(TypedDict):
    bytes: int
    utf8: bool
    #: UTF-16 code units and characters, where the text is UTF-8 (they differ from ``bytes`` for
    #: non-ASCII text; kits that pad by them break)
    utf16_units: int | None
    characters: int | None
    json: JsonFacts | None


class WireFacts(TypedDict):
    envelope: Envelope
    hex_length: int
    hex_case: HexCase | None
    #: bytes once unhexed, and as AES blocks (None when it is not hex)
    ciphertext_bytes: int | None
    aes_blocks: int | None
    whole_blocks: bool
    #: whether the server's decrypt step gets past the pad (the plaintext may still be garbage:
    #: a wrong IV spoils only the first block)
    decrypts: bool
    padding: PaddingFacts | None
    plaintext: PlaintextFacts | None
    diagnosis: list[Diagnosis]


_HEX = re.compile(r"[0-9a-fA-F]*")
_BASE64 = re.compile(rb"[A-Za-z0-9+/]+={0,2}")
_UNICODE_ESCAPE = re.compile(r"\\u([0-9a-fA-F]{4})")


def _diag(code: str, kind: DiagnosisKind, message: str) -> Diagnosis:
    return {"code": code, "kind": kind, "message": message}


def describe_body(body: bytes | str, keys: CipherKeys) -> WireFacts:
    """:func:`describe_ciphertext` of the hex inside ``body``: ``{"data": hex}``,
    ``{"response": hex}``, a JSON string holding hex, or the hex alone."""
    text = body.decode("utf-8", errors="replace") if isinstance(body, bytes) else body
    text = text.strip()
    envelope: Envelope = "bare"
    if text.startswith(("{", '"')):
        try:
            outer: Any = json.loads(text)
        except ValueError:
            outer = None
        if isinstance(outer, str):
            text, envelope = outer.strip(), "json-string"
        elif isinstance(outer, dict) and isinstance(outer.get("data"), str):
            text, envelope = str(outer["data"]).strip(), "data"
        elif isinstance(outer, dict) and isinstance(outer.get("response"), str):
            text, envelope = str(outer["response"]).strip(), "response"
    return describe_ciphertext(text, keys, envelope=envelope)


def describe_ciphertext(hex_text: str, keys: CipherKeys, *, envelope: Envelope = "bare") -> WireFacts:
    """Everything the wire shows about one Hesabe ciphertext, decrypted with ``keys``."""
    facts: WireFacts = {
        "envelope": envelope, "hex_length": len(hex_text), "hex_case": None, "ciphertext_bytes": None,
        "aes_blocks": None, "whole_blocks": False, "decrypts": False, "padding": None, "plaintext": None,
        "diagnosis": [],
    }
    found = facts["diagnosis"]
    if not hex_text or len(hex_text) % 2 or not _HEX.fullmatch(hex_text):
        what = "empty" if not hex_text else (
            f"{len(hex_text)} characters, an odd number"
            if len(hex_text) % 2 == 1 and _HEX.fullmatch(hex_text)
            else "not made of hex digits only")
        found.append(_diag("not_hex", "fault", f"the ciphertext is {what}: Hesabe sends hex (0-9, a-f)"))
        return facts
    facts["hex_case"] = _case(hex_text)
    if facts["hex_case"] in ("upper", "mixed"):
        found.append(_diag("uppercase_hex", "unusual",
                           "the hex uses upper-case A-F: the server accepts it, Hesabe writes lower case"))
    size = len(hex_text) // 2
    facts["ciphertext_bytes"] = size
    facts["aes_blocks"] = size // AES.block_size
    facts["whole_blocks"] = size % AES.block_size == 0
    wrapped = _base64_inside(bytes.fromhex(hex_text), keys)
    if wrapped is not None:
        found.append(wrapped)
        return facts
    if not facts["whole_blocks"]:
        found.append(_diag("not_whole_blocks", "fault",
                           f"{size} bytes is not a whole number of 16-byte AES blocks: the hex was "
                           "truncated or damaged on the way"))
        return facts
    try:
        raw = keys.decrypt_blocks(hex_text)
    except HesabeError as exc:  # pragma: no cover - the checks above leave nothing to fail
        found.append(_diag("not_hex", "fault", str(exc)))
        return facts
    pad = raw[-1]
    consistent = 1 <= pad <= MAX_PAD and raw[-pad:] == bytes([pad]) * pad
    plaintext = raw[:-pad] if consistent else raw
    if not consistent:
        facts["padding"] = {"length": pad, "consistent": False, "scheme": "unknown"}
        for filler, code, name in ((b"\0", "zero_padding", "NUL"), (b" ", "space_padding", "space")):
            kept = raw.rstrip(filler)
            count = len(raw) - len(kept)
            if 0 < count <= MAX_PAD and _readable(kept):
                found.append(_diag(code, "fault", f"the text ends in {count} {name} bytes: it was padded "
                                   f"with {name}s, but a Hesabe pad is n bytes each holding n (the server "
                                   "reads the last byte as the pad's length, so it cannot read this)"))
                return facts
        claim = f"the last byte claims a pad of {pad}" if pad else "the last byte is 0"
        # With the wrong IV only the first block is garbage (CBC) and the pad, in the last block,
        # still checks out; a garbage pad means the secret key (or the whole ciphertext) is wrong.
        found.append(_diag("wrong_key", "fault",
                           f"the padding is garbage ({claim} and the bytes before it do not match): "
                           "decrypted with another secret key than it was encrypted with, or not a Hesabe "
                           "ciphertext"))
        return facts
    scheme = pad_scheme(plaintext, pad)
    facts["padding"] = {"length": pad, "consistent": True, "scheme": scheme}
    plain = facts["plaintext"] = _plaintext_facts(plaintext)
    facts["decrypts"] = True
    found.extend(_padding_diagnosis(scheme, pad, plaintext))
    found.extend(_plaintext_diagnosis(plaintext, plain))
    return facts


def _base64_inside(text: bytes, keys: CipherKeys) -> Diagnosis | None:
    """The ``base64_hex`` diagnosis when ``text`` (the hex's bytes) is base64 of a ciphertext that
    ``keys`` decrypt to a consistently padded text; None otherwise."""
    if len(text) % 4 or not _BASE64.fullmatch(text):
        return None
    inner = base64.b64decode(text)
    if not inner or len(inner) % AES.block_size:
        return None
    try:
        plaintext = keys.decrypt(inner.hex())  # a consistent pad, or InvalidPaddingError
    except HesabeError:
        return None
    if not _readable(plaintext):
        return None
    return _diag("base64_hex", "fault",
                 "the hex spells base64 text, and that base64 is the ciphertext: openssl_encrypt answers "
                 "base64 unless OPENSSL_RAW_DATA is set; hex-encode the raw bytes (bin2hex of "
                 "openssl_encrypt(..., OPENSSL_RAW_DATA | OPENSSL_ZERO_PADDING, ...))")


def pad_scheme(plaintext: bytes, pad: int) -> PadScheme:
    """Which padding scheme gives a pad of ``pad`` for ``plaintext``.

    The server's is 32 bytes (``server-32``), PKCS#7 is 16 (``pkcs7-16``); for some lengths both
    give the same pad (``either``). A pad counted on the text's UTF-16 units or characters
    instead of its bytes (``utf16-*``, ``characters-*``) can only differ for non-ASCII text.
    """
    def fits(length: int, block: int) -> bool:
        return pad == block - length % block

    by_32, by_16 = fits(len(plaintext), MAX_PAD), fits(len(plaintext), PKCS7_BLOCK)
    if by_32 and by_16:
        return "either"
    if by_32:
        return "server-32"
    if by_16:
        return "pkcs7-16"
    try:
        text = plaintext.decode("utf-8")
    except UnicodeDecodeError:
        return "unknown"
    units = len(text.encode("utf-16-le")) // 2
    for length, name in ((units, "utf16"), (len(text), "characters")):
        for block in PAD_BLOCKS:
            if fits(length, block):
                return f"{name}-{block}"  # type: ignore[return-value]
    return "unknown"


def pad_unit(scheme: PadScheme, plaintext: bytes) -> str:
    """What a ``utf16-*`` or ``characters-*`` pad was counted in, in words. Text without characters
    beyond U+FFFF has as many UTF-16 units as characters (PHP's ``mb_strlen`` and JavaScript's
    ``length`` agree on it), so then both are named."""
    text = plaintext.decode("utf-8", errors="replace")
    if len(text) == len(text.encode("utf-16-le")) // 2:
        return "characters (or UTF-16 units: the same count for this text)"
    return "UTF-16 units" if scheme.startswith("utf16") else "characters"


def _case(hex_text: str) -> HexCase:
    lower, upper = hex_text != hex_text.upper(), hex_text != hex_text.lower()
    if lower and upper:
        return "mixed"
    return "upper" if upper else "lower" if lower else "digits"


def _readable(data: bytes) -> bool:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return bool(text) and all(ch.isprintable() or ch in "\t\r\n" for ch in text)


def _padding_diagnosis(scheme: PadScheme, pad: int, plaintext: bytes) -> list[Diagnosis]:
    found: list[Diagnosis] = []
    if scheme == "pkcs7-16":
        found.append(_diag("pkcs7_16", "unusual",
                           f"16-byte PKCS#7 padding (pad {pad}): the server accepts it (Hesabe's samples and "
                           "app send it); the server pads its own replies to 32 bytes"))
    elif scheme.startswith(("utf16", "characters")):
        unit = pad_unit(scheme, plaintext)
        code = "pad_by_utf16" if scheme.startswith("utf16") else "pad_by_characters"
        found.append(_diag(code, "fault",
                           f"the pad ({pad}) was counted in {unit}, not bytes: it happens to make whole "
                           "blocks here; with other non-ASCII text the same kit produces a ciphertext that "
                           "is not whole blocks or a pad the server refuses. Pad the UTF-8 bytes."))
    elif scheme == "unknown":
        found.append(_diag("pad_unknown", "unusual",
                           f"a consistent pad of {pad} that neither the 32-byte nor the 16-byte scheme gives "
                           f"for {len(plaintext)} bytes: the server accepts it"))
    if pad == MAX_PAD and b" " in plaintext:
        found.append(_diag("pad_of_32_with_space", "fragile",
                           "a pad of 32 is 32 bytes of 0x20, a space: a kit that strips at the first pad "
                           "character (hesabe-crypt-ts) cuts this text at its first space"))
    return found


def _plaintext_facts(plaintext: bytes) -> PlaintextFacts:
    facts: PlaintextFacts = {"bytes": len(plaintext), "utf8": False, "utf16_units": None, "characters": None,
                             "json": None}
    try:
        text = plaintext.decode("utf-8")
    except UnicodeDecodeError:
        return facts
    facts["utf8"], facts["characters"] = True, len(text)
    facts["utf16_units"] = len(text.encode("utf-16-le")) // 2
    try:
        value = json.loads(text)
    except (ValueError, RecursionError):
        return facts
    facts["json"] = {"style": _json_style(text, value, plaintext), "type": _json_type(value),
                     "keys": [str(k) for k in value] if isinstance(value, dict) else [],
                     "escapes": _escapes(text)}
    return facts


def _plaintext_diagnosis(plaintext: bytes, facts: PlaintextFacts) -> list[Diagnosis]:
    json_facts = facts["json"]
    first, rest = plaintext[:AES.block_size], plaintext[AES.block_size:]
    if json_facts is None and not _readable(first) and _readable(rest):
        # CBC: another IV changes the first block only, XORed with the difference of the IVs
        return [_diag("wrong_iv", "fault",
                      "the first 16 bytes are garbage and the rest reads as text: decrypted with another "
                      "IV key than it was encrypted with")]
    if not facts["utf8"]:
        return [_diag("not_utf8", "fault", "the plaintext is not UTF-8 text")]
    if json_facts is None:
        left = plaintext[-1] if plaintext else 0
        if 1 <= left <= MAX_PAD and plaintext[-left:] == bytes([left]) * left and _is_json(plaintext[:-left]):
            return [_diag("double_padding", "fault",
                          f"{left} pad bytes are left after unpadding: the plaintext was padded twice (the "
                          "kit's own pad, then the cipher library's PKCS#7); turn the library's padding off")]
        return [_diag("not_json", "fault", "the plaintext is not JSON (Hesabe payloads are JSON objects)")]
    found: list[Diagnosis] = []
    if json_facts["type"] != "object":
        found.append(_diag("json_not_object", "unusual",
                           f"the JSON is a {json_facts['type']}, not an object: the server answers 506"))
    if json_facts["style"] != "php":
        found.append(_diag("not_php_json", "unusual", _style_words(json_facts)))
    return found


def _style_words(facts: JsonFacts) -> str:
    escapes = facts["escapes"]
    differences = []
    if escapes["raw_slashes"]:
        differences.append("'/' unescaped (PHP writes \\/ unless JSON_UNESCAPED_SLASHES)")
    if escapes["raw_non_ascii"]:
        differences.append("non-ASCII characters as UTF-8 (PHP writes \\uXXXX unless JSON_UNESCAPED_UNICODE)")
    if escapes["unicode_escape_case"] in ("upper", "mixed"):
        differences.append("upper-case \\u escapes (PHP writes lower case)")
    style = facts["style"]
    if style == "spaced":
        differences.append("spaces after ',' and ':' (Python's json.dumps defaults)")
    elif style == "pretty":
        differences.append("pretty-printed")
    said = "; ".join(differences) or "written differently"
    return (f"the JSON is not what PHP's json_encode writes by default ({said}): normal for a request "
            "from a JavaScript or Python client or PHP with those flags, never seen in a Hesabe reply")


def _json_style(text: str, value: Any, plaintext: bytes) -> JsonStyle:
    try:
        if server_json(value) == plaintext:
            return "php"
    except ValueError:  # NaN and the infinities, which PHP refuses to write
        return "other"
    if _no_whitespace_outside_strings(text):
        return "compact"
    if "\n" in text.strip():
        return "pretty"
    return "spaced" if ", " in text or ": " in text else "other"


def _no_whitespace_outside_strings(text: str) -> bool:
    in_string = escaped = False
    for ch in text:
        if in_string:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_string = False
        elif ch == '"':
            in_string = True
        elif ch in " \t\r\n":
            return False
    return True


def _escapes(text: str) -> EscapeFacts:
    lettered = [h for h in _UNICODE_ESCAPE.findall(text) if h.lower() != h.upper()]
    upper, lower = any(h == h.upper() for h in lettered), any(h == h.lower() for h in lettered)
    case: Literal["lower", "upper", "mixed"] | None = (
        "mixed" if upper and lower else "upper" if upper else "lower" if lower else None)
    escaped = text.count("\\/")
    return {"escaped_slashes": escaped > 0, "raw_slashes": text.count("/") > escaped,
            "unicode_escapes": len(_UNICODE_ESCAPE.findall(text)), "unicode_escape_case": case,
            "raw_non_ascii": not text.isascii()}


def _json_type(value: Any) -> Literal["object", "array", "string", "number", "boolean", "null"]:
    if isinstance(value, dict):
        return "object"
    if isinstance(value, list):
        return "array"
    if isinstance(value, str):
        return "string"
    if isinstance(value, bool):
        return "boolean"
    return "null" if value is None else "number"


def _is_json(data: bytes) -> bool:
    try:
        json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        return False
    return True
