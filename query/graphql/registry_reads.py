"""Reading the schema registry through a SchemaReader (no GraphQL types here).

What the GraphQL resolvers and the analyst's pages both answer from the registry's
tables: which schema a caller names (`schema_key`), the sources and their totals
(`list_sources`), and a column's observations per type (`type_counts`). The rest is
the registry's own: `columns_as_of`, `diff`, `to_json_schema`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from query.graphql.errors import InvalidArgumentError
from query.store import SchemaReader
from registry import ColumnState, ColumnType, InvalidSchemaKeyError, SchemaKey, SchemaState
from schemas import EventType


def schema_key(source: str, type: EventType, event: str | None) -> SchemaKey:
    """The key of a schema as a caller names it; the event name counts only for TRACK.

    Raises InvalidArgumentError (naming `source`) for a source no key can hold.
    """
    try:
        return SchemaKey(source, type.value, event if type is EventType.TRACK else None)
    except InvalidSchemaKeyError as e:
        raise InvalidArgumentError("source", e.reason) from e


@dataclass(frozen=True, slots=True)
class SourceSummary:
    """One source: its events, its schemas and their troubles, summed."""

    name: str
    event_count: int
    schemas: int
    conflicts: int
    violations: int
    last_seen_ms: int


async def list_sources(reader: SchemaReader) -> list[SourceSummary]:
    """Every source that sent events, by name, from the schema summaries alone."""
    return summarise_sources(await reader.list_schemas())


def summarise_sources(listed: Iterable[tuple[SchemaKey, SchemaState]]) -> list[SourceSummary]:
    """The sources of `listed` (what `SchemaReader.list_schemas()` answers), by name."""
    totals: dict[str, list[int]] = {}
    for key, state in listed:
        found = totals.get(key.source)
        if found is None:
            totals[key.source] = [state.event_count, 1, state.conflicts, state.violations, state.last_seen_ms]
        else:
            found[0] += state.event_count
            found[1] += 1
            found[2] += state.conflicts
            found[3] += state.violations
            found[4] = max(found[4], state.last_seen_ms)
    return [SourceSummary(name, *counts) for name, counts in sorted(totals.items())]


def type_counts(state: ColumnState) -> list[tuple[ColumnType, int]]:
    """Observations per type (NULL included), in ColumnType order."""
    counts = state.type_counts
    return [(t, counts[t.value]) for t in ColumnType if t.value in counts]
