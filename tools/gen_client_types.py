"""Write ``hesabe_spec/client/responses.py``: TypedDicts generated from the response schemas.

    python -m tools.gen_client_types          # rewrite the module
    python -m tools.gen_client_types --check  # exit 1 when it is out of date (a test runs this)

Every object in ``schemas/defs.json`` becomes a TypedDict (required properties ``Required``, the
rest ``NotRequired``), every other definition a type alias, and every operation's success
``response`` an alias ``<Operation>Response``. JSON types map to Python's (``integer`` -> int,
``null`` -> None, a type list -> a union), ``const``/``enum`` to ``Literal``, ``$ref`` to the
definition's name; what has no static type (``if``/``then``) becomes ``Any``. An operation whose
success has no ``response`` member (the payment gateway's enquiry and void answer other envelopes)
gets its whole success body as ``<Operation>Response``.
"""

from __future__ import annotations

import argparse
import json
import keyword
import sys
import textwrap
from pathlib import Path
from typing import Any

__all__ = ["TARGET", "generate", "main"]

ROOT = Path(__file__).resolve().parents[1]
SCHEMAS = ROOT / "hesabe_spec" / "schemas"
TARGET = ROOT / "hesabe_spec" / "client" / "responses.py"
_SIMPLE = {"string": "str", "integer": "int", "number": "float", "boolean": "bool", "null": "None"}

HEADER = '''"""TypedDicts of every operation's ``response``, generated from the response schemas.

Do not edit: ``python -m tools.gen_client_types`` writes this module from
``hesabe_spec/schemas`` (a test fails when it is out of date). The client's named methods return
these types; at run time they are plain dicts, exactly as decrypted.
"""

from __future__ import annotations

from typing import Any, Literal, NotRequired, TypeAlias, TypedDict

'''


def _camel(name: str) -> str:
    return "".join(part[:1].upper() + part[1:] for part in name.replace("-", "_").split("_"))


class Writer:
    def __init__(self) -> None:
        self.blocks: list[str] = []
        self.names: list[str] = []

    def type_of(self, schema: Any, owner: str) -> str:
        """The Python type expression of ``schema`` (nested objects become classes named ``owner``)."""
        if not isinstance(schema, dict) or not schema:
            return "Any"
        if "$ref" in schema:
            return str(schema["$ref"]).rsplit("/", 1)[1]
        if "const" in schema:
            return f"Literal[{schema['const']!r}]"
        if "enum" in schema:
            return "Literal[" + ", ".join(repr(v) for v in schema["enum"]) + "]"
        for combo in ("oneOf", "anyOf"):
            if combo in schema:
                return self._union([self.type_of(s, f"{owner}{i}") for i, s in enumerate(schema[combo])])
        kinds = schema.get("type")
        if kinds is None:
            return "Any"
        kinds = kinds if isinstance(kinds, list) else [kinds]
        return self._union([self._kind(k, schema, owner) for k in kinds])

    def _kind(self, kind: str, schema: dict[str, Any], owner: str) -> str:
        if kind == "array":
            return f"list[{self.type_of(schema.get('items'), owner + 'Item')}]"
        if kind == "object":
            if "properties" in schema:
                self.typed_dict(owner, schema)
                return owner
            return "dict[str, Any]"
        return _SIMPLE[kind]

    @staticmethod
    def _union(parts: list[str]) -> str:
        unique = list(dict.fromkeys(parts))
        unique.sort(key=lambda part: part == "None")  # None last, as the linter wants
        return "Any" if "Any" in unique else " | ".join(unique)

    def typed_dict(self, name: str, schema: dict[str, Any]) -> None:
        required = set(schema.get("required", []))
        fields = []
        for prop, sub in schema["properties"].items():
            kind = self.type_of(sub, name + _camel(prop))
            fields.append((prop, kind if prop in required else f"NotRequired[{kind}]"))
        doc = schema.get("description")
        if all(p.isidentifier() and not keyword.iskeyword(p) for p, _ in fields):
            lines = [f"class {name}(TypedDict):"]
            if doc:
                wrapped = textwrap.wrap(doc, 100)
                lines += [f'    """{wrapped[0]}'] + [f"    {w}" for w in wrapped[1:]]
                lines[-1] += '"""'
                lines.append("")
            lines += [f"    {prop}: {kind}" for prop, kind in fields] or ["    pass"]
        else:
            body = ", ".join(f"{prop!r}: {kind}" for prop, kind in fields)
            lines = [f"{name} = TypedDict({name!r}, {{{body}}})"]
        self.blocks.append("\n".join(lines))
        self.names.append(name)

    def alias(self, name: str, expression: str) -> None:
        # Long Literal lists are wrapped inside their brackets (implicit line continuation).
        lines = textwrap.wrap(f"{name}: TypeAlias = {expression}", 100, break_long_words=False,
                              break_on_hyphens=False, subsequent_indent="    ")
        self.blocks.append("\n".join(lines))
        self.names.append(name)


def generate() -> str:
    writer = Writer()
    defs = json.loads((SCHEMAS / "defs.json").read_text())["$defs"]
    for name, schema in defs.items():
        if isinstance(schema, dict) and "properties" in schema and schema.get("type") == "object":
            writer.typed_dict(name, schema)
        else:
            writer.alias(name, writer.type_of(schema, name + "Object"))
    for path in sorted((SCHEMAS / "responses").glob("*.json")):
        operation = path.stem
        local = json.loads(path.read_text())["$defs"]
        success = local.get("Success") or local["Found"]  # the enquiry's success is "Found"
        body = success["properties"].get("response", success)
        writer.alias(f"{_camel(operation)}Response", writer.type_of(body, f"{_camel(operation)}Body"))
    exported = "\n".join(f'    "{n}",' for n in sorted(writer.names))
    return HEADER + f"__all__ = [\n{exported}\n]\n\n\n" + "\n\n\n".join(writer.blocks) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="gen_client_types", description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="only say whether the module is up to date")
    args = parser.parse_args(argv)
    text = generate()
    if args.check:
        if TARGET.read_text() != text:
            print(f"{TARGET} is out of date: run python -m tools.gen_client_types", file=sys.stderr)
            return 1
        return 0
    TARGET.write_text(text)
    print(f"wrote {TARGET}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
