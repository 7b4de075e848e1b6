"""parse_call: one Segment call, every rule of the envelope."""

from collections.abc import Mapping
from datetime import datetime, timezone
from typing import Any

import orjson
import pytest

from schemas import (
    Event,
    EventType,
    InvalidEventError,
    Limits,
    PayloadTooLargeError,
    parse_call,
)

NINE_AM = 1_795_424_400_000  # 2026-11-23T09:00:00Z
RECEIVED = NINE_AM + 60_000
INDEXES = pytest.mark.parametrize("index", [None, 4])

# The smallest valid body of each type.
MINIMAL: dict[EventType, dict[str, Any]] = {
    EventType.TRACK: {"userId": "u-1", "event": "Signed Up"},
    EventType.IDENTIFY: {"userId": "u-1"},
    EventType.PAGE: {"anonymousId": "a-1"},
    EventType.SCREEN: {"anonymousId": "a-1"},
    EventType.GROUP: {"userId": "u-1", "groupId": "g-1"},
    EventType.ALIAS: {"previousId": "a-1", "userId": "u-1"},
}


def call(
    body: Mapping[str, Any], call_type: EventType | None = EventType.TRACK, **kw: Any
) -> Event:
    kw.setdefault("source", "web")
    kw.setdefault("received_at_ms", RECEIVED)
    kw.setdefault("new_id", lambda: "generated")
    return parse_call(body, call_type, **kw)


def invalid(
    body: Mapping[str, Any],
    call_type: EventType | None = EventType.TRACK,
    *,
    index: int | None = None,
    **kw: Any,
) -> InvalidEventError:
    with pytest.raises(InvalidEventError) as info:
        call(body, call_type, index=index, **kw)
    assert info.value.index == index
    return info.value


def track(**fields: Any) -> dict[str, Any]:
    return {**MINIMAL[EventType.TRACK], **fields}


# --- the type -------------------------------------------------------------


@pytest.mark.parametrize("event_type", list(EventType))
def test_minimal_call_of_each_type(event_type: EventType) -> None:
    event = call(MINIMAL[event_type], event_type)
    assert event.type is event_type
    assert event.source == "web"
    assert event.message_id == "generated"
    assert event.timestamp_ms == event.received_at_ms == RECEIVED
    assert event.sent_at_ms is None and event.original_timestamp_ms is None


@pytest.mark.parametrize("event_type", list(EventType))
def test_batch_item_takes_type_from_body(event_type: EventType) -> None:
    assert call({**MINIMAL[event_type], "type": event_type.value}, None).type is event_type


def test_body_type_may_repeat_the_endpoint() -> None:
    assert call(track(type="track")).type is EventType.TRACK
    assert call(track(type=None)).type is EventType.TRACK


@INDEXES
@pytest.mark.parametrize("body_type", ["identify", "Track", 1, {}])
def test_body_type_must_match_endpoint(index: int | None, body_type: Any) -> None:
    assert invalid(track(type=body_type), index=index).path == "type"


@INDEXES
@pytest.mark.parametrize("body_type", [..., None, "", "click", "TRACK", 3, ["track"]])
def test_batch_item_type_required_and_known(index: int | None, body_type: Any) -> None:
    body = track() if body_type is ... else track(type=body_type)
    assert invalid(body, None, index=index).path == "type"


# --- identity -------------------------------------------------------------


def test_user_id_or_anonymous_id() -> None:
    assert call({"userId": "u-1", "event": "e"}).user_id == "u-1"
    event = call({"anonymousId": "a-1", "event": "e"})
    assert (event.user_id, event.anonymous_id) == (None, "a-1")


@INDEXES
@pytest.mark.parametrize(
    "ids",
    [{}, {"userId": None}, {"userId": "", "anonymousId": ""}, {"anonymousId": None}],
)
def test_identity_required(index: int | None, ids: dict[str, Any]) -> None:
    error = invalid({"event": "e", **ids}, index=index)
    assert error.path == "userId"


