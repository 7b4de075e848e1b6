"""registry.jsonschema: a schema's columns as a JSON Schema 2020-12 document."""

from __future__ import annotations

from registry.column import Cause, ColumnState, observe_column
from registry.jsonschema import to_json_schema
from registry.key import SchemaKey
from registry.types import ColumnType

T = ColumnType


def column(*observed: ColumnType) -> ColumnState:
    state = None
    for n, t in enumerate(observed):
        state, _ = observe_column(state, t, at_ms=n, cause=Cause("m", 0, n, n), version=n + 1)
    assert state is not None
    return state


def test_small_schema() -> None:
    columns = {
        "properties.plan": column(T.STRING, T.NULL),
        "properties.price": column(T.INTEGER, T.NUMBER),
        "properties.at": column(T.TIMESTAMP),
        "properties.items": column(T.ARRAY),
        "properties.items[].sku": column(T.STRING),
        "properties.tags": column(T.ARRAY),
        "properties.tags[]": column(T.BOOLEAN),
        "properties.blob": column(T.OBJECT, T.INTEGER),
        "properties.a\\.b.\\_": column(T.INTEGER),
        "properties.odd": column(T.INTEGER),
        "properties.odd.x": column(T.STRING),
        "context.gone": column(T.NULL),
    }
    assert to_json_schema(SchemaKey("web", "track", "Order Completed"), columns) == {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "web/track/Order Completed",
        "type": "object",
        "properties": {
            "context": {"type": "object", "properties": {"gone": {"type": "null"}}},
            "properties": {
                "type": "object",
                "properties": {
                    "a.b": {"type": "object", "properties": {"": {"type": "integer"}}},
                    "at": {"type": "string", "format": "date-time"},
                    "blob": {},
                    "items": {
                        "type": "array",
                        "items": {"type": "object", "properties": {"sku": {"type": "string"}}},
                    },
                    "odd": {"type": ["integer", "object"], "properties": {"x": {"type": "string"}}},
                    "plan": {"type": ["string", "null"]},
                    "price": {"type": "number"},
                    "tags": {"type": "array", "items": {"type": "boolean"}},
                },
            },
        },
    }


def test_identify_schema_without_event_name() -> None:
    doc = to_json_schema(SchemaKey("ios", "identify", None), {"traits.email": column(T.STRING)})
    assert doc["title"] == "ios/identify"
    assert doc["properties"] == {
        "traits": {"type": "object", "properties": {"email": {"type": "string"}}}
    }
