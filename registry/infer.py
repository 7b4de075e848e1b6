"""Value to type inference: one event's sections flattened into typed columns.

`infer_columns` is the per-event half of the registry: it looks at one event
only and says which column paths it carries and with which type. Folding those
observations into columns over time is `registry.column` and `registry.schema`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

from registry.errors import InvalidLimitsError, UnsupportedValueError
from registry.lattice import join, join_all
from registry.paths import ARRAY_STEP, child_path, escape_key
from registry.timestamps import is_rfc3339
from registry.types import ColumnType

_INT64_MIN: Final = -(2**63)
_INT64_MAX: Final = 2**63 - 1

# Inference recurses once per nesting level; this keeps a configured limit far
# below Python's recursion limit (orjson itself refuses nesting beyond 1024).
MAX_DEPTH_LIMIT: Final = 256


def infer_type(value: object, path: str = "") -> ColumnType:
    """The type of one decoded JSON value.

    `path` only names the value in the error raised for a non-JSON value.
    """
    # bool before int: True is an int to Python.
    if value is None:
        return ColumnType.NULL
    if isinstance(value, bool):
        return ColumnType.BOOLEAN
    if isinstance(value, int):
        return ColumnType.INTEGER if _INT64_MIN <= value <= _INT64_MAX else ColumnType.NUMBER
    if isinstance(value, float):
        return ColumnType.NUMBER
    if isinstance(value, str):
        return ColumnType.TIMESTAMP if is_rfc3339(value) else ColumnType.STRING
    if isinstance(value, list):
        return ColumnType.ARRAY
    if isinstance(value, dict):
        return ColumnType.OBJECT
    raise UnsupportedValueError(path, type(value).__name__)


@dataclass(frozen=True, slots=True)
class Limits:
    """Bounds on what one event may add to a schema.

    `max_depth` counts steps below the section: `properties.a` is at depth 1,
    `properties.a[].b` at depth 3. A container at `max_depth` is not descended.
    """

    max_depth: int = 10
    max_columns: int = 500

    def __post_init__(self) -> None:
        if not 1 <= self.max_depth <= MAX_DEPTH_LIMIT:
            raise InvalidLimitsError("max_depth", self.max_depth, f"must be 1..{MAX_DEPTH_LIMIT}")
        if self.max_columns < 1:
            raise InvalidLimitsError("max_columns", self.max_columns, "must be at least 1")


@dataclass(frozen=True, slots=True)
class Finding:
    """A limit the event exceeded: recorded with the event, never raised.

    `path` is where it happened; "" for the event as a whole.
    """

    path: str
    reason: str


@dataclass(frozen=True, slots=True)
class Inference:
    """What one event carries: each column path with the type seen in it.

    `columns` is keyed in sorted path order; `findings` are sorted too.
    """

    columns: dict[str, ColumnType]
    findings: tuple[Finding, ...]


def infer_columns(sections: Mapping[str, Any], limits: Limits = Limits()) -> Inference:
    """Flatten an event's sections into typed column paths.

    `sections` maps a top-level name (`properties`, `traits`, `context`) to its
    value; a missing, non-object or empty section adds nothing. Objects are
    descended (an empty one is recorded as OBJECT); an array is recorded as
    ARRAY, and its items as the path plus `[]`: scalar items as one column of
    their joined type, object items descended (sub-paths joined across items),
    array items as ARRAY with their pooled items one level deeper. An array
    mixing containers with anything else records JSON for its items and stops.

    The result depends only on the content, never on key order.
    """
    walk = _Walk(limits.max_depth)
    for name in sorted(sections):
        value = sections[name]
        if isinstance(value, dict) and value:
            walk.object(value, escape_key(name), 0)
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


class _Walk:
    """One flattening pass: accumulates joined types and findings."""

    __slots__ = ("findings", "max_depth", "types")

    def __init__(self, max_depth: int) -> None:
        self.max_depth = max_depth
        self.types: dict[str, ColumnType] = {}
        self.findings: list[Finding] = []

    def record(self, path: str, t: ColumnType) -> None:
        seen = self.types.get(path)
        self.types[path] = t if seen is None else join(seen, t)

    def too_deep(self, path: str) -> None:
        self.findings.append(Finding(path, f"nesting deeper than {self.max_depth} levels"))

    def value(self, value: object, path: str, depth: int) -> None:
        if isinstance(value, dict):
            self.object(value, path, depth)
        elif isinstance(value, list):
            self.record(path, ColumnType.ARRAY)
            if value:
                self.items(value, path, depth)
        else:
            self.record(path, infer_type(value, path))

    def object(self, obj: dict[Any, Any], path: str, depth: int) -> None:
        if not obj:
            self.record(path, ColumnType.OBJECT)
        elif depth >= self.max_depth:
            self.record(path, ColumnType.OBJECT)
            self.too_deep(path)
        else:
            for key, child in obj.items():
                if not isinstance(key, str):
                    raise UnsupportedValueError(path, f"object with a {type(key).__name__} key")
                self.value(child, child_path(path, escape_key(key)), depth + 1)

    def items(self, items: list[Any], array_path: str, depth: int) -> None:
        """The non-empty pooled `items` of the array(s) at `array_path`."""
        if depth >= self.max_depth:
            self.too_deep(array_path)
            return
        path = array_path + ARRAY_STEP
        objects = sum(isinstance(i, dict) for i in items)
        arrays = sum(isinstance(i, list) for i in items)
        if objects == len(items):
            for item in items:
                self.object(item, path, depth + 1)
        elif arrays == len(items):
            self.record(path, ColumnType.ARRAY)
            pooled = [x for inner in items for x in inner]
            if pooled:
                self.items(pooled, path, depth + 1)
        elif objects or arrays:
            self.record(path, ColumnType.JSON)
        else:
            self.record(path, join_all(infer_type(i, path) for i in items))
