"""Tracking plans over GraphQL: declare what a source means to send (Segment's shape)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import strawberry
from strawberry.scalars import JSON
from strawberry.types import Info

from query.graphql.context import Context
from query.graphql.scalars import to_datetime
from registry.plans import ConnectSettings
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


@strawberry.type
class PlanQuery:
    @strawberry.field(description="A version of a tracking plan (its latest when `version` is null), or null.")
    def tracking_plan(self, info: Info[Context, None], name: str, version: int | None = None) -> TrackingPlan | None:
        found = info.context.plans.version(name, version)
        return None if found is None else _plan(info, name, found)


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
        description="Hold a source to the plan's latest published version; by default it only observes."
    )
    async def connect_tracking_plan(
        self,
        info: Info[Context, None],
        source: str,
        plan: str,
        unplanned_events: UnplannedEvents = CoreUnplannedEvents.ALLOW,  # type: ignore[valid-type]
        unplanned_properties: UnplannedProperties = CoreUnplannedProperties.KEEP,  # type: ignore[valid-type]
        invalid: InvalidEvents = CoreInvalid.ALLOW,  # type: ignore[valid-type]
    ) -> TrackingPlan:
        settings = ConnectSettings(
            CoreUnplannedEvents(unplanned_events), CoreUnplannedProperties(unplanned_properties), CoreInvalid(invalid)
        )
        return _plan(info, plan, await info.context.plans.connect(source, plan, settings))

    @strawberry.mutation(description="A draft of the plan proposed from what the source has sent.")
    async def generate_tracking_plan(self, info: Info[Context, None], source: str, name: str) -> TrackingPlan:
        return _plan(info, name, await info.context.plans.generate(source, name))
