"""The ingestion parser under hostile input.

Whatever the bytes, parsing ends in events or in a schema error that names what was
wrong; every accepted event can be written to the log and read back; and the registry
reads every accepted name and value the same way every time.
"""

from __future__ import annotations

from typing import Any

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from registry import infer_columns
from registry.paths import split_escaped, unescape_key
from schemas import (
    Event,
    EventType,
    InvalidEventError,
    Limits,
    PayloadTooLargeError,
    SchemaError,
    check_request_size,
    decode_event,
    encode_event,
    parse_batch,
    parse_body,
    write_key_of,
)
from tests import hostile
from tests.hostile import BAD_TIMES, FRAGMENTS, bodies, names, splice, values

RECEIVED = 1_795_424_400_000  # 2026-11-23T09:00:00Z
LIMITS = Limits()
# What the edge adds to a call: receivedAt, a generated messageId, the source.
STAMPED_BYTES = 256

endpoints = st.sampled_from([None, *EventType])  # None is /v1/batch


def parse_request(raw: bytes, endpoint: EventType | None) -> list[Event]:
    return hostile.parse_request(raw, endpoint, RECEIVED)


def check_error(error: SchemaError) -> None:
    """A client error: one of the two kinds, a JSON body, and a place it names."""
    assert isinstance(error, (InvalidEventError, PayloadTooLargeError))
    body = error.to_dict()
    assert orjson.loads(orjson.dumps(body)) == body
    assert body["message"]
    if isinstance(error, InvalidEventError):
        assert error.path or error.index is not None, body


def sections(event: Event) -> dict[str, Any]:
    """The sections the schema fold infers columns from (streams.folds.schemas)."""
    return {"properties": event.properties, "traits": event.traits, "context": event.context}


def reordered(value: Any) -> Any:
    """The same JSON value with every object's keys in reverse order."""
    if isinstance(value, dict):
        return {k: reordered(value[k]) for k in reversed(value)}
    if isinstance(value, list):
        return [reordered(v) for v in value]
    return value


def check_accepted(event: Event) -> None:
    """It goes on the log, comes back equal, and its columns never depend on how it got there."""
    wire = encode_event(event)
    # An identify's context.traits are also copied into its traits: at most twice the limit.
    assert len(wire) <= 2 * LIMITS.max_event_bytes + STAMPED_BYTES
    decoded = decode_event(wire)
    assert decoded == event
    first = infer_columns(sections(event))
    assert infer_columns(sections(event)) == first
    assert infer_columns(sections(decoded)) == first
    assert infer_columns(reordered(sections(event))) == first


def check_request(raw: bytes, endpoint: EventType | None) -> None:
    """Events that go on the log and come back alike, or a schema error naming the problem."""
    try:
        events = parse_request(raw, endpoint)
    except SchemaError as error:
        check_error(error)
        return
    for event in events:
        check_accepted(event)


@settings(max_examples=300)
@given(bodies, endpoints)
def test_any_body_gives_events_or_a_schema_error(raw: bytes, endpoint: EventType | None) -> None:
    check_request(raw, endpoint)


def outcome(raw: bytes, endpoint: EventType | None, *, from_json: bool) -> list[Event] | str:
    try:
        return hostile.parse_request(raw, endpoint, RECEIVED, from_json=from_json)
    except SchemaError as error:
        return repr(error.to_dict())


@settings(max_examples=300)
@given(bodies, endpoints)
def test_a_decoded_body_parses_alike_with_or_without_proving_it_json(
    raw: bytes, endpoint: EventType | None
) -> None:
    # The edge skips the proof for what orjson decoded; it would have found nothing.
    assert outcome(raw, endpoint, from_json=True) == outcome(raw, endpoint, from_json=False)


