"""``OperationRoutes`` answers exactly what a list of one Starlette ``Route`` per path form did."""

from __future__ import annotations

from typing import Any

from hypothesis import given
from hypothesis import strategies as st
from starlette.routing import Match, Route

from hesabe_spec.operations import OPERATIONS
from mock_server.routing import OperationRoutes

_METHODS = ("GET", "HEAD", "POST", "PUT", "DELETE", "PATCH")
_ROUTES = OperationRoutes(OPERATIONS.values())


def _endpoint(name: str) -> Any:
    async def endpoint(request: Any) -> Any:  # pragma: no cover - never called
        raise AssertionError(name)

    endpoint.__qualname__ = name
    return endpoint


#: the route list the mock served before, in the same order
_CLASSIC = [Route(path, _endpoint(op.name), methods=list(op.methods))
            for op in OPERATIONS.values() for path in op.paths]


def _classic(method: str, path: str) -> tuple[Match, str | None, dict[str, Any]]:
    scope = {"type": "http", "method": method, "path": path, "root_path": ""}
    partial: tuple[Match, str | None, dict[str, Any]] | None = None
    for route in _CLASSIC:
        match, child = route.matches(scope)
        if match is Match.FULL:
            return match, child["endpoint"].__qualname__, child["path_params"]
        if match is Match.PARTIAL and partial is None:
            partial = (match, child["endpoint"].__qualname__, child["path_params"])
    return partial or (Match.NONE, None, {})


def _ours(method: str, path: str) -> tuple[Match, str | None, dict[str, Any]]:
    match, child = _ROUTES.matches({"type": "http", "method": method, "path": path, "root_path": ""})
    if match is Match.NONE:
        return match, None, {}
    return match, child["endpoint"].op.name, child["path_params"]


def _known_paths() -> list[str]:
    out = []
    for op in OPERATIONS.values():
        for path in op.paths:
            for value in ("123", "split", "resend", "bulk", "abc", "0"):
                for param in ("{id}", "{token}", "{reference}"):
                    path = path.replace(param, value)
                out.append(path)
    return out


def test_every_operation_path_and_method_routes_as_before() -> None:
    for path in _known_paths():
        for method in _METHODS:
            assert _ours(method, path) == _classic(method, path), (method, path)


_SEGMENTS = st.sampled_from(["api", "v1", "invoice", "open-invoice", "invoice-dashboard",
                             "invoice-bulk-upload", "split", "emi", "resend", "bulk", "login",
                             "token-refresh", "12", "x", "", "checkout", "transaction", "capture", "cancel"])


@given(method=st.sampled_from(_METHODS), segments=st.lists(_SEGMENTS, min_size=1, max_size=5),
       trailing=st.booleans())
def test_any_path_routes_as_before(method: str, segments: list[str], trailing: bool) -> None:
    path = "/" + "/".join(segments) + ("/" if trailing else "")
    for candidate in (path, "/api/v1/" + "/".join(segments)):
        assert _ours(method, candidate) == _classic(method, candidate), (method, candidate)


def test_non_http_scopes_do_not_match() -> None:
    assert _ROUTES.matches({"type": "websocket", "path": "/api/v1/invoice"})[0] is Match.NONE


def test_url_path_for_fills_the_canonical_path() -> None:
    assert _ROUTES.url_path_for("get_invoice", id=7) == OPERATIONS["get_invoice"].format_path(id=7)
