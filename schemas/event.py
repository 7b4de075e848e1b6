"""The normalised event: what ingestion writes to the `events` topic.

An `Event` is one validated Segment call (see `schemas.parse`) with its identity,
its skew-corrected time and its payload objects. `encode_event` writes it in the
Segment wire shape (camelCase fields, RFC 3339 times) and `decode_event` reads
that back: `decode_event(encode_event(e)) == e`.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import Any

import orjson

from schemas.errors import InvalidEventError
from schemas.fields import (
    load_object,
    quote,
    read_object,
    read_string,
    read_time,
    require_string,
    require_time,
)
from schemas.timestamps import MAX_MS, MIN_MS, format_rfc3339_ms


class EventType(str, Enum):
    """The six Segment calls."""

    TRACK = "track"
    IDENTIFY = "identify"
    PAGE = "page"
    SCREEN = "screen"
    GROUP = "group"
    ALIAS = "alias"


@dataclass(frozen=True, slots=True)
class Event:
    """One validated call. Times are epoch milliseconds, UTC.

    `event` is the track event's name, or the page/screen `name` (None for the
    other types). `timestamp_ms` is the skew-corrected event time,
    `original_timestamp_ms` the client's own timestamp, `sent_at_ms` the client's
    send time and `received_at_ms` the server's receive time.
    """

    type: EventType
    message_id: str
    source: str
    user_id: str | None
    anonymous_id: str | None
    event: str | None
    timestamp_ms: int
    received_at_ms: int
    sent_at_ms: int | None
    original_timestamp_ms: int | None
    properties: dict[str, Any]
    traits: dict[str, Any]
    context: dict[str, Any]
    previous_id: str | None
    group_id: str | None
    integrations: dict[str, Any]

    @property
    def identity_key(self) -> bytes:
        """The `events` topic partition key: UTF-8 of the userId, else the anonymousId.

        An alias (previousId -> userId) is keyed by its userId.
        """
        return (self.user_id or self.anonymous_id or "").encode()

    @property
    def schema_event_name(self) -> str | None:
        """The event-name part of the schema key: the track event name, else None."""
        return self.event if self.type is EventType.TRACK else None


_EVENT_TYPES = {t.value: t for t in EventType}


def _name_key(event_type: EventType) -> str:
    """The wire field holding `Event.event`: `name` for page/screen, else `event`."""
    return "name" if event_type in (EventType.PAGE, EventType.SCREEN) else "event"


def _wire_time(ms: int, field: str) -> str:
    if not MIN_MS <= ms <= MAX_MS:
        raise InvalidEventError(None, field, "outside years 0001-9999")
    return format_rfc3339_ms(ms)


def encode_event(event: Event) -> bytes:
    """The event as Segment-shaped JSON, without None fields and empty objects.

    Raises InvalidEventError for a time outside years 1-9999 or a payload value
    JSON cannot carry (events built by `parse_call` have neither).
    """
    # Built field by field, in the documented order, skipping None and {}: the edge
    # encodes every event it accepts, and a dict filtered by a generator cost a third more.
    wire: dict[str, Any] = {
        "type": event.type.value,
        "messageId": event.message_id,
        "source": event.source,
    }
    if event.user_id is not None:
        wire["userId"] = event.user_id
    if event.anonymous_id is not None:
        wire["anonymousId"] = event.anonymous_id
    if event.event is not None:
        wire[_name_key(event.type)] = event.event
    wire["timestamp"] = _wire_time(event.timestamp_ms, "timestamp")
    wire["receivedAt"] = _wire_time(event.received_at_ms, "receivedAt")
    if event.sent_at_ms is not None:
        wire["sentAt"] = _wire_time(event.sent_at_ms, "sentAt")
    if event.original_timestamp_ms is not None:
        wire["originalTimestamp"] = _wire_time(event.original_timestamp_ms, "originalTimestamp")
    if event.properties:
        wire["properties"] = event.properties
    if event.traits:
        wire["traits"] = event.traits
    if event.context:
        wire["context"] = event.context
    if event.previous_id is not None:
        wire["previousId"] = event.previous_id
    if event.group_id is not None:
        wire["groupId"] = event.group_id
    if event.integrations:
        wire["integrations"] = event.integrations
    try:
        return orjson.dumps(wire)
    except orjson.JSONEncodeError as e:
        raise InvalidEventError(None, "", f"not representable as JSON: {e}") from e


def _own_object(body: dict[str, Any], key: str, index: int | None) -> dict[str, Any]:
    """`read_object` without its copy: the body was decoded here, so nothing shares it."""
    value = body.get(key)
    return value if type(value) is dict else read_object(body, key, index)


def decode_event(raw: bytes) -> Event:
    """Read back what `encode_event` wrote; InvalidEventError(index=None) if malformed."""
    return event_from_wire(load_object(raw))


def event_from_wire(body: object, index: int | None = None) -> Event:
    """The event of one decoded wire object (what `encode_event` wrote, decoded);
    InvalidEventError naming `index` (its place in a record) and the field if not one."""
    if type(body) is not dict:
        raise InvalidEventError(index, "", "expected a JSON object")
    type_name = require_string(body, "type", index)
    event_type = _EVENT_TYPES.get(type_name)
    if event_type is None:
        raise InvalidEventError(index, "type", f"unknown event type {quote(type_name)}")
    return Event(
        type=event_type,
        message_id=require_string(body, "messageId", index),
        source=require_string(body, "source", index),
        user_id=read_string(body, "userId", index),
        anonymous_id=read_string(body, "anonymousId", index),
        event=read_string(body, _name_key(event_type), index),
        timestamp_ms=require_time(body, "timestamp", index),
        received_at_ms=require_time(body, "receivedAt", index),
        sent_at_ms=read_time(body, "sentAt", index),
        original_timestamp_ms=read_time(body, "originalTimestamp", index),
        properties=_own_object(body, "properties", index),
        traits=_own_object(body, "traits", index),
        context=_own_object(body, "context", index),
        previous_id=read_string(body, "previousId", index),
        group_id=read_string(body, "groupId", index),
        integrations=_own_object(body, "integrations", index),
    )
