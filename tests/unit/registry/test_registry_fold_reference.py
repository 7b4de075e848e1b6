"""The fast fold against the frozen reference (`reference.py`): same inference, same
states, same changes, states compared in their stored form."""

from __future__ import annotations

import random
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from registry.column import (
    ColumnState,
    observe_column,
    set_policy,
    to_dict,
)
from registry.infer import Limits, infer_columns, infer_type
from registry.batch import fold_event
from registry.types import ColumnType, Policy

from tests.unit.registry.fold_cases import PATHS, cause, json_scalars, json_values, limits, odd_scalars, odd_values, outcome, run_sequential, sections, steps
from tests.unit.registry.reference import ref_fold_event, ref_infer_columns, ref_infer_type, ref_observe_column


@settings(max_examples=400, deadline=None)
@given(sections, limits)
def test_infer_columns_matches_the_reference(value: dict[str, Any], lim: Limits) -> None:
    assert infer_columns(value, lim) == ref_infer_columns(value, lim)
    assert list(infer_columns(value, lim).columns) == list(ref_infer_columns(value, lim).columns)


@settings(max_examples=200, deadline=None)
@given(st.dictionaries(st.sampled_from(["properties", "traits"]), odd_values, max_size=2), limits)
def test_infer_columns_matches_the_reference_on_values_that_are_not_plain_json(
    value: dict[str, Any], lim: Limits
) -> None:
    assert outcome(infer_columns, value, lim) == outcome(ref_infer_columns, value, lim)


@given(json_scalars | odd_scalars | json_values, st.text(max_size=3))
def test_infer_type_matches_the_reference(value: Any, path: str) -> None:
    assert outcome(infer_type, value, path) == outcome(ref_infer_type, value, path)


@settings(max_examples=300, deadline=None)
@given(steps)
def test_fold_event_matches_the_reference(sequence: list[Any]) -> None:
    assert run_sequential(fold_event, sequence).snapshot() == run_sequential(ref_fold_event, sequence).snapshot()


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
    reference = [("event", ref_infer_columns(v, lim), 0) for v in events]
    assert [s[1] for s in sequence if s[0] == "event"] == [s[1] for s in reference]
    assert run_sequential(fold_event, sequence).snapshot() == run_sequential(ref_fold_event, sequence).snapshot()


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
        reference, ref_change = ref_observe_column(
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
    expected = ref_observe_column(reference, observed, at_ms=at, cause=cause(99), version=50)
    assert (to_dict(got[0]), got[1]) == (to_dict(expected[0]), expected[1])
    assert got[0] == expected[0]
