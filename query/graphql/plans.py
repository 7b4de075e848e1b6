"""Tracking plans over GraphQL: declare what a source means to send (Segment's shape)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import strawberry
from strawberry.scalars import JSON
from strawberry.types import Info

from query.graphql.context import Context
from query.graphql.enums import ColumnType
from query.graphql.scalars import to_datetime
from registry.plans import ConnectSettings
from registry.plans import PlanDiffKind as CorePlanDiffKind
from registry.plans.book import PlanVersion
from registry.plans.violations import (
    Invalid as CoreInvalid,
    UnplannedEvents as CoreUnplannedEvents,
    UnplannedProperties as CoreUnplannedProperties,
)

UnplannedEvents = strawberry.enum(
    CoreUnplannedEvents, name="UnplannedEvents", description="What a connected source does with an event no rule is for."
)
UnplannedProperties = strawberry.enum(
    CoreUnplannedProperties,
    name="UnplannedProperties",
    description="What a connected source does with a property its rule does not name.",
)
InvalidEvents = strawberry.enum(
    CoreInvalid, name="InvalidEvents", description="What a connected source does with an event its rule refuses."
)


@strawberry.type(description="One version of a tracking plan: its rules in Segment's export shape.")
class TrackingPlan:
    name: str
    version: int
    published: bool = strawberry.field(description="A published version never changes again.")
    rules: JSON
    sources: list[str] = strawberry.field(description="The sources connected to the plan.")
    updated_at: datetime

    @classmethod
    def of(cls, name: str, version: PlanVersion, sources: list[str]) -> TrackingPlan:
        rules: Any = [r.to_dict() for r in version.rules]
        return cls(
            name=name,
            version=version.version,
            published=version.published,
            rules=rules,
            sources=sources,
            updated_at=to_datetime(version.at_ms),
        )


def _plan(info: Info[Context, None], name: str, version: PlanVersion) -> TrackingPlan:
    return TrackingPlan.of(name, version, info.context.plans.sources(name))


PlanDiffKind = strawberry.enum(
    CorePlanDiffKind,
    name="PlanDiffKind",
    description=(
        "PLANNED_NOT_SEEN: a rule for an event never sent; SEEN_NOT_PLANNED: an event no rule is "
        "for; TYPE_DRIFT: a column whose inferred type the rule's declared type does not allow."
    ),
)


@strawberry.type(description="One way a source's plan in force and what it sends differ.")
class PlanDifference:
    kind: PlanDiffKind  # type: ignore[valid-type]
    type: str = strawberry.field(description="The call, as rules name it: TRACK, IDENTIFY...")
    event: str | None
    path: str | None = strawberry.field(description="The column, for TYPE_DRIFT.")
    planned: str | None = strawberry.field(description="The JSON type(s) the rule declares, for TYPE_DRIFT.")
    seen: ColumnType | None = strawberry.field(description="The column's inferred type, for TYPE_DRIFT.")  # type: ignore[valid-type]


@strawberry.type
class PlanQuery:
    @strawberry.field(description="A version of a tracking plan (its latest when `version` is null), or null.")
    def tracking_plan(self, info: Info[Context, None], name: str, version: int | None = None) -> TrackingPlan | None:
        found = info.context.plans.version(name, version)
        return None if found is None else _plan(info, name, found)

    @strawberry.field(description="How the source's plan in force and what it has sent differ.")
    async def plan_diff(self, info: Info[Context, None], source: str) -> list[PlanDifference]:
        return [
            PlanDifference(kind=d.kind, type=d.type, event=d.event, path=d.path, planned=d.planned, seen=d.seen)
            for d in await info.context.plans.diff(source)
        ]


@strawberry.type
class PlanMutation:
    @strawberry.mutation(
        description=(
            "A new draft version of the plan (or its draft replaced), through the log. `rules` is "
            "a list in Segment's tracking-plan export shape: {type, key, version, jsonSchema}."
        )
    )
    async def upsert_tracking_plan(self, info: Info[Context, None], name: str, rules: JSON) -> TrackingPlan:
        return _plan(info, name, await info.context.plans.upsert(name, rules))

    @strawberry.mutation(description="Freeze the plan's draft: the version never changes again.")
    async def publish_tracking_plan(self, info: Info[Context, None], name: str) -> TrackingPlan:
        return _plan(info, name, await info.context.plans.publish(name))

    @strawberry.mutation(
        description=(
            "Hold a source to the plan's latest published version; by default it only observes. "
            "unplannedEvents, unplannedProperties and invalid are for track, page and screen calls; "
            "unplannedTraits and invalidTraits for identify and group calls."
        )
    )
    async def connect_tracking_plan(
        self,
        info: Info[Context, None],
        source: str,
        plan: str,
        unplanned_events: UnplannedEvents = CoreUnplannedEvents.ALLOW,  # type: ignore[valid-type]
        unplanned_properties: UnplannedProperties = CoreUnplannedProperties.KEEP,  # type: ignore[valid-type]
        invalid: InvalidEvents = CoreInvalid.ALLOW,  # type: ignore[valid-type]
        unplanned_traits: UnplannedProperties = CoreUnplannedProperties.KEEP,  # type: ignore[valid-type]
        invalid_traits: InvalidEvents = CoreInvalid.ALLOW,  # type: ignore[valid-type]
    ) -> TrackingPlan:
        settings = ConnectSettings(
            CoreUnplannedEvents(unplanned_events),
            CoreUnplannedProperties(unplanned_properties),
            CoreInvalid(invalid),
            CoreUnplannedProperties(unplanned_traits),
            CoreInvalid(invalid_traits),
        )
        return _plan(info, plan, await info.context.plans.connect(source, plan, settings))

    @strawberry.mutation(description="A draft of the plan proposed from what the source has sent.")
    async def generate_tracking_plan(self, info: Info[Context, None], source: str, name: str) -> TrackingPlan:
        return _plan(info, name, await info.context.plans.generate(source, name))
