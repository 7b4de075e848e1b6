"""Event: the wire form, its inverse, and the keys derived from an event."""

from dataclasses import replace
from typing import Any

import orjson
import pytest
from hypothesis import given
from hypothesis import strategies as st

from schemas import Event, EventType, InvalidEventError, decode_event, encode_event
from schemas.timestamps import MAX_MS, MIN_MS

NINE_AM = 1_795_424_400_000  # 2026-11-23T09:00:00Z

TRACK = Event(
    type=EventType.TRACK,
    message_id="m-1",
    source="web",
    user_id="u-1",
    anonymous_id="a-1",
    event="Order Completed",
    timestamp_ms=NINE_AM + 123,
    received_at_ms=NINE_AM + 5_000,
    sent_at_ms=NINE_AM + 1_000,
    original_timestamp_ms=NINE_AM,
    properties={"total": 12.5, "items": [{"sku": "a"}]},
    traits={},
    context={"library": {"name": "analytics-python", "version": "2.4.0"}},
    previous_id=None,
    group_id=None,
    integrations={"All": True},
)


def test_encode_track() -> None:
    assert orjson.loads(encode_event(TRACK)) == {
        "type": "track",
        "messageId": "m-1",
        "source": "web",
        "userId": "u-1",
        "anonymousId": "a-1",
        "event": "Order Completed",
        "timestamp": "2026-11-23T09:00:00.123Z",
        "receivedAt": "2026-11-23T09:00:05.000Z",
        "sentAt": "2026-11-23T09:00:01.000Z",
        "originalTimestamp": "2026-11-23T09:00:00.000Z",
        "properties": {"total": 12.5, "items": [{"sku": "a"}]},
        "context": {"library": {"name": "analytics-python", "version": "2.4.0"}},
        "integrations": {"All": True},
    }


def test_encode_keeps_segment_field_order() -> None:
    keys = list(orjson.loads(encode_event(TRACK)))
    assert keys[:6] == ["type", "messageId", "source", "userId", "anonymousId", "event"]


def test_encode_omits_none_and_empty_objects() -> None:
    alias = Event(
        type=EventType.ALIAS,
        message_id="m-2",
        source="server",
        user_id="u-1",
        anonymous_id=None,
        event=None,
        timestamp_ms=NINE_AM,
        received_at_ms=NINE_AM,
        sent_at_ms=None,
        original_timestamp_ms=None,
        properties={},
        traits={},
        context={},
        previous_id="a-1",
        group_id=None,
        integrations={},
    )
    assert orjson.loads(encode_event(alias)) == {
        "type": "alias",
        "messageId": "m-2",
        "source": "server",
        "userId": "u-1",
        "timestamp": "2026-11-23T09:00:00.000Z",
        "receivedAt": "2026-11-23T09:00:00.000Z",
        "previousId": "a-1",
    }


@pytest.mark.parametrize("event_type", [EventType.PAGE, EventType.SCREEN])
def test_encode_page_and_screen_name(event_type: EventType) -> None:
    wire = orjson.loads(encode_event(replace(TRACK, type=event_type, event="Home")))
    assert wire["name"] == "Home"
    assert "event" not in wire


def test_encode_rejects_unrepresentable_time() -> None:
    with pytest.raises(InvalidEventError) as info:
        encode_event(replace(TRACK, sent_at_ms=MAX_MS + 1))
    assert (info.value.index, info.value.path) == (None, "sentAt")


def test_encode_rejects_unrepresentable_payload() -> None:
    with pytest.raises(InvalidEventError) as info:
        encode_event(replace(TRACK, properties={"n": 2**70}))
    assert info.value.index is None


def test_identity_key() -> None:
    assert TRACK.identity_key == b"u-1"
    assert replace(TRACK, user_id=None).identity_key == b"a-1"
    assert replace(TRACK, user_id=None, anonymous_id="ünï").identity_key == "ünï".encode()
    alias = replace(TRACK, type=EventType.ALIAS, anonymous_id=None, previous_id="a-9")
    assert alias.identity_key == b"u-1"


def test_schema_event_name() -> None:
    assert TRACK.schema_event_name == "Order Completed"
    for other in set(EventType) - {EventType.TRACK}:
        assert replace(TRACK, type=other, event="Home").schema_event_name is None


def _wire(**changes: Any) -> bytes:
    body = orjson.loads(encode_event(TRACK))
    body.update(changes)
    return orjson.dumps({k: v for k, v in body.items() if v is not ...})


def test_decode_accepts_null_optional_fields() -> None:
    raw = _wire(userId=None, properties=None, sentAt=None)
    assert decode_event(raw) == replace(TRACK, user_id=None, properties={}, sent_at_ms=None)


@pytest.mark.parametrize(
    ("raw", "path"),
    [
        (b"{not json", "body"),
        (b"", "body"),
        (b"[1, 2]", "body"),
        (b'"track"', "body"),
        (_wire(type=...), "type"),
        (_wire(type="click"), "type"),
        (_wire(type=1), "type"),
        (_wire(messageId=...), "messageId"),
        (_wire(messageId=7), "messageId"),
        (_wire(source=...), "source"),
        (_wire(userId=42), "userId"),
        (_wire(anonymousId=[]), "anonymousId"),
        (_wire(event={}), "event"),
        (_wire(timestamp=...), "timestamp"),
        (_wire(timestamp="yesterday"), "timestamp"),
        (_wire(timestamp=1795424400000), "timestamp"),
        (_wire(receivedAt=...), "receivedAt"),
        (_wire(sentAt="2026-11-23"), "sentAt"),
        (_wire(originalTimestamp=True), "originalTimestamp"),
        (_wire(properties=[1]), "properties"),
        (_wire(traits="x"), "traits"),
        (_wire(context=1), "context"),
        (_wire(integrations=False), "integrations"),
        (_wire(previousId=1.5), "previousId"),
        (_wire(groupId={}), "groupId"),
    ],
)
def test_decode_rejects(raw: bytes, path: str) -> None:
    with pytest.raises(InvalidEventError) as info:
        decode_event(raw)
    assert (info.value.index, info.value.path) == (None, path)


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
    max_leaves=20,
)
json_objects = st.dictionaries(st.text(), json_values, max_size=5)
times = st.integers(MIN_MS, MAX_MS)

events = st.builds(
    Event,
    type=st.sampled_from(EventType),
    message_id=st.text(),
    source=st.text(),
    user_id=st.none() | st.text(),
    anonymous_id=st.none() | st.text(),
    event=st.none() | st.text(),
    timestamp_ms=times,
    received_at_ms=times,
    sent_at_ms=st.none() | times,
    original_timestamp_ms=st.none() | times,
    properties=json_objects,
    traits=json_objects,
    context=json_objects,
    previous_id=st.none() | st.text(),
    group_id=st.none() | st.text(),
    integrations=json_objects,
)


@given(events)
def test_round_trip(event: Event) -> None:
    assert decode_event(encode_event(event)) == event
