"""registry.schema and registry.key: keys, summaries, change events and the event fold."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from registry.column import Cause, ColumnState, TypeChange, from_dict, to_dict
from registry.errors import InconsistentStateError, InvalidSchemaKeyError, StateDecodeError
from registry.infer import Finding, Inference, Limits, infer_columns
from registry.key import SEGMENT_TYPES, SchemaKey, prefix_for_source
from registry.batch import fold_event
from registry.schema import SchemaChange, SchemaState, change_id
from registry.types import ChangeKind, ColumnType

T = ColumnType
KEY = SchemaKey("web", "track", "Order Completed")

keys = st.builds(
    SchemaKey,
    st.text(max_size=5).filter(lambda s: "\x1f" not in s),
    st.sampled_from(sorted(SEGMENT_TYPES)),
    st.none() | st.text(max_size=5),
)


def cause(n: int) -> Cause:
    return Cause(message_id=f"m{n}", partition=0, offset=n, event_time_ms=1_795_424_400_000 + n)


# --- keys ---------------------------------------------------------------------


@given(keys)
def test_key_bytes_round_trip(key: SchemaKey) -> None:
    assert SchemaKey.decode(key.encode()) == key


@given(keys, keys)
def test_distinct_keys_get_distinct_bytes_and_prefixes_separate_sources(a: SchemaKey, b: SchemaKey) -> None:
    assert (a.encode() == b.encode()) is (a == b)
    assert a.encode().startswith(prefix_for_source(a.source))
    assert b.encode().startswith(prefix_for_source(a.source)) is (a.source == b.source)


def test_key_layout_and_no_event_versus_empty_event() -> None:
    assert SchemaKey("web", "track", "Signed Up").encode() == b"web\x1ftrack\x1f\x01Signed Up"
    assert SchemaKey("web", "identify", None).encode() == b"web\x1fidentify\x1f\x00"
    assert SchemaKey("web", "page", "").encode() == b"web\x1fpage\x1f\x01"
    assert prefix_for_source("web") == b"web\x1f"


@pytest.mark.parametrize(
    ("source", "type_"), [("web", "Track"), ("web", "purchase"), ("w\x1feb", "track")]
)
def test_invalid_keys_are_refused(source: str, type_: str) -> None:
    with pytest.raises(InvalidSchemaKeyError):
        SchemaKey(source, type_, None)


@pytest.mark.parametrize(
    "data", [b"web\x1ftrack", b"web\x1ftrack\x1fOrder", b"web\x1fTRACK\x1f\x00", b"\xff\x1ftrack\x1f\x00"]
)
def test_undecodable_key_bytes_raise(data: bytes) -> None:
    with pytest.raises(InvalidSchemaKeyError):
        SchemaKey.decode(data)


# --- change events --------------------------------------------------------------


def sample_change() -> SchemaChange:
    change = TypeChange(
        ChangeKind.TYPE_CONFLICT,
        T.NUMBER,
        T.STRING,
        T.STRING,
        version=7,
        at_ms=1_795_424_400_123,
        cause=Cause("msg-1", 3, 42, 1_795_424_399_000),
    )
    return SchemaChange.of(KEY, "properties.plan", change)


def test_change_event_json() -> None:
    published = sample_change().to_dict()
    assert published == {
        "id": published["id"],
        "source": "web",
        "type": "track",
        "event": "Order Completed",
        "path": "properties.plan",
        "kind": "TYPE_CONFLICT",
        "observedType": "NUMBER",
        "fromType": "STRING",
        "toType": "STRING",
        "version": 7,
        "at": "2026-11-23T09:00:00.123Z",
        "messageId": "msg-1",
        "partition": 3,
        "offset": 42,
        "eventTime": "2026-11-23T08:59:59.000Z",
        "classification": "NONE",
        "piiKind": None,
    }
    assert len(published["id"]) == 32
    assert int(published["id"], 16) >= 0


def test_change_id_depends_on_content_not_on_log_position_or_time() -> None:
    base = sample_change()
    c = base.change
    moved = TypeChange(c.kind, c.observed_type, c.from_type, c.to_type, c.version, 1, Cause("msg-1", 0, 0, 0))
    assert change_id(KEY, base.path, moved) == base.id
    other_version = TypeChange(c.kind, c.observed_type, c.from_type, c.to_type, 8, c.at_ms, c.cause)
    other_message = TypeChange(c.kind, c.observed_type, c.from_type, c.to_type, 7, c.at_ms, Cause("msg-2", 3, 42, 0))
    ids = {
        base.id,
        change_id(KEY, base.path, other_version),
        change_id(KEY, base.path, other_message),
        change_id(KEY, "properties.other", c),
        change_id(SchemaKey("web", "track", None), base.path, c),
        change_id(SchemaKey("web", "track", ""), base.path, c),
    }
    assert len(ids) == 6


changes = st.builds(
    TypeChange,
    st.sampled_from(list(ChangeKind)),
    st.sampled_from(list(ColumnType)),
    st.none() | st.sampled_from(list(ColumnType)),
    st.sampled_from(list(ColumnType)),
    st.integers(1, 10**9),
    st.integers(0, 253_402_300_799_999),
    st.builds(Cause, st.text(max_size=8), st.integers(0, 99), st.integers(0, 2**63), st.integers(0, 253_402_300_799_999)),
)


@given(keys, st.text(max_size=8), changes)
def test_change_event_round_trips(key: SchemaKey, path: str, change: TypeChange) -> None:
    event = SchemaChange.of(key, path, change)
    assert SchemaChange.from_dict(event.to_dict()) == event


def test_decoding_a_bad_change_event_names_the_field() -> None:
    published = sample_change().to_dict()
    with pytest.raises(StateDecodeError) as info:
        SchemaChange.from_dict({**published, "at": "yesterday"})
    assert info.value.field == "at"
    with pytest.raises(StateDecodeError) as info:
        SchemaChange.from_dict({**published, "type": "purchase"})
    assert info.value.field == "type"


@given(st.integers(0, 10**6), st.integers(0, 10**6), st.integers(), st.integers(), st.lists(st.text(max_size=5)))
def test_schema_state_round_trips(version: int, count: int, first: int, last: int, paths: list[str]) -> None:
    state = SchemaState(version, count, first, last, tuple(sorted(paths)), count, version // 2, count // 3)
    assert SchemaState.from_dict(state.to_dict()) == state


# --- the fold -------------------------------------------------------------------


@dataclass
class Store:
    """What the agent keeps in its tables, optionally through the stored form."""

    through_stored_form: bool = False
    schema: SchemaState | None = None
    columns: dict[str, Any] = field(default_factory=dict)
    published: list[dict[str, Any]] = field(default_factory=list)

    def current(self) -> Mapping[str, ColumnState]:
        if self.through_stored_form:
            return {p: from_dict(d) for p, d in self.columns.items()}
        return self.columns

    def fold(self, event: dict[str, Any], n: int, limits: Limits = Limits()) -> None:
        inference = infer_columns(event, limits)
        schema = self.schema
        if self.through_stored_form and schema is not None:
            schema = SchemaState.from_dict(schema.to_dict())
        result = fold_event(KEY, schema, self.current(), inference, at_ms=cause(n).event_time_ms, cause=cause(n))
        self.schema = result.schema
        for path, state in result.columns.items():
            self.columns[path] = to_dict(state) if self.through_stored_form else state
        self.published.extend(c.to_dict() for c in result.changes)


def test_fold_versions_counters_and_changes() -> None:
    store = Store()
    store.fold({"properties": {"plan": "pro", "price": 10}}, 1)
    store.fold({"properties": {"plan": 3.5, "price": 10.5, "coupon": None}}, 2)
    store.fold({"properties": {"plan": "basic"}}, 3)
    assert store.schema == SchemaState(
        version=5,
        event_count=3,
        first_seen_ms=cause(1).event_time_ms,
        last_seen_ms=cause(3).event_time_ms,
        columns=("properties.coupon", "properties.plan", "properties.price"),
        findings=0,
        conflicts=1,
        violations=0,
    )
    assert [(c["version"], c["path"], c["kind"], c["fromType"], c["toType"]) for c in store.published] == [
        (1, "properties.plan", "COLUMN_ADDED", None, "STRING"),
        (2, "properties.price", "COLUMN_ADDED", None, "INTEGER"),
        (3, "properties.coupon", "COLUMN_ADDED", None, "NULL"),
        (4, "properties.plan", "TYPE_CONFLICT", "STRING", "STRING"),
        (5, "properties.price", "TYPE_WIDENED", "INTEGER", "NUMBER"),
    ]
    assert store.published[3]["messageId"] == "m2"
    assert store.columns["properties.plan"].count == 3


def test_fold_counts_findings_without_failing() -> None:
    inference = Inference({"properties.a": T.OBJECT}, (Finding("properties.a", "nesting deeper than 1 levels"),))
    first = fold_event(KEY, None, {}, inference, at_ms=5, cause=cause(1))
    second = fold_event(KEY, first.schema, first.columns, inference, at_ms=3, cause=cause(2))
    assert second.schema.findings == 2
    assert (second.schema.first_seen_ms, second.schema.last_seen_ms) == (3, 5)
    assert second.changes == []
    assert second.schema.version == 1


def test_fold_refuses_a_known_column_without_state() -> None:
    first = fold_event(KEY, None, {}, Inference({"properties.a": T.STRING}, ()), at_ms=1, cause=cause(1))
    with pytest.raises(InconsistentStateError) as info:
        fold_event(KEY, first.schema, {}, Inference({"properties.a": T.STRING}, ()), at_ms=2, cause=cause(2))
    assert info.value.path == "properties.a"


json_scalars = st.none() | st.booleans() | st.integers(-5, 5) | st.floats(-2, 2) | st.sampled_from(
    ["a", "2026-11-23T09:00:00Z"]
)
json_values = st.recursive(
    json_scalars,
    lambda children: st.lists(children, max_size=2) | st.dictionaries(st.sampled_from("xy"), children, max_size=2),
    max_leaves=6,
)
events = st.lists(
    st.fixed_dictionaries(
        {"properties": st.dictionaries(st.sampled_from(["a", "b", "c.d"]), json_values, max_size=3)}
    ),
    max_size=6,
)


@settings(max_examples=60, deadline=None)
@given(events)
def test_folding_is_deterministic_and_the_stored_form_changes_nothing(sequence: list[dict[str, Any]]) -> None:
    limits = Limits(max_depth=3, max_columns=6)
    live, replay, stored = Store(), Store(), Store(through_stored_form=True)
    for store in (live, replay, stored):
        for n, event in enumerate(sequence):
            store.fold(event, n, limits)
    assert replay.schema == live.schema
    assert replay.columns == live.columns
    assert replay.published == live.published
    assert stored.schema == live.schema
    assert {p: from_dict(d) for p, d in stored.columns.items()} == live.columns
    assert stored.published == live.published
    # Versions are dense, ids unique, and every column's history is in version order.
    assert [c["version"] for c in live.published] == list(range(1, len(live.published) + 1))
    assert len({c["id"] for c in live.published}) == len(live.published)
    if live.schema is not None:
        assert live.schema.version == len(live.published)
        assert live.schema.columns == tuple(sorted(live.columns))
