"""Recorded answers judged offline: ``--hesabe-replay DIR`` runs the response rules over a recording.

Each cassette of a recording (``hesabe-mock record``, or the shipped ``fixtures/cassettes``)
becomes an :class:`~contract_tests.exchange.Exchange` with intent ``observe``: the answer as the
wire carried it (encrypted again with the recorded envelope and padding,
:func:`hesabe_spec.cassettes.reencode_response`), its decrypted body, the request that got it.
Every rule that reads one answer runs on it (the schema, the literal message, the envelope and
the padding, the dashboard's sums ...), so the response schemas are checked against real traffic
on every run, with no server at all. Where the recording does not know what the wire looked
like (a docs page printing only the decrypted body), the wire rules are left out for that
cassette and the test says so.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from contract_tests.exchange import Exchange
from contract_tests.findings import Finding
from contract_tests.rules import RULES, Rule, run_rules
from hesabe_spec.cassettes import Cassette, read_recording, reencode_response
from hesabe_spec.crypto import CipherKeys
from hesabe_spec.operations import OPERATIONS
from hesabe_spec.wire import decode_response

__all__ = ["WIRE_RULES", "Replayed", "load_replay"]

#: the rules that judge the bytes on the wire rather than the decrypted answer
WIRE_RULES = ("envelope_shape", "response_padding", "response_hex_lowercase")


@dataclass(frozen=True, slots=True)
class Replayed:
    name: str
    label: str
    exchange: Exchange
    #: the rules that apply (the wire rules only when the recording knows the wire)
    rules: dict[str, Rule]

    def judge(self) -> list[Finding]:
        return run_rules(self.exchange, self.rules)


def _exchange(cassette: Cassette, upstream: str, keys: CipherKeys) -> Exchange:
    request, response = cassette["request"], cassette["response"]
    body = reencode_response(response, keys)
    decoded = decode_response(body, keys)
    return Exchange(
        OPERATIONS[cassette["operation"]],
        "observe",
        request["method"],
        upstream.rstrip("/") + request["path"],
        request["payload"],
        dict(request["query"]),
        response["status"],
        dict(response["headers"]),
        body,
        decoded.envelope,
        decoded.shape,
        keys,
    )


def load_replay(directory: str | Path, keys: CipherKeys) -> list[Replayed]:
    """Every cassette of ``directory`` as a judged exchange."""
    recording = read_recording(directory)
    upstream = recording.manifest.get("upstream", "http://recorded")
    label = recording.manifest.get("label", "?")
    out: list[Replayed] = []
    for path, cassette in recording.cassettes:
        known_wire = not cassette["response"]["encrypted"] or cassette["response"]["wire"] is not None
        rules = RULES if known_wire else {k: v for k, v in RULES.items() if k not in WIRE_RULES}
        out.append(Replayed(path.name, label, _exchange(cassette, upstream, keys), rules))
    return out
