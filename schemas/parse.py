"""The Segment HTTP tracking API: request bodies to validated events.

Follows https://segment.com/docs/connections/sources/catalog/libraries/server/http-api/
closely enough that the real SDKs (analytics-python, analytics.js, RudderStack's)
work unchanged: `null` reads as absent, numeric ids become strings, unknown
top-level fields are ignored, and RudderStack's `originalTimestamp` is read when
there is no `timestamp`.

The HTTP edge owns transport concerns (gzip, the request-size check via
`check_request_size`, the write key's meaning); this module owns the payload.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import orjson

from schemas.errors import InvalidEventError, PayloadTooLargeError
from schemas.event import Event, EventType
from schemas.fields import (
    load_object,
    quote,
    read_id,
    read_object,
    read_string,
    read_time,
)
from schemas.timestamps import MAX_MS, MIN_MS

# Values JSON cannot carry fail the size measurement instead of being coerced:
# a datetime or a dataclass in a payload is a caller's bug, not an event.
_JSON_ONLY = orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS


@dataclass(frozen=True, slots=True)
class Limits:
    """Size limits in bytes, as Segment's API sets them."""

    max_event_bytes: int = 32 * 1024
    max_request_bytes: int = 500 * 1024


def check_request_size(size: int, limits: Limits) -> None:
    """Raise PayloadTooLargeError(None, size, limit) if a request body is over the limit."""
    if size > limits.max_request_bytes:
        raise PayloadTooLargeError(None, size, limits.max_request_bytes)


def parse_body(raw: bytes) -> dict[str, Any]:
    """Decode a request body, which must be a JSON object (errors name `body`)."""
    return load_object(raw)


def write_key_of(body: Mapping[str, Any]) -> str | None:
    """The body's `writeKey`, if it is a non-empty string."""
    key = body.get("writeKey")
    return key if isinstance(key, str) and key else None


@dataclass(frozen=True, slots=True)
class _Request:
    """What every call in one request shares."""

    source: str
    received_at_ms: int
    new_id: Callable[[], str]
    sent_at_ms: int | None
    limits: Limits
    # A batch's own `context` and `integrations`, merged under each item's.
    context: Mapping[str, Any]
    integrations: Mapping[str, Any]
    # What those add to each call's size: merged into every call, they count in each.
    shared_bytes: int = 0
    # The body is what orjson decoded, so every value in it is JSON (see `_json_size`).
    from_json: bool = False


def parse_call(
    body: Mapping[str, Any],
    call_type: EventType | None,
    *,
    source: str,
    received_at_ms: int,
    new_id: Callable[[], str],
    index: int | None = None,
    sent_at_ms: int | None = None,
    limits: Limits = Limits(),
    from_json: bool = False,
) -> Event:
    """Validate one call and normalise it into an Event.

    `call_type` is the endpoint's type (`/v1/track` -> TRACK); None takes the
    type from the body, as for batch items. `index` is the call's position in a
    batch and `sent_at_ms` the batch's `sentAt`, used when the call has none.
    `from_json` says `body` is what `parse_body` decoded, whose values are all
    JSON: only a Python caller's body needs proving so (a NaN, a datetime).
    Raises InvalidEventError naming the offending field, or PayloadTooLargeError
    when the call's own JSON is over `limits.max_event_bytes`; both carry `index`.
    """
    request = _Request(source, received_at_ms, new_id, sent_at_ms, limits, {}, {}, from_json=from_json)
    call, _ = _measured(body, index, request)
    return _parse(call, call_type, index, request)


