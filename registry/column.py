"""One column over time: its type, counters, policy and the history of its types.

`observe_column` folds one observation into a column. It is the heart of the
registry's semantics: the column type is the join of what was seen (under
WIDEN), every type change is a history entry, and a LOCKed column keeps its
type and counts violations instead.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from typing import Any, Final

from registry.fields import Reader
from registry.lattice import is_lossless, join
from registry.pii import NOT_PERSONAL, PiiClassification, PiiSuggestion
from registry.types import ChangeKind, ColumnType, Policy


_NULL: Final = ColumnType.NULL
_LOCK: Final = Policy.LOCK
_ADDED: Final = ChangeKind.COLUMN_ADDED


@dataclass(frozen=True, slots=True)
class Cause:
    """The message that caused a change: where it sits in the log, and its event time."""

    message_id: str
    partition: int
    offset: int
    event_time_ms: int


@dataclass(frozen=True, slots=True)
class TypeChange:
    """One entry of a column's history.

    `observed_type` is what the causing event carried; the column went from
    `from_type` (None when the column was added) to `to_type`. `version` is
    the schema version this change created; `at_ms` is the observation's time.
    """

    kind: ChangeKind
    observed_type: ColumnType
    from_type: ColumnType | None
    to_type: ColumnType
    version: int
    at_ms: int
    cause: Cause


@dataclass(frozen=True, slots=True)
class ColumnState:
    """Everything known about one column of one schema.

    `type_counts` maps a ColumnType value (NULL included) to how many
    observations carried it. `first_seen_ms`/`last_seen_ms` are the least and
    greatest observation times, so they do not depend on processing order.
    `history` is in version order. `classification` says whether its values are
    personal data (suggested on first sight, `registry.pii`, and set by a command);
    `pii_kind` names the kind (email, credit_card...), None for NONE.
    """

    type: ColumnType
    nullable: bool
    first_seen_ms: int
    last_seen_ms: int
    count: int
    type_counts: dict[str, int]
    policy: Policy
    violations: int
    history: tuple[TypeChange, ...]
    classification: PiiClassification = PiiClassification.NONE
    pii_kind: str | None = None


# A frozen dataclass's __init__ sets each field through object.__setattr__, a
# call per field. The per-event fold builds a ColumnState per column per event
# (the batch fold, `registry.batch`, one per column per batch), and storing
# through the slot descriptors instead takes half the time. The unpacking
# below fails at import if a field is added and not named here.
(
    _set_type,
    _set_nullable,
    _set_first_seen,
    _set_last_seen,
    _set_count,
    _set_type_counts,
    _set_policy,
    _set_violations,
    _set_history,
    _set_classification,
    _set_pii_kind,
) = (ColumnState.__dict__[f.name].__set__ for f in fields(ColumnState))
_new: Final = object.__new__


def _column(
    type: ColumnType,
    nullable: bool,
    first_seen_ms: int,
    last_seen_ms: int,
    count: int,
    type_counts: dict[str, int],
    policy: Policy,
    violations: int,
    history: tuple[TypeChange, ...],
    classification: PiiClassification,
    pii_kind: str | None,
) -> ColumnState:
    """`ColumnState(...)` with the same fields in the same order, built faster."""
    state: ColumnState = _new(ColumnState)
    _set_type(state, type)
    _set_nullable(state, nullable)
    _set_first_seen(state, first_seen_ms)
    _set_last_seen(state, last_seen_ms)
    _set_count(state, count)
    _set_type_counts(state, type_counts)
    _set_policy(state, policy)
    _set_violations(state, violations)
    _set_history(state, history)
    _set_classification(state, classification)
    _set_pii_kind(state, pii_kind)
    return state


def observe_column(
    state: ColumnState | None,
    observed: ColumnType,
    *,
    at_ms: int,
    cause: Cause,
    version: int,
    policy: Policy = Policy.WIDEN,
    suggestion: PiiSuggestion = NOT_PERSONAL,
) -> tuple[ColumnState, TypeChange | None]:
    """Fold one observation of `observed` at `at_ms` into a column.

    Returns the new state and the history entry it produced, if any; an entry
    carries `version`, so the caller passes the version it would create.
    `policy` and `suggestion` (its classification) apply only to a new column
    (`state` is None).

    An entry is produced when the column is added, and when a type the column
    has never seen arrives or the type changes:
    - LOCK: if the join differs from the type, VIOLATION (type kept). Every
      observation whose join differs counts in `violations`, new type or not.
    - WIDEN: the type becomes the join; TYPE_WIDENED if both the old type and
      the observed type convert to it losslessly, else TYPE_CONFLICT.
    A NULL observation into an existing column never produces an entry:
    nullability is not a type.
    """
    if state is None:
        return _added(observed, at_ms=at_ms, cause=cause, version=version, policy=policy, suggestion=suggestion)

    old = state.type
    # ColumnType is a str: it finds its value's key, and an existing key is kept.
    type_counts = state.type_counts.copy()
    seen = type_counts.get(observed)
    joined = old if observed is old else join(old, observed)
    if seen is not None and joined is old:
        # The common case: a type the column has seen and holds. Under either
        # policy only counters change: no entry, no violation.
        type_counts[observed] = seen + 1
        first, last = state.first_seen_ms, state.last_seen_ms
        column = _column(
            old,
            state.nullable or observed is _NULL,
            at_ms if at_ms < first else first,
            at_ms if at_ms > last else last,
            state.count + 1,
            type_counts,
            state.policy,
            state.violations,
            state.history,
            state.classification,
            state.pii_kind,
        )
        return column, None

    type_counts[observed._value_] = 1 if seen is None else seen + 1
    return _changed(
        state, observed, joined, type_counts, is_new_type=seen is None, at_ms=at_ms, cause=cause, version=version
    )


def _added(
    observed: ColumnType, *, at_ms: int, cause: Cause, version: int, policy: Policy, suggestion: PiiSuggestion
) -> tuple[ColumnState, TypeChange]:
    """A new column, from its first observation, and the entry that adds it."""
    added = TypeChange(_ADDED, observed, None, observed, version, at_ms, cause)
    column = ColumnState(
        type=observed,
        nullable=observed is _NULL,
        first_seen_ms=at_ms,
        last_seen_ms=at_ms,
        count=1,
        type_counts={observed._value_: 1},
        policy=policy,
        violations=0,
        history=(added,),
        classification=suggestion.classification,
        pii_kind=suggestion.kind,
    )
    return column, added


def _changed(
    state: ColumnState,
    observed: ColumnType,
    joined: ColumnType,
    type_counts: dict[str, int],
    *,
    is_new_type: bool,
    at_ms: int,
    cause: Cause,
    version: int,
) -> tuple[ColumnState, TypeChange | None]:
    """A column after an observation that may change it (see `observe_column`):
    `joined` is the join of its type and `observed`, `type_counts` already counts it."""
    old = state.type
    new_type, violations, kind = old, state.violations, None
    if state.policy is _LOCK:
        if joined is not old:
            violations += 1
            if is_new_type:
                kind = ChangeKind.VIOLATION
    else:
        new_type = joined
        # `joined is not old` matters only after a switch from LOCK, where
        # types seen while locked were never joined in.
        if observed is not _NULL and (is_new_type or joined is not old):
            lossless = is_lossless(old, joined) and is_lossless(observed, joined)
            kind = ChangeKind.TYPE_WIDENED if lossless else ChangeKind.TYPE_CONFLICT
    change = None
    if kind is not None:
        change = TypeChange(kind, observed, old, new_type, version, at_ms, cause)
    column = ColumnState(
        type=new_type,
        nullable=state.nullable or observed is _NULL,
        first_seen_ms=min(state.first_seen_ms, at_ms),
        last_seen_ms=max(state.last_seen_ms, at_ms),
        count=state.count + 1,
        type_counts=type_counts,
        policy=state.policy,
        violations=violations,
        history=state.history if change is None else (*state.history, change),
        classification=state.classification,
        pii_kind=state.pii_kind,
    )
    return column, change


def set_policy(state: ColumnState, policy: Policy) -> ColumnState:
    """The column under `policy` from now on; its type and history are unchanged."""
    return replace(state, policy=policy)


def set_classification(state: ColumnState, classification: PiiClassification, kind: str | None) -> ColumnState:
    """The column classified as a team confirmed or chose (`kind` is kept only for a
    classification that is not NONE)."""
    return replace(state, classification=classification, pii_kind=None if classification is PiiClassification.NONE else kind)


_TYPE_NAMES: Final = frozenset(t.value for t in ColumnType)


# Stored once per (schema, column) in a table: short keys, stable forever.
def to_dict(state: ColumnState) -> dict[str, Any]:
    """The column as plain JSON values (the table's stored form)."""
    return {
        "t": state.type.value,
        "n": state.nullable,
        "fs": state.first_seen_ms,
        "ls": state.last_seen_ms,
        "c": state.count,
        "tc": dict(sorted(state.type_counts.items())),
        "p": state.policy.value,
        "v": state.violations,
        "h": [_change_to_dict(c) for c in state.history],
        "pii": state.classification.value,
        "pk": state.pii_kind,
    }


def from_dict(d: object) -> ColumnState:
    """The column that `to_dict` wrote; raises `StateDecodeError` if it is not one."""
    r = Reader(d, "column state")
    type_counts: dict[str, int] = {}
    tc = Reader(r.get_object("tc"), "column state type counts")
    for name in tc.d:
        if name not in _TYPE_NAMES:
            raise tc.fail(name, "not a ColumnType")
        type_counts[name] = tc.get_int(name)
    return ColumnState(
        type=r.get_enum("t", ColumnType),
        nullable=r.get_bool("n"),
        first_seen_ms=r.get_int("fs"),
        last_seen_ms=r.get_int("ls"),
        count=r.get_int("c"),
        type_counts=type_counts,
        policy=r.get_enum("p", Policy),
        violations=r.get_int("v"),
        history=tuple(_change_from_dict(h) for h in r.get_list("h")),
        classification=r.get_enum("pii", PiiClassification),
        pii_kind=r.get_opt_str("pk"),
    )


def _change_to_dict(c: TypeChange) -> dict[str, Any]:
    return {
        "k": c.kind.value,
        "o": c.observed_type.value,
        "f": None if c.from_type is None else c.from_type.value,
        "to": c.to_type.value,
        "ver": c.version,
        "at": c.at_ms,
        "mid": c.cause.message_id,
        "pt": c.cause.partition,
        "off": c.cause.offset,
        "et": c.cause.event_time_ms,
    }


def _change_from_dict(d: object) -> TypeChange:
    r = Reader(d, "column history entry")
    return TypeChange(
        kind=r.get_enum("k", ChangeKind),
        observed_type=r.get_enum("o", ColumnType),
        from_type=r.get_opt_enum("f", ColumnType),
        to_type=r.get_enum("to", ColumnType),
        version=r.get_int("ver"),
        at_ms=r.get_int("at"),
        cause=Cause(
            message_id=r.get_str("mid"),
            partition=r.get_int("pt"),
            offset=r.get_int("off"),
            event_time_ms=r.get_int("et"),
        ),
    )
