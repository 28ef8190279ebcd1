"""Tools to build deliberately broken mocks and to see which contract rules catch them."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from typing import Any

from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, run_state_machine_as_test

from contract_tests.errors import ContractViolation
from contract_tests.lifecycle import lifecycle_machine
from contract_tests.resources import Resources
from contract_tests.session import ContractSession
from contract_tests.strategies import context_for
from contract_tests.target import INPROCESS_URL, Target, _mock_config
from hesabe_spec.client import ASGITransport
from hesabe_spec.sandbox import SANDBOX
from hesabe_spec.wire import decode_response, encode_response

Edit = Callable[[dict[str, Any], Any], Any]

#: quick and reproducible: no shrinking (the point is *whether* a rule fires, not the minimal case)
FAST = settings(
    max_examples=10,
    deadline=None,
    database=None,
    derandomize=True,
    phases=[Phase.generate],
    suppress_health_check=list(HealthCheck),
)


class Tamper:
    """ASGI middleware re-writing encrypted API responses: ``edit(scope, envelope)`` returns the new
    envelope; ``block_size`` pads the re-encryption (16 = the wrong, PKCS#7 way); ``upper_hex``
    writes its hex in upper case."""

    def __init__(self, app: Any, edit: Edit | None = None, *, block_size: int = 32,
                 upper_hex: bool = False) -> None:
        self.app, self.edit, self.block_size = app, edit or (lambda _s, env: env), block_size
        self.upper_hex = upper_hex
        self.state = app.state

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http" or scope["path"].startswith("/_mock"):
            await self.app(scope, receive, send)
            return
        start: dict[str, Any] = {}
        chunks: list[bytes] = []

        async def capture(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                start.update(message)
                return
            chunks.append(message.get("body", b""))
            if message.get("more_body"):
                return
            body = b"".join(chunks)
            keys = SANDBOX.keys
            with contextlib.suppress(Exception):
                decoded = decode_response(body, keys)
                if decoded.encrypted:
                    envelope = self.edit(scope, decoded.envelope)
                    body = encode_response(envelope, keys, style=decoded.shape, block_size=self.block_size)
                    if self.upper_hex:  # the hex only: a {"response": ...} wrapper keeps its key
                        body = body.upper().replace(b'"RESPONSE"', b'"response"')
            headers = [(k, v) for k, v in start.get("headers", []) if k.lower() != b"content-length"]
            await send({**start, "headers": [*headers, (b"content-length", str(len(body)).encode())]})
            await send({"type": "http.response.body", "body": body, "more_body": False})

        await self.app(scope, receive, capture)


#: targets opened by :func:`session_for`; the ``close_targets`` fixture closes them after each test
OPEN: list[Target] = []


def session_for(app: Any) -> tuple[ContractSession, Resources]:
    """A judged session (and its record factory) on ``app``, in-process (closed after the test)."""
    transport = ASGITransport(app, lifespan=True)
    target = Target("inprocess", INPROCESS_URL, _mock_config(INPROCESS_URL), transport)
    target._closers.append(transport.close)
    OPEN.append(target)
    session = ContractSession(target, gen=context_for(SANDBOX.merchant_code, "ctproof"))
    return session, Resources(session)


def rules_of(exc: BaseException) -> set[str]:
    """Every rule named by the ContractViolations in ``exc`` (an exception group included)."""
    if isinstance(exc, ContractViolation):
        return exc.rules
    if isinstance(exc, BaseExceptionGroup):
        return set().union(*(rules_of(e) for e in exc.exceptions))
    raise exc


@contextlib.contextmanager
def catching() -> Iterator[set[str]]:
    """``with catching() as rules:`` - the rules that fired inside the block (none: empty set)."""
    rules: set[str] = set()
    try:
        yield rules
    except BaseException as exc:
        rules |= rules_of(exc)


def run_property(check: Callable[[st.DataObject], Any], **overrides: Any) -> set[str]:
    """Run ``check(data)`` as a Hypothesis property; the rules that caught something."""

    @settings(FAST, **overrides)
    @given(data=st.data())
    def prop(data: st.DataObject) -> None:
        check(data)

    with catching() as rules:
        prop()
    return rules


def run_machine(session: ContractSession, machine: type[RuleBasedStateMachine] | None = None,
                **overrides: Any) -> set[str]:
    """Run a state machine (default: the invoice lifecycle's) briefly; the rules that caught something."""
    overrides = {"stateful_step_count": 12, **overrides}
    with catching() as rules:
        run_state_machine_as_test(machine or lifecycle_machine(session), settings=settings(FAST, **overrides))
    return rules
