"""Columns with history, type counts and policy; as-of reads, diffs and JSON Schema."""

from __future__ import annotations

from typing import Any

import pytest

from query.graphql import schema
from registry import SchemaChange, SchemaKey
from tests.unit.query.fakes import execute_sync, MemorySchemas, context

KEY = SchemaKey("web", "track", "Order Completed")
T1, T2 = 1_700_000_000_000, 1_700_000_060_000


def _execute(reader: MemorySchemas, fields: str) -> Any:
    query = f'{{ eventSchema(source: "web", type: TRACK, event: "Order Completed") {{{fields}}} }}'
    result = execute_sync(schema, query, context_value=context(reader))
    assert result.errors is None, result.errors
    assert result.data is not None
    return result.data["eventSchema"]


@pytest.fixture
def history() -> tuple[MemorySchemas, list[SchemaChange]]:
    """v1 plan STRING, v2 price INTEGER (T1); v3 coupon STRING, v4 plan conflicts with
    NUMBER (stays STRING), v5 price widened to NUMBER (T2)."""
    reader = MemorySchemas()
    changes = reader.observe(KEY, {"plan": "pro", "price": 10}, T1, "m1")
    changes += reader.observe(KEY, {"plan": 4.5, "price": 10.5, "coupon": "X"}, T2, "m2")
    assert [c.change.version for c in changes] == [1, 2, 3, 4, 5]
    return reader, changes


def test_a_string_then_number_column_shows_both_types_in_order(
    history: tuple[MemorySchemas, list[SchemaChange]],
) -> None:
    reader, changes = history
    column = _execute(
        reader,
        """column(path: "properties.plan") {
            type policy violations typeCounts { type count }
            history { id kind observedType fromType toType version messageId at } }""",
    )["column"]
    plan_ids = [c.id for c in changes if c.path == "properties.plan"]
    assert column == {
        "type": "STRING",
        "policy": "WIDEN",
        "violations": 0,
        "typeCounts": [{"type": "NUMBER", "count": 1}, {"type": "STRING", "count": 1}],
        "history": [
            {
                "id": plan_ids[0],
                "kind": "COLUMN_ADDED",
                "observedType": "STRING",
                "fromType": None,
                "toType": "STRING",
                "version": 1,
                "messageId": "m1",
                "at": "2023-11-14T22:13:20+00:00",
            },
            {
                "id": plan_ids[1],
                "kind": "TYPE_CONFLICT",
                "observedType": "NUMBER",
                "fromType": "STRING",
                "toType": "STRING",
                "version": 4,
                "messageId": "m2",
                "at": "2023-11-14T22:14:20+00:00",
            },
        ],
    }


def test_column_by_path_and_an_unknown_path_is_null(
    history: tuple[MemorySchemas, list[SchemaChange]],
) -> None:
    data = _execute(
        history[0],
        """price: column(path: "properties.price") { path type count }
           missing: column(path: "properties.nope") { path }""",
    )
    assert data == {
        "price": {"path": "properties.price", "type": "NUMBER", "count": 2},
        "missing": None,
    }


def test_as_of_a_version_has_the_old_types_and_omits_later_columns(
    history: tuple[MemorySchemas, list[SchemaChange]],
) -> None:
    data = _execute(
        history[0],
        """columns { path type }
           v2: asOf(version: 2) { path type count }
           v0: asOf(version: 0) { path }
           now: asOf { path type }""",
    )
    assert data["v2"] == [
        {"path": "properties.plan", "type": "STRING", "count": 2},
        # The type it had then; the count is the current one.
        {"path": "properties.price", "type": "INTEGER", "count": 2},
    ]
    assert data["v0"] == []
    assert data["now"] == data["columns"]
    assert {"path": "properties.price", "type": "NUMBER"} in data["columns"]


def test_as_of_a_time(history: tuple[MemorySchemas, list[SchemaChange]]) -> None:
    data = _execute(
        history[0],
        """before: asOf(time: "2023-11-14T22:13:19Z") { path }
           between: asOf(time: "2023-11-14T23:13:50+01:00") { path type }
           naiveIsUtc: asOf(time: "2023-11-14T22:14:20") { path }""",
    )
    assert data["before"] == []
    assert data["between"] == [
        {"path": "properties.plan", "type": "STRING"},
        {"path": "properties.price", "type": "INTEGER"},
    ]
    assert len(data["naiveIsUtc"]) == 3


def test_diff_between_versions(history: tuple[MemorySchemas, list[SchemaChange]]) -> None:
    data = _execute(
        history[0],
        """toNow: diff(fromVersion: 2) { path change fromType toType conflictingTypes }
           v2v4: diff(fromVersion: 2, toVersion: 4) { path change fromType toType conflictingTypes }
           back: diff(fromVersion: 5, toVersion: 2) { path change fromType toType conflictingTypes }""",
    )
    added = {"path": "properties.coupon", "change": "ADDED", "fromType": None, "toType": "STRING", "conflictingTypes": []}
    price = {"path": "properties.price", "change": "CHANGED", "conflictingTypes": []}
    # A number in the STRING column plan kept its type: CHANGED, naming what conflicted.
    plan = {"path": "properties.plan", "change": "CHANGED", "fromType": "STRING", "toType": "STRING", "conflictingTypes": ["NUMBER"]}
    assert data["toNow"] == [added, plan, {**price, "fromType": "INTEGER", "toType": "NUMBER"}]
    assert data["v2v4"] == [added, plan]
    assert data["back"] == [
        {"path": "properties.coupon", "change": "REMOVED", "fromType": "STRING", "toType": None, "conflictingTypes": []},
        plan,
        {**price, "fromType": "NUMBER", "toType": "INTEGER"},
    ]


def test_json_schema_is_2020_12_with_the_property_types(
    history: tuple[MemorySchemas, list[SchemaChange]],
) -> None:
    document = _execute(history[0], "jsonSchema")["jsonSchema"]
    assert document["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert document["title"] == "web/track/Order Completed"
    assert document["properties"]["properties"]["properties"] == {
        "coupon": {"type": "string"},
        "plan": {"type": "string"},
        "price": {"type": "number"},
    }
