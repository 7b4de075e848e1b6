"""schemas.log: the events log's records, a partition's events of one request each."""

from __future__ import annotations

import orjson
import pytest
from hypothesis import given
from hypothesis import strategies as st

from schemas import Event, EventType, InvalidEventError, encode_event
from schemas.log import decode_events, event_records, record_items


def _event(n: int, size: int = 0) -> Event:
    return Event(
        type=EventType.TRACK,
        message_id=f"m{n}",
        source="web",
        user_id="u1",
        anonymous_id=None,
        event="Clicked",
        timestamp_ms=1_700_000_000_000 + n,
        received_at_ms=1_700_000_000_000 + n,
        sent_at_ms=None,
        original_timestamp_ms=None,
        properties={"pad": "x" * size},
        traits={},
        context={},
        previous_id=None,
        group_id=None,
        integrations={},
    )


@given(st.lists(st.integers(0, 300), max_size=30), st.integers(200, 2_000))
def test_records_hold_every_event_in_order_and_stay_under_the_limit(sizes: list[int], limit: int) -> None:
    events = [_event(n, size) for n, size in enumerate(sizes)]
    encoded = [encode_event(e) for e in events]
    records = event_records(encoded, limit)
    assert [e for record in records for e in decode_events(record)] == events
    for record in records:
        # Only an event too large for any record is a record alone, past the limit.
        assert len(record) <= limit or len(record_items(record)) == 1
    assert (records == []) == (events == [])


def test_a_bad_event_is_set_aside_with_its_index_and_its_neighbours_read() -> None:
    good = [encode_event(_event(n)) for n in range(2)]
    [record] = event_records([good[0], b'{"type": "track"}', b"[1]", good[1]])
    decoded = decode_events(record)
    assert [e.message_id for e in decoded if isinstance(e, Event)] == ["m0", "m1"]
    errors = [e for e in decoded if isinstance(e, InvalidEventError)]
    assert [(e.index, e.path) for e in errors] == [(1, "messageId"), (2, "")]


@pytest.mark.parametrize("value", [b"\xff", b"[]", b'{"batch": []}', b'{"events": {}}'])
def test_a_value_that_is_no_record_is_refused_naming_events(value: bytes) -> None:
    with pytest.raises(ValueError, match="events"):
        record_items(value)


def test_the_wire_form_is_framed_lengths_and_bytes() -> None:
    events = [encode_event(_event(0)), b"\x01binary"]
    [record] = event_records(events)
    assert record == b"\x01" + b"".join(len(e).to_bytes(4, "big") + e for e in events)
    assert record_items(record) == events


def test_a_record_of_a_log_written_as_json_still_reads() -> None:
    event = encode_event(_event(0))
    assert decode_events(b'{"events":[' + event + b"]}") == [_event(0)]


@pytest.mark.parametrize(
    ("value", "names"),
    [
        (b"\x01", "of no events"),
        (b"\x01\x00\x00", "inside the length of event 0"),
        (b"\x01\x00\x00\x00\x02a\x00\x00\x00\x09abc", "event 1 of a framed record is cut short"),
    ],
)
def test_a_framed_record_cut_short_is_refused_naming_where(value: bytes, names: str) -> None:
    with pytest.raises(ValueError, match=names):
        record_items(value)