def parse_batch(
    body: Mapping[str, Any],
    *,
    source: str,
    received_at_ms: int,
    new_id: Callable[[], str],
    limits: Limits = Limits(),
    from_json: bool = False,
) -> list[Event]:
    """Validate a `/v1/batch` body; all its calls, or an error naming the first bad one.

    The batch's `sentAt` applies to calls without their own, and its `context`
    and `integrations` are merged under each call's (the call's keys win), as
    Segment documents. Merged into every call, they count toward each call's size,
    and the calls as merged must fit `limits.max_request_bytes` together: a batch
    cannot multiply a small context into a large write. `from_json` is as for
    `parse_call`.
    """
    if not isinstance(body, Mapping):
        raise InvalidEventError(None, "body", "expected a JSON object")
    items = body.get("batch")
    if items is None:
        raise InvalidEventError(None, "batch", "required")
    if not isinstance(items, list):
        raise InvalidEventError(None, "batch", "expected a JSON array")
    context = read_object(body, "context", None)
    integrations = read_object(body, "integrations", None)
    shared = {"context": context, "integrations": integrations}
    request = _Request(
        source=source,
        received_at_ms=received_at_ms,
        new_id=new_id,
        sent_at_ms=read_time(body, "sentAt", None),
        limits=limits,
        context=context,
        integrations=integrations,
        # Measured as they sit in a call, one level down, so nesting counts alike.
        shared_bytes=_json_size(shared, None, from_json) if context or integrations else 0,
        from_json=from_json,
    )
    events: list[Event] = []
    total = 0
    for i, item in enumerate(items):
        call, size = _measured(item, i, request)
        total += size
        if total > limits.max_request_bytes:
            # The size so far: enough to refuse, without measuring the rest.
            raise PayloadTooLargeError(None, total, limits.max_request_bytes)
        events.append(_parse(call, None, i, request))
    return events


def _measured(body: Any, index: int | None, request: _Request) -> tuple[dict[str, Any], int]:
    """The call as a dict and its JSON size, with what the batch merges into it.

    Raises InvalidEventError if it is not an object of JSON values, and
    PayloadTooLargeError if it is over `max_event_bytes`.
    """
    if not isinstance(body, Mapping):
        raise InvalidEventError(index, "" if index is not None else "body", "expected a JSON object")
    body = body if isinstance(body, dict) else dict(body)
    size = _json_size(body, index, request.from_json) + request.shared_bytes
    if size > request.limits.max_event_bytes:
        raise PayloadTooLargeError(index, size, request.limits.max_event_bytes)
    return body, size


def _parse(
    body: dict[str, Any], call_type: EventType | None, index: int | None, request: _Request
) -> Event:
    """A measured call (see `_measured`) validated into an Event."""
    event_type = _read_type(body, call_type, index)

    user_id, anonymous_id, previous_id, group_id = _read_ids(body, event_type, index)
    name: str | None = None
    if event_type is EventType.TRACK:
        name = read_string(body, "event", index)
        if not name:
            raise InvalidEventError(index, "event", "a non-empty event name is required")
    elif event_type in (EventType.PAGE, EventType.SCREEN):
        name = read_string(body, "name", index)

    properties = read_object(body, "properties", index)
    traits = read_object(body, "traits", index)
    context = {**request.context, **read_object(body, "context", index)}
    integrations = {**request.integrations, **read_object(body, "integrations", index)}
    if event_type is EventType.IDENTIFY:
        # Some SDKs send identify traits in context.traits; the top level wins.
        context_traits = context.get("traits")
        if isinstance(context_traits, Mapping):
            traits = {**context_traits, **traits}

    message_id = read_string(body, "messageId", index) or request.new_id()

    # RudderStack's SDKs send the client time as originalTimestamp, Segment's as timestamp.
    client_ms = read_time(body, "timestamp", index)
    if client_ms is None:
        client_ms = read_time(body, "originalTimestamp", index)
    sent_ms = read_time(body, "sentAt", index)
    if sent_ms is None:
        sent_ms = request.sent_at_ms
    timestamp_ms = _corrected_time(client_ms, sent_ms, request.received_at_ms, index)

    return Event(
        type=event_type,
        message_id=message_id,
        source=request.source,
        user_id=user_id,
        anonymous_id=anonymous_id,
        event=name,
        timestamp_ms=timestamp_ms,
        received_at_ms=request.received_at_ms,
        sent_at_ms=sent_ms,
        original_timestamp_ms=client_ms,
        properties=properties,
        traits=traits,
        context=context,
        previous_id=previous_id,
        group_id=group_id,
        integrations=integrations,
    )