@pytest.mark.parametrize("event_type", [t for t in EventType if t is not EventType.ALIAS])
def test_identity_required_for_every_type_but_alias(event_type: EventType) -> None:
    body = {k: v for k, v in MINIMAL[event_type].items() if k not in ("userId", "anonymousId")}
    assert invalid(body, event_type).path == "userId"


def test_empty_user_id_counts_as_missing() -> None:
    assert call({"userId": "", "anonymousId": "a-1", "event": "e"}).user_id is None


@pytest.mark.parametrize(
    ("value", "expected"),
    [(42, "42"), (-7, "-7"), (42.0, "42"), (1.5, "1.5"), (2**63, "9223372036854775808")],
)
@pytest.mark.parametrize("field", ["userId", "anonymousId"])
def test_numeric_ids_become_strings(field: str, value: Any, expected: str) -> None:
    event = call({field: value, "event": "e"})
    assert (event.user_id if field == "userId" else event.anonymous_id) == expected


def test_numeric_alias_and_group_ids_become_strings() -> None:
    alias = call({"previousId": 1, "userId": 2}, EventType.ALIAS)
    assert (alias.previous_id, alias.user_id) == ("1", "2")
    assert call({"userId": "u", "groupId": 9}, EventType.GROUP).group_id == "9"


@INDEXES
@pytest.mark.parametrize("field", ["userId", "anonymousId", "previousId", "groupId"])
@pytest.mark.parametrize("value", [True, [], {}, float("nan"), float("inf")])
def test_ids_must_be_strings_or_numbers(index: int | None, field: str, value: Any) -> None:
    body = {"userId": "u-1", "event": "e", field: value}
    assert invalid(body, index=index).path == field


@INDEXES
def test_alias_requires_previous_id(index: int | None) -> None:
    error = invalid({"userId": "u-1", "previousId": ""}, EventType.ALIAS, index=index)
    assert error.path == "previousId"


@INDEXES
def test_alias_requires_user_id(index: int | None) -> None:
    body = {"previousId": "a-1", "anonymousId": "a-1"}
    assert invalid(body, EventType.ALIAS, index=index).path == "userId"


def test_alias_fields() -> None:
    event = call(MINIMAL[EventType.ALIAS], EventType.ALIAS)
    assert (event.previous_id, event.user_id, event.anonymous_id) == ("a-1", "u-1", None)
    assert event.identity_key == b"u-1"


@INDEXES
@pytest.mark.parametrize("group_id", [..., None, ""])
def test_group_requires_group_id(index: int | None, group_id: Any) -> None:
    body = {"userId": "u-1"} if group_id is ... else {"userId": "u-1", "groupId": group_id}
    assert invalid(body, EventType.GROUP, index=index).path == "groupId"


def test_group_fields() -> None:
    body = {"anonymousId": "a-1", "groupId": "g-1", "traits": {"plan": "pro"}}
    event = call(body, EventType.GROUP)
    assert (event.group_id, event.traits) == ("g-1", {"plan": "pro"})


# --- names ----------------------------------------------------------------


@INDEXES
@pytest.mark.parametrize("name", [..., None, "", 5, ["Signed Up"]])
def test_track_requires_event_name(index: int | None, name: Any) -> None:
    body = {"userId": "u-1"} if name is ... else {"userId": "u-1", "event": name}
    assert invalid(body, index=index).path == "event"


def test_track_event_name() -> None:
    event = call(track(event="Order Completed"))
    assert event.event == event.schema_event_name == "Order Completed"


@pytest.mark.parametrize("event_type", [EventType.PAGE, EventType.SCREEN])
def test_page_and_screen_name_optional(event_type: EventType) -> None:
    assert call({"userId": "u", "name": "Home"}, event_type).event == "Home"
    assert call({"userId": "u", "name": None}, event_type).event is None
    assert call({"userId": "u"}, event_type).event is None


