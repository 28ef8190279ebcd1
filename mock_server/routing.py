"""The Hesabe API's routes: every path form of every operation, matched by one dictionary probe.

Starlette matches a request by trying each route's regex in turn, and the operation paths stand
in front of the pages and the control plane, so one route per path form would cost every request
a series of regex matches before its own.
:class:`OperationRoutes` is one Starlette route standing for all of them, built from the operation
table: a literal path is a dictionary key, and only paths with a parameter (``/invoice/{id}``) are
matched by regex. The answer is the one Starlette's route list gave, in the same order of
precedence: the first registered path form that matches and allows the method wins; a path that
matches with another method is a 405; anything else falls through to the other routes.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from re import Pattern
from typing import Any

from starlette._utils import get_route_path  # where starlette.routing itself imports it from
from starlette.convertors import Convertor
from starlette.datastructures import URLPath
from starlette.routing import BaseRoute, Match, NoMatchFound, compile_path

from hesabe_spec.operations import Operation
from mock_server.pipeline import OperationEndpoint

__all__ = ["OperationRoutes"]

#: the scope key of the methods a path answers, when the request's is not one of them
_ALLOWED = "hesabe.allowed_methods"


@dataclass(frozen=True, slots=True)
class _Form:
    """One accepted path form of one operation."""

    path: str
    regex: Pattern[str]
    convertors: dict[str, Convertor[Any]]
    endpoint: OperationEndpoint

    def child_scope(self, path: str, scope: dict[str, Any]) -> dict[str, Any]:
        params = dict(scope.get("path_params") or {})
        if self.convertors:
            match = self.regex.match(path)
            assert match is not None
            params.update((k, self.convertors[k].convert(v)) for k, v in match.groupdict().items())
        return {"endpoint": self.endpoint, "path_params": params}


class OperationRoutes(BaseRoute):
    """All operations' routes as one: see the module docstring."""

    def __init__(self, operations: Iterable[Operation]) -> None:
        forms: list[_Form] = []
        for op in operations:
            endpoint = OperationEndpoint(op)
            for path in op.paths:
                regex, _format, convertors = compile_path(path)
                forms.append(_Form(path, regex, convertors, endpoint))
        self.endpoints = {form.endpoint.op.name: form.endpoint for form in forms}
        self._parametrised = [form for form in forms if form.convertors]
        #: literal path -> every form matching it (literal or not), in registration order
        self._literal = {form.path: [f for f in forms if f.regex.match(form.path)]
                         for form in forms if not form.convertors}

    def _candidates(self, path: str) -> list[_Form]:
        found = self._literal.get(path)
        if found is not None:
            return found
        return [form for form in self._parametrised if form.regex.match(path)]

    def matches(self, scope: Any) -> tuple[Match, Any]:
        if scope["type"] != "http":
            return Match.NONE, {}
        path = get_route_path(scope)
        candidates = self._candidates(path)
        if not candidates:
            return Match.NONE, {}
        method = scope["method"]
        for form in candidates:
            if method in form.endpoint.methods:
                return Match.FULL, form.child_scope(path, scope)
        # a 405, whose Allow names every method the path answers (Symfony's, under Laravel)
        allowed = frozenset().union(*(form.endpoint.methods for form in candidates))
        return Match.PARTIAL, {**candidates[0].child_scope(path, scope), _ALLOWED: allowed}

    async def handle(self, scope: Any, receive: Any, send: Any) -> None:
        endpoint: OperationEndpoint = scope["endpoint"]
        if scope["method"] not in endpoint.methods:
            await endpoint.refuse_method(scope, receive, send, scope.get(_ALLOWED) or endpoint.methods)
            return
        await endpoint(scope, receive, send)

    def url_path_for(self, name: str, /, **path_params: Any) -> URLPath:
        endpoint = self.endpoints.get(name)
        if endpoint is None:
            raise NoMatchFound(name, path_params)
        try:
            return URLPath(path=endpoint.op.format_path(**path_params), protocol="http")
        except (TypeError, KeyError):
            raise NoMatchFound(name, path_params) from None