def _read_ids(
    body: dict[str, Any], event_type: EventType, index: int | None
) -> tuple[str | None, str | None, str | None, str | None]:
    """(userId, anonymousId, previousId, groupId), each required where the call needs it."""
    user_id = read_id(body, "userId", index)
    anonymous_id = read_id(body, "anonymousId", index)
    previous_id = read_id(body, "previousId", index)
    group_id = read_id(body, "groupId", index)
    if event_type is EventType.ALIAS:
        if previous_id is None:
            raise InvalidEventError(index, "previousId", "required for alias")
        if user_id is None:
            raise InvalidEventError(index, "userId", "required for alias")
    elif user_id is None and anonymous_id is None:
        raise InvalidEventError(index, "userId", "userId or anonymousId is required")
    if event_type is EventType.GROUP and group_id is None:
        raise InvalidEventError(index, "groupId", "required for group")
    return user_id, anonymous_id, previous_id, group_id


def _json_size(body: dict[str, Any], index: int | None, from_json: bool) -> int:
    """The size of `body`'s JSON; measuring it also proves every value in it is JSON.

    orjson's decoder makes nothing JSON cannot carry (it refuses NaN, Infinity and
    numbers past a double), so for a body it decoded (`from_json`) the walk for a
    non-finite float, a tenth of the edge's CPU per event, is skipped.
    """
    try:
        encoded = orjson.dumps(body, option=_JSON_ONLY)
    except orjson.JSONEncodeError as e:
        raise InvalidEventError(
            index, _unencodable_field(body), f"not representable as JSON: {e}"
        ) from e
    # orjson writes an infinite or NaN float as null. No JSON body holds one (the
    # decoder refuses them), but a Python caller's may: look only where a null is.
    if not from_json and b"null" in encoded and not _finite(body):
        field = next((k for k, v in body.items() if not _finite(v)), "")
        raise InvalidEventError(index, field, "not representable as JSON: a number that is not finite")
    return len(encoded)


def _finite(value: Any) -> bool:
    """Whether every float in `value` (a JSON-shaped value) is finite."""
    if isinstance(value, float):
        return math.isfinite(value)
    if isinstance(value, dict):
        return all(_finite(v) for v in value.values())
    if isinstance(value, list | tuple):
        return all(_finite(v) for v in value)
    return True


def _unencodable_field(body: dict[str, Any]) -> str:
    """The top-level field JSON cannot carry ('' if it is a key, not a value)."""
    for key, value in body.items():
        if not isinstance(key, str):
            return ""
        try:
            orjson.dumps(value, option=_JSON_ONLY)
        except orjson.JSONEncodeError:
            return key
    return ""


def _read_type(
    body: Mapping[str, Any], call_type: EventType | None, index: int | None
) -> EventType:
    raw = body.get("type")
    if call_type is not None:
        if raw is not None and raw != call_type.value:
            raise InvalidEventError(
                index, "type", f"expected {call_type.value!r} (the endpoint's type) or none"
            )
        return call_type
    if raw is None:
        raise InvalidEventError(index, "type", "required")
    if not isinstance(raw, str):
        raise InvalidEventError(index, "type", "expected a string")
    try:
        return EventType(raw)
    except ValueError:
        raise InvalidEventError(index, "type", f"unknown event type {quote(raw)}") from None


def _corrected_time(
    client_ms: int | None, sent_ms: int | None, received_ms: int, index: int | None
) -> int:
    """Segment's skew correction: receivedAt - (sentAt - timestamp).

    The client's clock error cancels out of (sentAt - timestamp), leaving the
    event's age when sent, which the server's clock then places in time.
    """
    if client_ms is None:
        return received_ms
    if sent_ms is None:
        return client_ms
    corrected = received_ms - (sent_ms - client_ms)
    if not MIN_MS <= corrected <= MAX_MS:
        raise InvalidEventError(
            index, "sentAt", "puts the skew-corrected time outside years 0001-9999"
        )
    return corrected