@INDEXES
@pytest.mark.parametrize("event_type", [EventType.PAGE, EventType.SCREEN])
def test_page_and_screen_name_must_be_string(index: int | None, event_type: EventType) -> None:
    error = invalid({"userId": "u", "name": 3}, event_type, index=index)
    assert error.path == "name"


def test_other_types_have_no_event_name() -> None:
    assert call({"userId": "u", "event": "x", "name": "y"}, EventType.IDENTIFY).event is None


# --- objects --------------------------------------------------------------

OBJECTS = ["properties", "traits", "context", "integrations"]


@pytest.mark.parametrize("field", OBJECTS)
def test_objects_are_kept(field: str) -> None:
    event = call(track(**{field: {"a": {"b": [1, None]}}}))
    assert getattr(event, field) == {"a": {"b": [1, None]}}


@pytest.mark.parametrize("field", OBJECTS)
def test_null_objects_count_as_absent(field: str) -> None:
    assert getattr(call(track(**{field: None})), field) == {}


@INDEXES
@pytest.mark.parametrize("field", OBJECTS)
@pytest.mark.parametrize("value", [[], "x", 1, True])
def test_objects_must_be_objects(index: int | None, field: str, value: Any) -> None:
    assert invalid(track(**{field: value}), index=index).path == field


def test_identify_traits_from_context() -> None:
    context = {"traits": {"email": "old@example.com", "plan": "free"}, "ip": "1.2.3.4"}
    body = {"userId": "u", "traits": {"email": "new@example.com"}, "context": context}
    event = call(body, EventType.IDENTIFY)
    assert event.traits == {"email": "new@example.com", "plan": "free"}
    assert event.context == context
    only_context = call({"userId": "u", "context": context}, EventType.IDENTIFY)
    assert only_context.traits == context["traits"]


def test_context_traits_are_not_traits_of_a_track() -> None:
    event = call(track(context={"traits": {"email": "x@example.com"}}))
    assert event.traits == {}


# --- messageId ------------------------------------------------------------


def test_message_id_kept_or_generated() -> None:
    assert call(track(messageId="m-1")).message_id == "m-1"
    assert call(track(messageId=None)).message_id == "generated"
    assert call(track(messageId="")).message_id == "generated"
    assert call(track()).message_id == "generated"


@INDEXES
@pytest.mark.parametrize("value", [1, {}, ["m"], True])
def test_message_id_must_be_string(index: int | None, value: Any) -> None:
    assert invalid(track(messageId=value), index=index).path == "messageId"


# --- time -----------------------------------------------------------------

TIMES = ["timestamp", "sentAt", "originalTimestamp"]


@INDEXES
@pytest.mark.parametrize("field", TIMES)
@pytest.mark.parametrize(
    "value", ["", "yesterday", "2026-11-23", "2026-02-30T00:00:00Z", NINE_AM, {}, True]
)
def test_times_must_be_date_times(index: int | None, field: str, value: Any) -> None:
    error = invalid(track(**{field: value}), index=index)
    assert error.path == field
    assert error.reason == "not an RFC 3339 date-time"


@pytest.mark.parametrize(
    "text",
    [
        "2026-11-23T09:00:00Z",
        "2026-11-23T09:00:00.000Z",
        "2026-11-23T10:00:00+01:00",
        "2026-11-23T09:00:00.000000+00:00",
        "2026-11-23T09:00:00",
    ],
)
def test_timestamp_alone_is_used(text: str) -> None:
    event = call(track(timestamp=text))
    assert event.timestamp_ms == event.original_timestamp_ms == NINE_AM
    assert event.sent_at_ms is None


def test_no_timestamp_means_received_at() -> None:
    event = call(track(sentAt="2026-11-23T09:00:00Z"))
    assert event.timestamp_ms == RECEIVED
    assert event.sent_at_ms == NINE_AM
    assert event.original_timestamp_ms is None


