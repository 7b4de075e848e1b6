"""The schema fold: a batch of one schema's events at once, the same as one at a time.

The schema agent takes events in batches, and most observations in a batch
change nothing but counters: a column sees a type it has seen before and
already holds. Counters add up in any order, so `fold_events` only counts such
observations and applies the counts to each column once, at the end. An
observation that could change a column (a new column, a type the column has
not seen, a type above the column's) is folded in order by `observe_column`,
in order, one event at a time.

Whether an observation is quiet can only change one way within a batch: a
column's seen types only grow and, under WIDEN, its type only rises (a batch
spans no policy change). So once every observation of an event's shape (its
paths and types) has been quiet, later events of the same shape are counted
as a whole, without looking at their columns one by one.

The result equals folding the events one at a time, each into the state the one
before left (tests/unit/registry/reference.py keeps that fold as the specification).
`fold_events` raises `InconsistentStateError` if an event names a column the summary
lists but `columns` lacks; nothing is folded then (to set aside only that event, fold
the batch event by event). It raises `ValueError` for an empty batch of a new schema;
an empty batch of an existing one returns the summary unchanged and no columns. A
batch must not span a policy change (`set_policy`). Deduplicating redelivered events
is the caller's job.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Final

from registry.column import Cause, ColumnState, _column, observe_column
from registry.errors import InconsistentStateError
from registry.infer import Inference
from registry.key import SchemaKey
from registry.lattice import join
from registry.pii import NOT_PERSONAL, PiiClassification, classify_path
from registry.schema import FoldResult, SchemaChange, SchemaState, trouble
from registry.types import ColumnType, Policy

_NULL: Final = ColumnType.NULL
_LOCK: Final = Policy.LOCK
_TYPES: Final = {t.value: t for t in ColumnType}

Shape = tuple[tuple[str, ...], tuple[ColumnType, ...]]


def fold_events(
    key: SchemaKey,
    schema: SchemaState | None,
    columns: Mapping[str, ColumnState],
    events: Iterable[tuple[Inference, int, Cause]],
) -> FoldResult:
    """Fold a batch of `(inference, at_ms, cause)` of schema `key`, in the given order:
    the same as one at a time (see the module docstring for the contract).

    `schema` is the current summary (None for a new schema), `columns` the state of
    at least every column the batch names. Returns the final summary, the final
    state of every column touched (in path order) and every entry, in version order.
    """
    version = 0 if schema is None else schema.version
    known = frozenset(() if schema is None else schema.columns)
    folding: dict[str, _Column] = {}
    changes: list[SchemaChange] = []
    # Shapes whose every observation is quiet, with the events counted since.
    repeats: dict[Shape, Span] = {}
    batch = Span()
    findings = 0
    for inference, at_ms, cause in events:
        batch.add(at_ms)
        if inference.findings:
            findings += len(inference.findings)
        observed = inference.columns
        shape = (tuple(observed), tuple(observed.values()))
        counted = repeats.get(shape)
        if counted is not None:
            counted.add(at_ms)
            continue

        loud: list[tuple[str, ColumnType, _Column]] = []
        for path, t in observed.items():
            column = folding.get(path)
            if column is None:
                state = columns.get(path)
                if state is None and path in known:
                    raise _inconsistent(key, observed, folding, columns, known)
                column = folding[path] = _Column(state)
            if t in column.quiet:
                column.count_one(t, at_ms)
            else:
                loud.append((path, t, column))
        if loud:
            version = _fold_loud(key, loud, inference, at_ms, cause, version, changes)
        # Every observation of the shape is quiet now, having just been folded.
        if all(t in folding[path].quiet for path, t in observed.items()):
            repeats[shape] = Span()

    if batch.count == 0:
        if schema is None:
            raise ValueError("an empty batch cannot start a schema")
        return FoldResult(schema, {}, [])
    for (paths, types), counted in repeats.items():
        if counted.count:
            for path, t in zip(paths, types):
                folding[path].count_many(t, counted)
    touched = {path: folding[path].result() for path in sorted(folding)}
    return FoldResult(_summary(schema, known, batch, version, touched, findings, changes, columns), touched, changes)


def _summary(
    schema: SchemaState | None,
    known: frozenset[str],
    batch: Span,
    version: int,
    touched: dict[str, ColumnState],
    findings: int,
    changes: list[SchemaChange],
    columns: Mapping[str, ColumnState],
) -> SchemaState:
    """The schema's summary after a batch: the one place a `SchemaState` is folded.
    `columns` are the states before it, `touched` after it."""
    conflicts, violations = trouble(columns, touched, changes)
    if schema is None:
        return SchemaState(
            version=version,
            event_count=batch.count,
            first_seen_ms=batch.first_ms,
            last_seen_ms=batch.last_ms,
            columns=tuple(touched),
            findings=findings,
            conflicts=conflicts,
            violations=violations,
        )
    added = not known.issuperset(touched)
    return SchemaState(
        version=version,
        event_count=schema.event_count + batch.count,
        first_seen_ms=min(schema.first_seen_ms, batch.first_ms),
        last_seen_ms=max(schema.last_seen_ms, batch.last_ms),
        columns=tuple(sorted(known.union(touched))) if added else schema.columns,
        findings=schema.findings + findings,
        conflicts=schema.conflicts + conflicts,
        violations=schema.violations + violations,
    )


def _inconsistent(
    key: SchemaKey,
    observed: Mapping[str, ColumnType],
    folding: Mapping[str, _Column],
    columns: Mapping[str, ColumnState],
    known: frozenset[str],
) -> InconsistentStateError:
    """Folding on would add a listed column a second time and fork its history: the
    error names the first such column of the event."""
    missing = (p for p in observed if p not in folding and p not in columns)
    return InconsistentStateError(str(key), min(p for p in missing if p in known))


def _fold_loud(
    key: SchemaKey,
    loud: list[tuple[str, ColumnType, _Column]],
    inference: Inference,
    at_ms: int,
    cause: Cause,
    version: int,
    changes: list[SchemaChange],
) -> int:
    """Fold an event's observations that may change their columns, in path order;
    append the entries they make to `changes`, and return the schema's version after.
    A column added here is classified by its key, else by what the event's values
    suggested (`inference.suggestions`)."""
    if len(loud) > 1:
        loud.sort(key=_by_path)
    for path, t, column in loud:
        suggestion = NOT_PERSONAL
        if column.state is None:
            suggestion = classify_path(path)
            if suggestion.classification is PiiClassification.NONE:
                suggestion = inference.suggestions.get(path, NOT_PERSONAL)
        state, change = observe_column(
            column.state, t, at_ms=at_ms, cause=cause, version=version + 1, suggestion=suggestion
        )
        column.fold(state)
        if change is not None:
            version += 1
            changes.append(SchemaChange.of(key, path, change, state.classification, state.pii_kind))
    return version


def _by_path(observation: tuple[str, ColumnType, _Column]) -> str:
    return observation[0]


class Span:
    """How many observations were counted, and the least and greatest of their times."""

    __slots__ = ("count", "first_ms", "last_ms")

    def __init__(self) -> None:
        self.count = 0
        self.first_ms = self.last_ms = 0

    def add(self, at_ms: int) -> None:
        if self.count == 0:
            self.first_ms = self.last_ms = at_ms
        elif at_ms < self.first_ms:
            self.first_ms = at_ms
        elif at_ms > self.last_ms:
            self.last_ms = at_ms
        self.count += 1

    def add_span(self, other: Span) -> None:
        if self.count == 0:
            self.first_ms, self.last_ms = other.first_ms, other.last_ms
        else:
            self.first_ms = min(self.first_ms, other.first_ms)
            self.last_ms = max(self.last_ms, other.last_ms)
        self.count += other.count


class _Column:
    """One column while a batch is folded: its last folded state plus quiet counts.

    `state` is what `observe_column` last returned (or the column as given);
    `counted` and `type_counts` hold the quiet observations since, which `result`
    adds. `quiet` maps each type whose observation would be quiet in `state` to
    the violations it counts (1 for a LOCKed column's type outside its type).
    """

    __slots__ = ("counted", "quiet", "state", "type_counts")

    def __init__(self, state: ColumnState | None) -> None:
        self.state = state
        self.quiet = _quiet_types(state)
        self.counted = Span()
        self.type_counts: dict[ColumnType, int] = {}

    def fold(self, state: ColumnState) -> None:
        self.state = state
        self.quiet = _quiet_types(state)

    def count_one(self, t: ColumnType, at_ms: int) -> None:
        self.counted.add(at_ms)
        self.type_counts[t] = self.type_counts.get(t, 0) + 1

    def count_many(self, t: ColumnType, counted: Span) -> None:
        self.counted.add_span(counted)
        self.type_counts[t] = self.type_counts.get(t, 0) + counted.count

    def result(self) -> ColumnState:
        state = self.state
        # A column enters a batch with a state, or gets one from its first
        # observation, which is not quiet (nothing is quiet without a state).
        assert state is not None
        counted = self.counted
        if counted.count == 0:
            return state
        type_counts = state.type_counts.copy()
        violations = state.violations
        for t, n in self.type_counts.items():
            # Quiet, so `t` is already a key, and the stored key (a plain str) is kept.
            type_counts[t] += n
            violations += n * self.quiet[t]
        return _column(
            state.type,
            state.nullable or _NULL in self.type_counts,
            min(state.first_seen_ms, counted.first_ms),
            max(state.last_seen_ms, counted.last_ms),
            state.count + counted.count,
            type_counts,
            state.policy,
            violations,
            state.history,
            state.classification,
            state.pii_kind,
        )


def _quiet_types(state: ColumnState | None) -> dict[ColumnType, int]:
    """The types whose observation changes nothing but counters, with the violations each counts.

    A type is quiet once the column has seen it, if the column is LOCKed (no
    entry for a seen type; a type outside the column's is a violation, a
    counter) or already holds it (under WIDEN).
    """
    if state is None:
        return {}
    quiet: dict[ColumnType, int] = {}
    for name in state.type_counts:
        t = _TYPES.get(name)
        if t is None:
            continue
        holds = join(state.type, t) is state.type
        if state.policy is _LOCK:
            quiet[t] = 0 if holds else 1
        elif holds:
            quiet[t] = 0
    return quiet


def fold_event(
    key: SchemaKey,
    schema: SchemaState | None,
    columns: Mapping[str, ColumnState],
    inference: Inference,
    *,
    at_ms: int,
    cause: Cause,
) -> FoldResult:
    """Fold one event's inference into its schema: `registry.batch.fold_events` of one.

    `schema` is the current summary (None for a new schema) and `columns` the current
    state of at least every column in `inference.columns` (a missing one is new; one
    the summary lists but `columns` lacks raises `InconsistentStateError`). Paths are
    processed in sorted order; each history entry takes the next version.
    Deduplicating redelivered events (by message id) is the caller's job: this fold
    counts what it is given.
    """
    return fold_events(key, schema, columns, [(inference, at_ms, cause)])
