"""Mutations: commands that go through the log, answered once they were applied."""

from __future__ import annotations

import strawberry
from strawberry.types import Info

from query.graphql.context import Context
from query.graphql.enums import ColumnPolicy, EventType, PiiClassification
from query.graphql.registry_reads import schema_key
from query.graphql.registry_types import Column
from registry import PiiClassification as CorePii, Policy
from schemas import EventType as CoreEventType


@strawberry.type
class Mutation:
    @strawberry.mutation(
        description=(
            "Put one column under a policy from now on; its type and history are kept. "
            "`event` is the track event name (null for other types). Answers once the "
            "command was applied; an unknown column is an error naming it."
        )
    )
    async def set_column_policy(
        self,
        info: Info[Context, None],
        *,
        source: str,
        type: EventType,  # type: ignore[valid-type]
        event: str | None = None,
        path: str,
        policy: ColumnPolicy,  # type: ignore[valid-type]
    ) -> Column:
        key = schema_key(source, CoreEventType(type), event)
        state = await info.context.commands.set_policy(key, path, Policy(policy))
        return Column.from_state(key, path, state)

    @strawberry.mutation(
        description=(
            "Confirm or override one column's personal-data classification (its suggestion "
            "came from its first sight), through the log; `piiKind` says what it holds "
            "(kept unless NONE). Answers once applied; an unknown column is an error naming it."
        )
    )
    async def set_column_classification(
        self,
        info: Info[Context, None],
        *,
        source: str,
        type: EventType,  # type: ignore[valid-type]
        event: str | None = None,
        path: str,
        classification: PiiClassification,  # type: ignore[valid-type]
        pii_kind: str | None = None,
    ) -> Column:
        key = schema_key(source, CoreEventType(type), event)
        state = await info.context.commands.set_classification(key, path, CorePii(classification), pii_kind)
        return Column.from_state(key, path, state)
