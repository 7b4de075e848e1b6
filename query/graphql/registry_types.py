"""GraphQL types of the schema registry: sources, event schemas, columns."""

from __future__ import annotations

from datetime import datetime

import strawberry
from strawberry.types import Info

from query.graphql.context import Context
from query.graphql.scalars import to_datetime
from registry import ColumnState, ColumnType as CoreColumnType, SchemaKey, SchemaState
from schemas import EventType as CoreEventType

EventType = strawberry.enum(CoreEventType, name="EventType", description="A Segment call type.")
ColumnType = strawberry.enum(
    CoreColumnType,
    name="ColumnType",
    description="The type of a column: the join of every type observed in it.",
)


@strawberry.type(description="A source of events, named by its write key.")
class Source:
    name: str
    event_count: int


@strawberry.type(description="One column of an event schema: a dotted path and its type.")
class Column:
    path: str
    type: ColumnType  # type: ignore[valid-type]
    nullable: bool
    first_seen: datetime
    last_seen: datetime
    count: int

    @classmethod
    def from_state(cls, path: str, state: ColumnState) -> Column:
        return cls(
            path=path,
            type=state.type,
            nullable=state.nullable,
            first_seen=to_datetime(state.first_seen_ms),
            last_seen=to_datetime(state.last_seen_ms),
            count=state.count,
        )


@strawberry.type(description="The schema of one (source, type, event name).")
class EventSchema:
    source: str
    type: EventType  # type: ignore[valid-type]
    event: str | None
    version: int
    event_count: int
    first_seen: datetime
    last_seen: datetime
    _key: strawberry.Private[SchemaKey]

    @strawberry.field(description="Every column seen, ordered by path.")
    def columns(self, info: Info[Context, None]) -> list[Column]:
        return [
            Column.from_state(path, state)
            for path, state in info.context.schemas.get_columns(self._key).items()
        ]

    @classmethod
    def from_state(cls, key: SchemaKey, state: SchemaState) -> EventSchema:
        return cls(
            source=key.source,
            type=CoreEventType(key.type),
            event=key.event,
            version=state.version,
            event_count=state.event_count,
            first_seen=to_datetime(state.first_seen_ms),
            last_seen=to_datetime(state.last_seen_ms),
            _key=key,
        )
