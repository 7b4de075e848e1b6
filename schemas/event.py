"""The normalised event: what ingestion writes to the `events` topic.

An `Event` is one validated Segment call (see `schemas.parse`) with its identity,
its skew-corrected time and its payload objects. `encode_event` writes it in the
Segment wire shape (camelCase fields, RFC 3339 times) and `decode_event` reads
that back: `decode_event(encode_event(e)) == e`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import Enum
from typing import Any, Final

import msgspec
import orjson

from schemas.errors import InvalidEventError
from schemas.fields import NOT_A_DATE_TIME, quote
from schemas.timestamps import MAX_MS, MIN_MS, format_rfc3339_ms, parse_rfc3339_ms


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


class _Wire(msgspec.Struct, rename="camel"):
    """An event as `encode_event` writes it: msgspec checks each field's JSON type in C."""

    type: str
    message_id: str
    source: str
    timestamp: str
    received_at: str
    user_id: str | None = None
    anonymous_id: str | None = None
    event: str | None = None
    name: str | None = None
    sent_at: str | None = None
    original_timestamp: str | None = None
    properties: dict[str, Any] | None = None
    traits: dict[str, Any] | None = None
    context: dict[str, Any] | None = None
    previous_id: str | None = None
    group_id: str | None = None
    integrations: dict[str, Any] | None = None


_WIRE: Final = msgspec.json.Decoder(_Wire)
# msgspec names a field as it is on the wire: "Expected `str`, got `int` - at `$.messageId`".
_AT: Final = re.compile(r"(.*?)(?: - at `\$\.?([^`]*)`)?$")
_REQUIRED: Final = re.compile(r"Object missing required field `([^`]*)`")


def decode_event(raw: bytes, index: int | None = None) -> Event:
    """Read back what `encode_event` wrote; InvalidEventError naming `index` (its place
    in a log record, if any) and the field when it is not an event."""
    try:
        wire = _WIRE.decode(raw)
    except msgspec.DecodeError as exc:
        raise _invalid(exc, index) from None
    event_type = _EVENT_TYPES.get(wire.type)
    if event_type is None:
        raise InvalidEventError(index, "type", f"unknown event type {quote(wire.type)}")
    return Event(
        type=event_type,
        message_id=wire.message_id,
        source=wire.source,
        user_id=wire.user_id,
        anonymous_id=wire.anonymous_id,
        event=wire.name if event_type is EventType.PAGE or event_type is EventType.SCREEN else wire.event,
        timestamp_ms=_time(wire.timestamp, "timestamp", index),
        received_at_ms=_time(wire.received_at, "receivedAt", index),
        sent_at_ms=None if wire.sent_at is None else _time(wire.sent_at, "sentAt", index),
        original_timestamp_ms=(
            None if wire.original_timestamp is None else _time(wire.original_timestamp, "originalTimestamp", index)
        ),
        properties=wire.properties or {},
        traits=wire.traits or {},
        context=wire.context or {},
        previous_id=wire.previous_id,
        group_id=wire.group_id,
        integrations=wire.integrations or {},
    )


def _time(text: str, field: str, index: int | None) -> int:
    ms = parse_rfc3339_ms(text)
    if ms is None:
        raise InvalidEventError(index, field, NOT_A_DATE_TIME)
    return ms


def _invalid(exc: msgspec.DecodeError, index: int | None) -> InvalidEventError:
    text = str(exc)
    required = _REQUIRED.match(text)
    if required is not None:
        return InvalidEventError(index, required.group(1), "required")
    if isinstance(exc, msgspec.ValidationError):
        match = _AT.match(text)
        assert match is not None  # the pattern matches any text
        reason, field = match.group(1), match.group(2) or ("body" if index is None else "")
        return InvalidEventError(index, field, reason[0].lower() + reason[1:] if reason else "invalid")
    return InvalidEventError(index, "body" if index is None else "", f"invalid JSON: {text}")
