"""Every schema change, in one order, paged with opaque cursors (no GraphQL types here).

Changes are ordered by (at, source, type, event, version, path). Within one schema a
version names one change, so that order is total, and a cursor is the position of
its change in it: a page after a cursor stays correct while new changes arrive, even
ones whose event time sorts them before the cursor.
"""

from __future__ import annotations

import base64
from bisect import bisect_right
from dataclasses import dataclass
from typing import Final

import orjson

from query.graphql.errors import InvalidArgumentError
from query.store import SchemaReader
from registry import SchemaChange

MAX_PAGE: Final = 200
_TAG: Final = "schemaChange/1"

SortKey = tuple[int, str, str, tuple[bool, str], int, str]


@dataclass(frozen=True, slots=True)
class Page:
    """One page of changes; `total` counts every change, `before` those before the page."""

    changes: list[SchemaChange]
    total: int
    before: int

    @property
    def has_next(self) -> bool:
        return self.before + len(self.changes) < self.total


def all_changes(reader: SchemaReader, source: str | None = None) -> list[SchemaChange]:
    """Every change of every column of every schema (of `source`, when given), in order."""
    changes = [
        SchemaChange.of(key, path, change)
        for key, _ in reader.list_schemas(source)
        for path, column in reader.get_columns(key).items()
        for change in column.history
    ]
    changes.sort(key=sort_key)
    return changes


def sort_key(change: SchemaChange) -> SortKey:
    c, key = change.change, change.key
    return _sort_key(c.at_ms, key.source, key.type, key.event, c.version, change.path)


def _sort_key(
    at_ms: int, source: str, type_: str, event: str | None, version: int, path: str
) -> SortKey:
    # No event sorts before every event name, "" included.
    return (at_ms, source, type_, (event is not None, event or ""), version, path)


def page_after(changes: list[SchemaChange], first: int, after: str | None) -> Page:
    """Up to `first` changes of the ordered `changes` that come after the cursor `after`.

    Raises InvalidArgumentError when `first` is outside 0..MAX_PAGE or `after` is not a
    cursor `encode_cursor` wrote.
    """
    if not 0 <= first <= MAX_PAGE:
        raise InvalidArgumentError("first", f"must be between 0 and {MAX_PAGE}, got {first}")
    start = 0
    if after is not None:
        start = bisect_right(changes, decode_cursor(after), key=sort_key)
    return Page(changes[start : start + first], total=len(changes), before=start)


def encode_cursor(change: SchemaChange) -> str:
    c, key = change.change, change.key
    payload = [_TAG, c.at_ms, key.source, key.type, key.event, c.version, change.path]
    return base64.urlsafe_b64encode(orjson.dumps(payload)).decode("ascii")


def decode_cursor(cursor: str) -> SortKey:
    """The sort key a cursor stands for; raises InvalidArgumentError for anything else."""
    try:
        payload = orjson.loads(base64.urlsafe_b64decode(cursor.encode("ascii")))
    except ValueError:  # binascii's, orjson's and Unicode errors all are
        payload = None
    match payload:
        case [str(tag), int(at), str(source), str(type_), str() | None as event, int(v), str(path)]:
            # bool is an int to Python, never to us.
            if tag == _TAG and not isinstance(at, bool) and not isinstance(v, bool):
                return _sort_key(at, source, type_, event, v, path)
    raise InvalidArgumentError("after", "not a cursor of schemaChanges")
