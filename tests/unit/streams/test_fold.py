"""The schema fold the agent and rebuild share (``SchemaFold.fold_message``), over plain
dicts, against the reference fold kept as the specification (tests/unit/registry/reference.py).

Events arrive as fold-schemas gets them: route-events' observations, grouped into
records of any size, each record delivered any number of times (at-least-once), with
the rows kept decoded or written back between any two records. The tables must hold
what the reference fold makes of the distinct events, one at a time, in log order:
the same summaries, columns and change ids, and an index of every change in the order
schemaChanges serves.
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import orjson
from hypothesis import given, settings
from hypothesis import strategies as st

from query.domain.changes import order_key
from registry import Cause, ColumnState, Limits, Policy, SchemaChange, SchemaKey, SchemaState, column_from_dict
from schemas import Event, EventType, decode_event, encode_event
from streams.folds.commands import COMMAND, KIND_HEADER, encode_policy_command
from streams.folds.keys import change_count_key, change_index_prefix, column_key
from streams.folds.observations import OBSERVATIONS, encode_observations, observe
from streams.folds.schemas import SchemaFold
from streams.ops.rebuild import Image, digest
from tests.unit.registry.reference import ref_fold_event, ref_infer_columns

SCHEMA = SchemaKey("web", "track", "Order Completed")
KEY = SCHEMA.encode()
TABLES = ("columns", "schemas", "dedupe", "changes")

values = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**40), 2**40),
    st.floats(allow_nan=False, allow_infinity=False),
    st.sampled_from(["x", "2026-11-20T10:00:00Z", ""]),
    st.lists(st.integers(0, 3), max_size=3),
)
properties = st.dictionaries(st.sampled_from(["a", "b", "c.d", "items"]), values, max_size=4)


def _event(message_id: str, props: dict[str, Any], ts: int) -> bytes:
    return encode_event(
        Event(
            type=EventType.TRACK,
            message_id=message_id,
            source="web",
            user_id="u1",
            anonymous_id=None,
            event="Order Completed",
            timestamp_ms=ts,
            received_at_ms=ts,
            sent_at_ms=None,
            original_timestamp_ms=None,
            properties=props,
            traits={},
            context={},
            previous_id=None,
            group_id=None,
            integrations={},
        )
    )


# Timestamps out of log order, and repeated messageIds (a client's retry).
events = st.lists(st.tuples(properties, st.integers(0, 50), st.integers(0, 9)), min_size=1, max_size=10).map(
    lambda items: [_event(f"m{n}", p, 1_700_000_000_000 + t) for p, t, n in items]
)


def _message(value: bytes, offset: int, kind: bytes = OBSERVATIONS) -> Any:
    return SimpleNamespace(key=KEY, value=value, headers=[(KIND_HEADER, kind)], partition=0, offset=offset)


def _new_image() -> Image:
    return {(name, 0): {} for name in TABLES}


def _fold(image: Image, keep: int = 0) -> SchemaFold:
    return SchemaFold(*(image[(name, 0)] for name in TABLES), keep=keep)


def fold_as_the_node_does(
    messages: list[bytes], steps: list[int], deliveries: int = 1, keep: int = 0, write_back: int = 1
) -> tuple[Image, list[str]]:
    """Fold the log ``messages``: observations of ``steps[i]`` events a record, each
    record delivered ``deliveries`` times, written back every ``write_back`` records."""
    image = _new_image()
    fold = _fold(image, keep)
    observations = [observe(decode_event(v), partition=0, offset=o) for o, v in enumerate(messages)]
    ids: list[str] = []
    start = record = 0
    while start < len(observations):
        size = steps[record % len(steps)]
        value = encode_observations(observations[start : start + size])
        for _ in range(deliveries):
            folded = fold.fold_message(_message(value, record))
            assert not folded.failures
            ids.extend(change.id for change in folded.changes)
        start, record = start + size, record + 1
        if record % write_back == 0:
            fold.write_back()
    fold.write_back()
    return image, ids


def reference(messages: list[bytes]) -> tuple[SchemaState, dict[str, ColumnState], list[SchemaChange]]:
    """The specification: each distinct messageId's event folded once, in log order."""
    schema: SchemaState | None = None
    columns: dict[str, ColumnState] = {}
    changes: list[SchemaChange] = []
    seen: set[str] = set()
    for offset, value in enumerate(messages):
        event = decode_event(value)
        if event.message_id in seen:
            continue
        seen.add(event.message_id)
        inference = ref_infer_columns({"properties": event.properties, "traits": {}, "context": {}}, Limits())
        cause = Cause(event.message_id, 0, offset, event.timestamp_ms)
        result = ref_fold_event(SCHEMA, schema, columns, inference, at_ms=event.timestamp_ms, cause=cause)
        schema = result.schema
        columns.update(result.columns)
        changes += result.changes
    assert schema is not None
    return schema, columns, changes


