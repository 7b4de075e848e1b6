"""Bodies exactly as the real Segment SDKs send them parse unchanged.

The analytics-python tests drive the library itself (segment-analytics-python
2.x) and capture the bytes it would POST to /v1/batch, so a change in the SDK's
wire shape shows up here.
"""

from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from segment.analytics import Client
from segment.analytics import request as segment_request

from schemas import (
    Event,
    EventType,
    parse_batch,
    parse_body,
    parse_call,
    parse_rfc3339_ms,
    write_key_of,
)

WHEN = datetime(2026, 11, 23, 9, 0, 0, 123000, tzinfo=timezone.utc)
WHEN_MS = 1_795_424_400_123


class _Sent:
    status_code = 200


@pytest.fixture
def captured(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """Every request analytics-python makes, instead of making it."""
    requests: list[dict[str, Any]] = []

    def post(url: str, **kwargs: Any) -> _Sent:
        requests.append({"url": url, **kwargs})
        return _Sent()

    monkeypatch.setattr(segment_request._session, "post", post)
    return requests


def sdk_batch(captured: list[dict[str, Any]], calls: Callable[[Client], None]) -> bytes:
    """Record `calls` with a real Client and upload them as its consumer thread does."""
    client = Client(write_key="wk-python", send=False)
    messages: list[dict[str, Any]] = []
    original = client._enqueue

    def enqueue(msg: dict[str, Any]) -> Any:
        result = original(msg)
        messages.append(result[1])
        return result

    client._enqueue = enqueue
    calls(client)
    client.consumers[0].request(messages)
    [sent] = captured
    assert sent["url"] == "https://api.segment.io/v1/batch"
    data = sent["data"]
    return data.encode() if isinstance(data, str) else bytes(data)


def parse_sdk_body(raw: bytes, new_id: Callable[[], str]) -> tuple[dict[str, Any], list[Event]]:
    body = parse_body(raw)
    sent_at = parse_rfc3339_ms(body["sentAt"])
    assert sent_at is not None
    events = parse_batch(body, source="python", received_at_ms=sent_at + 250, new_id=new_id)
    return body, events


def test_analytics_python_batch(
    captured: list[dict[str, Any]], new_id: Callable[[], str]
) -> None:
    def calls(client: Client) -> None:
        client.track("u-1", "Order Completed", {"total": 12.5}, timestamp=WHEN)
        client.track(anonymous_id="a-1", event="Viewed", integrations={"Mixpanel": False})
        client.identify(42, {"email": "a@example.com"}, context={"ip": "10.0.0.1"})
        client.page("u-1", "Docs", "Install", {"path": "/install"})
        client.screen(anonymous_id="a-1", name="Home")
        client.group("u-1", "g-1", {"plan": "pro"})
        client.alias("a-1", "u-1")

    body, events = parse_sdk_body(sdk_batch(captured, calls), new_id)
    assert write_key_of(body) == "wk-python"
    assert [e.type for e in events] == [
        EventType.TRACK,
        EventType.TRACK,
        EventType.IDENTIFY,
        EventType.PAGE,
        EventType.SCREEN,
        EventType.GROUP,
        EventType.ALIAS,
    ]
    # The SDK sets every messageId itself.
    assert [e.message_id for e in events] == [item["messageId"] for item in body["batch"]]
    for event in events:
        assert event.context["library"] == {"name": "analytics-python", "version": "2.4.0"}
        assert event.sent_at_ms == parse_rfc3339_ms(body["sentAt"])
        assert event.sent_at_ms is not None and event.original_timestamp_ms is not None
        # Skew correction against the batch's sentAt.
        assert event.timestamp_ms == event.received_at_ms - (
            event.sent_at_ms - event.original_timestamp_ms
        )

    order, viewed, identify, page, screen, group, alias = events
    assert (order.user_id, order.anonymous_id, order.event) == ("u-1", None, "Order Completed")
    assert order.properties == {"total": 12.5}
    assert order.original_timestamp_ms == WHEN_MS
    assert (viewed.user_id, viewed.anonymous_id) == (None, "a-1")
    assert viewed.integrations == {"Mixpanel": False}
    assert identify.user_id == "42"  # the SDK stringifies numeric ids
    assert identify.traits == {"email": "a@example.com"}
    assert identify.context["ip"] == "10.0.0.1"
    assert (page.event, page.properties) == ("Install", {"path": "/install"})
    assert (screen.event, screen.anonymous_id) == ("Home", "a-1")
    assert (group.group_id, group.traits) == ("g-1", {"plan": "pro"})
    assert (alias.previous_id, alias.user_id, alias.identity_key) == ("a-1", "u-1", b"u-1")


def test_analytics_python_naive_timestamp(
    captured: list[dict[str, Any]], new_id: Callable[[], str]
) -> None:
    # An old naive datetime is sent as UTC ("+00:00"); a recent one with the
    # machine's local offset. Either way it names the same instant.
    naive = datetime(2020, 1, 1, 12, 0, 0, 500000)
    recent = datetime.now(timezone.utc) - timedelta(seconds=1)

    def calls(client: Client) -> None:
        client.track("u-1", "Old", timestamp=naive)
        client.track("u-1", "Recent", timestamp=recent.astimezone().replace(tzinfo=None))

    _, (old, new) = parse_sdk_body(sdk_batch(captured, calls), new_id)
    assert old.original_timestamp_ms == 1_577_880_000_500  # 2020-01-01T12:00:00.500Z
    epoch = datetime(1970, 1, 1, tzinfo=timezone.utc)
    assert new.original_timestamp_ms == (recent - epoch) // timedelta(milliseconds=1)


# What analytics-python 2.x POSTs to /v1/batch, byte for byte in shape: nulls
# for absent ids, empty objects, `+00:00` offsets, a microsecond batch sentAt.
ANALYTICS_PYTHON_BODY = b"""{
  "batch": [
    {"integrations": {}, "anonymousId": null, "properties": {"plan": "pro"},
     "timestamp": "2026-11-23T09:00:00.123+00:00",
     "context": {"library": {"name": "analytics-python", "version": "2.4.0"}},
     "userId": "u-1", "type": "track", "event": "Signed Up",
     "messageId": "6d1b9f1e-3c1a-4b8e-9f2e-2b1f4c6a7d10"},
    {"integrations": {}, "anonymousId": "a-1", "properties": {},
     "timestamp": "2026-11-23T09:00:00.500+00:00", "category": null,
     "context": {"library": {"name": "analytics-python", "version": "2.4.0"}},
     "userId": null, "type": "page", "name": null,
     "messageId": "0c6f7a52-8e39-4f0e-b6d4-5f8a1d2e3c4b"}
  ],
  "sentAt": "2026-11-23T09:00:01.123456+00:00",
  "writeKey": "wk-python"
}"""


def test_analytics_python_body_shape(new_id: Callable[[], str]) -> None:
    body, (track, page) = parse_sdk_body(ANALYTICS_PYTHON_BODY, new_id)
    assert write_key_of(body) == "wk-python"
    received = WHEN_MS + 1_000 + 250
    assert track.timestamp_ms == received - 1_000
    assert (track.user_id, track.anonymous_id, track.integrations) == ("u-1", None, {})
    assert (page.user_id, page.anonymous_id, page.event) == (None, "a-1", None)
    assert page.message_id == "0c6f7a52-8e39-4f0e-b6d4-5f8a1d2e3c4b"


# A single analytics.js call to /v1/t: the write key, sentAt and _metadata ride
# along in the call itself, and userId is null until identify.
ANALYTICS_JS_TRACK: dict[str, Any] = {
    "timestamp": "2026-11-23T09:00:00.123Z",
    "integrations": {},
    "type": "track",
    "properties": {"plan": "pro"},
    "event": "Signed Up",
    "context": {
        "page": {"path": "/", "url": "https://example.com/", "title": "Example"},
        "userAgent": "Mozilla/5.0",
        "locale": "en-US",
        "library": {"name": "analytics.js", "version": "npm:next-1.70.0"},
    },
    "messageId": "ajs-next-1795424400123-2b1f4c6a",
    "anonymousId": "7f0e9a2c-1b3d-4e5f-8a9b-0c1d2e3f4a5b",
    "writeKey": "wk-js",
    "userId": None,
    "sentAt": "2026-11-23T09:00:00.200Z",
    "_metadata": {"bundled": ["Segment.io"], "unbundled": [], "bundledIds": []},
}


def test_analytics_js_track() -> None:
    assert write_key_of(ANALYTICS_JS_TRACK) == "wk-js"
    event = parse_call(
        ANALYTICS_JS_TRACK,
        EventType.TRACK,
        source="web",
        received_at_ms=WHEN_MS + 1_000,
        new_id=lambda: "unused",
    )
    assert event.message_id == "ajs-next-1795424400123-2b1f4c6a"
    assert (event.user_id, event.anonymous_id) == (None, ANALYTICS_JS_TRACK["anonymousId"])
    assert event.timestamp_ms == WHEN_MS + 1_000 - 77
    assert event.identity_key == ANALYTICS_JS_TRACK["anonymousId"].encode()
