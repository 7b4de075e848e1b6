"""Opaque timeline cursors: the (event time, messageId) of the last item seen.

The text is URL-safe base64 (no padding) of a version byte, the time as an
8-byte signed big-endian integer and the messageId's UTF-8. Callers must treat
it as opaque; `decode_cursor` rejects anything `encode_cursor` did not write.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass

from query.domain.errors import InvalidCursorError

_VERSION = b"\x01"
_MAX_CURSOR_CHARS = 2048


@dataclass(frozen=True, slots=True)
class Cursor:
    """A position in a timeline: items strictly after it come next."""

    timestamp_ms: int
    message_id: str


def encode_cursor(cursor: Cursor) -> str:
    time = cursor.timestamp_ms.to_bytes(8, "big", signed=True)
    raw = _VERSION + time + cursor.message_id.encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def decode_cursor(text: str) -> Cursor:
    """The cursor `encode_cursor` wrote; InvalidCursorError(cursor, reason) otherwise."""
    if not text:
        raise InvalidCursorError(text, "empty")
    if len(text) > _MAX_CURSOR_CHARS:
        raise InvalidCursorError(text, f"longer than {_MAX_CURSOR_CHARS} characters")
    try:
        padded = text.encode("ascii") + b"=" * (-len(text) % 4)
        raw = base64.b64decode(padded, altchars=b"-_", validate=True)
    except (UnicodeEncodeError, binascii.Error):
        raise InvalidCursorError(text, "not URL-safe base64") from None
    if len(raw) < 9 or raw[:1] != _VERSION:
        raise InvalidCursorError(text, "not a timeline cursor")
    try:
        message_id = raw[9:].decode()
    except UnicodeDecodeError:
        raise InvalidCursorError(text, "not a timeline cursor") from None
    cursor = Cursor(int.from_bytes(raw[1:9], "big", signed=True), message_id)
    # Base64 has several spellings of some byte strings; accept only ours.
    if encode_cursor(cursor) != text:
        raise InvalidCursorError(text, "not a timeline cursor")
    return cursor
