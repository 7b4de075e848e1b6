"""The GraphQL schema: resolvers over an in-memory reader, and the committed SDL."""

from __future__ import annotations

from typing import Any

from query.graphql import schema
from query.graphql.sdl import SDL_PATH, export_sdl
from registry import SchemaKey
from tests.unit.query.fakes import execute_sync, MemorySchemas, context


def _execute(reader: MemorySchemas, query: str, **variables: Any) -> dict[str, Any]:
    result = execute_sync(schema, query, variable_values=variables, context_value=context(reader))
    assert result.errors is None, result.errors
    assert result.data is not None
    return result.data


def test_the_committed_sdl_matches_the_schema() -> None:
    assert SDL_PATH.read_text() == export_sdl(), "run `make sdl` and commit query/graphql/schema.graphql"


def test_event_schema_reads_columns_with_types_and_times() -> None:
    reader = MemorySchemas()
    key = SchemaKey("web", "track", "Order Completed")
    reader.observe(key, {"total": 10, "coupon": None}, 1_700_000_000_000, "m1")
    reader.observe(key, {"total": 10.5, "coupon": "X"}, 1_700_000_060_000, "m2")

    data = _execute(
        reader,
        """query ($event: String) { eventSchema(source: "web", type: TRACK, event: $event) {
            source type event eventCount firstSeen lastSeen
            columns { path type nullable count firstSeen lastSeen } } }""",
        event="Order Completed",
    )["eventSchema"]
    assert (data["source"], data["type"], data["event"], data["eventCount"]) == (
        "web",
        "TRACK",
        "Order Completed",
        2,
    )
    assert data["firstSeen"] == "2023-11-14T22:13:20+00:00"
    assert data["lastSeen"] == "2023-11-14T22:14:20+00:00"
    assert data["columns"] == [
        {
            "path": "properties.coupon",
            "type": "STRING",
            "nullable": True,
            "count": 2,
            "firstSeen": "2023-11-14T22:13:20+00:00",
            "lastSeen": "2023-11-14T22:14:20+00:00",
        },
        {
            "path": "properties.total",
            "type": "NUMBER",
            "nullable": False,
            "count": 2,
            "firstSeen": "2023-11-14T22:13:20+00:00",
            "lastSeen": "2023-11-14T22:14:20+00:00",
        },
    ]


def test_sources_sum_event_counts_and_unknown_schema_is_null() -> None:
    reader = MemorySchemas()
    reader.observe(SchemaKey("web", "track", "A"), {"x": 1}, 1_000, "m1")
    reader.observe(SchemaKey("web", "page", None), {"url": "u"}, 2_000, "m2")
    reader.observe(SchemaKey("ios", "track", "A"), {"x": 1}, 3_000, "m3")

    data = _execute(
        reader,
        """{ sources { name eventCount }
             eventSchemas(source: "web") { type event }
             missing: eventSchema(source: "web", type: TRACK, event: "B") { version } }""",
    )
    assert data["sources"] == [{"name": "ios", "eventCount": 1}, {"name": "web", "eventCount": 2}]
    assert sorted((s["type"], s["event"]) for s in data["eventSchemas"]) == [
        ("PAGE", None),
        ("TRACK", "A"),
    ]
    assert data["missing"] is None


def test_event_name_is_ignored_for_non_track_types() -> None:
    reader = MemorySchemas()
    reader.observe(SchemaKey("web", "page", None), {"url": "u"}, 2_000, "m2")
    data = _execute(reader, '{ eventSchema(source: "web", type: PAGE, event: "Home") { eventCount } }')
    assert data["eventSchema"] == {"eventCount": 1}
