"""The ``events`` log's records: one per (request, partition), holding that partition's
events in the order they were sent.

Faust pays ~100-200 µs a message whatever it carries, the whole cost of an agent that
does nothing (~11k messages/s here); one record per event paid it per event. A request
of 100 events over 4 partitions is now 4 records of ~25 events (Snowplow's collector
payloads do the same). Each user's events stay in one partition (the partition of their
identity key, as before), in order within a record and across records.

The wire form is JSON, each event as `schemas.event.encode_event` writes it::

    {"events": [{"type": "track", "messageId": ..., ...}, ...]}

A record stays under ``RECORD_BYTES`` (the broker's and producer's message limits are
1 MiB and more): a partition's events that would encode larger are split, in order.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Final

import msgspec

from schemas.errors import InvalidEventError
from schemas.event import Event, decode_event

RECORD_BYTES: Final = 256 * 1024

_OPEN: Final = b'{"events":['
_CLOSE: Final = b"]}"


def event_records(encoded: Iterable[bytes], limit: int = RECORD_BYTES) -> list[bytes]:
    """Records of the encoded events, in order, each at most ``limit`` bytes (an event
    alone may be larger: it is a record of its own). No events, no records."""
    records: list[bytes] = []
    chunk: list[bytes] = []
    size = len(_OPEN) + len(_CLOSE)
    for event in encoded:
        if chunk and size + len(event) + 1 > limit:
            records.append(_OPEN + b",".join(chunk) + _CLOSE)
            chunk, size = [], len(_OPEN) + len(_CLOSE)
        chunk.append(event)
        size += len(event) + 1
    if chunk:
        records.append(_OPEN + b",".join(chunk) + _CLOSE)
    return records


class _Record(msgspec.Struct):
    events: list[msgspec.Raw]


_RECORD: Final = msgspec.json.Decoder(_Record)


def record_items(value: bytes) -> list[bytes]:
    """The events of a record, each still its own JSON bytes (what the timeline keeps);
    ValueError naming what is wrong if ``value`` is no record at all."""
    try:
        return [bytes(raw) for raw in _RECORD.decode(value).events]
    except msgspec.DecodeError as exc:
        raise ValueError(f"events: not a record: {exc}") from None


def decode_events(value: bytes) -> list[Event | InvalidEventError]:
    """Each event of a record, or the error that names what is wrong with it (and its
    index): a bad event is set aside alone. ValueError if ``value`` is no record."""
    decoded: list[Event | InvalidEventError] = []
    for index, raw in enumerate(record_items(value)):
        try:
            decoded.append(decode_event(raw, index))
        except InvalidEventError as exc:
            decoded.append(exc)
    return decoded
