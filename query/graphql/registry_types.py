"""GraphQL types of the schema registry: sources, event schemas, columns and their history."""

from __future__ import annotations

from datetime import datetime

import strawberry
from strawberry.scalars import JSON
from strawberry.types import Info

from query.graphql.context import Context
from query.graphql.enums import ChangeKind, ColumnPolicy, ColumnType, DiffKind, EventType, PiiClassification
from query.graphql.registry_reads import schema_key, type_counts as column_type_counts
from query.graphql.scalars import to_datetime, to_ms
from registry import (
    ColumnDiff as CoreColumnDiff,
    ColumnState,
    ColumnType as CoreColumnType,
    SchemaKey,
    SchemaState,
    TypeChange as CoreTypeChange,
    change_id,
    columns_as_of,
    diff,
    to_json_schema,
)
from schemas import EventType as CoreEventType

__all__ = [
    "Column",
    "ColumnDiff",
    "ColumnType",
    "EventSchema",
    "EventType",
    "Source",
    "TypeChange",
    "TypeCount",
    "schema_key",
]


@strawberry.type(description="A source of events, named by its write key.")
class Source:
    name: str
    event_count: int


@strawberry.type(description="How many observations of a column carried one type.")
class TypeCount:
    type: ColumnType  # type: ignore[valid-type]
    count: int


@strawberry.type(
    description=(
        "One entry of a column's history: the observation that added the column or "
        "brought a type it had not seen, and what that did to the column's type."
    )
)
class TypeChange:
    id: strawberry.ID = strawberry.field(
        description="The schema change's id, as published on the schema-changes topic."
    )
    kind: ChangeKind  # type: ignore[valid-type]
    observed_type: ColumnType = strawberry.field(  # type: ignore[valid-type]
        description="The type the causing event carried."
    )
    from_type: ColumnType | None = strawberry.field(  # type: ignore[valid-type]
        description="The column's type before; null when the column was added."
    )
    to_type: ColumnType = strawberry.field(  # type: ignore[valid-type]
        description="The column's type after."
    )
    version: int = strawberry.field(description="The schema version this change created.")
    message_id: str = strawberry.field(description="The messageId of the causing event.")
    at: datetime = strawberry.field(description="The causing event's time.")

    @classmethod
    def from_core(cls, key: SchemaKey, path: str, change: CoreTypeChange) -> TypeChange:
        return cls(
            id=strawberry.ID(change_id(key, path, change)),
            kind=change.kind,
            observed_type=change.observed_type,
            from_type=change.from_type,
            to_type=change.to_type,
            version=change.version,
            message_id=change.cause.message_id,
            at=to_datetime(change.at_ms),
        )


@strawberry.type(description="One column of an event schema: a dotted path and its type.")
class Column:
    path: str
    type: ColumnType  # type: ignore[valid-type]
    nullable: bool
    first_seen: datetime
    last_seen: datetime
    count: int
    policy: ColumnPolicy  # type: ignore[valid-type]
    violations: int = strawberry.field(
        description="Observations a LOCKed column's type did not hold (it kept its type)."
    )
    classification: PiiClassification = strawberry.field(  # type: ignore[valid-type]
        description="Whether it holds personal data: suggested on its first sight, set by setColumnClassification."
    )
    pii_kind: str | None = strawberry.field(
        description="The kind of personal data (email, phone, ip, card, password...); null for NONE."
    )
    _key: strawberry.Private[SchemaKey]
    _state: strawberry.Private[ColumnState]

    @strawberry.field(description="Every change of the column's type, oldest (its addition) first.")
    def history(self) -> list[TypeChange]:
        return [TypeChange.from_core(self._key, self.path, c) for c in self._state.history]

    @strawberry.field(description="Observations per type (NULL included), in ColumnType order.")
    def type_counts(self) -> list[TypeCount]:
        return [TypeCount(type=t, count=n) for t, n in column_type_counts(self._state)]

    @classmethod
    def from_state(
        cls, key: SchemaKey, path: str, state: ColumnState, type: CoreColumnType | None = None
    ) -> Column:
        """The column as it is now; `type` replaces its type (for as-of reads)."""
        return cls(
            path=path,
            type=state.type if type is None else type,
            nullable=state.nullable,
            first_seen=to_datetime(state.first_seen_ms),
            last_seen=to_datetime(state.last_seen_ms),
            count=state.count,
            policy=state.policy,
            violations=state.violations,
            classification=state.classification,
            pii_kind=state.pii_kind,
            _key=key,
            _state=state,
        )


