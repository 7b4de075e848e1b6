"""Schema changes over GraphQL: the paged history of every change, and the live feed."""

from __future__ import annotations

from collections.abc import AsyncGenerator, AsyncIterator
from datetime import datetime

import strawberry
from strawberry.types import Info

from query.domain import MAX_PAGE, check_page_size
from query.domain.changes import decode_change_cursor, encode_change_cursor
from query.graphql.context import Context
from query.graphql.enums import ChangeKind, ColumnType, EventType, PiiClassification
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
    classification: PiiClassification = strawberry.field(  # type: ignore[valid-type]
        description="The column's personal-data classification after the change."
    )
    pii_kind: str | None

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
            classification=change.classification,
            pii_kind=change.pii_kind,
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

    @classmethod
    def forward(cls, cursors: list[str], has_next_page: bool, after: str | None) -> PageInfo:
        """A page of ``cursors`` read forward: a page read after a cursor has one before it."""
        return cls(
            has_next_page=has_next_page,
            has_previous_page=after is not None,
            start_cursor=cursors[0] if cursors else None,
            end_cursor=cursors[-1] if cursors else None,
        )


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
    async def schema_changes(
        self,
        info: Info[Context, None],
        source: str | None = None,
        first: int | None = DEFAULT_PAGE,
        after: str | None = None,
    ) -> SchemaChangeConnection:
        size = DEFAULT_PAGE if first is None else first
        check_page_size(size)
        reader = info.context.schemas
        start = None if after is None else decode_change_cursor(after)
        # One more than the page: whether there is a next page, without counting.
        changes = await reader.schema_changes(source, start, limit=size + 1)
        edges = [
            SchemaChangeEdge(cursor=encode_change_cursor(c), node=SchemaChange.from_core(c))
            for c in changes[:size]
        ]
        return SchemaChangeConnection(
            edges=edges,
            page_info=PageInfo.forward([e.cursor for e in edges], len(changes) > size, after),
            total_count=await reader.count_schema_changes(source),
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
            await close_feed(feed)


async def close_feed(iterator: AsyncIterator[object]) -> None:
    aclose = getattr(iterator, "aclose", None)
    if aclose is not None:
        await aclose()
