"""A profile's state: traits, first/last seen, event counts and groups.

Traits merge per key, last-write-wins by event time; equal times are broken by
messageId and then by the value itself, so the winner of two writes never
depends on which arrived first. Each trait keeps the time and messageId that
set it, which is what makes every fold here order-independent:

- `apply_event` over any permutation of the same events gives the same state;
- `merge_profiles` is commutative and associative, and idempotent on traits,
  seen times and groups.

Counts are plain sums: applying one event twice counts it twice, and so does
merging a state with itself. The caller dedupes by messageId before
`apply_event`, and merges states of *different* identifiers (each event is
counted under the one identifier it is keyed by), so no event is counted twice.

User traits come from identify calls only (top-level traits, with
context.traits under them, as `schemas.parse` builds them): a group call's
traits describe the group. A trait's value is replaced whole, never merged
inside, and a null value is a write like any other.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import orjson

from query.domain.fields import Reader
from schemas.event import Event, EventType


@dataclass(frozen=True, slots=True)
class Trait:
    """One trait's value and the write that set it."""

    value: Any
    timestamp_ms: int
    message_id: str


def _rank(t: Trait) -> tuple[int, str, bytes]:
    # The value decides only between two writes with one time and messageId,
    # which a well-behaved client never sends; it keeps the merge commutative.
    return (t.timestamp_ms, t.message_id, orjson.dumps(t.value, option=orjson.OPT_SORT_KEYS))


def newer_trait(a: Trait, b: Trait) -> Trait:
    """The write that wins: the later event, then the larger messageId."""
    return a if _rank(a) >= _rank(b) else b


@dataclass(frozen=True, slots=True)
class ProfileState:
    """The fold of one identifier's (or one merged profile's) events.

    `counts` is by event type (`EventType.value`); seen times are event times.
    """

    first_seen_ms: int
    last_seen_ms: int
    traits: dict[str, Trait] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)
    groups: frozenset[str] = frozenset()

    @property
    def event_count(self) -> int:
        return sum(self.counts.values())

    def to_dict(self) -> dict[str, Any]:
        """The stored form: short keys, traits and counts sorted by key."""
        return {
            "fs": self.first_seen_ms,
            "ls": self.last_seen_ms,
            "tr": {
                k: [t.value, t.timestamp_ms, t.message_id] for k, t in sorted(self.traits.items())
            },
            "n": dict(sorted(self.counts.items())),
            "g": sorted(self.groups),
        }

    @staticmethod
    def from_dict(d: object) -> ProfileState:
        r = Reader(d, "profile")
        traits: dict[str, Trait] = {}
        for name, row in r.get_object("tr").items():
            if (
                not isinstance(row, list)
                or len(row) != 3
                or not _is_int(row[1])
                or not isinstance(row[2], str)
            ):
                raise r.fail("tr", f"trait {name!r} is not [value, timestamp_ms, message_id]")
            traits[name] = Trait(row[0], row[1], row[2])
        counts: dict[str, int] = {}
        for type_name, count in r.get_object("n").items():
            if type_name not in _TYPE_NAMES or not _is_int(count):
                raise r.fail("n", f"bad count {type_name!r}: {count!r}")
            counts[type_name] = count
        groups = r.get_list("g")
        if not all(isinstance(g, str) for g in groups):
            raise r.fail("g", "group ids are strings")
        return ProfileState(
            first_seen_ms=r.get_int("fs"),
            last_seen_ms=r.get_int("ls"),
            traits=traits,
            counts=counts,
            groups=frozenset(groups),
        )


_TYPE_NAMES = frozenset(t.value for t in EventType)


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def merge_traits(a: Mapping[str, Trait], b: Mapping[str, Trait]) -> dict[str, Trait]:
    """Per key, the newer write; keys sorted so equal merges compare equal."""
    merged = dict(a)
    for name, trait in b.items():
        mine = merged.get(name)
        merged[name] = trait if mine is None else newer_trait(mine, trait)
    return dict(sorted(merged.items()))


def apply_event(state: ProfileState | None, event: Event) -> ProfileState:
    """The state after one more event (not deduped here: see the module doc)."""
    if state is not None and event.type is not EventType.IDENTIFY and event.type is not EventType.GROUP:
        # Most events only count: what merge_profiles would give, without re-merging
        # and re-sorting the traits the event does not touch.
        name = event.type.value
        counts = dict(state.counts)
        if name in counts:
            counts[name] += 1
        else:
            counts[name] = 1
            counts = dict(sorted(counts.items()))
        return ProfileState(
            first_seen_ms=min(state.first_seen_ms, event.timestamp_ms),
            last_seen_ms=max(state.last_seen_ms, event.timestamp_ms),
            traits=state.traits,
            counts=counts,
            groups=state.groups,
        )
    traits: dict[str, Trait] = {}
    if event.type is EventType.IDENTIFY:
        traits = {
            name: Trait(value, event.timestamp_ms, event.message_id)
            for name, value in event.traits.items()
        }
    groups: frozenset[str] = frozenset()
    if event.type is EventType.GROUP and event.group_id is not None:
        groups = frozenset({event.group_id})
    single = ProfileState(
        first_seen_ms=event.timestamp_ms,
        last_seen_ms=event.timestamp_ms,
        traits=dict(sorted(traits.items())),
        counts={event.type.value: 1},
        groups=groups,
    )
    return single if state is None else merge_profiles(state, single)


def merge_profiles(a: ProfileState, b: ProfileState) -> ProfileState:
    """The state of the union of two profiles' events (counts summed)."""
    counts = dict(a.counts)
    for type_name, n in b.counts.items():
        counts[type_name] = counts.get(type_name, 0) + n
    return ProfileState(
        first_seen_ms=min(a.first_seen_ms, b.first_seen_ms),
        last_seen_ms=max(a.last_seen_ms, b.last_seen_ms),
        traits=merge_traits(a.traits, b.traits),
        counts=dict(sorted(counts.items())),
        groups=a.groups | b.groups,
    )


def merge_all(states: Iterable[ProfileState]) -> ProfileState | None:
    """All the states merged (a profile read over its members' rows); None if none."""
    result: ProfileState | None = None
    for state in states:
        result = state if result is None else merge_profiles(result, state)
    return result


def traits_view(state: ProfileState) -> dict[str, Any]:
    """The current traits as plain values, sorted by name."""
    return {name: t.value for name, t in sorted(state.traits.items())}