@pytest.mark.parametrize("fragment", FRAGMENTS, ids=lambda f: repr(f[:24]))
@pytest.mark.parametrize("place", ["properties.x", "userId", "timestamp", "context"])
def test_every_fragment_in_every_place(fragment: bytes, place: str) -> None:
    """Each hostile fragment, where it hurts most, in a call and in a batch."""
    call = {"userId": "u", "event": "E"}
    check_request(splice(call, place, fragment, batch=False), EventType.TRACK)
    check_request(splice(call, place, fragment, batch=True), None)


@pytest.mark.parametrize("fragment", [b"NaN", b"Infinity", b"-Infinity", b"1e400", b'"\\ud800"', b'"\xff"'])
def test_what_json_cannot_carry_is_named_invalid_json(fragment: bytes) -> None:
    with pytest.raises(InvalidEventError) as info:
        parse_body(b'{"userId": "u", "event": "E", "properties": {"x": ' + fragment + b"}}")
    assert info.value.path == "body"
    assert "invalid JSON" in str(info.value)


@pytest.mark.parametrize("time", BAD_TIMES)
@pytest.mark.parametrize("field", ["timestamp", "sentAt", "originalTimestamp"])
def test_a_time_out_of_range_is_refused_naming_its_field(time: str, field: str) -> None:
    with pytest.raises(InvalidEventError) as info:
        parse_request(orjson.dumps({"userId": "u", "event": "E", field: time}), EventType.TRACK)
    assert info.value.path == field


def test_a_skew_correction_out_of_range_names_sent_at() -> None:
    body = {"userId": "u", "event": "E", "timestamp": "0001-01-01T00:00:00Z", "sentAt": "9999-12-31T00:00:00Z"}
    with pytest.raises(InvalidEventError) as info:
        parse_request(orjson.dumps(body), EventType.TRACK)
    assert info.value.path == "sentAt"


@pytest.mark.parametrize(
    ("number", "expected"),
    [
        (b"9223372036854775808", "9223372036854775808"),
        (b"18446744073709551616", "18446744073709551616"),
        (b"-9223372036854775809", "-9223372036854775808"),
    ],
)
def test_ids_beyond_int64_read_as_javascript_would(number: bytes, expected: str) -> None:
    [event] = parse_request(b'{"event": "E", "userId": ' + number + b"}", EventType.TRACK)
    assert event.user_id == expected
    check_accepted(event)


def test_duplicate_keys_keep_the_last_value() -> None:
    [event] = parse_request(
        b'{"userId": "u", "event": "E", "properties": {"a": 1, "a": "x"}, "userId": "v"}',
        EventType.TRACK,
    )
    assert (event.user_id, event.properties) == ("v", {"a": "x"})


def _leaves(value: dict[str, Any], prefix: tuple[str, ...]) -> set[tuple[str, ...]]:
    found: set[tuple[str, ...]] = set()
    for key, child in value.items():
        if isinstance(child, dict) and child:
            found |= _leaves(child, (*prefix, key))
        else:
            found.add((*prefix, key))
    return found


scalars = st.none() | st.booleans() | st.integers(-(2**63), 2**64 - 1) | st.text(max_size=4)
# At most six levels: deeper than the registry's limit, a subtree is one OBJECT column.
nested = st.recursive(
    st.dictionaries(names, scalars, min_size=1, max_size=4),
    lambda inner: st.dictionaries(names, inner | scalars, min_size=1, max_size=4),
    max_leaves=6,
)


@given(nested)
def test_every_property_name_is_its_own_column(properties: dict[str, Any]) -> None:
    """Escaping is injective: each leaf is one column, and its path gives its names back."""
    raw = orjson.dumps({"userId": "u", "event": "E", "properties": properties})
    [event] = parse_request(raw, EventType.TRACK)
    columns = infer_columns(sections(event)).columns
    named = {tuple(unescape_key(s) for s in split_escaped(path)) for path in columns}
    assert named == _leaves(properties, ("properties",))
    assert len(columns) == len(named)


# A Python caller (the importer, a test) can hand over what no JSON body holds.
surrogates = st.text(st.characters(categories=["Cs"]), min_size=1, max_size=2)
unjsonable = (
    st.floats()
    | st.integers()
    | surrogates
    | st.dictionaries(st.integers() | surrogates, st.none(), min_size=1, max_size=1)
)
python_values = st.recursive(
    values | unjsonable,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(names | surrogates, inner, max_size=3),
    max_leaves=8,
)