def test_skew_correction_with_timestamp_and_sent_at() -> None:
    body = track(timestamp="2026-11-23T09:00:00Z", sentAt="2026-11-23T09:00:10Z")
    event = call(body)
    assert event.timestamp_ms == RECEIVED - 10_000
    assert event.original_timestamp_ms == NINE_AM
    assert event.sent_at_ms == NINE_AM + 10_000


def test_batch_sent_at_used_when_item_has_none() -> None:
    event = call(track(timestamp="2026-11-23T09:00:00Z"), sent_at_ms=NINE_AM + 2_000)
    assert event.timestamp_ms == RECEIVED - 2_000
    assert event.sent_at_ms == NINE_AM + 2_000


def test_item_sent_at_wins_over_batch_sent_at() -> None:
    body = track(timestamp="2026-11-23T09:00:00Z", sentAt="2026-11-23T09:00:01Z")
    event = call(body, sent_at_ms=NINE_AM + 2_000)
    assert event.timestamp_ms == RECEIVED - 1_000
    assert event.sent_at_ms == NINE_AM + 1_000


def test_original_timestamp_is_the_client_time_when_no_timestamp() -> None:
    # RudderStack's SDKs send originalTimestamp + sentAt instead of timestamp.
    body = track(originalTimestamp="2026-11-23T09:00:00Z", sentAt="2026-11-23T09:00:03Z")
    event = call(body)
    assert event.original_timestamp_ms == NINE_AM
    assert event.timestamp_ms == RECEIVED - 3_000


def test_timestamp_wins_over_original_timestamp() -> None:
    body = track(timestamp="2026-11-23T09:00:00Z", originalTimestamp="2020-01-01T00:00:00Z")
    assert call(body).original_timestamp_ms == NINE_AM


@INDEXES
def test_skew_correction_out_of_range(index: int | None) -> None:
    body = track(timestamp="0001-01-01T00:00:00Z", sentAt="9999-12-31T00:00:00Z")
    assert invalid(body, index=index).path == "sentAt"


# --- size and representability -------------------------------------------


@INDEXES
def test_event_over_size_limit(index: int | None) -> None:
    body = track(properties={"blob": "x" * 40_000})
    with pytest.raises(PayloadTooLargeError) as info:
        call(body, index=index)
    assert info.value.index == index
    assert info.value.size == len(orjson.dumps(body))
    assert info.value.limit == 32 * 1024


def test_event_at_size_limit() -> None:
    body = track(properties={"blob": ""})
    size = len(orjson.dumps(body))
    assert call(body, limits=Limits(max_event_bytes=size)).properties == {"blob": ""}
    with pytest.raises(PayloadTooLargeError):
        call(body, limits=Limits(max_event_bytes=size - 1))


@INDEXES
@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("properties", {"n": 2**70}),
        ("context", {"when": datetime(2026, 1, 1, tzinfo=timezone.utc)}),
        ("traits", {"a": {1: "non-string key"}}),
        ("timestamp", datetime(2026, 1, 1, tzinfo=timezone.utc)),
    ],
)
def test_values_json_cannot_carry(index: int | None, field: str, value: Any) -> None:
    assert invalid(track(**{field: value}), index=index).path == field


@INDEXES
@pytest.mark.parametrize("body", [[], "track", None, 3])
def test_body_must_be_an_object(index: int | None, body: Any) -> None:
    error = invalid(body, index=index)
    assert error.path == ("body" if index is None else "")


def test_unknown_fields_ignored() -> None:
    body = track(writeKey="wk", _metadata={"bundled": []}, category=None, channel="web")
    assert call(body) == call(track())


def test_event_does_not_share_the_bodys_objects() -> None:
    body = track(properties={"a": 1})
    event = call(body)
    body["properties"]["b"] = 2
    assert event.properties == {"a": 1}
