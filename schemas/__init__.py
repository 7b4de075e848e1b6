"""The contracts: Segment-spec payloads parsed and normalised into events."""

from schemas.errors import (
    InvalidEventError,
    PayloadTooLargeError,
    SchemaError,
    TracklogError,
)
from schemas.event import Event, EventType, decode_event, encode_event
from schemas.parse import (
    Limits,
    check_request_size,
    parse_batch,
    parse_body,
    parse_call,
    write_key_of,
)
from schemas.timestamps import format_rfc3339_ms, parse_rfc3339_ms

__all__ = [
    "Event",
    "EventType",
    "InvalidEventError",
    "Limits",
    "PayloadTooLargeError",
    "SchemaError",
    "TracklogError",
    "check_request_size",
    "decode_event",
    "encode_event",
    "format_rfc3339_ms",
    "parse_batch",
    "parse_body",
    "parse_call",
    "parse_rfc3339_ms",
    "write_key_of",
]
