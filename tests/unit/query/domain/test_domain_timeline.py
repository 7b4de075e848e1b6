"""query.domain.timeline: keys that sort newest first per identifier, and stored entries."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from schemas import encode_event
from query.domain.cursor import Cursor
from query.domain.errors import InvalidKeyError, RecordDecodeError
from query.domain.identity import ANONYMOUS_ID, USER_ID, Identifier
from query.domain.keys import decode_identifier, encode_identifier
from query.domain.timeline import (
    TimelineEntry,
    parse_timeline_key,
    timeline_key,
    timeline_prefix,
    timeline_start_key,
)
from schemas.event import EventType
from schemas.timestamps import MAX_MS, MIN_MS
from tests.unit.query.domain.builders import make_event

texts = st.text(st.characters(codec="utf-8"), max_size=8)
identifiers = st.builds(Identifier, st.sampled_from([USER_ID, ANONYMOUS_ID, "crm"]), texts)
times = st.integers(MIN_MS, MAX_MS)


@given(identifiers, times, texts)
def test_keys_round_trip(identifier: Identifier, ts: int, mid: str) -> None:
    key = timeline_key(identifier, ts, mid)
    assert parse_timeline_key(key) == (identifier, ts, mid)
    assert key.startswith(timeline_prefix(identifier))


@given(identifiers, st.lists(st.tuples(times, texts), min_size=2, max_size=20, unique=True))
def test_keys_of_one_identifier_sort_newest_first_then_by_message_id(
    identifier: Identifier, events: list[tuple[int, str]]
) -> None:
    by_key = sorted(events, key=lambda e: timeline_key(identifier, *e))
    assert by_key == sorted(events, key=lambda e: (-e[0], e[1]))


@given(identifiers, identifiers, times, texts)
def test_an_identifiers_range_holds_only_its_own_keys(a: Identifier, b: Identifier, ts: int, mid: str) -> None:
    if a != b:
        assert not timeline_key(b, ts, mid).startswith(timeline_prefix(a))
        assert not encode_identifier(a).startswith(encode_identifier(b))
    assert decode_identifier(encode_identifier(a)) == (a, len(encode_identifier(a)))


@given(identifiers, st.lists(st.tuples(times, texts), max_size=20, unique=True), times, texts, times)
def test_the_start_key_skips_exactly_what_the_cursor_and_upper_bound_exclude(
    identifier: Identifier, events: list[tuple[int, str]], cts: int, cmid: str, to_ms: int
) -> None:
    start = timeline_start_key(identifier, Cursor(cts, cmid), to_ms)
    kept = [e for e in events if timeline_key(identifier, *e) >= start]
    assert sorted(kept) == sorted(e for e in events if (-e[0], e[1]) > (-cts, cmid) and e[0] < to_ms)


@pytest.mark.parametrize(
    "key",
    [b"", b"\x00\x07user_id", b"\x00\x01k\x00\x01v\x00\x00", b"\x00\x01k\x00\x01v" + bytes(8) + b"\xff"],
)
def test_a_malformed_key_is_an_error(key: bytes) -> None:
    with pytest.raises(InvalidKeyError) as info:
        parse_timeline_key(key)
    assert info.value.key == key


def test_an_identifier_too_long_for_a_key_is_an_error() -> None:
    with pytest.raises(InvalidKeyError):
        timeline_prefix(Identifier(USER_ID, "x" * 70_000))


def test_an_entry_is_the_events_wire_form_and_reads_back() -> None:
    e = make_event(
        EventType.PAGE,
        message_id="m1",
        anonymous_id="a",
        event="Home",
        properties={"path": "/"},
        context={"ip": "1.2.3.4"},
    )
    entry = TimelineEntry.of(e)
    # What the fold stores is the event as the log holds it, read back as its entry.
    assert TimelineEntry.bytes_of(e) == encode_event(e)
    assert TimelineEntry.from_bytes(TimelineEntry.bytes_of(e)) == entry
    raw = entry.to_bytes()
    assert b'"traits"' not in raw  # empty objects are left out
    assert TimelineEntry.from_bytes(raw) == entry
    identify = make_event(EventType.IDENTIFY, user_id="u", traits={"plan": "pro"})
    bare = TimelineEntry.of(identify)
    assert TimelineEntry.from_bytes(bare.to_bytes()) == bare


@pytest.mark.parametrize(
    ("raw", "field"),
    [
        (b"{", "body"),
        (b"[]", "body"),
        (b'{"messageId":"x","type":"click","source":"w","timestamp":"2026-01-01T00:00:00Z","receivedAt":"2026-01-01T00:00:00Z"}', "type"),
        (b'{"messageId":"x","type":"page"}', "source"),
        (b'{"messageId":"x","type":"page","source":"w","timestamp":"yesterday","receivedAt":"2026-01-01T00:00:00Z"}', "timestamp"),
    ],
)
def test_a_bad_entry_names_its_field(raw: bytes, field: str) -> None:
    with pytest.raises(RecordDecodeError) as info:
        TimelineEntry.from_bytes(raw)
    assert info.value.field == field
