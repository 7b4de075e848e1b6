"""parse_batch, parse_body, check_request_size and write_key_of."""

from collections.abc import Callable
from typing import Any

import pytest

from schemas import (
    Event,
    EventType,
    InvalidEventError,
    Limits,
    PayloadTooLargeError,
    check_request_size,
    parse_batch,
    parse_body,
    write_key_of,
)

NINE_AM = 1_795_424_400_000  # 2026-11-23T09:00:00Z
RECEIVED = NINE_AM + 60_000

TRACK = {"type": "track", "userId": "u-1", "event": "Signed Up"}
IDENTIFY = {"type": "identify", "anonymousId": "a-1", "traits": {"plan": "pro"}}


def batch(body: Any, new_id: Callable[[], str] = lambda: "generated", **kw: Any) -> list[Event]:
    kw.setdefault("limits", Limits())
    return parse_batch(body, source="server", received_at_ms=RECEIVED, new_id=new_id, **kw)


def invalid(body: Any) -> InvalidEventError:
    with pytest.raises(InvalidEventError) as info:
        batch(body)
    return info.value


def test_items_in_order(new_id: Callable[[], str]) -> None:
    events = batch({"batch": [TRACK, IDENTIFY, TRACK]}, new_id)
    assert [e.type for e in events] == [EventType.TRACK, EventType.IDENTIFY, EventType.TRACK]
    assert [e.message_id for e in events] == ["id-1", "id-2", "id-3"]
    assert all(e.source == "server" and e.received_at_ms == RECEIVED for e in events)


def test_empty_batch() -> None:
    assert batch({"batch": []}) == []


@pytest.mark.parametrize("items", [..., None, {}, "[]", 3])
def test_batch_must_be_a_list(items: Any) -> None:
    error = invalid({} if items is ... else {"batch": items})
    assert (error.index, error.path) == (None, "batch")


def test_body_must_be_an_object() -> None:
    error = invalid([TRACK])
    assert (error.index, error.path) == (None, "body")


@pytest.mark.parametrize("item", [[], "track", None, 1])
def test_items_must_be_objects(item: Any) -> None:
    error = invalid({"batch": [TRACK, item]})
    assert (error.index, error.path) == (1, "")
    assert str(error) == "batch[1]: expected a JSON object"


def test_first_bad_item_rejects_the_request() -> None:
    body = {
        "batch": [
            TRACK,
            TRACK,
            {**TRACK, "timestamp": "soon"},
            {**TRACK, "userId": None},
        ]
    }
    error = invalid(body)
    assert (error.index, error.path) == (2, "timestamp")
    assert str(error) == "batch[2].timestamp: not an RFC 3339 date-time"


@pytest.mark.parametrize("item", [{**TRACK, "type": "click"}, {"userId": "u", "event": "e"}])
def test_items_need_a_known_type(item: dict[str, Any]) -> None:
    error = invalid({"batch": [item]})
    assert (error.index, error.path) == (0, "type")


def test_alias_in_a_batch() -> None:
    [event] = batch({"batch": [{"type": "alias", "previousId": "a", "userId": "u"}]})
    assert (event.type, event.previous_id, event.user_id) == (EventType.ALIAS, "a", "u")


def test_batch_sent_at_applies_to_items_without_one() -> None:
    item = {**TRACK, "timestamp": "2026-11-23T09:00:00Z"}
    own = {**item, "sentAt": "2026-11-23T09:00:01Z"}
    events = batch({"batch": [item, own], "sentAt": "2026-11-23T09:00:05Z"})
    assert [e.sent_at_ms for e in events] == [NINE_AM + 5_000, NINE_AM + 1_000]
    assert [e.timestamp_ms for e in events] == [RECEIVED - 5_000, RECEIVED - 1_000]


