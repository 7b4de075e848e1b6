"""Generated input for the fold tests, and the store an agent keeps between folds."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from hypothesis import strategies as st

from registry.column import (
    Cause,
    ColumnState,
    from_dict,
    set_policy,
    to_dict,
)
from registry.errors import UnsupportedValueError
from registry.infer import Finding, Inference, Limits
from registry.key import SchemaKey
from registry.batch import fold_events
from registry.schema import FoldResult, SchemaState
from registry.types import ColumnType, Policy


T = ColumnType
KEY = SchemaKey("web", "track", "Order Completed")

KEYS = ["a", "b", "c.d", "", "x[]", "\\_", "é", "email", "password"]
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