@given(
    st.dictionaries(names | surrogates, python_values, max_size=3),
    st.dictionaries(names | surrogates, python_values, max_size=3),
    st.lists(
        st.fixed_dictionaries(
            {"type": st.just("track"), "userId": st.just("u") | surrogates, "event": st.just("E")},
            optional={"properties": python_values, "context": python_values},
        ),
        max_size=3,
    ),
)
def test_a_batch_never_accepts_what_cannot_be_logged(
    context: dict[Any, Any], integrations: dict[Any, Any], items: list[dict[str, Any]]
) -> None:
    """The batch's context and integrations are merged into every call: they are checked too."""
    body = {"batch": items, "context": context, "integrations": integrations}
    try:
        events = parse_batch(body, source="fuzz", received_at_ms=RECEIVED, new_id=lambda: "m")
    except SchemaError as error:
        assert isinstance(error, (InvalidEventError, PayloadTooLargeError))
        orjson.dumps(error.to_dict())
        return
    for event in events:
        check_accepted(event)


def test_a_batch_context_cannot_multiply_a_request() -> None:
    """30 KB of context and 300 small calls: 40 KB sent, 9 MB to store; refused as a whole."""
    body = {
        "batch": [{"type": "track", "userId": "u", "event": "E"}] * 300,
        "context": {"blob": "x" * 30_000},
    }
    raw = orjson.dumps(body)
    check_request_size(len(raw), LIMITS)
    with pytest.raises(PayloadTooLargeError) as info:
        parse_request(raw, None)
    assert info.value.index is None
    assert info.value.size > LIMITS.max_request_bytes


def test_a_batch_context_too_deep_to_log_is_named() -> None:
    deep: Any = 1
    for _ in range(300):
        deep = [deep]
    with pytest.raises(InvalidEventError) as info:
        parse_batch(
            {"batch": [{"type": "track", "userId": "u", "event": "E"}], "context": {"deep": deep}},
            source="s",
            received_at_ms=RECEIVED,
            new_id=lambda: "m",
        )
    assert (info.value.index, info.value.path) == (None, "context")


@given(st.integers(0, 2**40), st.integers(1, 2**30))
def test_check_request_size_refuses_exactly_what_is_over(size: int, limit: int) -> None:
    limits = Limits(max_request_bytes=limit)
    if size <= limit:
        check_request_size(size, limits)
        return
    with pytest.raises(PayloadTooLargeError) as info:
        check_request_size(size, limits)
    assert (info.value.size, info.value.limit, info.value.index) == (size, limit, None)


@given(st.dictionaries(names, values, max_size=3), values)
def test_write_key_of_is_a_non_empty_string_or_none(body: dict[str, Any], key: Any) -> None:
    body = {**body, "writeKey": key}
    expected = key if isinstance(key, str) and key else None
    assert write_key_of(body) == expected


class _Props(dict):  # type: ignore[type-arg]
    pass


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"batch": [{"type": "track", "userId": "u", "event": "E"}], "integrations": {"": float("inf")}}, "integrations"),
        ({"batch": [{"type": "track", "userId": "u", "event": "E", "properties": {"x": [1, float("nan")]}}]}, "properties"),
        ({"batch": [{"type": "track", "userId": "u", "event": "E", "context": _Props(a=float("-inf"))}]}, "context"),
    ],
)
def test_a_number_json_cannot_carry_from_a_python_caller_is_refused_naming_its_field(
    body: dict[str, Any], field: str
) -> None:
    # orjson would log it as null: the event would not come back as it was accepted.
    with pytest.raises(InvalidEventError) as info:
        parse_batch(body, source="fuzz", received_at_ms=RECEIVED, new_id=lambda: "m")
    assert info.value.path == field
    assert "not finite" in str(info.value)
