"""Every schema change, in one order, paged with opaque cursors (no GraphQL types here).

Changes are ordered by (at, source, type, event, version, path). Within one schema a
version names one change, so that order is total, and a cursor is the position of
its change in it: a page after a cursor stays correct while new changes arrive, even
ones whose event time sorts them before the cursor.

Reading every change means reading every column of every schema: ~50,000 column rows
with 1,000 schemas of 50 columns. `ChangeLog` keeps the ordered list between reads
and re-reads a schema's columns only when its version moved, which is what a schema
change does and nothing else does.
"""

from __future__ import annotations

import base64
from bisect import bisect_left, bisect_right, insort
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Final

import orjson

from query.graphql.errors import InvalidArgumentError
from query.store import SchemaReader
from registry import SchemaChange, SchemaKey, SchemaState

MAX_PAGE: Final = 200
_TAG: Final = "schemaChange/1"

SortKey = tuple[int, str, str, tuple[bool, str], int, str]


@dataclass(frozen=True, slots=True)
class Page:
    """One page of changes; `total` counts every change, `before` those before the page."""

    changes: Sequence[SchemaChange]
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


@dataclass
class _Ordered:
    """Every change of the schemas listed at `versions`, in order."""

    versions: dict[SchemaKey, int]
    changes: list[SchemaChange] = field(default_factory=list)


# Past this many new changes at once, sorting the whole list beats inserting each.
_INSERT_AT_MOST = 256


class ChangeLog:
    """`all_changes`, kept between reads: a schema's columns are read again only when
    its version is not the one last read.

    A schema's version counts the entries of its columns' histories, and histories only
    grow, so a schema whose version is unchanged has the same changes. A schema row and
    its column rows are written one after the other: a read that finds fewer entries
    than the version says leaves that schema to the next read. A schema no longer
    listed (its partition moved to another node) rebuilds the list.
    """

    def __init__(self) -> None:
        # Per schema: its changes in version order, as many as its version.
        self._of_schema: dict[SchemaKey, list[SchemaChange]] = {}
        self._ordered: dict[str | None, _Ordered] = {}

    def changes(
        self,
        reader: SchemaReader,
        source: str | None = None,
        listed: Sequence[tuple[SchemaKey, SchemaState]] | None = None,
    ) -> Sequence[SchemaChange]:
        """What `all_changes(reader, source)` answers; the caller must not change it.

        `listed` is `reader.list_schemas()` (every source) when the caller has read it
        already: a page that lists the schemas itself reads them once.
        """
        if listed is None:
            listed = reader.list_schemas(source)
        versions = {
            key: state.version for key, state in listed if source is None or key.source == source
        }
        ordered = self._ordered.get(source)
        if ordered is not None and ordered.versions == versions:
            return ordered.changes
        rebuild = ordered is None or any(
            versions.get(key, -1) < version for key, version in ordered.versions.items()
        )
        read: dict[SchemaKey, int] = {} if rebuild or ordered is None else dict(ordered.versions)
        fresh: list[SchemaChange] = []
        for key, version in versions.items():
            had = read.get(key, 0)
            if version == had:
                continue
            of_schema = self._read(reader, key, version)
            if of_schema is None:
                continue  # torn: the next read tries again
            fresh.extend(of_schema[had:])
            read[key] = version
        if rebuild or ordered is None:
            changes = sorted(fresh, key=sort_key)
            if source is None:
                for gone in self._of_schema.keys() - versions.keys():
                    del self._of_schema[gone]
        else:
            # A new list: a page read from the old one stays as it was.
            changes = list(ordered.changes)
            if len(fresh) > _INSERT_AT_MOST:
                changes += fresh
                changes.sort(key=sort_key)
            else:
                for change in fresh:
                    insort(changes, change, key=sort_key)
        self._ordered[source] = _Ordered(read, changes)
        return changes

    def _read(self, reader: SchemaReader, key: SchemaKey, version: int) -> list[SchemaChange] | None:
        known = self._of_schema.get(key)
        if known is not None and len(known) == version:
            return known
        changes = [
            SchemaChange.of(key, path, change)
            for path, column in reader.get_columns(key).items()
            for change in column.history
            if change.version <= version
        ]
        if len(changes) != version:
            return None
        changes.sort(key=_by_version)
        self._of_schema[key] = changes
        return changes


def _by_version(change: SchemaChange) -> int:
    return change.change.version


def sort_key(change: SchemaChange) -> SortKey:
    c, key = change.change, change.key
    return _sort_key(c.at_ms, key.source, key.type, key.event, c.version, change.path)


def _sort_key(
    at_ms: int, source: str, type_: str, event: str | None, version: int, path: str
) -> SortKey:
    # No event sorts before every event name, "" included.
    return (at_ms, source, type_, (event is not None, event or ""), version, path)


def page_after(changes: Sequence[SchemaChange], first: int, after: str | None) -> Page:
    """Up to `first` changes of the ordered `changes` that come after the cursor `after`.

    Raises InvalidArgumentError when `first` is outside 0..MAX_PAGE or `after` is not a
    cursor `encode_cursor` wrote.
    """
    _check_first(first)
    start = 0
    if after is not None:
        start = bisect_right(changes, decode_cursor(after), key=sort_key)
    return Page(changes[start : start + first], total=len(changes), before=start)


def page_before(changes: Sequence[SchemaChange], last: int, before: str | None) -> Page:
    """Up to `last` changes of the ordered `changes` just before the cursor `before`
    (all of them when None), still in order: the page a newest-first list shows.

    Raises InvalidArgumentError as `page_after` does (naming `before`).
    """
    _check_first(last, "last")
    end = len(changes)
    if before is not None:
        end = bisect_left(changes, decode_cursor(before, "before"), key=sort_key)
    start = max(0, end - last)
    return Page(changes[start:end], total=len(changes), before=start)


def _check_first(first: int, argument: str = "first") -> None:
    if not 0 <= first <= MAX_PAGE:
        raise InvalidArgumentError(argument, f"must be between 0 and {MAX_PAGE}, got {first}")


def encode_cursor(change: SchemaChange) -> str:
    c, key = change.change, change.key
    payload = [_TAG, c.at_ms, key.source, key.type, key.event, c.version, change.path]
    return base64.urlsafe_b64encode(orjson.dumps(payload)).decode("ascii")


def decode_cursor(cursor: str, argument: str = "after") -> SortKey:
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
    raise InvalidArgumentError(argument, "not a cursor of schemaChanges")
