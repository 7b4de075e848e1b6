"""Timeline storage: entry keys and the stored form of an event (the log's own).

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

from query.domain.cursor import Cursor
from query.domain.errors import InvalidKeyError, RecordDecodeError
from query.domain.identity import Identifier
from query.domain.keys import decode_identifier, encode_identifier
from schemas.errors import InvalidEventError
from schemas.event import Event, EventType, decode_event, encode_event

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
        """The entry in the log's wire form (``schemas.event``): the fields it has."""
        return TimelineEntry.bytes_of(
            Event(
                type=self.type,
                message_id=self.message_id,
                source=self.source,
                user_id=None,
                anonymous_id=None,
                event=self.event,
                timestamp_ms=self.timestamp_ms,
                received_at_ms=self.received_at_ms,
                sent_at_ms=None,
                original_timestamp_ms=None,
                properties=self.properties,
                traits=self.traits,
                context=self.context,
                previous_id=None,
                group_id=None,
                integrations={},
            )
        )

    @staticmethod
    def bytes_of(event: Event) -> bytes:
        """What the timeline stores of an event: the event as the log holds it (the fold
        stores the log's own bytes, so nothing is encoded twice)."""
        return encode_event(event)

    @staticmethod
    def from_bytes(raw: bytes) -> TimelineEntry:
        try:
            event = decode_event(raw)
        except InvalidEventError as e:
            raise RecordDecodeError("timeline entry", e.path, e.reason) from e
        return TimelineEntry.of(event)
