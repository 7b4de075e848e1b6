"""setColumnPolicy: a command through SchemaCommands, answered with the column."""

from __future__ import annotations

from typing import Any

from strawberry.types import ExecutionResult

from query.graphql import schema
from registry import Policy, SchemaKey
from tests.unit.query.fakes import MemorySchemas, context

KEY = SchemaKey("web", "track", "Order Completed")

SET_POLICY = """mutation (
  $type: EventType!, $event: String, $path: String!, $policy: ColumnPolicy!
) {
  setColumnPolicy(source: "web", type: $type, event: $event, path: $path, policy: $policy) {
    path type policy violations history { kind } } }"""


async def _set_policy(reader: MemorySchemas, **variables: Any) -> ExecutionResult:
    return await schema.execute(
        SET_POLICY, variable_values=variables, context_value=context(reader)
    )


async def test_set_column_policy_answers_with_the_column_under_its_new_policy() -> None:
    reader = MemorySchemas()
    reader.observe(KEY, {"price": 10.5}, 1_000, "m1")
    result = await _set_policy(
        reader, type="TRACK", event="Order Completed", path="properties.price", policy="LOCK"
    )
    assert result.errors is None, result.errors
    assert result.data == {
        "setColumnPolicy": {
            "path": "properties.price",
            "type": "NUMBER",
            "policy": "LOCK",
            "violations": 0,
            "history": [{"kind": "COLUMN_ADDED"}],
        }
    }
    assert reader.columns[KEY]["properties.price"].policy is Policy.LOCK

    # The lock holds: a string is now a violation, and the type stays.
    reader.observe(KEY, {"price": "free"}, 2_000, "m2")
    again = await _set_policy(
        reader, type="TRACK", event="Order Completed", path="properties.price", policy="WIDEN"
    )
    assert again.data == {
        "setColumnPolicy": {
            "path": "properties.price",
            "type": "NUMBER",
            "policy": "WIDEN",
            "violations": 1,
            "history": [{"kind": "COLUMN_ADDED"}, {"kind": "VIOLATION"}],
        }
    }


async def test_the_event_name_is_ignored_for_non_track_types() -> None:
    reader = MemorySchemas()
    page = SchemaKey("web", "page", None)
    reader.observe(page, {"url": "u"}, 1_000, "m1")
    result = await _set_policy(
        reader, type="PAGE", event="Home", path="properties.url", policy="LOCK"
    )
    assert result.errors is None, result.errors
    assert reader.columns[page]["properties.url"].policy is Policy.LOCK


async def test_an_unknown_column_is_an_error_naming_it() -> None:
    reader = MemorySchemas()
    reader.observe(KEY, {"plan": "pro"}, 1_000, "m1")
    result = await _set_policy(
        reader, type="TRACK", event="Order Completed", path="properties.nope", policy="LOCK"
    )
    assert result.data is None
    assert result.errors is not None
    assert [e.message for e in result.errors] == [
        "schema 'web'/track/'Order Completed' has no column 'properties.nope'"
    ]
    assert result.errors[0].path == ["setColumnPolicy"]
