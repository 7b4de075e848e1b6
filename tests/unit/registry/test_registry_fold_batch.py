"""The batch fold (`fold_events`) equals the per-event fold for any split of a
sequence into batches, and keeps its own promises."""

from __future__ import annotations

from dataclasses import FrozenInstanceError, fields
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from registry.pii import PiiClassification
from registry.column import ColumnState, _column
from registry.errors import InconsistentStateError
from registry.infer import Finding, Inference, Limits, infer_columns
from registry.batch import fold_events
from registry.schema import FoldResult
from registry.types import ChangeKind, Policy

from tests.unit.registry.fold_cases import KEY, T, cause, limits, run_batched, run_sequential, sections, steps
from tests.unit.registry.reference import ref_fold_event, ref_infer_columns


@settings(max_examples=300, deadline=None)
@given(steps, st.lists(st.integers(0, 30), max_size=6))
def test_a_batch_fold_equals_the_per_event_fold(sequence: list[Any], cuts: list[int]) -> None:
    assert run_batched(sequence, cuts).snapshot() == run_sequential(ref_fold_event, sequence).snapshot()


@settings(max_examples=200, deadline=None)
@given(steps, st.lists(st.integers(0, 30), max_size=6))
def test_the_summary_counts_the_conflicts_and_violations_of_its_columns(
    sequence: list[Any], cuts: list[int]
) -> None:
    """What a list of schemas shows (SchemaState) agrees with the columns it summarises."""
    store = run_batched(sequence, cuts)
    if store.schema is None:
        return
    columns = store.columns.values()
    history = [c for column in columns for c in column.history]
    assert store.schema.conflicts == sum(1 for c in history if c.kind is ChangeKind.TYPE_CONFLICT)
    assert store.schema.violations == sum(column.violations for column in columns)
    assert store.schema.version == len(history)


@settings(max_examples=100, deadline=None)
@given(st.lists(sections, max_size=8), limits, st.lists(st.integers(0, 30), max_size=3), st.integers(0, 3))
def test_a_batch_fold_of_raw_events_equals_the_per_event_fold(
    events: list[dict[str, Any]], lim: Limits, cuts: list[int], repeat: int
) -> None:
    """Raw events, repeated so that batches see the same shapes many times."""
    sequence: list[Any] = [("event", infer_columns(v, lim), i % 9) for i, v in enumerate(events * (1 + repeat))]
    assert run_batched(sequence, cuts).snapshot() == run_sequential(ref_fold_event, sequence).snapshot()


def test_a_batch_with_many_repeats_counts_every_event() -> None:
    a = Inference({"p.a": T.INTEGER, "p.b": T.NULL}, ())
    b = Inference({"p.a": T.NUMBER, "q": T.STRING}, (Finding("", "r"),))
    sequence: list[Any] = [("event", a, 5)] * 300 + [("event", b, 1)] + [("event", a, 9)] * 200 + [("event", b, 3)]
    batched = run_batched(sequence, [])
    assert batched.snapshot() == run_sequential(ref_fold_event, sequence).snapshot()
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
        ref_fold_event(KEY, first.schema, kept, unsorted, at_ms=2, cause=cause(2))
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
    values = (T.NUMBER, True, 1, 9, 3, {"INTEGER": 1, "NUMBER": 2}, Policy.LOCK, 1, (), PiiClassification.RED, "token")
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
    assert infer_columns(wide, lim) == ref_infer_columns(wide, lim)
    again = {"properties": {f"k.{i}": {"x": "s", "z": None} for i in range(0, 5000, 7)}}
    assert infer_columns(again, lim) == ref_infer_columns(again, lim)


def test_section_names_are_escaped_as_ever_even_when_not_strings() -> None:
    odd: Any = {0: {"a": 1}, "": {"b": 2}}
    with pytest.raises(TypeError):
        ref_infer_columns(odd, Limits())
    with pytest.raises(TypeError):
        infer_columns(odd)
    only_int: Any = {0: {"a": 1}}
    assert infer_columns(only_int) == ref_infer_columns(only_int, Limits()) == Inference({"\\_.a": T.INTEGER}, ())
