"""Properties of parse_call over arbitrary input, and clock-skew correction."""

from typing import Any

import orjson
from hypothesis import given
from hypothesis import strategies as st

from schemas import (
    Event,
    EventType,
    InvalidEventError,
    PayloadTooLargeError,
    SchemaError,
    decode_event,
    encode_event,
    format_rfc3339_ms,
    parse_call,
)
from schemas.timestamps import MAX_MS, MIN_MS

NINE_AM = 1_795_424_400_000  # 2026-11-23T09:00:00Z
HOUR = 3_600_000

# Anything a Python caller might hand over: unbounded ints and non-finite floats
# included, which JSON cannot carry.
any_scalars = st.none() | st.booleans() | st.integers() | st.floats() | st.text()
any_values = st.recursive(
    any_scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=15,
)

# What an HTTP body can hold after orjson.loads.
json_scalars = (
    st.none()
    | st.booleans()
    | st.integers(-(2**63), 2**64 - 1)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text()
)
json_values = st.recursive(
    json_scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=15,
)

call_types = st.none() | st.sampled_from(EventType)
date_times = st.integers(MIN_MS, MAX_MS).map(format_rfc3339_ms)


FIELDS = [
    "type",
    "userId",
    "anonymousId",
    "previousId",
    "groupId",
    "event",
    "name",
    "messageId",
    "timestamp",
    "sentAt",
    "originalTimestamp",
    "properties",
    "traits",
    "context",
    "integrations",
]


def near_valid(values: st.SearchStrategy[Any]) -> st.SearchStrategy[dict[str, Any]]:
    """A valid call of a random type, with up to two fields replaced by anything.

    Fully random dicts almost never get past the first check; these reach every
    rule, and most of them parse.
    """
    ids = st.text(min_size=1, max_size=5) | st.integers(0, 10**6)
    recent = st.integers(0, 4_102_444_800_000).map(format_rfc3339_ms)  # 1970-2100
    objects = st.dictionaries(st.text(max_size=5), values, max_size=3)
    valid = st.fixed_dictionaries(
        {
            "type": st.sampled_from([t.value for t in EventType]),
            "userId": ids,
            "previousId": ids,
            "groupId": ids,
            "event": st.text(min_size=1, max_size=5),
        },
        optional={
            "anonymousId": ids,
            "name": st.text(max_size=5),
            "messageId": st.text(max_size=5),
            "timestamp": recent,
            "sentAt": recent,
            "originalTimestamp": recent,
            "properties": objects,
            "traits": objects,
            "context": objects,
            "integrations": objects,
        },
    )
    anything = values | date_times | st.text(max_size=30)
    replaced = st.dictionaries(st.sampled_from(FIELDS), anything, max_size=2)
    extra = st.dictionaries(st.text(), values, max_size=2)
    return st.tuples(extra, valid, replaced).map(lambda t: {**t[0], **t[1], **t[2]})


def parse(body: Any, call_type: EventType | None, index: int | None) -> Event | None:
    try:
        return parse_call(
            body,
            call_type,
            source="fuzz",
            received_at_ms=NINE_AM,
            new_id=lambda: "generated",
            index=index,
            sent_at_ms=None,
        )
    except SchemaError as e:
        assert isinstance(e, (InvalidEventError, PayloadTooLargeError))
        assert e.index == index
        e.to_dict()
        return None


@given(
    st.dictionaries(st.text(), any_values) | near_valid(any_values) | any_values,
    call_types,
    st.none() | st.integers(0, 2_500),
)
def test_only_schema_errors_escape(body: Any, call_type: EventType | None, index: int | None) -> None:
    parse(body, call_type, index)


@given(near_valid(json_values), call_types)
def test_parsed_events_encode_and_round_trip(body: dict[str, Any], call_type: EventType | None) -> None:
    body = orjson.loads(orjson.dumps(body))  # as the HTTP edge would hand it over
    event = parse(body, call_type, None)
    if event is not None:
        assert decode_event(encode_event(event)) == event


def test_client_clock_one_hour_ahead() -> None:
    # The call happened at 09:00:00 and was sent two seconds later, at 09:00:02
    # real time; the device's clock reads an hour ahead. The server received it
    # at 09:00:02.250 (250 ms in transit).
    received = NINE_AM + 2_250
    event = parse_call(
        {
            "userId": "u-1",
            "event": "Signed Up",
            "timestamp": format_rfc3339_ms(NINE_AM + HOUR),
            "sentAt": format_rfc3339_ms(NINE_AM + 2_000 + HOUR),
        },
        EventType.TRACK,
        source="ios",
        received_at_ms=received,
        new_id=lambda: "m",
    )
    assert event.timestamp_ms == NINE_AM + 250  # off by the transit time only
    assert event.original_timestamp_ms == NINE_AM + HOUR
    assert event.sent_at_ms == NINE_AM + 2_000 + HOUR
    assert event.received_at_ms == received


@given(
    real_ms=st.integers(0, 4_102_444_800_000),
    skew_ms=st.integers(-48 * HOUR, 48 * HOUR),
    queued_ms=st.integers(0, 7 * 24 * HOUR),
    transit_ms=st.integers(0, 60_000),
)
def test_skew_cancels_out(real_ms: int, skew_ms: int, queued_ms: int, transit_ms: int) -> None:
    """Whatever the device clock's error, the event lands at real time + transit."""
    body = {
        "anonymousId": "a",
        "timestamp": format_rfc3339_ms(real_ms + skew_ms),
        "sentAt": format_rfc3339_ms(real_ms + queued_ms + skew_ms),
    }
    event = parse_call(
        body,
        EventType.PAGE,
        source="web",
        received_at_ms=real_ms + queued_ms + transit_ms,
        new_id=lambda: "m",
    )
    assert event.timestamp_ms == real_ms + transit_ms
