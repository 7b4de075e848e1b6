"""Builders of `Event` values for the query-core tests."""

from __future__ import annotations

from typing import Any

from schemas.event import Event, EventType


def make_event(
    type_: EventType = EventType.TRACK,
    *,
    message_id: str = "m1",
    user_id: str | None = None,
    anonymous_id: str | None = None,
    event: str | None = None,
    timestamp_ms: int = 1_000,
    traits: dict[str, Any] | None = None,
    context: dict[str, Any] | None = None,
    properties: dict[str, Any] | None = None,
    previous_id: str | None = None,
    group_id: str | None = None,
    source: str = "web",
) -> Event:
    if type_ is EventType.TRACK and event is None:
        event = "Clicked"
    return Event(
        type=type_,
        message_id=message_id,
        source=source,
        user_id=user_id,
        anonymous_id=anonymous_id,
        event=event,
        timestamp_ms=timestamp_ms,
        received_at_ms=timestamp_ms + 5,
        sent_at_ms=None,
        original_timestamp_ms=None,
        properties=properties or {},
        traits=traits or {},
        context=context or {},
        previous_id=previous_id,
        group_id=group_id,
        integrations={},
    )
