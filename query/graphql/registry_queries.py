"""Queries of the schema registry: sources and their event schemas."""

from __future__ import annotations

import strawberry
from strawberry.types import Info

from query.graphql.context import Context
from query.graphql.enums import EventType
from query.graphql.registry_reads import list_sources, schema_key
from query.graphql.registry_types import EventSchema, Source
from schemas import EventType as CoreEventType


@strawberry.type
class RegistryQuery:
    @strawberry.field(description="Every source that sent events, by name.")
    async def sources(self, info: Info[Context, None]) -> list[Source]:
        return [
            Source(name=s.name, event_count=s.event_count)
            for s in await list_sources(info.context.schemas)
        ]

    @strawberry.field(description="Every event schema of one source.")
    async def event_schemas(self, info: Info[Context, None], source: str) -> list[EventSchema]:
        return [
            EventSchema.from_state(key, state)
            for key, state in await info.context.schemas.list_schemas(source)
        ]

    @strawberry.field(
        description="One event schema; `event` is the track event name (null for other types)."
    )
    async def event_schema(
        self,
        info: Info[Context, None],
        source: str,
        type: EventType,  # type: ignore[valid-type]
        event: str | None = None,
    ) -> EventSchema | None:
        key = schema_key(source, CoreEventType(type), event)
        state = await info.context.schemas.get_schema(key)
        return EventSchema.from_state(key, state) if state is not None else None
