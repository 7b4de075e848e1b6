"""GraphQL types of the query store: profiles, their identities, traits, merges and timelines."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import strawberry
from strawberry.scalars import JSON
from strawberry.types import Info

from query.domain import (
    MAX_PAGE,
    Identifier,
    Merge as CoreMerge,
    Page,
    ProfileIdentities,
    ProfileState,
    TimelineEntry,
    TimelineFilter,
    Trait as CoreTrait,
    traits_view,
)
from query.graphql.changes import PageInfo
from query.graphql.context import Context
from query.graphql.enums import EventType
from query.graphql.profile_reads import profile_state, read_timeline
from query.graphql.scalars import to_datetime, to_ms
from query.store import ProfileReader
from schemas import EventType as CoreEventType

DEFAULT_PAGE = 50

TIMELINE_DESCRIPTION = (
    "Every event of every identity of the profile, newest first (by event time, then "
    f"messageId). `first` is at most {MAX_PAGE}; `after` is the cursor of the last event "
    "already read; `events` keeps events with one of these names (track event, page or screen "
    "name), `types` those of these types; `from` is inclusive, `to` exclusive."
)

# Argument declarations shared by Query.timeline and Profile.timeline.
FromArg = Annotated[
    datetime | None,
    strawberry.argument(name="from", description="The earliest event time shown (inclusive)."),
]
ToArg = Annotated[
    datetime | None,
    strawberry.argument(description="Events shown are strictly earlier (exclusive)."),
]


@strawberry.type(
    description="One identifier of a person: user_id, anonymous_id, email, or an external id type."
)
class Identity:
    type: str
    value: str

    @classmethod
    def from_core(cls, identifier: Identifier) -> Identity:
        return cls(type=identifier.kind, value=identifier.value)


@strawberry.type(description="One trait's current value and the identify call that set it.")
class Trait:
    name: str
    value: JSON | None
    updated_at: datetime = strawberry.field(description="The setting event's time.")
    message_id: str = strawberry.field(description="The setting event's messageId.")

    @classmethod
    def from_core(cls, name: str, trait: CoreTrait) -> Trait:
        return cls(
            name=name,
            value=JSON(trait.value),
            updated_at=to_datetime(trait.timestamp_ms),
            message_id=trait.message_id,
        )


@strawberry.type(description="Profile `from` was folded into profile `into` by an identity link.")
class Merge:
    into: strawberry.ID
    from_: strawberry.ID = strawberry.field(name="from")
    link: list[Identity] = strawberry.field(description="The two identifiers the event linked.")
    message_id: str = strawberry.field(description="The linking event's messageId.")
    event_type: EventType = strawberry.field(  # type: ignore[valid-type]
        description="The linking event's type."
    )
    at: datetime = strawberry.field(description="The linking event's time.")

    @classmethod
    def from_core(cls, merge: CoreMerge) -> Merge:
        return cls(
            into=strawberry.ID(merge.into),
            from_=strawberry.ID(merge.from_),
            link=[Identity.from_core(merge.link.a), Identity.from_core(merge.link.b)],
            message_id=merge.cause.message_id,
            event_type=merge.cause.type,
            at=to_datetime(merge.cause.timestamp_ms),
        )


@strawberry.type(description="One event of a timeline, as it was received.")
class Event:
    message_id: strawberry.ID
    type: EventType  # type: ignore[valid-type]
    event: str | None = strawberry.field(description="The track event, page or screen name.")
    source: str
    timestamp: datetime
    received_at: datetime
    properties: JSON | None
    traits: JSON | None
    context: JSON | None

    @classmethod
    def from_core(cls, entry: TimelineEntry) -> Event:
        return cls(
            message_id=strawberry.ID(entry.message_id),
            type=entry.type,
            event=entry.event,
            source=entry.source,
            timestamp=to_datetime(entry.timestamp_ms),
            received_at=to_datetime(entry.received_at_ms),
            properties=JSON(entry.properties),
            traits=JSON(entry.traits),
            context=JSON(entry.context),
        )


@strawberry.type(description="An event and the cursor to page on after it.")
class EventEdge:
    cursor: str
    node: Event


@strawberry.type(description="A page of a timeline (a Relay connection).")
class EventConnection:
    edges: list[EventEdge]
    page_info: PageInfo

    @classmethod
    def from_page(cls, page: Page[TimelineEntry], after: str | None) -> EventConnection:
        edges = [EventEdge(cursor=e.cursor, node=Event.from_core(e.node)) for e in page.edges]
        return cls(
            edges=edges,
            page_info=PageInfo(
                has_next_page=page.has_next_page,
                # Paging is forward only: a page read after a cursor has one before it.
                has_previous_page=after is not None,
                start_cursor=edges[0].cursor if edges else None,
                end_cursor=page.end_cursor,
            ),
        )


async def timeline_connection(
    reader: ProfileReader,
    members: tuple[Identifier, ...],
    first: int | None,
    after: str | None,
    events: list[str] | None,
    types: list[CoreEventType] | None,
    from_: datetime | None,
    to: datetime | None,
) -> EventConnection:
    """One page of the members' timeline, as the `timeline` fields answer it."""
    filters = TimelineFilter(
        events=None if events is None else frozenset(events),
        types=None if types is None else frozenset(CoreEventType(t) for t in types),
        from_ms=None if from_ is None else to_ms(from_),
        to_ms=None if to is None else to_ms(to),
    )
    size = DEFAULT_PAGE if first is None else first
    return EventConnection.from_page(await read_timeline(reader, members, size, after, filters), after)


