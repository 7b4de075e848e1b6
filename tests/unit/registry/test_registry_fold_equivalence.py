"""The fast fold against a frozen reference: same inference, same states, same changes.

`registry.infer`, `registry.column` and `registry.schema` are written for speed.
The `_ref_*` functions below are the straightforward versions they replaced, kept
verbatim as the specification: every test here folds generated input through
both and requires equal results (states compared in their stored form), and
requires the batch fold (`fold_events`) to equal the per-event fold for any
split of a sequence into batches.
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Mapping
from dataclasses import FrozenInstanceError, dataclass, field, fields
from typing import Any, Final

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from registry.column import (
    Cause,
    ColumnState,
    TypeChange,
    _column,
    from_dict,
    observe_column,
    set_policy,
    to_dict,
)
from registry.errors import InconsistentStateError, UnsupportedValueError
from registry.infer import Finding, Inference, Limits, infer_columns, infer_type
from registry.key import SchemaKey
from registry.batch import fold_events
from registry.schema import FoldResult, SchemaChange, SchemaState, fold_event
from registry.timestamps import is_rfc3339
from registry.types import ChangeKind, ColumnType, Policy

T = ColumnType
KEY = SchemaKey("web", "track", "Order Completed")

# --- the reference ------------------------------------------------------------------

_INT64_MIN: Final = -(2**63)
_INT64_MAX: Final = 2**63 - 1
_SPECIAL: Final = frozenset(".[]\\")
_ESCAPES: Final = str.maketrans({c: "\\" + c for c in _SPECIAL})

_CHAINS: Final[dict[ColumnType, tuple[ColumnType, ...]]] = {
    T.BOOLEAN: (T.BOOLEAN, T.STRING, T.JSON),
    T.INTEGER: (T.INTEGER, T.NUMBER, T.STRING, T.JSON),
    T.NUMBER: (T.NUMBER, T.STRING, T.JSON),
    T.TIMESTAMP: (T.TIMESTAMP, T.STRING, T.JSON),
    T.STRING: (T.STRING, T.JSON),
    T.ARRAY: (T.ARRAY, T.JSON),
    T.OBJECT: (T.OBJECT, T.JSON),
    T.JSON: (T.JSON,),
}


def _ref_join(a: ColumnType, b: ColumnType) -> ColumnType:
    if a is b or b is T.NULL:
        return a
    if a is T.NULL:
        return b
    above_b = _CHAINS[b]
    for candidate in _CHAINS[a]:
        if candidate in above_b:
            return candidate
    raise AssertionError("unreachable")


def _ref_join_all(types: Iterable[ColumnType]) -> ColumnType:
    result = T.NULL
    for t in types:
        result = _ref_join(result, t)
    return result


def _ref_is_lossless(from_type: ColumnType, to_type: ColumnType) -> bool:
    return (
        from_type is to_type
        or from_type is T.NULL
        or (from_type is T.INTEGER and to_type is T.NUMBER)
    )


def _ref_escape_key(key: str) -> str:
    if not key:
        return "\\_"
    return key.translate(_ESCAPES)


def _ref_child_path(parent: str, escaped_key: str) -> str:
    return f"{parent}.{escaped_key}" if parent else escaped_key


def _ref_infer_type(value: object, path: str = "") -> ColumnType:
    if value is None:
        return T.NULL
    if isinstance(value, bool):
        return T.BOOLEAN
    if isinstance(value, int):
        return T.INTEGER if _INT64_MIN <= value <= _INT64_MAX else T.NUMBER
    if isinstance(value, float):
        return T.NUMBER
    if isinstance(value, str):
        return T.TIMESTAMP if is_rfc3339(value) else T.STRING
    if isinstance(value, list):
        return T.ARRAY
    if isinstance(value, dict):
        return T.OBJECT
    raise UnsupportedValueError(path, type(value).__name__)


def _ref_infer_columns(sections: Mapping[str, Any], limits: Limits) -> Inference:
    walk = _RefWalk(limits.max_depth)
    for name in sorted(sections):
        value = sections[name]
        if isinstance(value, dict) and value:
            walk.object(value, _ref_escape_key(name), 0)
    paths = sorted(walk.types)
    findings = set(walk.findings)
    if len(paths) > limits.max_columns:
        dropped = len(paths) - limits.max_columns
        paths = paths[: limits.max_columns]
        findings.add(Finding("", f"more than {limits.max_columns} columns; {dropped} dropped"))
    return Inference(
        columns={p: walk.types[p] for p in paths},
        findings=tuple(sorted(findings, key=lambda f: (f.path, f.reason))),
    )


class _RefWalk:
    def __init__(self, max_depth: int) -> None:
        self.max_depth = max_depth
        self.types: dict[str, ColumnType] = {}
        self.findings: list[Finding] = []

    def record(self, path: str, t: ColumnType) -> None:
        seen = self.types.get(path)
        self.types[path] = t if seen is None else _ref_join(seen, t)

    def too_deep(self, path: str) -> None:
        self.findings.append(Finding(path, f"nesting deeper than {self.max_depth} levels"))

    def value(self, value: object, path: str, depth: int) -> None:
        if isinstance(value, dict):
            self.object(value, path, depth)
        elif isinstance(value, list):
            self.record(path, T.ARRAY)
            if value:
                self.items(value, path, depth)
        else:
            self.record(path, _ref_infer_type(value, path))

    def object(self, obj: dict[Any, Any], path: str, depth: int) -> None:
        if not obj:
            self.record(path, T.OBJECT)
        elif depth >= self.max_depth:
            self.record(path, T.OBJECT)
            self.too_deep(path)
        else:
            for key, child in obj.items():
                if not isinstance(key, str):
                    raise UnsupportedValueError(path, f"object with a {type(key).__name__} key")
                self.value(child, _ref_child_path(path, _ref_escape_key(key)), depth + 1)

    def items(self, items: list[Any], array_path: str, depth: int) -> None:
        if depth >= self.max_depth:
            self.too_deep(array_path)
            return
        path = array_path + "[]"
        objects = sum(isinstance(i, dict) for i in items)
        arrays = sum(isinstance(i, list) for i in items)
        if objects == len(items):
            for item in items:
                self.object(item, path, depth + 1)
        elif arrays == len(items):
            self.record(path, T.ARRAY)
            pooled = [x for inner in items for x in inner]
            if pooled:
                self.items(pooled, path, depth + 1)
        elif objects or arrays:
            self.record(path, T.JSON)
        else:
            self.record(path, _ref_join_all(_ref_infer_type(i, path) for i in items))


def _ref_observe_column(
    state: ColumnState | None,
    observed: ColumnType,
    *,
    at_ms: int,
    cause: Cause,
    version: int,
    policy: Policy = Policy.WIDEN,
) -> tuple[ColumnState, TypeChange | None]:
    if state is None:
        added = TypeChange(ChangeKind.COLUMN_ADDED, observed, None, observed, version, at_ms, cause)
        column = ColumnState(
            type=observed,
            nullable=observed is T.NULL,
            first_seen_ms=at_ms,
            last_seen_ms=at_ms,
            count=1,
            type_counts={observed.value: 1},
            policy=policy,
            violations=0,
            history=(added,),
        )
        return column, added

    is_new_type = observed.value not in state.type_counts
    type_counts = dict(state.type_counts)
    type_counts[observed.value] = type_counts.get(observed.value, 0) + 1
    old = state.type
    joined = _ref_join(old, observed)
    new_type, violations, kind = old, state.violations, None
    if state.policy is Policy.LOCK:
        if joined is not old:
            violations += 1
            if is_new_type:
                kind = ChangeKind.VIOLATION
    else:
        new_type = joined
        if observed is not T.NULL and (is_new_type or joined is not old):
            lossless = _ref_is_lossless(old, joined) and _ref_is_lossless(observed, joined)
            kind = ChangeKind.TYPE_WIDENED if lossless else ChangeKind.TYPE_CONFLICT
    change = None
    if kind is not None:
        change = TypeChange(kind, observed, old, new_type, version, at_ms, cause)
    column = ColumnState(
        type=new_type,
        nullable=state.nullable or observed is T.NULL,
        first_seen_ms=min(state.first_seen_ms, at_ms),
        last_seen_ms=max(state.last_seen_ms, at_ms),
        count=state.count + 1,
        type_counts=type_counts,
        policy=state.policy,
        violations=violations,
        history=state.history if change is None else (*state.history, change),
    )
    return column, change


def _ref_fold_event(
    key: SchemaKey,
    schema: SchemaState | None,
    columns: Mapping[str, ColumnState],
    inference: Inference,
    *,
    at_ms: int,
    cause: Cause,
) -> FoldResult:
    version = 0 if schema is None else schema.version
    known = frozenset(() if schema is None else schema.columns)
    touched: dict[str, ColumnState] = {}
    changes: list[SchemaChange] = []
    for path in sorted(inference.columns):
        state = columns.get(path)
        if state is None and path in known:
            raise InconsistentStateError(str(key), path)
        state, change = _ref_observe_column(
            state, inference.columns[path], at_ms=at_ms, cause=cause, version=version + 1
        )
        touched[path] = state
        if change is not None:
            version += 1
            changes.append(SchemaChange.of(key, path, change))
    if schema is None:
        summary = SchemaState(
            version=version,
            event_count=1,
            first_seen_ms=at_ms,
            last_seen_ms=at_ms,
            columns=tuple(touched),
            findings=len(inference.findings),
        )
    else:
        added = any(p not in known for p in touched)
        summary = SchemaState(
            version=version,
            event_count=schema.event_count + 1,
            first_seen_ms=min(schema.first_seen_ms, at_ms),
            last_seen_ms=max(schema.last_seen_ms, at_ms),
            columns=tuple(sorted(known.union(touched))) if added else schema.columns,
            findings=schema.findings + len(inference.findings),
        )
    return FoldResult(summary, touched, changes)


# --- generated input ------------------------------------------------------------------

KEYS = ["a", "b", "c.d", "", "x[]", "\\_", "é"]
json_scalars = (
    st.none()
    | st.booleans()
    | st.integers(-3, 3)
    | st.sampled_from([2**63 - 1, 2**63, -(2**63), -(2**63) - 1])
    | st.floats(allow_nan=False)
    | st.sampled_from(["s", "a.b", "", "2026-11-23T09:00:00Z", "2026-02-30T09:00:00Z", "2026-11-23T09:00:00.5+01:00"])
)
json_values = st.recursive(
    json_scalars,
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.sampled_from(KEYS), children, max_size=3),
    max_leaves=12,
)
section_values = json_values | st.dictionaries(st.sampled_from(KEYS), json_values, max_size=4)
sections = st.dictionaries(st.sampled_from(["properties", "traits", "context", "a.b", ""]), section_values, max_size=3)
limits = st.builds(Limits, st.integers(1, 4), st.integers(1, 12))


class _Odd(int):
    """An int subclass: not a plain JSON type, still inferred like its base."""


class _OddDict(dict[str, Any]):
    pass


odd_scalars = st.sampled_from([(1, 2), {1}, b"x", _Odd(3), 1 + 2j])
odd_values = st.recursive(
    json_scalars | odd_scalars,
    lambda children: st.lists(children, max_size=2)
    | st.dictionaries(st.sampled_from(KEYS), children, max_size=2)
    | st.dictionaries(st.sampled_from(KEYS), children, max_size=2).map(_OddDict)
    | st.dictionaries(st.sampled_from([1, None]), children, min_size=1, max_size=1),
    max_leaves=6,
)


def outcome(fn: Any, *args: Any) -> Any:
    """`fn(*args)`, or what it raised, in a comparable form."""
    try:
        return ("ok", fn(*args))
    except UnsupportedValueError as e:
        return ("raised", type(e), e.path, e.type_name)


@settings(max_examples=400, deadline=None)
@given(sections, limits)
def test_infer_columns_matches_the_reference(value: dict[str, Any], lim: Limits) -> None:
    assert infer_columns(value, lim) == _ref_infer_columns(value, lim)
    assert list(infer_columns(value, lim).columns) == list(_ref_infer_columns(value, lim).columns)


@settings(max_examples=200, deadline=None)
@given(st.dictionaries(st.sampled_from(["properties", "traits"]), odd_values, max_size=2), limits)
def test_infer_columns_matches_the_reference_on_values_that_are_not_plain_json(
    value: dict[str, Any], lim: Limits
) -> None:
    assert outcome(infer_columns, value, lim) == outcome(_ref_infer_columns, value, lim)


@given(json_scalars | odd_scalars | json_values, st.text(max_size=3))
def test_infer_type_matches_the_reference(value: Any, path: str) -> None:
    assert outcome(infer_type, value, path) == outcome(_ref_infer_type, value, path)


# A step is an event (an inference, its time, its message number) or a policy command.
PATHS = ["p.a", "p.b", "p.b[]", "p.c", "q"]
inferences = st.builds(
    Inference,
    st.dictionaries(st.sampled_from(PATHS), st.sampled_from(list(ColumnType)), max_size=4),
    st.lists(st.builds(Finding, st.sampled_from(["", "p.a"]), st.just("r")), max_size=2).map(tuple),
)
event_steps = st.tuples(st.just("event"), inferences, st.integers(-5, 40))
command_steps = st.tuples(st.just("policy"), st.sampled_from(PATHS), st.sampled_from(list(Policy)))
steps = st.lists(event_steps | command_steps, max_size=30)


def cause(n: int) -> Cause:
    return Cause(message_id=f"m{n % 7}", partition=n % 3, offset=n, event_time_ms=n * 10)


@dataclass
class Store:
    """What the agent keeps: a summary and column states, read back through the stored form."""

    schema: SchemaState | None = None
    columns: dict[str, ColumnState] = field(default_factory=dict)
    changes: list[dict[str, Any]] = field(default_factory=list)

    def apply(self, result: FoldResult, given: Mapping[str, ColumnState], before: dict[str, Any]) -> None:
        # The fold never changes what it was given.
        assert {p: to_dict(s) for p, s in given.items()} == before
        self.schema = SchemaState.from_dict(result.schema.to_dict())
        for path, state in result.columns.items():
            self.columns[path] = from_dict(to_dict(state))
        self.changes.extend(c.to_dict() for c in result.changes)

    def command(self, path: str, policy: Policy) -> None:
        if path in self.columns:
            self.columns[path] = set_policy(self.columns[path], policy)

    def snapshot(self) -> tuple[Any, ...]:
        return (
            None if self.schema is None else self.schema.to_dict(),
            {p: to_dict(s) for p, s in sorted(self.columns.items())},
            self.changes,
        )


def fold_one(fold: Any, store: Store, inference: Inference, n: int, at: int) -> None:
    given_columns = dict(store.columns)
    before = {p: to_dict(s) for p, s in given_columns.items()}
    result = fold(KEY, store.schema, given_columns, inference, at_ms=at, cause=cause(n))
    store.apply(result, given_columns, before)


def run_sequential(fold: Any, sequence: list[Any]) -> Store:
    store = Store()
    for n, step in enumerate(sequence):
        if step[0] == "event":
            fold_one(fold, store, step[1], n, step[2])
        else:
            store.command(step[1], step[2])
    return store


@settings(max_examples=300, deadline=None)
@given(steps)
def test_fold_event_matches_the_reference(sequence: list[Any]) -> None:
    assert run_sequential(fold_event, sequence).snapshot() == run_sequential(_ref_fold_event, sequence).snapshot()


@settings(max_examples=100, deadline=None)
@given(st.lists(sections, max_size=10), limits, st.randoms(use_true_random=False))
def test_folding_raw_events_matches_the_reference(
    events: list[dict[str, Any]], lim: Limits, rnd: random.Random
) -> None:
    sequence: list[Any] = []
    for value in events:
        sequence.append(("event", infer_columns(value, lim), rnd.randrange(-3, 20)))
        if rnd.random() < 0.2:
            sequence.append(("policy", rnd.choice(PATHS), rnd.choice(list(Policy))))
    reference = [("event", _ref_infer_columns(v, lim), 0) for v in events]
    assert [s[1] for s in sequence if s[0] == "event"] == [s[1] for s in reference]
    assert run_sequential(fold_event, sequence).snapshot() == run_sequential(_ref_fold_event, sequence).snapshot()


states = st.lists(
    st.tuples(st.sampled_from(list(ColumnType)), st.integers(-5, 5), st.none() | st.sampled_from(list(Policy))),
    min_size=1,
    max_size=8,
)


@settings(max_examples=400, deadline=None)
@given(states, st.sampled_from(list(ColumnType)), st.integers(-8, 8), st.sampled_from(list(Policy)))
def test_observe_column_matches_the_reference(
    history: list[tuple[ColumnType, int, Policy | None]], observed: ColumnType, at: int, policy: Policy
) -> None:
    """Any reachable state (policies switched along the way), then one more observation."""
    state: ColumnState | None = None
    reference: ColumnState | None = None
    for n, (t, at_ms, switch) in enumerate(history):
        state, change = observe_column(state, t, at_ms=at_ms, cause=cause(n), version=n + 1, policy=policy)
        reference, ref_change = _ref_observe_column(
            reference, t, at_ms=at_ms, cause=cause(n), version=n + 1, policy=policy
        )
        assert change == ref_change
        if switch is not None:
            state, reference = set_policy(state, switch), set_policy(reference, switch)
        assert to_dict(state) == to_dict(reference)
    assert state is not None and reference is not None
    before = to_dict(state)
    got = observe_column(state, observed, at_ms=at, cause=cause(99), version=50)
    assert to_dict(state) == before
    expected = _ref_observe_column(reference, observed, at_ms=at, cause=cause(99), version=50)
    assert (to_dict(got[0]), got[1]) == (to_dict(expected[0]), expected[1])
    assert got[0] == expected[0]


# --- the batch fold -------------------------------------------------------------------------


def run_batched(sequence: list[Any], cuts: list[int]) -> Store:
    """Fold `sequence` with `fold_events`: a batch ends at each cut and at each command."""
    store = Store()
    batch: list[tuple[Inference, int, Cause]] = []

    def flush() -> None:
        if batch:
            given_columns = dict(store.columns)
            before = {p: to_dict(s) for p, s in given_columns.items()}
            store.apply(fold_events(KEY, store.schema, given_columns, batch), given_columns, before)
            batch.clear()

    for n, step in enumerate(sequence):
        if n in cuts:
            flush()
        if step[0] == "event":
            batch.append((step[1], step[2], cause(n)))
        else:
            flush()
            store.command(step[1], step[2])
    flush()
    return store


@settings(max_examples=300, deadline=None)
@given(steps, st.lists(st.integers(0, 30), max_size=6))
def test_a_batch_fold_equals_the_per_event_fold(sequence: list[Any], cuts: list[int]) -> None:
    assert run_batched(sequence, cuts).snapshot() == run_sequential(_ref_fold_event, sequence).snapshot()


@settings(max_examples=100, deadline=None)
@given(st.lists(sections, max_size=8), limits, st.lists(st.integers(0, 30), max_size=3), st.integers(0, 3))
def test_a_batch_fold_of_raw_events_equals_the_per_event_fold(
    events: list[dict[str, Any]], lim: Limits, cuts: list[int], repeat: int
) -> None:
    """Raw events, repeated so that batches see the same shapes many times."""
    sequence: list[Any] = [("event", infer_columns(v, lim), i % 9) for i, v in enumerate(events * (1 + repeat))]
    assert run_batched(sequence, cuts).snapshot() == run_sequential(_ref_fold_event, sequence).snapshot()


def test_a_batch_with_many_repeats_counts_every_event() -> None:
    a = Inference({"p.a": T.INTEGER, "p.b": T.NULL}, ())
    b = Inference({"p.a": T.NUMBER, "q": T.STRING}, (Finding("", "r"),))
    sequence: list[Any] = [("event", a, 5)] * 300 + [("event", b, 1)] + [("event", a, 9)] * 200 + [("event", b, 3)]
    batched = run_batched(sequence, [])
    assert batched.snapshot() == run_sequential(_ref_fold_event, sequence).snapshot()
    assert batched.schema is not None and batched.schema.event_count == 502
    assert batched.columns["p.a"].type_counts == {"INTEGER": 500, "NUMBER": 2}


def test_a_batch_refuses_a_listed_column_without_state() -> None:
    first = fold_events(KEY, None, {}, [(Inference({"p.a": T.STRING}, ()), 1, cause(1))])
    batch = [(Inference({"q": T.STRING}, ()), 2, cause(2)), (Inference({"p.a": T.STRING}, ()), 3, cause(3))]
    with pytest.raises(InconsistentStateError) as info:
        fold_events(KEY, first.schema, {}, batch)
    assert info.value.path == "p.a"


def test_a_batch_names_the_same_missing_column_as_the_per_event_fold() -> None:
    listed = Inference({"p.a": T.STRING, "p.b": T.STRING, "q": T.STRING}, ())
    first = fold_events(KEY, None, {}, [(listed, 1, cause(1))])
    kept = {"q": first.columns["q"]}
    unsorted = Inference({"q": T.STRING, "p.b": T.NULL, "p.a": T.STRING}, ())
    with pytest.raises(InconsistentStateError) as per_event:
        _ref_fold_event(KEY, first.schema, kept, unsorted, at_ms=2, cause=cause(2))
    with pytest.raises(InconsistentStateError) as batched:
        fold_events(KEY, first.schema, kept, [(Inference({"q": T.NULL}, ()), 2, cause(2)), (unsorted, 3, cause(3))])
    assert per_event.value.path == batched.value.path == "p.a"


def test_an_empty_batch_changes_nothing() -> None:
    first = fold_events(KEY, None, {}, [(Inference({"p.a": T.STRING}, ()), 1, cause(1))])
    again = fold_events(KEY, first.schema, first.columns, [])
    assert again == FoldResult(first.schema, {}, [])
    with pytest.raises(ValueError):
        fold_events(KEY, None, {}, [])


def test_a_batch_result_lists_touched_columns_in_path_order() -> None:
    batch = [(Inference({"q": T.STRING}, ()), 1, cause(1)), (Inference({"p.b": T.STRING, "p.a": T.NULL}, ()), 2, cause(2))]
    result = fold_events(KEY, None, {}, batch)
    assert list(result.columns) == ["p.a", "p.b", "q"]
    assert [c.change.version for c in result.changes] == [1, 2, 3]
    assert [c.path for c in result.changes] == ["q", "p.a", "p.b"]


def test_the_fast_column_constructor_builds_what_the_dataclass_does() -> None:
    values = (T.NUMBER, True, 1, 9, 3, {"INTEGER": 1, "NUMBER": 2}, Policy.LOCK, 1, ())
    built = _column(*values)
    assert type(built) is ColumnState
    assert built == ColumnState(*values)
    assert [getattr(built, f.name) for f in fields(ColumnState)] == list(values)
    with pytest.raises(FrozenInstanceError):
        built.count = 4  # type: ignore[misc]


def test_inference_past_the_path_memo_bounds_matches_the_reference() -> None:
    """More keys under one parent, and more parents, than the memo keeps."""
    wide = {"properties": {f"k.{i}": {"x": i, "y": [str(i)]} for i in range(5000)}}
    lim = Limits(max_depth=4, max_columns=20_000)
    assert infer_columns(wide, lim) == _ref_infer_columns(wide, lim)
    again = {"properties": {f"k.{i}": {"x": "s", "z": None} for i in range(0, 5000, 7)}}
    assert infer_columns(again, lim) == _ref_infer_columns(again, lim)


def test_section_names_are_escaped_as_ever_even_when_not_strings() -> None:
    odd: Any = {0: {"a": 1}, "": {"b": 2}}
    with pytest.raises(TypeError):
        _ref_infer_columns(odd, Limits())
    with pytest.raises(TypeError):
        infer_columns(odd)
    only_int: Any = {0: {"a": 1}}
    assert infer_columns(only_int) == _ref_infer_columns(only_int, Limits()) == Inference({"\\_.a": T.INTEGER}, ())
