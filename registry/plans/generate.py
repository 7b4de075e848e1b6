"""A tracking plan proposed from what a source has sent: one rule per inferred schema.

- A track rule plans its ``properties``; identify and group rules their ``traits``;
  page and screen rules their ``properties``. Context is left out: SDKs fill it.
- A column with one stable type gets that type (``registry.jsonschema``'s rendering).
- A column whose history has a type conflict, or that holds mixed kinds, is left open,
  with a ``description`` asking for review.
- A track property present in every observed event is required. Traits never are:
  identify calls carry partial traits.
- ``additionalProperties: false`` only on track rules' properties.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from registry.column import ColumnState
from registry.jsonschema import to_json_schema
from registry.key import SchemaKey
from registry.paths import ARRAY_STEP, split_escaped, unescape_key
from registry.schema import SchemaState
from registry.types import ChangeKind, ColumnType

REVIEW: Final = "type conflict in the observed events: left open for review"
_SECTION: Final = {"track": "properties", "page": "properties", "screen": "properties", "identify": "traits", "group": "traits"}


def generate_rules(schemas: Mapping[SchemaKey, tuple[SchemaState, Mapping[str, ColumnState]]]) -> list[dict[str, Any]]:
    """Rules in Segment's export shape for ``schemas`` (each with its summary and
    columns), in key order; alias schemas have none."""
    rules: list[dict[str, Any]] = []
    for key in sorted(schemas, key=lambda k: (k.type, k.event or "")):
        section = _SECTION.get(key.type)
        if section is None:
            continue
        state, columns = schemas[key]
        rules.append(
            {
                "type": key.type.upper(),
                "key": key.event if key.type == "track" else None,
                "version": 1,
                "jsonSchema": _rule_schema(key, section, state, columns),
            }
        )
    return rules


def _rule_schema(
    key: SchemaKey, section: str, state: SchemaState, columns: Mapping[str, ColumnState]
) -> dict[str, Any]:
    mine = {p: c for p, c in columns.items() if p.startswith(section + ".")}
    document = to_json_schema(key, mine)
    planned: dict[str, Any] = document.get("properties", {}).get(section, {"type": "object", "properties": {}})
    for path, column in mine.items():
        if _conflicted(column):
            node = _node(planned, split_escaped(path)[1:])
            if node is not None:
                node.clear()
                node["description"] = REVIEW
    if key.type == "track":
        required = sorted(
            unescape_key(steps[1])
            for path, column in mine.items()
            if len(steps := split_escaped(path)) == 2 and column.count >= state.event_count > 0
        )
        if required:
            planned["required"] = required
        planned["additionalProperties"] = False
    return {
        "$schema": document["$schema"],
        "title": document.get("title"),
        "type": "object",
        "properties": {section: planned},
    }


def _conflicted(column: ColumnState) -> bool:
    return column.type is ColumnType.JSON or any(c.kind is ChangeKind.TYPE_CONFLICT for c in column.history)


def _node(schema: dict[str, Any], steps: list[str]) -> dict[str, Any] | None:
    """The rendered schema of the column at ``steps`` under ``schema``."""
    node: Any = schema
    for step in steps:
        node = node.get("items") if step == ARRAY_STEP else node.get("properties", {}).get(unescape_key(step))
        if not isinstance(node, dict):
            return None
    found: dict[str, Any] = node
    return found
