"""The ``events`` log's records: one per (request, partition), holding that partition's
events in the order they were sent.

Faust pays ~100-200 µs a message whatever it carries, the whole cost of an agent that
does nothing (~11k messages/s here); one record per event paid it per event. A request
of 100 events over 4 partitions is now 4 records of ~25 events (Snowplow's collector
payloads do the same). Each user's events stay in one partition (the partition of their
identity key, as before), in order within a record and across records.

A record is framed: a first byte 0x01, then each event as a 4-byte big-endian
length and its bytes (an envelope of ``schemas.sealed``, or, in tests, an event's wire
form as ``schemas.event.encode_event`` writes it). The events are binary envelopes, so
a JSON array could not hold them. Records of a log written before the framing are
JSON and still read::

    {"events": [{"type": "track", "messageId": ..., ...}, ...]}

A record stays under ``RECORD_BYTES`` (the broker's and producer's message limits are
1 MiB and more): a partition's events that would encode larger are split, in order.
"""

from __future__ import annotations

import struct
from collections.abc import Iterable
from typing import Final

import msgspec

from schemas.errors import InvalidEventError
from schemas.event import Event, decode_event

RECORD_BYTES: Final = 256 * 1024

_FRAMED: Final = b"\x01"
_LENGTH: Final = struct.Struct(">I")


def event_records(encoded: Iterable[bytes], limit: int = RECORD_BYTES) -> list[bytes]:
    """Records of the encoded events, in order, each at most ``limit`` bytes (an event
    alone may be larger: it is a record of its own). No events, no records."""
    records: list[bytes] = []
    chunk: list[bytes] = [_FRAMED]
    size = len(_FRAMED)
    pack = _LENGTH.pack
    for event in encoded:
        if len(chunk) > 1 and size + _LENGTH.size + len(event) > limit:
            records.append(b"".join(chunk))
            chunk, size = [_FRAMED], len(_FRAMED)
        chunk += (pack(len(event)), event)
        size += _LENGTH.size + len(event)
    if len(chunk) > 1:
        records.append(b"".join(chunk))
    return records


class _Record(msgspec.Struct):
    events: list[msgspec.Raw]


_RECORD: Final = msgspec.json.Decoder(_Record)


def record_items(value: bytes) -> list[bytes]:
    """The events of a record, each still its own bytes (what the timeline keeps);
    ValueError naming what is wrong if ``value`` is no record at all."""
    if value[:1] == _FRAMED:
        return _framed_items(value)
    try:
        return [bytes(raw) for raw in _RECORD.decode(value).events]
    except msgspec.DecodeError as exc:
        raise ValueError(f"events: not a record: {exc}") from None


def _framed_items(value: bytes) -> list[bytes]:
    items: list[bytes] = []
    at, end, unpack = len(_FRAMED), len(value), _LENGTH.unpack_from
    while at < end:
        if at + _LENGTH.size > end:
            raise ValueError(f"events: a framed record ends inside the length of event {len(items)}")
        (size,) = unpack(value, at)
        at += _LENGTH.size
        if at + size > end:
            raise ValueError(f"events: event {len(items)} of a framed record is cut short ({end - at} of {size} bytes)")
        items.append(value[at : at + size])
        at += size
    if not items:
        raise ValueError("events: a framed record of no events")
    return items


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
