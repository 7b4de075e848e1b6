"""Timeline storage: entry keys and the compact stored form of an event.

One identifier's events are one contiguous key range (`timeline_prefix`),
sorted newest first: after the prefix comes the event time inverted
(2**63 - 1 - timestamp_ms, 8 bytes big-endian, so later times sort first),
then the messageId's UTF-8. Appending is one put; a page is one seek and a
short forward scan, however long the history.

Events are stored under the identifier they are keyed by (see
`primary_identifier`), not rewritten when profiles merge: a profile's timeline
is the merge of its members' ranges (`query.domain.pages.merge_pages`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import orjson

from query.domain.cursor import Cursor
from query.domain.errors import InvalidKeyError, RecordDecodeError
from query.domain.fields import Reader
from query.domain.identity import Identifier
from query.domain.keys import decode_identifier, encode_identifier
from schemas.event import Event, EventType

_TIME_BIAS = 2**63 - 1
MIN_TIMESTAMP_MS = -(2**63)
MAX_TIMESTAMP_MS = 2**63 - 1


def _inverted(timestamp_ms: int) -> bytes:
    if not MIN_TIMESTAMP_MS <= timestamp_ms <= MAX_TIMESTAMP_MS:
        raise InvalidKeyError(b"", f"timestamp {timestamp_ms} outside the 64-bit range")
    return (_TIME_BIAS - timestamp_ms).to_bytes(8, "big")


def timeline_prefix(identifier: Identifier) -> bytes:
    """The prefix every key of `identifier`'s timeline starts with."""
    return encode_identifier(identifier)


def timeline_suffix(timestamp_ms: int, message_id: str) -> bytes:
    """The part of a timeline key after the prefix: it orders a profile's events."""
    return _inverted(timestamp_ms) + message_id.encode()


def timeline_key(identifier: Identifier, timestamp_ms: int, message_id: str) -> bytes:
    """The key of one event in one identifier's timeline."""
    return timeline_prefix(identifier) + timeline_suffix(timestamp_ms, message_id)


def parse_timeline_key(key: bytes) -> tuple[Identifier, int, str]:
    """(identifier, timestamp_ms, message_id) of a `timeline_key`."""
    identifier, _, timestamp_ms, message_id = split_timeline_key(key)
    return identifier, timestamp_ms, message_id


def split_timeline_key(key: bytes) -> tuple[Identifier, int, int, str]:
    """(identifier, where its prefix ends, timestamp_ms, message_id) of a key."""
    identifier, at = decode_identifier(key)
    if len(key) < at + 8:
        raise InvalidKeyError(key, "truncated timestamp")
    timestamp_ms = _TIME_BIAS - int.from_bytes(key[at : at + 8], "big")
    try:
        message_id = key[at + 8 :].decode()
    except UnicodeDecodeError:
        raise InvalidKeyError(key, "messageId is not UTF-8") from None
    return identifier, at, timestamp_ms, message_id


def timeline_start_key(
    identifier: Identifier, after: Cursor | None = None, to_ms: int | None = None
) -> bytes:
    """Where a scan of `identifier`'s timeline starts for a page.

    The first key strictly after the cursor, and not newer than `to_ms`
    (exclusive); the scan then runs while keys start with `timeline_prefix`.
    """
    prefix = timeline_prefix(identifier)
    start = prefix
    if after is not None:
        # b"\0" makes this the smallest key greater than the cursor's own.
        start = max(start, prefix + timeline_suffix(after.timestamp_ms, after.message_id) + b"\0")
    if to_ms is not None:
        start = max(start, prefix + _inverted(max(to_ms - 1, MIN_TIMESTAMP_MS)))
    return start


@dataclass(frozen=True, slots=True)
class TimelineEntry:
    """What a timeline shows of one event; times are epoch milliseconds, UTC."""

    message_id: str
    type: EventType
    event: str | None
    source: str
    timestamp_ms: int
    received_at_ms: int
    properties: dict[str, Any]
    traits: dict[str, Any]
    context: dict[str, Any]

    @staticmethod
    def of(event: Event) -> TimelineEntry:
        return TimelineEntry(
            message_id=event.message_id,
            type=event.type,
            event=event.event,
            source=event.source,
            timestamp_ms=event.timestamp_ms,
            received_at_ms=event.received_at_ms,
            properties=event.properties,
            traits=event.traits,
            context=event.context,
        )

    def to_bytes(self) -> bytes:
        """Compact JSON with short keys; empty objects and a None name left out."""
        return _encode(
            self.message_id, self.type, self.source, self.timestamp_ms, self.received_at_ms,
            self.event, self.properties, self.traits, self.context,
        )

    @staticmethod
    def bytes_of(event: Event) -> bytes:
        """`TimelineEntry.of(event).to_bytes()`, without making the entry."""
        return _encode(
            event.message_id, event.type, event.source, event.timestamp_ms, event.received_at_ms,
            event.event, event.properties, event.traits, event.context,
        )

    @staticmethod
    def from_bytes(raw: bytes) -> TimelineEntry:
        try:
            d = orjson.loads(raw)
        except orjson.JSONDecodeError as e:
            raise RecordDecodeError("timeline entry", "", f"not JSON: {e}") from e
        r = Reader(d, "timeline entry")
        type_name = r.get_str("t")
        try:
            event_type = EventType(type_name)
        except ValueError:
            raise r.fail("t", f"not an event type: {type_name!r}") from None
        return TimelineEntry(
            message_id=r.get_str("m"),
            type=event_type,
            event=r.get_opt_str("e"),
            source=r.get_str("s"),
            timestamp_ms=r.get_int("ts"),
            received_at_ms=r.get_int("r"),
            properties=r.get_object("p", {}),
            traits=r.get_object("tr", {}),
            context=r.get_object("c", {}),
        )


def _encode(
    message_id: str,
    type_: EventType,
    source: str,
    timestamp_ms: int,
    received_at_ms: int,
    event: str | None,
    properties: dict[str, Any],
    traits: dict[str, Any],
    context: dict[str, Any],
) -> bytes:
    row: dict[str, Any] = {"m": message_id, "t": type_.value, "s": source, "ts": timestamp_ms, "r": received_at_ms}
    if event is not None:
        row["e"] = event
    if properties:
        row["p"] = properties
    if traits:
        row["tr"] = traits
    if context:
        row["c"] = context
    return orjson.dumps(row)