def _tables(image: Image) -> tuple[SchemaState, dict[str, ColumnState]]:
    schema = SchemaState.from_dict(orjson.loads(image[("schemas", 0)][KEY]))
    prefix_len = len(column_key(KEY, ""))
    columns = {
        key[prefix_len:].decode(): column_from_dict(orjson.loads(value))
        for key, value in image[("columns", 0)].items()
    }
    return schema, columns


def _indexed(image: Image, source: str | None) -> list[str]:
    prefix = change_index_prefix(source)
    rows = sorted((k, v) for k, v in image[("changes", 0)].items() if k.startswith(prefix))
    return [orjson.loads(v)["id"] for _, v in rows]


@settings(max_examples=80, deadline=None)
@given(
    events,
    st.lists(st.integers(1, 5), min_size=1, max_size=4),
    st.integers(1, 2),
    st.sampled_from([0, 2, 1000]),
    st.integers(1, 3),
)
def test_the_tables_hold_what_the_reference_folds_of_the_distinct_events(
    messages: list[bytes], steps: list[int], deliveries: int, keep: int, write_back: int
) -> None:
    image, ids = fold_as_the_node_does(messages, steps, deliveries, keep, write_back)
    schema, columns, changes = reference(messages)
    assert _tables(image) == (schema, columns)
    assert ids == [c.id for c in changes]
    # The index serves every change in (at, source, type, event, version, path) order.
    in_order = [c.id for c in sorted(changes, key=order_key)]
    assert _indexed(image, None) == in_order == _indexed(image, "web")
    counts = image[("changes", 0)]
    assert int(counts.get(change_count_key(None), 0)) == len(changes)
    assert int(counts.get(change_count_key("web"), 0)) == len(changes)


@settings(max_examples=40, deadline=None)
@given(events, st.lists(st.integers(1, 5), min_size=1, max_size=4))
def test_a_replay_of_the_log_gives_the_same_digest(messages: list[bytes], steps: list[int]) -> None:
    live, _ = fold_as_the_node_does(messages, steps)
    replayed, _ = fold_as_the_node_does(messages, [len(messages)])
    assert digest(replayed) == digest(live)


def test_nothing_is_written_until_write_back() -> None:
    image = _new_image()
    fold = _fold(image)
    record = encode_observations([observe(decode_event(_event("m1", {"a": 1}, 1)), partition=0, offset=0)])
    fold.fold_message(_message(record, 0))
    assert image[("schemas", 0)] == {}
    fold.write_back()
    assert set(image[("schemas", 0)]) == {KEY}
    assert len(image[("columns", 0)]) == 1


def test_a_policy_command_locks_the_column_for_later_events() -> None:
    image, _ = fold_as_the_node_does([_event("m1", {"a": 1}, 1)], [1])
    fold = _fold(image)
    command = encode_policy_command("c1", "properties.a", Policy.LOCK)
    assert fold.fold_message(_message(command, 1, kind=COMMAND)).command == "c1"
    fold.write_back()
    record = encode_observations([observe(decode_event(_event("m2", {"a": "x"}, 2)), partition=0, offset=1)])
    [change] = fold.fold_message(_message(record, 2)).changes
    assert change.change.kind.value == "VIOLATION"
    assert change.change.to_type.value == "INTEGER"


def test_a_record_of_no_known_kind_is_refused_naming_it() -> None:
    fold = _fold(_new_image())
    try:
        fold.fold_message(_message(b"{}", 0, kind=b"mystery"))
    except ValueError as exc:
        assert "mystery" in str(exc)
    else:
        raise AssertionError("a record of an unknown kind was folded")


def test_digest_changes_when_any_row_differs() -> None:
    image, _ = fold_as_the_node_does([_event("m1", {"a": 1}, 1)], [1])
    before = digest(image)
    image[("schemas", 0)][KEY] = orjson.dumps({"tampered": True})
    assert digest(image) != before
