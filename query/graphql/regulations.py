"""Regulations over GraphQL: forget a person, and follow how far that got (Segment's names)."""

from __future__ import annotations

from datetime import datetime
from itertools import dropwhile, islice

import strawberry
from strawberry.types import Info

from query.domain import MAX_PAGE, check_page_size
from query.domain.cursor import decode_regulation_cursor, encode_regulation_cursor
from query.domain.regulations import (
    RegulationState,
    RegulationStatus as CoreStatus,
    RegulationType as CoreType,
    SubjectType as CoreSubjectType,
)
from query.graphql.changes import PageInfo
from query.graphql.context import Context
from query.graphql.scalars import to_datetime

DEFAULT_PAGE = 50

RegulationType = strawberry.enum(
    CoreType,
    name="RegulationType",
    description=(
        "SUPPRESS_ONLY: stop writing the person's calls; SUPPRESS_WITH_DELETE: that, and "
        "delete everything of them; DELETE_ONLY: delete, and keep writing new calls; "
        "UNSUPPRESS: lift a suppression (nothing deleted comes back)."
    ),
)
SubjectType = strawberry.enum(CoreSubjectType, name="SubjectType", description="The kind of id a regulation names.")
RegulationStatus = strawberry.enum(
    CoreStatus,
    name="RegulationStatus",
    description=(
        "INITIALIZED (nothing done yet), RUNNING, FINISHED (every step: for a deletion, "
        "nothing readable of the person remains), FAILED, PARTIAL_SUCCESS (some steps "
        "failed), INVALID."
    ),
)


@strawberry.type(description="One target of a regulation, with its own status.")
class RegulationStep:
    name: str
    status: RegulationStatus  # type: ignore[valid-type]
    error: str | None


@strawberry.type(description="A regulation: what it was asked to do, and how far it got.")
class Regulation:
    id: strawberry.ID
    type: RegulationType  # type: ignore[valid-type]
    subject_type: SubjectType  # type: ignore[valid-type]
    status: RegulationStatus  # type: ignore[valid-type]
    created_at: datetime
    finished_at: datetime | None
    steps: list[RegulationStep]

    @classmethod
    def from_state(cls, state: RegulationState) -> Regulation:
        regulation = state.regulation
        return cls(
            id=strawberry.ID(regulation.id),
            type=regulation.type,
            subject_type=regulation.subject_type,
            status=state.status,
            created_at=to_datetime(regulation.created_at_ms),
            finished_at=None if state.finished_at_ms is None else to_datetime(state.finished_at_ms),
            steps=[RegulationStep(name=s.name, status=s.status, error=s.error) for s in state.steps],
        )


@strawberry.type
class RegulationEdge:
    cursor: str
    node: Regulation


@strawberry.type(description="A page of regulations, the newest first (a Relay connection).")
class RegulationConnection:
    edges: list[RegulationEdge]
    page_info: PageInfo


@strawberry.type
class RegulationQuery:
    @strawberry.field(description="One regulation, or null when there is none of that id.")
    def regulation(self, info: Info[Context, None], id: strawberry.ID) -> Regulation | None:
        state = info.context.regulations.get(str(id))
        return None if state is None else Regulation.from_state(state)

    @strawberry.field(
        description=f"Every regulation, the newest first. `first` is at most {MAX_PAGE}; `after` is a cursor."
    )
    def regulations(
        self, info: Info[Context, None], first: int | None = DEFAULT_PAGE, after: str | None = None
    ) -> RegulationConnection:
        size = DEFAULT_PAGE if first is None else first
        check_page_size(size)
        states = info.context.regulations.newest_first()
        if after is not None:
            last = decode_regulation_cursor(after)
            states = list(dropwhile(lambda s: s.regulation.id != last, states))[1:]
        page = list(islice(states, size + 1))
        edges = [
            RegulationEdge(cursor=encode_regulation_cursor(s.regulation.id), node=Regulation.from_state(s))
            for s in page[:size]
        ]
        return RegulationConnection(
            edges=edges,
            page_info=PageInfo.forward([e.cursor for e in edges], len(page) > size, after),
        )


@strawberry.type
class RegulationMutation:
    @strawberry.mutation(
        description=(
            "Suppress or delete everything of the people `subjectIds` name (each the whole "
            "profile it belongs to), through the log: at most 5,000 ids of at most 1 KB "
            "each. Answers once the regulation is on the log; a suppression is in force "
            "from then on, on every node. Follow a deletion with `regulation(id)`."
        )
    )
    async def create_regulation(
        self,
        info: Info[Context, None],
        type: RegulationType,  # type: ignore[valid-type]
        subject_type: SubjectType,  # type: ignore[valid-type]
        subject_ids: list[str],
    ) -> Regulation:
        state = await info.context.regulations.create(CoreType(type), CoreSubjectType(subject_type), subject_ids)
        return Regulation.from_state(state)