@strawberry.type(description="How one column differs between two versions of a schema.")
class ColumnDiff:
    path: str
    change: DiffKind
    from_type: ColumnType | None = strawberry.field(  # type: ignore[valid-type]
        description="The type at the earlier version; null when the column was ADDED."
    )
    to_type: ColumnType | None = strawberry.field(  # type: ignore[valid-type]
        description="The type at the later version; null when the column was REMOVED."
    )
    conflicting_types: list[ColumnType] = strawberry.field(  # type: ignore[valid-type]
        description=(
            "The types its TYPE_CONFLICT and VIOLATION entries between the two versions "
            "observed, in version order; a conflict that kept the type makes it CHANGED too."
        )
    )

    @classmethod
    def from_core(cls, d: CoreColumnDiff) -> ColumnDiff:
        return cls(
            path=d.path,
            change=DiffKind(d.change),
            from_type=d.from_type,
            to_type=d.to_type,
            conflicting_types=list(d.conflicts),
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
    conflicts: int = strawberry.field(
        description="TYPE_CONFLICT entries in the histories of its columns."
    )
    violations: int = strawberry.field(description="The violations of its columns, summed.")
    _key: strawberry.Private[SchemaKey]

    @strawberry.field(description="Every column seen, ordered by path.")
    async def columns(self, info: Info[Context, None]) -> list[Column]:
        return [
            Column.from_state(self._key, path, state)
            for path, state in (await info.context.schemas.get_columns(self._key)).items()
        ]

    @strawberry.field(description="One column by its path, or null when it was never seen.")
    async def column(self, info: Info[Context, None], path: str) -> Column | None:
        state = (await info.context.schemas.get_columns(self._key)).get(path)
        return None if state is None else Column.from_state(self._key, path, state)

    @strawberry.field(
        description=(
            "The columns that existed at `version` and/or `time` (each bound applies when "
            "given; a time without an offset is UTC), ordered by path, each with the type "
            "it had then. Every other field of those columns (counts, nullability, policy, "
            "history...) is the current one: only types are kept per version."
        )
    )
    async def as_of(
        self,
        info: Info[Context, None],
        version: int | None = None,
        time: datetime | None = None,
    ) -> list[Column]:
        columns = (await info.context.schemas.get_columns(self._key))
        time_ms = None if time is None else to_ms(time)
        then = columns_as_of(columns, version=version, time_ms=time_ms)
        return [Column.from_state(self._key, p, columns[p], type=c.type) for p, c in then.items()]

    @strawberry.field(
        description=(
            "The columns that differ between two versions, ordered by path: ADDED, "
            "REMOVED, or CHANGED (their type differs, or a type conflicted with them in "
            "between); `toVersion` defaults to the current version."
        )
    )
    async def diff(
        self, info: Info[Context, None], from_version: int, to_version: int | None = None
    ) -> list[ColumnDiff]:
        columns = (await info.context.schemas.get_columns(self._key))
        to = self.version if to_version is None else to_version
        return [ColumnDiff.from_core(d) for d in diff(columns, from_version, to)]

    @strawberry.field(description="A JSON Schema (draft 2020-12) of this event's columns.")
    async def json_schema(self, info: Info[Context, None]) -> JSON:
        return JSON(to_json_schema(self._key, (await info.context.schemas.get_columns(self._key))))

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
            conflicts=state.conflicts,
            violations=state.violations,
            _key=key,
        )
