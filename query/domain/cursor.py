"""Opaque cursors: one codec for every connection's positions.

A cursor's text is URL-safe base64 (no padding) of a kind byte and a payload: a
timeline position (`Cursor`: the event time as an 8-byte signed big-endian integer,
then the messageId's UTF-8) or a schema-changes position (the change's order key,
`query.domain.changes.order_key`) or a regulation's id, or a violation's position. Callers must treat cursors as opaque; a decoder
rejects anything its encoder did not write, including another kind's cursor.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

from query.domain.errors import InvalidCursorError

TIMELINE: Final = b"\x01"
SCHEMA_CHANGES: Final = b"\x02"
REGULATIONS: Final = b"\x03"
VIOLATIONS: Final = b"\x04"
_MAX_CURSOR_CHARS: Final = 2048


def encode(kind: bytes, payload: bytes) -> str:
    return base64.urlsafe_b64encode(kind + payload).rstrip(b"=").decode("ascii")


def decode(text: str, kind: bytes, what: str, check: Callable[[bytes], object] | None = None) -> bytes:
    """The payload of a cursor of ``kind`` (``what`` names it in errors); ``check``
    raises ValueError for a payload that kind's encoder never writes.

    Raises InvalidCursorError(cursor, reason) for anything else.
    """
    if not text:
        raise InvalidCursorError(text, "empty")
    if len(text) > _MAX_CURSOR_CHARS:
        raise InvalidCursorError(text, f"longer than {_MAX_CURSOR_CHARS} characters")
    try:
        padded = text.encode("ascii") + b"=" * (-len(text) % 4)
        raw = base64.b64decode(padded, altchars=b"-_", validate=True)
    except (UnicodeEncodeError, binascii.Error):
        raise InvalidCursorError(text, "not URL-safe base64") from None
    # Base64 has several spellings of some byte strings; accept only ours.
    if raw[:1] != kind or encode(kind, raw[1:]) != text:
        raise InvalidCursorError(text, f"not a {what} cursor")
    payload = raw[1:]
    if check is not None:
        try:
            check(payload)
        except ValueError:
            raise InvalidCursorError(text, f"not a {what} cursor") from None
    return payload


@dataclass(frozen=True, slots=True)
class Cursor:
    """A position in a timeline: items strictly after it come next."""

    timestamp_ms: int
    message_id: str


def encode_cursor(cursor: Cursor) -> str:
    """A timeline cursor."""
    time = cursor.timestamp_ms.to_bytes(8, "big", signed=True)
    return encode(TIMELINE, time + cursor.message_id.encode())


def decode_cursor(text: str) -> Cursor:
    """The timeline cursor `encode_cursor` wrote; InvalidCursorError(cursor, reason) otherwise."""
    payload = decode(text, TIMELINE, "timeline", _timeline_payload)
    return _timeline_payload(payload)


def _timeline_payload(payload: bytes) -> Cursor:
    if len(payload) < 8:
        raise ValueError("truncated")
    try:
        message_id = payload[8:].decode()
    except UnicodeDecodeError:
        raise ValueError("messageId is not UTF-8") from None
    return Cursor(int.from_bytes(payload[:8], "big", signed=True), message_id)


def encode_regulation_cursor(regulation_id: str) -> str:
    return encode(REGULATIONS, regulation_id.encode())


def decode_regulation_cursor(text: str) -> str:
    """The regulation id of a regulations cursor; InvalidCursorError otherwise."""
    return decode(text, REGULATIONS, "regulations", lambda p: p.decode()).decode()


def encode_violation_cursor(position: bytes) -> str:
    return encode(VIOLATIONS, position)


def decode_violation_cursor(text: str) -> bytes:
    """The position of a violations cursor; InvalidCursorError otherwise."""
    return decode(text, VIOLATIONS, "violations", _violation_payload)


def _violation_payload(payload: bytes) -> None:
    # Eight bytes of time, a messageId, a zero and a two-byte index.
    if len(payload) < 11 or payload[-3] != 0:
        raise ValueError("truncated")
