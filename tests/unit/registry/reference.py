"""The straightforward fold `registry.infer`, `registry.column` and `registry.schema`
replaced when they were written for speed, kept verbatim as their specification.

`test_registry_fold_reference.py` folds generated input through both and requires
equal results.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, Final


from registry.column import (
    Cause,
    ColumnState,
    TypeChange,
)
from registry.errors import InconsistentStateError, UnsupportedValueError
from registry.infer import Finding, Inference, Limits
from registry.key import SchemaKey
from registry.pii import NOT_PERSONAL, PiiClassification, PiiSuggestion, classify_path
from registry.schema import FoldResult, SchemaChange, SchemaState
from registry.timestamps import is_rfc3339
from registry.types import ChangeKind, ColumnType, Policy


T = ColumnType

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


def ref_join(a: ColumnType, b: ColumnType) -> ColumnType:
    if a is b or b is T.NULL:
        return a
    if a is T.NULL:
        return b
    above_b = _CHAINS[b]
    for candidate in _CHAINS[a]:
        if candidate in above_b:
            return candidate
    raise AssertionError("unreachable")


def ref_join_all(types: Iterable[ColumnType]) -> ColumnType:
    result = T.NULL
    for t in types:
        result = ref_join(result, t)
    return result


def ref_is_lossless(from_type: ColumnType, to_type: ColumnType) -> bool:
    return (
        from_type is to_type
        or from_type is T.NULL
        or (from_type is T.INTEGER and to_type is T.NUMBER)
    )


def ref_escape_key(key: str) -> str:
    if not key:
        return "\\_"
    return key.translate(_ESCAPES)


def ref_child_path(parent: str, escaped_key: str) -> str:
    return f"{parent}.{escaped_key}" if parent else escaped_key


def ref_infer_type(value: object, path: str = "") -> ColumnType:
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


def ref_infer_columns(sections: Mapping[str, Any], limits: Limits) -> Inference:
    walk = RefWalk(limits.max_depth)
    for name in sorted(sections):
        value = sections[name]
        if isinstance(value, dict) and value:
            walk.object(value, ref_escape_key(name), 0)
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


class RefWalk:
    def __init__(self, max_depth: int) -> None:
        self.max_depth = max_depth
        self.types: dict[str, ColumnType] = {}
        self.findings: list[Finding] = []

    def record(self, path: str, t: ColumnType) -> None:
        seen = self.types.get(path)
        self.types[path] = t if seen is None else ref_join(seen, t)

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
            self.record(path, ref_infer_type(value, path))

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
                self.value(child, ref_child_path(path, ref_escape_key(key)), depth + 1)

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
            self.record(path, ref_join_all(ref_infer_type(i, path) for i in items))


def ref_observe_column(
    state: ColumnState | None,
    observed: ColumnType,
    *,
    at_ms: int,
    cause: Cause,
    version: int,
    policy: Policy = Policy.WIDEN,
    suggestion: PiiSuggestion = NOT_PERSONAL,
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
            classification=suggestion.classification,
            pii_kind=suggestion.kind,
        )
        return column, added

    is_new_type = observed.value not in state.type_counts
    type_counts = dict(state.type_counts)
    type_counts[observed.value] = type_counts.get(observed.value, 0) + 1
    old = state.type
    joined = ref_join(old, observed)
    new_type, violations, kind = old, state.violations, None
    if state.policy is Policy.LOCK:
        if joined is not old:
            violations += 1
            if is_new_type:
                kind = ChangeKind.VIOLATION
    else:
        new_type = joined
        if observed is not T.NULL and (is_new_type or joined is not old):
            lossless = ref_is_lossless(old, joined) and ref_is_lossless(observed, joined)
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
        classification=state.classification,
        pii_kind=state.pii_kind,
    )
    return column, change


def ref_fold_event(
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
        suggestion = NOT_PERSONAL
        if state is None:  # a new column: its key says first, then the event's values
            suggestion = classify_path(path)
            if suggestion.classification is PiiClassification.NONE:
                suggestion = inference.suggestions.get(path, NOT_PERSONAL)
        state, change = ref_observe_column(
            state, inference.columns[path], at_ms=at_ms, cause=cause, version=version + 1, suggestion=suggestion
        )
        touched[path] = state
        if change is not None:
            version += 1
            changes.append(SchemaChange.of(key, path, change, state.classification, state.pii_kind))
    conflicts = len([c for c in changes if c.change.kind == ChangeKind.TYPE_CONFLICT])
    violations = sum(s.violations for s in touched.values()) - sum(
        columns[p].violations for p in touched if p in columns
    )
    if schema is None:
        summary = SchemaState(
            version=version,
            event_count=1,
            first_seen_ms=at_ms,
            last_seen_ms=at_ms,
            columns=tuple(touched),
            findings=len(inference.findings),
            conflicts=conflicts,
            violations=violations,
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
            conflicts=schema.conflicts + conflicts,
            violations=schema.violations + violations,
        )
    return FoldResult(summary, touched, changes)
