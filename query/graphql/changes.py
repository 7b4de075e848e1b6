"""Schema changes over GraphQL: the paged history of every change, and the live feed."""

from __future__ import annotations

from collections.abc import AsyncGenerator, AsyncIterator
from datetime import datetime

import strawberry
from strawberry.types import Info

from query.graphql.change_log import MAX_PAGE, encode_cursor, page_after
from query.graphql.context import Context
from query.graphql.enums import ChangeKind, ColumnType, EventType
from query.graphql.scalars import to_datetime
from registry import SchemaChange as CoreSchemaChange
from schemas import EventType as CoreEventType

DEFAULT_PAGE = 50


@strawberry.type(
    description=(
        "One change of one column's type, as announced on the schema-changes topic "
        "(the same id)."
    )
)
class SchemaChange:
    id: strawberry.ID
    source: str
    type: EventType  # type: ignore[valid-type]
    event: str | None
    path: str
    kind: ChangeKind  # type: ignore[valid-type]
    observed_type: ColumnType  # type: ignore[valid-type]
    from_type: ColumnType | None  # type: ignore[valid-type]
    to_type: ColumnType  # type: ignore[valid-type]
    version: int
    at: datetime

    @classmethod
    def from_core(cls, change: CoreSchemaChange) -> SchemaChange:
        c = change.change
        return cls(
            id=strawberry.ID(change.id),
            source=change.key.source,
            type=CoreEventType(change.key.type),
            event=change.key.event,
            path=change.path,
            kind=c.kind,
            observed_type=c.observed_type,
            from_type=c.from_type,
            to_type=c.to_type,
            version=c.version,
            at=to_datetime(c.at_ms),
        )


@strawberry.type(description="A change and the cursor to page on after it.")
class SchemaChangeEdge:
    cursor: str
    node: SchemaChange


@strawberry.type(description="Where a page stands in the whole list (Relay).")
class PageInfo:
    has_next_page: bool
    has_previous_page: bool
    start_cursor: str | None
    end_cursor: str | None


@strawberry.type(description="A page of schema changes (a Relay connection).")
class SchemaChangeConnection:
    edges: list[SchemaChangeEdge]
    page_info: PageInfo
    total_count: int = strawberry.field(description="Every change, on every page.")


@strawberry.type
class ChangesQuery:
    @strawberry.field(
        description=(
            "Every change of every column of every schema (of one source, when given), oldest "
            "first: ordered by (at, source, type, event, version, path). `first` is at most "
            f"{MAX_PAGE}; `after` is the cursor of the last change already read."
        )
    )
    def schema_changes(
        self,
        info: Info[Context, None],
        source: str | None = None,
        first: int | None = DEFAULT_PAGE,
        after: str | None = None,
    ) -> SchemaChangeConnection:
        changes = info.context.change_log.changes(info.context.schemas, source)
        page = page_after(changes, DEFAULT_PAGE if first is None else first, after)
        edges = [
            SchemaChangeEdge(cursor=encode_cursor(c), node=SchemaChange.from_core(c))
            for c in page.changes
        ]
        return SchemaChangeConnection(
            edges=edges,
            page_info=PageInfo(
                has_next_page=page.has_next,
                has_previous_page=page.before > 0,
                start_cursor=edges[0].cursor if edges else None,
                end_cursor=edges[-1].cursor if edges else None,
            ),
            total_count=page.total,
        )


@strawberry.type
class Subscription:
    @strawberry.subscription(
        description=(
            "Every schema change from now on that matches the arguments given; `event` is "
            "the track event name (ignored when `type` is not TRACK)."
        )
    )
    async def schema_changes(
        self,
        info: Info[Context, None],
        source: str | None = None,
        type: EventType | None = None,  # type: ignore[valid-type]
        event: str | None = None,
    ) -> AsyncGenerator[SchemaChange, None]:
        core_type = None if type is None else CoreEventType(type)
        if core_type is not None and core_type is not CoreEventType.TRACK:
            event = None
        feed = info.context.changes.subscribe()
        try:
            async for change in feed:
                key = change.key
                if (
                    (source is None or key.source == source)
                    and (core_type is None or key.type == core_type.value)
                    and (event is None or key.event == event)
                ):
                    yield SchemaChange.from_core(change)
        finally:
            # The client went away (the generator was closed or its task cancelled):
            # let the feed release what it holds for this subscriber.
            await _close(feed)


async def _close(iterator: AsyncIterator[object]) -> None:
    aclose = getattr(iterator, "aclose", None)
    if aclose is not None:
        await aclose()
