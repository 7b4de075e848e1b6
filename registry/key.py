"""Schema keys: which schema an event belongs to, and its byte form for tables."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from registry.errors import InvalidSchemaKeyError

SEGMENT_TYPES: Final = frozenset({"track", "identify", "page", "screen", "group", "alias"})

_SEP: Final = b"\x1f"  # ASCII unit separator: cannot appear in a source or type
_NO_EVENT: Final = b"\x00"
_EVENT: Final = b"\x01"


@dataclass(frozen=True, slots=True)
class SchemaKey:
    """(source, Segment call type, event name); `event` is None for unnamed calls.

    `type` is lowercase (`track`, `identify`, `page`, `screen`, `group`,
    `alias`). Neither `source` nor `type` may contain the byte 0x1F.
    """

    source: str
    type: str
    event: str | None

    def __post_init__(self) -> None:
        if self.type not in SEGMENT_TYPES:
            raise InvalidSchemaKeyError(str(self), f"type must be one of {sorted(SEGMENT_TYPES)}")
        if "\x1f" in self.source:
            raise InvalidSchemaKeyError(str(self), "source contains the byte 0x1F")

    def __str__(self) -> str:
        return f"{self.source!r}/{self.type}/{self.event!r}"

    def encode(self) -> bytes:
        """`source 0x1F type 0x1F tag event` in UTF-8.

        The tag byte is 0x00 for no event (and nothing follows) or 0x01 before
        the event name, so None, "" and any name (even "\\x00") stay distinct,
        and all keys of one source share `prefix_for_source(source)`.
        """
        try:
            head = prefix_for_source(self.source) + self.type.encode() + _SEP
            if self.event is None:
                return head + _NO_EVENT
            return head + _EVENT + self.event.encode()
        except UnicodeEncodeError as e:
            raise InvalidSchemaKeyError(str(self), f"not encodable as UTF-8: {e.reason}") from e

    @classmethod
    def decode(cls, data: bytes) -> SchemaKey:
        """The key whose `encode()` is `data`."""
        parts = data.split(_SEP, 2)
        if len(parts) != 3:
            raise InvalidSchemaKeyError(repr(data), "expected three 0x1F-separated parts")
        source, type_, rest = parts
        try:
            if rest == _NO_EVENT:
                return cls(source.decode(), type_.decode(), None)
            if rest[:1] == _EVENT:
                return cls(source.decode(), type_.decode(), rest[1:].decode())
        except UnicodeDecodeError as e:
            raise InvalidSchemaKeyError(repr(data), f"not UTF-8: {e.reason}") from e
        raise InvalidSchemaKeyError(repr(data), "the event part has no 0x00/0x01 tag")


def prefix_for_source(source: str) -> bytes:
    """The bytes every encoded key of `source` starts with, and no other source's key."""
    if "\x1f" in source:
        raise InvalidSchemaKeyError(repr(source), "source contains the byte 0x1F")
    try:
        return source.encode() + _SEP
    except UnicodeEncodeError as e:
        raise InvalidSchemaKeyError(repr(source), f"not encodable as UTF-8: {e.reason}") from e
