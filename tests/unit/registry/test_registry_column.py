"""registry.column: the per-column history fold, its policies, and its stored form."""

from __future__ import annotations

import random
from collections import Counter

import pytest
from hypothesis import given
from hypothesis import strategies as st

from registry.column import (
    Cause,
    ColumnState,
    TypeChange,
    from_dict,
    observe_column,
    set_policy,
    to_dict,
)
from registry.errors import StateDecodeError
from registry.lattice import join, join_all
from registry.types import ChangeKind, ColumnType, Policy

T = ColumnType
K = ChangeKind


def cause(n: int) -> Cause:
    return Cause(message_id=f"m{n}", partition=n % 3, offset=n, event_time_ms=1000 * n)


def observe_all(
    observations: list[tuple[ColumnType, int]],
    state: ColumnState | None = None,
    policy: Policy = Policy.WIDEN,
) -> ColumnState:
    version = 0 if state is None else len(state.history)
    for n, (observed, at) in enumerate(observations):
        state, change = observe_column(
            state, observed, at_ms=at, cause=cause(n), version=version + 1, policy=policy
        )
        if change is not None:
            version += 1
    assert state is not None
    return state


def kinds(state: ColumnState) -> list[tuple[ChangeKind, ColumnType, ColumnType | None, ColumnType]]:
    return [(c.kind, c.observed_type, c.from_type, c.to_type) for c in state.history]


def test_first_observation_adds_the_column() -> None:
    state, change = observe_column(None, T.STRING, at_ms=5, cause=cause(1), version=7)
    assert change == TypeChange(K.COLUMN_ADDED, T.STRING, None, T.STRING, 7, 5, cause(1))
    assert state == ColumnState(
        type=T.STRING,
        nullable=False,
        first_seen_ms=5,
        last_seen_ms=5,
        count=1,
        type_counts={"STRING": 1},
        policy=Policy.WIDEN,
        violations=0,
        history=(change,),
    )


def test_string_then_number_is_a_conflict_that_stays_string() -> None:
    state = observe_all([(T.STRING, 1), (T.NUMBER, 2), (T.NUMBER, 3)])
    assert kinds(state) == [
        (K.COLUMN_ADDED, T.STRING, None, T.STRING),
        (K.TYPE_CONFLICT, T.NUMBER, T.STRING, T.STRING),
    ]
    assert state.type is T.STRING
    assert state.type_counts == {"STRING": 1, "NUMBER": 2}


def test_number_then_string_is_a_conflict_to_string() -> None:
    state = observe_all([(T.NUMBER, 1), (T.STRING, 2)])
    assert kinds(state)[1] == (K.TYPE_CONFLICT, T.STRING, T.NUMBER, T.STRING)
    assert state.type is T.STRING


@pytest.mark.parametrize(
    ("first", "then", "entry"),
    [
        (T.INTEGER, T.NUMBER, (K.TYPE_WIDENED, T.NUMBER, T.INTEGER, T.NUMBER)),
        (T.NUMBER, T.INTEGER, (K.TYPE_WIDENED, T.INTEGER, T.NUMBER, T.NUMBER)),
        (T.NULL, T.ARRAY, (K.TYPE_WIDENED, T.ARRAY, T.NULL, T.ARRAY)),
        (T.BOOLEAN, T.STRING, (K.TYPE_CONFLICT, T.STRING, T.BOOLEAN, T.STRING)),
        (T.STRING, T.BOOLEAN, (K.TYPE_CONFLICT, T.BOOLEAN, T.STRING, T.STRING)),
        (T.ARRAY, T.INTEGER, (K.TYPE_CONFLICT, T.INTEGER, T.ARRAY, T.JSON)),
        (T.TIMESTAMP, T.STRING, (K.TYPE_CONFLICT, T.STRING, T.TIMESTAMP, T.STRING)),
    ],
)
def test_second_type_entries(
    first: ColumnType, then: ColumnType, entry: tuple[ChangeKind, ColumnType, ColumnType, ColumnType]
) -> None:
    state = observe_all([(first, 1), (then, 2)])
    assert kinds(state)[1:] == [entry]
    assert state.history[1].version == 2
    assert state.type is entry[3]


def test_a_type_already_seen_makes_no_entry() -> None:
    state = observe_all([(T.INTEGER, 1), (T.STRING, 2), (T.INTEGER, 3), (T.STRING, 4)])
    assert len(state.history) == 2
    assert state.count == 4


def test_null_into_an_existing_column_sets_nullable_without_an_entry() -> None:
    state = observe_all([(T.INTEGER, 1), (T.NULL, 2)])
    assert len(state.history) == 1
    assert state.nullable
    assert state.type is T.INTEGER
    assert state.type_counts == {"INTEGER": 1, "NULL": 1}


def test_lock_keeps_the_type_and_counts_every_violation() -> None:
    start = set_policy(observe_all([(T.INTEGER, 1)]), Policy.LOCK)
    state = observe_all([(T.STRING, 2), (T.NUMBER, 3), (T.STRING, 4), (T.INTEGER, 5), (T.NULL, 6)], start)
    assert state.type is T.INTEGER
    assert state.policy is Policy.LOCK
    assert state.violations == 3
    assert kinds(state)[1:] == [
        (K.VIOLATION, T.STRING, T.INTEGER, T.INTEGER),
        (K.VIOLATION, T.NUMBER, T.INTEGER, T.INTEGER),
    ]
    assert state.count == 6
    assert state.nullable


