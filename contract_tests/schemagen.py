"""JSON Schema (the subset the request schemas use) -> Hypothesis strategies of *valid* values.

Supported: ``type`` (one or a list), ``properties``, ``required``, ``additionalProperties``
(``false``), ``enum``, ``const``, ``pattern``, ``minLength``, ``maxLength``, ``minimum``,
``maximum``, ``minItems``, ``items``, ``format`` (``date``, ``date-or-empty``, ``email``, ``json-items``,
``base64``), ``allOf`` and ``if``/``then`` conditionals; annotations are ignored. Anything else
raises :class:`~contract_tests.errors.UnsupportedSchema` up front, so a schema change the
generators do not understand fails the run loudly instead of generating wrong data quietly.

Schemas arrive ``$ref``-inlined (``hesabe_spec.schema_store.load_schema(inline=True)``). Every
leaf value is checked against each schema part that constrains it; every object is completed so
its active ``if``/``then`` rules hold.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from hypothesis import strategies as st
from jsonschema import Draft202012Validator

from contract_tests import values
from contract_tests.errors import UnsupportedSchema
from contract_tests.values import GenContext
from hesabe_spec.schema_store import FORMAT_CHECKER, SCHEMA_BASE_URI, documents

__all__ = [
    "ObjectShape", "check_keywords", "flatten", "matches", "money_patterns", "object_shape", "strategy_for",
    "types_of",
]

SUPPORTED = frozenset(
    {
        "type",
        "properties",
        "required",
        "additionalProperties",
        "enum",
        "const",
        "pattern",
        "minLength",
        "maxLength",
        "minimum",
        "maximum",
        "minItems",
        "items",
        "format",
        "allOf",
        "if",
        "then",
    }
)
ANNOTATIONS = frozenset({"description", "title", "examples", "default", "$comment", "$schema", "$id"})
FORMATS = frozenset({"date", "date-or-empty", "email", "json-items", "base64"})
_TEXT = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 -_.,ءابتثجحخدذرسشصضطظعغفقكلمنهوي"


def check_keywords(schema: Any, where: str = "#") -> None:
    """Raise :class:`UnsupportedSchema` for any keyword or format outside the supported subset."""
    if isinstance(schema, bool):
        return
    if not isinstance(schema, dict):
        raise UnsupportedSchema(f"{where}: a schema must be an object, got {type(schema).__name__}")
    unknown = set(schema) - SUPPORTED - ANNOTATIONS
    if unknown:
        raise UnsupportedSchema(f"{where}: the generators do not support {sorted(unknown)}")
    if "format" in schema and schema["format"] not in FORMATS:
        raise UnsupportedSchema(f"{where}: unknown format {schema['format']!r}")
    if schema.get("additionalProperties", False) not in (False, True):
        raise UnsupportedSchema(f"{where}: additionalProperties must be a boolean here")
    for name, sub in schema.get("properties", {}).items():
        check_keywords(sub, f"{where}/properties/{name}")
    for key in ("items", "if", "then"):
        if key in schema:
            check_keywords(schema[key], f"{where}/{key}")
    for i, sub in enumerate(schema.get("allOf", [])):
        check_keywords(sub, f"{where}/allOf/{i}")


def flatten(schema: dict[str, Any]) -> list[dict[str, Any]]:
    """The schema and its ``allOf`` parts, recursively, as a flat list without ``allOf``."""
    own = {k: v for k, v in schema.items() if k != "allOf"}
    parts = [own] if own else []
    for sub in schema.get("allOf", []):
        parts.extend(flatten(sub))
    return parts


@dataclass
class ObjectShape:
    """An object schema's parts merged: every constraint per property, required, conditionals."""

    properties: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    required: list[str] = field(default_factory=list)
    closed: bool = False
    conditionals: list[tuple[dict[str, Any], dict[str, Any]]] = field(default_factory=list)


def object_shape(parts: list[dict[str, Any]]) -> ObjectShape:
    shape = ObjectShape()
    for part in parts:
        for name, sub in part.get("properties", {}).items():
            shape.properties.setdefault(name, []).extend(flatten(sub))
        shape.required += [r for r in part.get("required", []) if r not in shape.required]
        shape.closed = shape.closed or part.get("additionalProperties") is False
        if "if" in part:
            shape.conditionals.append((part["if"], part.get("then", {})))
    return shape


_JSON_TYPES: dict[str, type | tuple[type, ...]] = {
    "string": str,
    "integer": int,
    "number": (int, float),
    "boolean": bool,
    "array": list,
    "object": dict,
    "null": type(None),
}


