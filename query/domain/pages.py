"""Reading a page of a profile's timeline from its members' key ranges.

A profile's timeline is the k-way merge of its identifiers' ranges, ordered
newest first: by descending event time, then messageId, then identifier. An
event stored under several identifiers of the profile appears once (the same
messageId at the same time is one event).

Cost: with each range started at `timeline_start_key`, a page reads
O(first + number of ranges) rows when only a time range is filtered. Name and
type filters are applied while scanning, so a rare event name can make a page
read further back.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Generic, Protocol, TypeVar

from query.domain.cursor import Cursor, encode_cursor
from query.domain.errors import PageSizeError
from query.domain.identity import Identifier
from query.domain.timeline import split_timeline_key, timeline_suffix
from schemas.event import EventType

MAX_PAGE = 200


class Filterable(Protocol):
    """What the filters read of a stored item (a `TimelineEntry` has both)."""

    @property
    def type(self) -> EventType: ...

    @property
    def event(self) -> str | None: ...


V = TypeVar("V", bound=Filterable)


@dataclass(frozen=True, slots=True)
class TimelineFilter:
    """Which events a page shows; None means no restriction.

    `events` matches `Event.event` (the track name, or the page/screen name);
    the time range is `from_ms <= timestamp_ms < to_ms`.
    """

    events: frozenset[str] | None = None
    types: frozenset[EventType] | None = None
    from_ms: int | None = None
    to_ms: int | None = None

    def matches(self, item: Filterable, timestamp_ms: int) -> bool:
        return (
            (self.events is None or (item.event is not None and item.event in self.events))
            and (self.types is None or item.type in self.types)
            and (self.from_ms is None or timestamp_ms >= self.from_ms)
            and (self.to_ms is None or timestamp_ms < self.to_ms)
        )


@dataclass(frozen=True, slots=True)
class Edge(Generic[V]):
    """One item of a page, with the cursor that continues after it."""

    cursor: str
    identifier: Identifier
    timestamp_ms: int
    message_id: str
    node: V


@dataclass(frozen=True, slots=True)
class Page(Generic[V]):
    edges: tuple[Edge[V], ...]
    has_next_page: bool

    @property
    def end_cursor(self) -> str | None:
        return self.edges[-1].cursor if self.edges else None


def check_page_size(first: int) -> None:
    """PageSizeError(first, MAX_PAGE) unless 0 <= first <= MAX_PAGE."""
    if not 0 <= first <= MAX_PAGE:
        raise PageSizeError(first, MAX_PAGE)


def merge_pages(
    iterators: Sequence[Iterable[tuple[bytes, V]]],
    first: int,
    after: Cursor | None = None,
    filters: TimelineFilter | None = None,
) -> Page[V]:
    """The next `first` items of the merged ranges after `after`.

    Each iterator yields one identifier's (timeline key, item) pairs in key
    order, as a scan from `timeline_start_key` does; rows at or before the
    cursor are skipped here too, so a plain scan from the prefix also works.
    Iterators are read lazily: at most one row past the page from each.
    """
    check_page_size(first)
    filters = filters or TimelineFilter()
    # Sorting on (key without its identifier prefix, prefix) orders by
    # descending time, then messageId, then identifier.
    merged = heapq.merge(*(_ordered(n, it) for n, it in enumerate(iterators)))
    after_suffix = None if after is None else timeline_suffix(after.timestamp_ms, after.message_id)
    edges: list[Edge[V]] = []
    last_suffix: bytes | None = None
    for suffix, _prefix, _n, _row, identifier, timestamp_ms, message_id, item in merged:
        if after_suffix is not None and suffix <= after_suffix:
            continue
        if filters.from_ms is not None and timestamp_ms < filters.from_ms:
            break  # everything after this is older still
        if suffix == last_suffix:
            continue  # the same event under another identifier
        last_suffix = suffix
        if not filters.matches(item, timestamp_ms):
            continue
        if len(edges) == first:
            return Page(tuple(edges), has_next_page=True)
        cursor = encode_cursor(Cursor(timestamp_ms, message_id))
        edges.append(Edge(cursor, identifier, timestamp_ms, message_id, item))
    return Page(tuple(edges), has_next_page=False)


_Row = tuple[bytes, bytes, int, int, Identifier, int, str, V]


def _ordered(n: int, rows: Iterable[tuple[bytes, V]]) -> Iterator[_Row[V]]:
    # (suffix, prefix) is the page order; the iterator and row numbers make every
    # tuple distinct before the identifier and item, which do not compare.
    for row, (key, item) in enumerate(rows):
        identifier, end, timestamp_ms, message_id = split_timeline_key(key)
        yield key[end:], key[:end], n, row, identifier, timestamp_ms, message_id, item