@pytest.mark.parametrize("sent_at", ["", "now", 5, {}])
def test_batch_sent_at_must_be_a_date_time(sent_at: Any) -> None:
    error = invalid({"batch": [TRACK], "sentAt": sent_at})
    assert (error.index, error.path) == (None, "sentAt")


def test_batch_context_and_integrations_merge_under_items() -> None:
    body = {
        "batch": [{**TRACK, "context": {"ip": "10.0.0.1"}}, TRACK],
        "context": {"ip": "1.2.3.4", "device": {"type": "phone"}},
        "integrations": {"All": False},
    }
    first, second = batch(body)
    assert first.context == {"ip": "10.0.0.1", "device": {"type": "phone"}}
    assert second.context == {"ip": "1.2.3.4", "device": {"type": "phone"}}
    assert first.integrations == second.integrations == {"All": False}


@pytest.mark.parametrize("field", ["context", "integrations"])
def test_batch_context_and_integrations_must_be_objects(field: str) -> None:
    error = invalid({"batch": [TRACK], field: [1]})
    assert (error.index, error.path) == (None, field)


def test_item_over_event_limit() -> None:
    big = {**TRACK, "properties": {"blob": "x" * 200}}
    with pytest.raises(PayloadTooLargeError) as info:
        batch({"batch": [TRACK, big]}, limits=Limits(max_event_bytes=200))
    assert (info.value.index, info.value.limit) == (1, 200)


def test_item_size_includes_batch_context() -> None:
    """Merged into every call, the batch's context counts in each call's size."""
    item_size = len(b'{"type":"track","userId":"u-1","event":"Signed Up"}')
    shared_size = len(b'{"context":{"blob":"' + b"x" * 500 + b'"},"integrations":{}}')
    body = {"batch": [TRACK], "context": {"blob": "x" * 500}}
    [event] = batch(body, limits=Limits(max_event_bytes=item_size + shared_size))
    assert event.context == {"blob": "x" * 500}
    with pytest.raises(PayloadTooLargeError) as info:
        batch(body, limits=Limits(max_event_bytes=item_size + shared_size - 1))
    assert (info.value.index, info.value.size) == (0, item_size + shared_size)


# --- the request body -------------------------------------------------------


def test_parse_body() -> None:
    assert parse_body(b'{"batch": [], "writeKey": "wk"}') == {"batch": [], "writeKey": "wk"}


@pytest.mark.parametrize("raw", [b"", b"{", b"{'a': 1}", b"\xff", b"NaN"])
def test_parse_body_invalid_json(raw: bytes) -> None:
    with pytest.raises(InvalidEventError) as info:
        parse_body(raw)
    assert (info.value.index, info.value.path) == (None, "body")
    assert info.value.reason.startswith("invalid JSON: ")


@pytest.mark.parametrize("raw", [b"[]", b"1", b'"x"', b"null", b"true"])
def test_parse_body_not_an_object(raw: bytes) -> None:
    with pytest.raises(InvalidEventError) as info:
        parse_body(raw)
    assert (info.value.index, info.value.path, info.value.reason) == (
        None,
        "body",
        "expected a JSON object",
    )


def test_check_request_size() -> None:
    limits = Limits()
    check_request_size(500 * 1024, limits)
    with pytest.raises(PayloadTooLargeError) as info:
        check_request_size(500 * 1024 + 1, limits)
    assert (info.value.index, info.value.size, info.value.limit) == (
        None,
        500 * 1024 + 1,
        500 * 1024,
    )


def test_limits_defaults() -> None:
    assert Limits() == Limits(max_event_bytes=32_768, max_request_bytes=512_000)


@pytest.mark.parametrize(
    ("body", "key"),
    [
        ({"writeKey": "wk"}, "wk"),
        ({"writeKey": ""}, None),
        ({"writeKey": None}, None),
        ({"writeKey": 1}, None),
        ({}, None),
    ],
)
def test_write_key_of(body: dict[str, Any], key: str | None) -> None:
    assert write_key_of(body) == key
