"""query.domain.pages and cursor: merged timeline pages over several identifiers."""

from __future__ import annotations

import bisect
from collections.abc import Iterator

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from query.domain.cursor import Cursor, decode_cursor, encode_cursor
from query.domain.errors import InvalidCursorError, PageSizeError
from query.domain.identity import ANONYMOUS_ID, USER_ID, Identifier
from query.domain.pages import MAX_PAGE, Page, TimelineFilter, check_page_size, merge_pages
from query.domain.timeline import TimelineEntry, timeline_key, timeline_start_key
from schemas.event import EventType
from tests.unit.query.domain.builders import make_event

IDS = [Identifier(USER_ID, "u"), Identifier(ANONYMOUS_ID, "a1"), Identifier(ANONYMOUS_ID, "a2")]
Store = dict[Identifier, list[tuple[bytes, TimelineEntry]]]


def entry(mid: str, ts: int, type_: EventType = EventType.TRACK, name: str | None = "Clicked") -> TimelineEntry:
    return TimelineEntry.of(make_event(type_, message_id=mid, timestamp_ms=ts, event=name, anonymous_id="x"))


def store_of(placed: list[tuple[TimelineEntry, frozenset[int]]]) -> Store:
    """Each entry stored under the identifiers (indexes into IDS) it was placed on."""
    store: Store = {i: [] for i in IDS}
    for e, where in placed:
        for n in where:
            store[IDS[n]].append((timeline_key(IDS[n], e.timestamp_ms, e.message_id), e))
    for rows in store.values():
        rows.sort(key=lambda r: r[0])
    return store


def scan(
    store: Store, after: Cursor | None, filters: TimelineFilter | None
) -> list[Iterator[tuple[bytes, TimelineEntry]]]:
    """Per identifier, a scan from its start key, as a RocksDB iterator would."""
    iterators = []
    for identifier, rows in store.items():
        to_ms = None if filters is None else filters.to_ms
        start = timeline_start_key(identifier, after, to_ms)
        at = bisect.bisect_left([k for k, _ in rows], start)
        iterators.append(iter(rows[at:]))
    return iterators


def walk(store: Store, first: int, filters: TimelineFilter | None = None) -> list[Page[TimelineEntry]]:
    pages, after = [], None
    while True:
        page = merge_pages(scan(store, after, filters), first, after, filters)
        pages.append(page)
        if not page.has_next_page:
            return pages
        assert page.end_cursor is not None
        after = decode_cursor(page.end_cursor)


def newest_first(entries: list[TimelineEntry]) -> list[str]:
    return [e.message_id for e in sorted(entries, key=lambda e: (-e.timestamp_ms, e.message_id))]


placements = st.lists(
    st.tuples(st.integers(0, 20), st.frozensets(st.integers(0, len(IDS) - 1), min_size=1)),
    max_size=30,
).map(lambda rows: [(entry(f"m{n:02}", ts), where) for n, (ts, where) in enumerate(rows)])


@settings(max_examples=200)
@given(placements, st.integers(1, 7))
def test_walking_pages_visits_every_entry_once_newest_first(
    placed: list[tuple[TimelineEntry, frozenset[int]]], first: int
) -> None:
    pages = walk(store_of(placed), first)
    seen = [edge.node.message_id for page in pages for edge in page.edges]
    assert seen == newest_first([e for e, _ in placed])
    assert all(len(p.edges) == first for p in pages[:-1])


@given(placements, st.integers(1, 7))
def test_a_split_among_identifiers_pages_like_one_sorted_list(
    placed: list[tuple[TimelineEntry, frozenset[int]]], first: int
) -> None:
    split = walk(store_of(placed), first)
    single = walk(store_of([(e, frozenset({0})) for e, _ in placed]), first)
    assert [[(x.message_id, x.cursor) for x in p.edges] for p in split] == [
        [(x.message_id, x.cursor) for x in p.edges] for p in single
    ]


@given(placements, st.integers(1, 5), st.integers(0, 20), st.integers(0, 21))
def test_time_filters_page_the_range(
    placed: list[tuple[TimelineEntry, frozenset[int]]], first: int, from_ms: int, to_ms: int
) -> None:
    filters = TimelineFilter(from_ms=from_ms, to_ms=to_ms)
    seen = [x.message_id for p in walk(store_of(placed), first, filters) for x in p.edges]
    assert seen == newest_first([e for e, _ in placed if from_ms <= e.timestamp_ms < to_ms])


def test_name_and_type_filters() -> None:
    entries = [
        entry("m1", 1, EventType.TRACK, "Signed Up"),
        entry("m2", 2, EventType.TRACK, "Clicked"),
        entry("m3", 3, EventType.PAGE, "Home"),
        entry("m4", 4, EventType.IDENTIFY, None),
    ]
    store = store_of([(e, frozenset({n % 3})) for n, e in enumerate(entries)])

    def ids(filters: TimelineFilter) -> list[str]:
        return [x.message_id for p in walk(store, 2, filters) for x in p.edges]

    assert ids(TimelineFilter(events=frozenset({"Signed Up", "Home"}))) == ["m3", "m1"]
    assert ids(TimelineFilter(types=frozenset({EventType.IDENTIFY, EventType.PAGE}))) == ["m4", "m3"]
    assert ids(TimelineFilter(events=frozenset({"Home"}), types=frozenset({EventType.TRACK}))) == []


def test_an_event_stored_under_two_identifiers_is_shown_once_and_edges_name_where_it_was() -> None:
    store = store_of([(entry("m1", 5), frozenset({0, 1})), (entry("m2", 4), frozenset({2}))])
    page = merge_pages(scan(store, None, None), 10)
    assert [(x.message_id, x.identifier) for x in page.edges] == [("m1", IDS[0]), ("m2", IDS[2])]
    assert not page.has_next_page and page.end_cursor == page.edges[-1].cursor


def test_an_empty_page() -> None:
    page: Page[TimelineEntry] = merge_pages([], 50)
    assert page.edges == () and not page.has_next_page and page.end_cursor is None
    assert merge_pages(scan(store_of([(entry("m1", 1), frozenset({0}))]), None, None), 0).has_next_page


@given(st.integers(-(2**62), 2**62), st.text(st.characters(codec="utf-8"), max_size=20))
def test_cursors_round_trip(ts: int, mid: str) -> None:
    text = encode_cursor(Cursor(ts, mid))
    assert decode_cursor(text) == Cursor(ts, mid)
    assert text.isascii() and "=" not in text and "/" not in text and "+" not in text


@pytest.mark.parametrize(
    "text",
    ["", "!!!", "not a cursor", "AAAA", "é", encode_cursor(Cursor(1, "m"))[:-1] + "*", "x" * 5000,
     "Ag" + encode_cursor(Cursor(1, "m"))[2:]],
)
def test_garbage_cursors_are_errors_with_fields(text: str) -> None:
    with pytest.raises(InvalidCursorError) as info:
        decode_cursor(text)
    assert info.value.cursor == text and info.value.detail


@given(st.text(max_size=30))
def test_decode_cursor_never_raises_anything_but_invalid_cursor(text: str) -> None:
    try:
        decode_cursor(text)
    except InvalidCursorError:
        pass


@pytest.mark.parametrize("first", [-1, MAX_PAGE + 1, 10_000])
def test_page_size_is_capped(first: int) -> None:
    with pytest.raises(PageSizeError) as info:
        check_page_size(first)
    assert (info.value.first, info.value.limit) == (first, MAX_PAGE)
    with pytest.raises(PageSizeError):
        merge_pages([], first)
    check_page_size(MAX_PAGE)
