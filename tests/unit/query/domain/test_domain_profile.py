"""query.domain.profile: traits last-write-wins by event time, seen times, counts, groups."""

from __future__ import annotations

from typing import Any

import orjson
import pytest
from hypothesis import given
from hypothesis import strategies as st

from query.domain.errors import RecordDecodeError
from query.domain.profile import (
    ProfileState,
    Trait,
    apply_event,
    merge_all,
    merge_profiles,
    traits_view,
)
from schemas.event import Event, EventType
from tests.unit.query.domain.builders import make_event


def fold(events: list[Event]) -> ProfileState | None:
    state: ProfileState | None = None
    for e in events:
        state = apply_event(state, e)
    return state


def test_a_backfilled_older_identify_does_not_overwrite_a_newer_trait() -> None:
    newer = make_event(EventType.IDENTIFY, message_id="m2", user_id="u", timestamp_ms=2_000,
                       traits={"plan": "pro", "name": "Ann"})
    backfill = make_event(EventType.IDENTIFY, message_id="m1", user_id="u", timestamp_ms=1_000,
                          traits={"plan": "free", "company": "Acme"})
    state = fold([newer, backfill])
    assert state is not None
    assert traits_view(state) == {"company": "Acme", "name": "Ann", "plan": "pro"}
    assert state.traits["plan"] == Trait("pro", 2_000, "m2")
    assert (state.first_seen_ms, state.last_seen_ms) == (1_000, 2_000)


def test_equal_times_are_broken_by_message_id() -> None:
    a = make_event(EventType.IDENTIFY, message_id="m-a", timestamp_ms=5, traits={"k": 1})
    b = make_event(EventType.IDENTIFY, message_id="m-b", timestamp_ms=5, traits={"k": 2})
    assert fold([a, b]) == fold([b, a])
    state = fold([a, b])
    assert state is not None and traits_view(state) == {"k": 2}


def test_counts_groups_and_seen_times() -> None:
    state = fold([
        make_event(EventType.TRACK, message_id="1", timestamp_ms=30),
        make_event(EventType.TRACK, message_id="2", timestamp_ms=10),
        make_event(EventType.GROUP, message_id="3", group_id="acme", timestamp_ms=20,
                   traits={"name": "Acme Inc"}),
        make_event(EventType.PAGE, message_id="4", timestamp_ms=40),
    ])
    assert state is not None
    assert state.counts == {"group": 1, "page": 1, "track": 2}
    assert state.event_count == 4
    assert state.groups == frozenset({"acme"})
    assert state.traits == {}  # a group's traits are the group's
    assert (state.first_seen_ms, state.last_seen_ms) == (10, 40)
    assert ProfileState.from_dict(state.to_dict()) == state


def test_merge_sums_counts_so_the_caller_must_not_merge_a_row_with_itself() -> None:
    state = apply_event(None, make_event())
    assert merge_profiles(state, state).counts == {"track": 2}
    assert merge_all([]) is None


@pytest.mark.parametrize(
    ("record", "field"),
    [
        ({"fs": 1, "ls": 2, "tr": {"a": [1, 2]}, "n": {}, "g": []}, "tr"),
        ({"fs": 1, "ls": 2, "tr": {}, "n": {"click": 1}, "g": []}, "n"),
        ({"fs": 1, "ls": 2, "tr": {}, "n": {}, "g": [3]}, "g"),
        ({"fs": True, "ls": 2, "tr": {}, "n": {}, "g": []}, "fs"),
    ],
)
def test_from_dict_names_the_bad_field(record: dict[str, Any], field: str) -> None:
    with pytest.raises(RecordDecodeError) as info:
        ProfileState.from_dict(record)
    assert info.value.field == field


json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-5, 5) | st.text(max_size=3),
    lambda inner: st.lists(inner, max_size=2) | st.dictionaries(st.text(max_size=2), inner, max_size=2),
    max_leaves=4,
)


@st.composite
def events(draw: st.DrawFn) -> Event:
    type_ = draw(st.sampled_from(list(EventType)))
    return make_event(
        type_,
        # A small pool of ids and times makes ties (same time, same id) common.
        message_id=draw(st.sampled_from(["m1", "m2", "m3", "m4"])),
        timestamp_ms=draw(st.integers(0, 3)),
        traits=draw(st.dictionaries(st.sampled_from(["a", "b", "c"]), json_values, max_size=3)),
        group_id=draw(st.sampled_from(["g1", "g2"])) if type_ is EventType.GROUP else None,
        previous_id="p" if type_ is EventType.ALIAS else None,
    )


@given(st.lists(events(), min_size=1, max_size=12).flatmap(lambda es: st.tuples(st.just(es), st.permutations(es))))
def test_any_order_of_the_same_events_gives_the_same_state(orders: tuple[list[Event], list[Event]]) -> None:
    es, shuffled = orders
    one, other = fold(es), fold(shuffled)
    assert one == other
    assert one is not None and other is not None
    assert one.to_dict() == other.to_dict()


@given(st.lists(events(), min_size=1, max_size=8))
def test_applying_events_twice_gives_the_same_traits_seen_times_and_groups(es: list[Event]) -> None:
    once, twice = fold(es), fold(es + es)
    assert once is not None and twice is not None
    assert (once.traits, once.first_seen_ms, once.last_seen_ms, once.groups) == (
        twice.traits, twice.first_seen_ms, twice.last_seen_ms, twice.groups,
    )
    assert twice.counts == {k: 2 * n for k, n in once.counts.items()}


states = st.lists(events(), min_size=1, max_size=5).map(fold)


def lattice_part(s: ProfileState) -> tuple[object, ...]:
    return (s.traits, s.first_seen_ms, s.last_seen_ms, s.groups)


@given(states, states, states)
def test_merge_profiles_is_commutative_and_associative(a: ProfileState, b: ProfileState, c: ProfileState) -> None:
    assert merge_profiles(a, b) == merge_profiles(b, a)
    assert merge_profiles(merge_profiles(a, b), c) == merge_profiles(a, merge_profiles(b, c))


@given(states, states)
def test_merge_profiles_is_idempotent_on_traits_seen_times_and_groups(a: ProfileState, b: ProfileState) -> None:
    ab = merge_profiles(a, b)
    assert lattice_part(merge_profiles(a, a)) == lattice_part(a)
    assert lattice_part(merge_profiles(ab, b)) == lattice_part(ab)


@given(st.lists(events(), min_size=2, max_size=10), st.data())
def test_merging_the_folds_of_a_split_equals_folding_everything(es: list[Event], data: st.DataObject) -> None:
    cut = data.draw(st.integers(1, len(es) - 1))
    left, right = fold(es[:cut]), fold(es[cut:])
    assert left is not None and right is not None
    assert merge_profiles(left, right) == fold(es)


@given(states, events())
def test_applying_an_event_equals_merging_its_own_state(state: ProfileState, e: Event) -> None:
    # apply_event takes a shortcut for events that only count; it must stay a merge.
    applied, merged = apply_event(state, e), merge_profiles(state, apply_event(None, e))
    assert applied == merged
    assert orjson.dumps(applied.to_dict()) == orjson.dumps(merged.to_dict())
