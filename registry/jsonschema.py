"""Export a schema's columns as a JSON Schema (draft 2020-12) document.

The flat column paths are rebuilt into nested `properties` and `items`. A
path that is both a column and a parent (a value seen both as an integer and
as an object, say) gets every kind it was seen as, which JSON Schema allows:
`properties` and `items` only constrain instances of their own kind.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from registry.column import ColumnState
from registry.key import SchemaKey
from registry.paths import ARRAY_STEP, split_escaped, unescape_key
from registry.types import ColumnType

DIALECT: Final = "https://json-schema.org/draft/2020-12/schema"

_JSON_TYPES: Final = {
    ColumnType.BOOLEAN: "boolean",
    ColumnType.INTEGER: "integer",
    ColumnType.NUMBER: "number",
    ColumnType.STRING: "string",
    ColumnType.TIMESTAMP: "string",
    ColumnType.ARRAY: "array",
    ColumnType.OBJECT: "object",
}


def to_json_schema(key: SchemaKey, columns: Mapping[str, ColumnState]) -> dict[str, Any]:
    """A JSON Schema for events of `key` with these columns.

    TIMESTAMP is a string with `format: date-time`, a nullable column allows
    `null`, a JSON column allows anything (`{}`). Nothing is `required`: a
    column's absence from some events is not recorded.
    """
    root = _Node()
    for path in sorted(columns):
        node = root
        for segment in split_escaped(path):
            if segment == ARRAY_STEP:
                node.items = node.items or _Node()
                node = node.items
            else:
                node = node.properties.setdefault(unescape_key(segment), _Node())
        node.state = columns[path]
    title = "/".join(p for p in (key.source, key.type, key.event) if p is not None)
    return {"$schema": DIALECT, "title": title, **_render(root)}


class _Node:
    __slots__ = ("items", "properties", "state")

    def __init__(self) -> None:
        self.state: ColumnState | None = None
        self.properties: dict[str, _Node] = {}
        self.items: _Node | None = None


def _render(node: _Node) -> dict[str, Any]:
    kinds: list[str] = []
    anything = nullable = False
    schema: dict[str, Any] = {}
    if node.state is not None:
        t = node.state.type
        nullable = node.state.nullable or t is ColumnType.NULL
        if t is ColumnType.JSON:
            anything = True
        elif t is not ColumnType.NULL:
            kinds.append(_JSON_TYPES[t])
        if t is ColumnType.TIMESTAMP:
            schema["format"] = "date-time"
    if node.properties:
        kinds.append("object")
        schema["properties"] = {k: _render(v) for k, v in node.properties.items()}
    if node.items is not None:
        kinds.append("array")
        schema["items"] = _render(node.items)
    if anything:
        return schema
    kinds = list(dict.fromkeys(kinds))
    if nullable:
        kinds.append("null")
    return {"type": kinds[0] if len(kinds) == 1 else kinds, **schema}