@strawberry.type(
    description=(
        "Everything known of one person: the identities linked into one profile, its "
        "traits (last write wins by event time), activity and timeline."
    )
)
class Profile:
    id: strawberry.ID = strawberry.field(
        description="The profile's id; every identity of the profile leads to the same one."
    )
    identities: list[Identity]
    traits: JSON = strawberry.field(description="Every trait's current value, by name.")
    first_seen: datetime | None = strawberry.field(description="The earliest event's time.")
    last_seen: datetime | None = strawberry.field(description="The latest event's time.")
    event_count: int
    groups: list[str] = strawberry.field(description="Every group id joined, sorted.")
    merges: list[Merge] = strawberry.field(
        description="Every merge that built the profile, in event-time order."
    )
    _members: strawberry.Private[tuple[Identifier, ...]]
    _traits: strawberry.Private[dict[str, CoreTrait]]

    @strawberry.field(description="One trait and the write that set it; null when never set.")
    def trait(self, name: str) -> Trait | None:
        found = self._traits.get(name)
        return None if found is None else Trait.from_core(name, found)

    @strawberry.field(description=TIMELINE_DESCRIPTION)
    async def timeline(
        self,
        info: Info[Context, None],
        first: int | None = DEFAULT_PAGE,
        after: str | None = None,
        events: list[str] | None = None,
        types: list[EventType] | None = None,  # type: ignore[valid-type]
        from_: FromArg = None,
        to: ToArg = None,
    ) -> EventConnection:
        return await timeline_connection(
            info.context.profiles, self._members, first, after, events, types, from_, to
        )

    @classmethod
    def from_core(cls, identities: ProfileIdentities, state: ProfileState | None) -> Profile:
        """The profile of `identities` whose members' merged state is `state` (None: no events)."""
        return cls(
            id=strawberry.ID(identities.profile_id),
            identities=[Identity.from_core(m) for m in identities.members],
            traits=JSON({} if state is None else traits_view(state)),
            first_seen=None if state is None else to_datetime(state.first_seen_ms),
            last_seen=None if state is None else to_datetime(state.last_seen_ms),
            event_count=0 if state is None else state.event_count,
            groups=[] if state is None else sorted(state.groups),
            merges=[Merge.from_core(m) for m in identities.merges],
            _members=identities.members,
            _traits={} if state is None else state.traits,
        )


async def load_profile(reader: ProfileReader, identities: ProfileIdentities) -> Profile:
    return Profile.from_core(identities, await profile_state(reader, identities.members))