def json_type(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    for name in ("number", "string", "array", "object", "null"):
        if isinstance(value, _JSON_TYPES[name]):
            return name
    return "unknown"


def types_of(parts: list[dict[str, Any]]) -> list[str]:
    """The JSON types every part allows (order of the first declaration); all when undeclared."""
    allowed: list[str] | None = None
    for part in parts:
        if "type" in part:
            declared = part["type"] if isinstance(part["type"], list) else [part["type"]]
            allowed = declared if allowed is None else [t for t in allowed if t in declared]
    return allowed if allowed is not None else list(_JSON_TYPES)


#: id(schema part) -> (the part, its validator); the part is kept so its id is never reused
_VALIDATORS: dict[int, tuple[dict[str, Any], Draft202012Validator]] = {}


def satisfies(part: dict[str, Any], value: Any) -> bool:
    """Does ``value`` satisfy this one schema part? (Validators compiled once per part object.)"""
    entry = _VALIDATORS.get(id(part))
    if entry is None or entry[0] is not part:
        entry = (part, Draft202012Validator(part, format_checker=FORMAT_CHECKER))
        _VALIDATORS[id(part)] = entry
    return entry[1].is_valid(value)


def matches(condition: dict[str, Any], value: Any) -> bool:
    """Does an ``if`` schema hold for ``value``?"""
    return satisfies(condition, value)


@lru_cache(maxsize=1)
def _defs() -> dict[str, Any]:
    defs: dict[str, Any] = documents()[SCHEMA_BASE_URI + "defs.json"]["$defs"]
    return defs


def money_patterns() -> frozenset[str]:
    """The patterns of the money definitions in ``defs.json`` (3-decimal amounts)."""
    d = _defs()
    return frozenset(d[name]["pattern"] for name in ("Money3", "PositiveMoney3", "Money3OrEmpty"))


def _pattern_hints(ctx: GenContext) -> dict[str, st.SearchStrategy[Any]]:
    """Realistic values for the named patterns of ``defs.json`` (keyed by the pattern text)."""
    d = _defs()
    pay_codes = [v for v in d["AllocatePayType"]["items"]["enum"] if isinstance(v, str)]
    return {
        d["PositiveMoney3"]["pattern"]: values.kwd_amounts(),
        d["Money3"]["pattern"]: values.kwd_amounts(positive=False),
        d["Money3OrEmpty"]["pattern"]: st.one_of(st.just(""), values.kwd_amounts(positive=False)),
        d["MobileNumber"]["pattern"]: values.kuwaiti_mobiles(ctx.sms_mobile),
        d["CountryCode"]["pattern"]: st.sampled_from(["965", "+965"]),
        d["Page"]["pattern"]: st.integers(1, 4).map(str),
        d["AllocatePayType"]["pattern"]: st.lists(
            st.sampled_from(pay_codes), min_size=1, max_size=4, unique=True
        ).map(",".join),
        d["Url"]["pattern"]: values.webhook_urls(),
        d["CheckoutAmount"]["pattern"]: values.kwd_amounts(),
        # zero is for a save-card session only, a field the suite never sends
        d["CheckoutOrVerifyAmount"]["pattern"]: values.kwd_amounts(),
    }


#: the members that carry the run's reference prefix
_REFERENCE_NAMES = frozenset({"referenceNumber", "reference_number", "orderReferenceNumber"})


def _reference(ctx: GenContext) -> st.SearchStrategy[str]:
    return st.integers(0, 99_999_999).map(lambda n: f"{ctx.reference_prefix}{n:08d}")


def _merged(parts: list[dict[str, Any]]) -> dict[str, Any]:
    merged: dict[str, Any] = {}
    for part in parts:
        merged.update(part)
    return merged


def _string(parts: list[dict[str, Any]], name: str, ctx: GenContext) -> st.SearchStrategy[Any]:
    m = _merged(parts)
    fmt, pattern = m.get("format"), m.get("pattern")
    if name == "webhookUrl":
        return values.webhook_urls()
    if fmt == "json-items":  # the JSON-encoded string form of an items array
        items = [p for p in parts if "items" in p]
        return _array(items, name, ctx).map(
            lambda v: json.dumps(v, ensure_ascii=False, separators=(",", ":"))
        )
    if fmt == "date":
        return values.boundary_dates(ctx.today)
    if fmt == "date-or-empty":
        return st.one_of(st.just(""), values.boundary_dates(ctx.today, past_days=400))
    if fmt == "email":
        return values.emails()
    if fmt == "base64":  # the only base64 field is the bulk-upload file
        mobiles = values.kuwaiti_mobiles(ctx.sms_mobile).map(lambda n: "965" + n)
        return values.bulk_csv_files(mobiles, _reference(ctx))
    hints = _pattern_hints(ctx)
    if pattern in hints:
        return hints[pattern]
    if pattern:
        return st.from_regex(pattern, fullmatch=True)
    if name in ("customerName", "name", "title"):
        return values.arabic_or_english_names()
    if name in ("customerEmail", "email"):
        return values.emails()
    if name == "itemTitle":
        return values.product_names()
    if name in ("description", "knetChargesRemark", "mpgsChargesRemark"):
        return values.descriptions()
    low = int(m.get("minLength", 0))
    return st.text(alphabet=_TEXT, min_size=low, max_size=max(low, min(int(m.get("maxLength", 30)), 30)))


def _array(parts: list[dict[str, Any]], name: str, ctx: GenContext) -> st.SearchStrategy[Any]:
    item_parts = [sub for p in parts if "items" in p for sub in flatten(p["items"])]
    low = max([int(p.get("minItems", 0)) for p in parts] or [0])
    items = strategy_for(item_parts, name, ctx) if item_parts else st.just("x")
    unique = all("enum" in p for p in item_parts) and bool(item_parts)
    return st.lists(items, min_size=low, max_size=low + 2, unique=unique)


def _number(parts: list[dict[str, Any]], integer: bool) -> st.SearchStrategy[Any]:
    low = max([p["minimum"] for p in parts if "minimum" in p] or [0])
    ints = st.integers(int(low), int(low) + 20)
    return (
        ints
        if integer
        else st.one_of(ints, st.sampled_from([0.5, 1.25, 2.5, 10.75]).filter(lambda v: v >= low))
    )


def _typed(kind: str, parts: list[dict[str, Any]], name: str, ctx: GenContext) -> st.SearchStrategy[Any]:
    if kind == "object":
        return draw_object(object_shape(parts), ctx)
    if kind == "array":
        return _array(parts, name, ctx)
    if kind == "string":
        return _string(parts, name, ctx)
    if kind in ("integer", "number"):
        return _number(parts, kind == "integer")
    if kind == "boolean":
        return st.booleans()
    return st.none()


def strategy_for(parts: list[dict[str, Any]], name: str, ctx: GenContext) -> st.SearchStrategy[Any]:
    """Values satisfying every schema in ``parts`` (a property's constraints, already flattened)."""
    if name == "merchantCode":  # the target's merchant, whatever types the schema also allows
        return st.just(ctx.merchant_code)
    if name in _REFERENCE_NAMES:
        return _reference(ctx)
    consts = [p["const"] for p in parts if "const" in p]
    if consts:
        return st.just(consts[-1])
    enums = [p["enum"] for p in parts if "enum" in p]
    if enums:
        allowed = [v for v in enums[0] if all(v in e for e in enums[1:])]
        if name in ctx.restrict:
            allowed = [v for v in allowed if v in ctx.restrict[name]]
        if not allowed:
            raise UnsupportedSchema(f"{name}: no enum value left to generate (restrictions {ctx.restrict})")
        return st.sampled_from(allowed)
    kinds = types_of(parts)
    if not kinds:
        raise UnsupportedSchema(f"{name}: the parts allow no JSON type at all")
    strategy = st.one_of([_typed(k, parts, name, ctx) for k in kinds])
    return strategy.filter(lambda v: all(satisfies(p, v) for p in parts))


def draw_object(shape: ObjectShape, ctx: GenContext) -> st.SearchStrategy[dict[str, Any]]:
    """Objects of ``shape``: required members always, optional ones sometimes, active ``then`` rules
    completed (missing members added, narrowed members redrawn)."""

    @st.composite
    def build(draw: st.DrawFn) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for name, parts in shape.properties.items():
            if name in ctx.never and name not in shape.required:
                continue
            if name in shape.required or name in ctx.always or draw(st.booleans()):
                out[name] = draw(strategy_for(parts, name, ctx))
        for _ in range(len(shape.conditionals) + 1):
            changed = False
            for condition, then in shape.conditionals:
                if not matches(condition, out):
                    continue
                then_shape = object_shape(flatten(then))
                for name in then_shape.required:
                    if name not in out:
                        parts = shape.properties.get(name, []) + then_shape.properties.get(name, [])
                        out[name] = draw(strategy_for(parts, name, ctx))
                        changed = True
                for name, extra in then_shape.properties.items():
                    if name in out and not all(satisfies(p, out[name]) for p in extra):
                        out[name] = draw(strategy_for(shape.properties.get(name, []) + extra, name, ctx))
                        changed = True
            if not changed:
                break
        return out

    return build()
