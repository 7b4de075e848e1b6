"""Every schema change in one order, and the bytes that sort in that order (pure).

Changes are ordered by (at, source, type, event, version, path); no event sorts before
every event name. Within one schema a version names one change, so that order is
total. `order_key` writes a change's place in it as bytes that sort the same way, so
an index keyed by them (the node's ``schema-change-index`` table) pages in O(page):
a page after a cursor is a seek past the cursor's key and a scan of the page. A
cursor (`encode_change_cursor`) is that key, so a page after it stays correct while
new changes arrive, even ones whose event time sorts them before it.

Strings are written as UTF-8 (whose byte order is code point order) with every NUL
escaped as NUL 0xFF and a NUL at the end, so a string sorts before its extensions.
"""

from __future__ import annotations

from typing import Final

from query.domain.cursor import SCHEMA_CHANGES, decode, encode
from registry import SchemaChange

# (at_ms, source, type, (has an event, event name), version, path): comparable as is.
SortKey = tuple[int, str, str, tuple[bool, str], int, str]

_BIAS: Final = 2**63
_END: Final = b"\x00"
_NO_EVENT: Final = b"\x00"
_EVENT: Final = b"\x01"


def sort_key(change: SchemaChange) -> SortKey:
    c, key = change.change, change.key
    return (c.at_ms, key.source, key.type, (key.event is not None, key.event or ""), c.version, change.path)


def order_key(change: SchemaChange) -> bytes:
    """The change's place in the order, as bytes that sort as `sort_key` does."""
    c, key = change.change, change.key
    at_ms, source, type_, event, version, path = c.at_ms, key.source, key.type, key.event, c.version, change.path
    event_part = _NO_EVENT if event is None else _EVENT + _text(event)
    return (
        (at_ms + _BIAS).to_bytes(8, "big")
        + _text(source)
        + _text(type_)
        + event_part
        + version.to_bytes(8, "big")
        + _text(path)
    )


def decode_order_key(raw: bytes) -> SortKey:
    """The sort key `order_key` wrote; ValueError for bytes it never writes."""
    if len(raw) < 8:
        raise ValueError("truncated time")
    at_ms = int.from_bytes(raw[:8], "big") - _BIAS
    source, at = _read_text(raw, 8)
    type_, at = _read_text(raw, at)
    event: str | None = None
    marker = raw[at : at + 1]
    if marker == _EVENT:
        event, at = _read_text(raw, at + 1)
    elif marker != _NO_EVENT:
        raise ValueError("bad event marker")
    else:
        at += 1
    if len(raw) < at + 8:
        raise ValueError("truncated version")
    version = int.from_bytes(raw[at : at + 8], "big")
    path, at = _read_text(raw, at + 8)
    if at != len(raw):
        raise ValueError("trailing bytes")
    return (at_ms, source, type_, (event is not None, event or ""), version, path)


def after(order: bytes) -> bytes:
    """Where a scan for the keys strictly after ``order`` starts: no order key is a
    prefix of another, so none lies between ``order`` and this."""
    return order + b"\x00"


def encode_change_cursor(change: SchemaChange) -> str:
    return encode(SCHEMA_CHANGES, order_key(change))


def decode_change_cursor(text: str) -> bytes:
    """The order key of a cursor `encode_change_cursor` wrote; InvalidCursorError otherwise."""
    return decode(text, SCHEMA_CHANGES, "schemaChanges", decode_order_key)


def _text(text: str) -> bytes:
    return text.encode().replace(b"\x00", b"\x00\xff") + _END


def _read_text(raw: bytes, at: int) -> tuple[str, int]:
    out = bytearray()
    while True:
        end = raw.find(b"\x00", at)
        if end < 0:
            raise ValueError("unterminated text")
        out += raw[at:end]
        if raw[end + 1 : end + 2] == b"\xff":
            out += b"\x00"
            at = end + 2
            continue
        return out.decode(), end + 1
