"""Queries of the query store: one profile, and one timeline, by any identifier."""

from __future__ import annotations

import strawberry
from strawberry.types import Info

from query.graphql.context import Context
from query.graphql.enums import EventType
from query.graphql.profile_reads import find_profile
from query.graphql.profile_types import (
    DEFAULT_PAGE,
    TIMELINE_DESCRIPTION,
    EventConnection,
    FromArg,
    Profile,
    ToArg,
    load_profile,
    timeline_connection,
)


@strawberry.type
class ProfileQuery:
    @strawberry.field(
        description=(
            "The profile `id` belongs to, or null when nothing is known of it. `idType` "
            "narrows the id to one kind (user_id, anonymous_id, email, or an external id "
            "type); without it the id is tried as a user_id, then an anonymous_id, then an "
            "email. Emails are matched stripped and lowercased."
        )
    )
    async def profile(
        self, info: Info[Context, None], id: str, id_type: str | None = None
    ) -> Profile | None:
        reader = info.context.profiles
        found = await find_profile(reader, id, id_type)
        return None if found is None else await load_profile(reader, found)

    @strawberry.field(
        description=(
            "The timeline of the profile `id` belongs to (looked up as `profile` does "
            "without `idType`); empty when nothing is known of it. " + TIMELINE_DESCRIPTION
        )
    )
    async def timeline(
        self,
        info: Info[Context, None],
        id: str,
        first: int | None = DEFAULT_PAGE,
        after: str | None = None,
        events: list[str] | None = None,
        types: list[EventType] | None = None,  # type: ignore[valid-type]
        from_: FromArg = None,
        to: ToArg = None,
    ) -> EventConnection:
        reader = info.context.profiles
        found = await find_profile(reader, id)
        members = () if found is None else found.members
        return await timeline_connection(reader, members, first, after, events, types, from_, to)
