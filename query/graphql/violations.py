"""Violations of tracking plans over GraphQL: paged, counted, subscribed to, released."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from datetime import datetime

import strawberry
from strawberry.types import Info

from query.domain import MAX_PAGE, check_page_size
from query.domain.cursor import decode_violation_cursor, encode_violation_cursor
from query.graphql.changes import PageInfo, close_feed
from query.graphql.context import Context
from query.graphql.enums import ColumnType, EventType
from query.graphql.scalars import to_datetime
from registry.plans.judge import ViolationCount, ViolationRecord
from registry.plans.violations import Action as CoreAction, ViolationType as CoreViolationType
from schemas import EventType as CoreEventType

DEFAULT_PAGE = 50

ViolationType = strawberry.enum(
    CoreViolationType, name="ViolationType", description="The JSON Schema keyword an event failed, by its meaning."
)
ViolationAction = strawberry.enum(
    CoreAction,
    name="ViolationAction",
    description="ANNOTATED: recorded, the event folded as sent; OMITTED: the property left out; QUARANTINED: held back.",
)


@strawberry.type(description="One way one event differed from its source's plan in force.")
class Violation:
    message_id: str
    source: str
    type: EventType  # type: ignore[valid-type]
    event: str | None = strawberry.field(description="The track event's name, or the page's or screen's.")
    plan: str
    plan_version: int
    violation_type: ViolationType  # type: ignore[valid-type]
    path: str = strawberry.field(description="A JSON pointer into the event (/properties/price); empty for the event.")
    expected: str = strawberry.field(description="What the rule wanted, in its words.")
    actual_type: ColumnType | None  # type: ignore[valid-type]
    action: ViolationAction  # type: ignore[valid-type]
    at: datetime = strawberry.field(description="When the event was received.")

    @classmethod
    def of(cls, record: ViolationRecord) -> Violation:
        v = record.violation
        return cls(
            message_id=record.message_id,
            source=record.source,
            type=CoreEventType(record.type),
            event=record.event,
            plan=record.plan,
            plan_version=record.plan_version,
            violation_type=v.type,
            path=v.path,
            expected=v.expected,
            actual_type=v.actual_type,
            action=v.action,
            at=to_datetime(record.at_ms),
        )


@strawberry.type
class ViolationEdge:
    cursor: str
    node: Violation


@strawberry.type(description="A page of violations, the newest first (a Relay connection).")
class ViolationConnection:
    edges: list[ViolationEdge]
    page_info: PageInfo


@strawberry.type(description="One kind of violation at one path of one event, counted.")
class ViolationSummary:
    type: EventType  # type: ignore[valid-type]
    event: str | None
    violation_type: ViolationType  # type: ignore[valid-type]
    path: str
    count: int
    first_seen: datetime
    last_seen: datetime
    sample_message_ids: list[str]

    @classmethod
    def of(cls, count: ViolationCount) -> ViolationSummary:
        return cls(
            type=CoreEventType(count.type),
            event=count.event,
            violation_type=count.violation_type,
            path=count.path,
            count=count.count,
            first_seen=to_datetime(count.first_ms),
            last_seen=to_datetime(count.last_ms),
            sample_message_ids=list(count.samples),
        )


@strawberry.type(description="What a release of quarantined events put back on the log.")
class QuarantineRelease:
    source: str
    event: str | None
    released: int = strawberry.field(description="Events put back, to be judged again by the plan in force.")


@strawberry.type
class ViolationQuery:
    @strawberry.field(
        description=(
            f"The source's violations (of one event's, if given), the newest first. `first` is at "
            f"most {MAX_PAGE}; `after` is a cursor."
        )
    )
    async def violations(
        self,
        info: Info[Context, None],
        source: str,
        event: str | None = None,
        first: int | None = DEFAULT_PAGE,
        after: str | None = None,
    ) -> ViolationConnection:
        size = DEFAULT_PAGE if first is None else first
        check_page_size(size)
        start = None if after is None else decode_violation_cursor(after)
        found = await info.context.violations.violations(source, event, start, size + 1)
        edges = [ViolationEdge(cursor=encode_violation_cursor(p), node=Violation.of(r)) for p, r in found[:size]]
        return ViolationConnection(
            edges=edges,
            page_info=PageInfo.forward([e.cursor for e in edges], len(found) > size, after),
        )

    @strawberry.field(description="The source's violations counted by event, violation type and path, the most frequent first.")
    async def violation_summary(self, info: Info[Context, None], source: str) -> list[ViolationSummary]:
        return [ViolationSummary.of(c) for c in await info.context.violations.summary(source)]


@strawberry.type
class ViolationMutation:
    @strawberry.mutation(
        description=(
            "Put the source's quarantined events (of one event, if given) back on the log, to be "
            "judged again by the plan then in force: after the plan is fixed."
        )
    )
    async def release_quarantine(
        self, info: Info[Context, None], source: str, event: str | None = None
    ) -> QuarantineRelease:
        released = await info.context.violations.release(source, event)
        return QuarantineRelease(source=source, event=event, released=released)


@strawberry.type
class ViolationSubscription:
    @strawberry.subscription(description="Every violation from now on (of the source, if given), from every node.")
    async def violations(
        self, info: Info[Context, None], source: str | None = None
    ) -> AsyncGenerator[Violation, None]:
        feed = info.context.violations.subscribe()
        try:
            async for record in feed:
                if source is None or record.source == source:
                    yield Violation.of(record)
        finally:
            await close_feed(feed)