def test_policy_applies_to_a_new_column_only() -> None:
    state, _ = observe_column(None, T.NUMBER, at_ms=1, cause=cause(1), version=1, policy=Policy.LOCK)
    assert state.policy is Policy.LOCK
    state, change = observe_column(
        state, T.STRING, at_ms=2, cause=cause(2), version=2, policy=Policy.WIDEN
    )
    assert state.policy is Policy.LOCK
    assert change is not None and change.kind is K.VIOLATION


def test_unlocking_records_the_widening_that_locking_held_back() -> None:
    locked, _ = observe_column(None, T.INTEGER, at_ms=1, cause=cause(1), version=1, policy=Policy.LOCK)
    locked = observe_all([(T.STRING, 2)], locked)
    state = observe_all([(T.STRING, 3)], set_policy(locked, Policy.WIDEN))
    assert state.type is T.STRING
    assert kinds(state)[-1] == (K.TYPE_CONFLICT, T.STRING, T.INTEGER, T.STRING)


def test_seen_times_are_the_least_and_greatest_event_times() -> None:
    state = observe_all([(T.INTEGER, 50), (T.INTEGER, 10), (T.INTEGER, 30)])
    assert (state.first_seen_ms, state.last_seen_ms) == (10, 50)


observations = st.lists(
    st.tuples(st.sampled_from(list(ColumnType)), st.integers(-(10**12), 10**12)),
    min_size=1,
    max_size=12,
)


@given(observations, st.randoms(use_true_random=False))
def test_widen_does_not_depend_on_observation_order(obs: list[tuple[ColumnType, int]], rnd: random.Random) -> None:
    reordered = rnd.sample(obs, len(obs))
    a, b = observe_all(obs), observe_all(reordered)
    for state in (a, b):
        assert state.type is join_all(t for t, _ in obs)
        assert state.type_counts == {t.value: n for t, n in Counter(t for t, _ in obs).items()}
        assert state.count == len(obs)
        assert state.nullable is any(t is T.NULL for t, _ in obs)
        assert state.first_seen_ms == min(at for _, at in obs)
        assert state.last_seen_ms == max(at for _, at in obs)
        # History: one entry per distinct non-null type, and it ends at the type.
        assert state.history[0].kind is K.COLUMN_ADDED
        assert state.history[-1].to_type is state.type
        assert [c.version for c in state.history] == list(range(1, len(state.history) + 1))
        observed = {c.observed_type for c in state.history} - {T.NULL}
        assert observed == {t for t, _ in obs} - {T.NULL}
        assert len(state.history) == len({c.observed_type for c in state.history})


@given(st.sampled_from(list(ColumnType)), observations, st.randoms(use_true_random=False))
def test_lock_does_not_depend_on_observation_order(
    locked: ColumnType, obs: list[tuple[ColumnType, int]], rnd: random.Random
) -> None:
    start = set_policy(observe_all([(locked, 0)]), Policy.LOCK)
    a, b = observe_all(obs, start), observe_all(rnd.sample(obs, len(obs)), start)
    expected_violations = sum(join(locked, t) is not locked for t, _ in obs)
    for state in (a, b):
        assert state.type is locked
        assert state.violations == expected_violations
        assert {c.observed_type for c in state.history[1:]} == {
            t for t, _ in obs if join(locked, t) is not locked
        }
        assert all(c.kind is K.VIOLATION and c.to_type is locked for c in state.history[1:])


@given(observations, st.sampled_from(list(Policy)))
def test_stored_form_round_trips(obs: list[tuple[ColumnType, int]], policy: Policy) -> None:
    state = observe_all(obs, policy=policy)
    stored = to_dict(state)
    assert from_dict(stored) == state
    assert to_dict(from_dict(stored)) == stored


def test_stored_form_uses_short_stable_keys() -> None:
    stored = to_dict(observe_all([(T.INTEGER, 1), (T.NUMBER, 2)]))
    assert sorted(stored) == ["c", "fs", "h", "ls", "n", "p", "pii", "pk", "t", "tc", "v"]
    assert stored["h"][1] == {
        "k": "TYPE_WIDENED",
        "o": "NUMBER",
        "f": "INTEGER",
        "to": "NUMBER",
        "ver": 2,
        "at": 2,
        "mid": "m1",
        "pt": 1,
        "off": 1,
        "et": 1000,
    }


@pytest.mark.parametrize(
    ("field", "value"),
    [("t", "DATE"), ("n", 1), ("c", True), ("c", "3"), ("tc", {"DATE": 1}), ("tc", []), ("h", {})],
)
def test_decoding_bad_state_names_the_field(field: str, value: object) -> None:
    stored = to_dict(observe_all([(T.INTEGER, 1)]))
    stored[field] = value
    with pytest.raises(StateDecodeError) as info:
        from_dict(stored)
    assert info.value.field in (field, "DATE")


def test_decoding_a_missing_field_fails() -> None:
    stored = to_dict(observe_all([(T.INTEGER, 1)]))
    del stored["p"]
    with pytest.raises(StateDecodeError) as info:
        from_dict(stored)
    assert info.value.field == "p"
    with pytest.raises(StateDecodeError):
        from_dict([])
