"""Value to type inference: one event's sections flattened into typed columns.

`infer_columns` is the per-event half of the registry: it looks at one event
only and says which column paths it carries and with which type. Folding those
observations into columns over time is `registry.column` and `registry.schema`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Final

from registry.errors import InvalidLimitsError, UnsupportedValueError
from registry.lattice import join
from registry.paths import ARRAY_STEP, child_path, escape_key
from registry.pii import PiiSuggestion
from registry.timestamps import MIN_LENGTH, is_rfc3339
from registry.types import ColumnType

_INT64_MIN: Final = -(2**63)
_INT64_MAX: Final = 2**63 - 1

# Inference recurses once per nesting level; this keeps a configured limit far
# below Python's recursion limit (orjson itself refuses nesting beyond 1024).
MAX_DEPTH_LIMIT: Final = 256


_T = ColumnType
_NULL: Final = _T.NULL
_BOOLEAN: Final = _T.BOOLEAN
_INTEGER: Final = _T.INTEGER
_NUMBER: Final = _T.NUMBER
_STRING: Final = _T.STRING
_TIMESTAMP: Final = _T.TIMESTAMP
_ARRAY: Final = _T.ARRAY
_OBJECT: Final = _T.OBJECT
_JSON: Final = _T.JSON

# The exact types a JSON decoder produces whose ColumnType needs no further look.
# Anything else (a subclass, or not JSON at all) takes the isinstance chain.
_CONSTANT_TYPES: Final[dict[type, ColumnType]] = {
    type(None): _NULL,
    bool: _BOOLEAN,
    float: _NUMBER,
}


def infer_type(value: object, path: str = "") -> ColumnType:
    """The type of one decoded JSON value.

    `path` only names the value in the error raised for a non-JSON value.
    """
    if type(value) is str:
        return _TIMESTAMP if is_rfc3339(value) else _STRING
    t = _CONSTANT_TYPES.get(type(value))
    return t if t is not None else _infer_type_slow(value, path)


def _infer_type_slow(value: object, path: str) -> ColumnType:
    # bool before int: True is an int to Python.
    if value is None:
        return _NULL
    if isinstance(value, bool):
        return _BOOLEAN
    if isinstance(value, int):
        return _INTEGER if _INT64_MIN <= value <= _INT64_MAX else _NUMBER
    if isinstance(value, float):
        return _NUMBER
    if isinstance(value, str):
        return _TIMESTAMP if is_rfc3339(value) else _STRING
    if isinstance(value, list):
        return _ARRAY
    if isinstance(value, dict):
        return _OBJECT
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
    # What values suggest of columns their keys say nothing of (registry.pii), where
    # the caller looked: a column new to the schema takes it.
    suggestions: Mapping[str, PiiSuggestion] = field(default_factory=dict)


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
            path = _SECTIONS.get(name)
            walk.object(value, path if path is not None else _section_path(name), 0)
    types = walk.types
    paths = sorted(types)
    if len(paths) > limits.max_columns:
        dropped = len(paths) - limits.max_columns
        paths = paths[: limits.max_columns]
        walk.findings.append(Finding("", f"more than {limits.max_columns} columns; {dropped} dropped"))
    findings = walk.findings
    return Inference(
        columns={p: types[p] for p in paths},
        findings=tuple(sorted(set(findings), key=_finding_order)) if findings else (),
    )


def _finding_order(f: Finding) -> tuple[str, str]:
    return (f.path, f.reason)


# Child paths by parent path and raw key: most events of a source repeat the
# same keys under the same parents, so escaping and joining are done once per
# (parent, key) rather than once per event. A pure memo (results never depend
# on it), bounded to about 65k paths: keys that never repeat (ids used as keys)
# cost only the plain computation, and past the parent bound it starts over.
_CHILDREN: Final[dict[str, dict[str, str]]] = {}
_SECTIONS: Final[dict[str, str]] = {}
_MAX_PARENTS: Final = 1024
_MAX_CHILDREN: Final = 64


def _section_path(name: str) -> str:
    path = escape_key(name)
    if isinstance(name, str) and len(_SECTIONS) < _MAX_CHILDREN:
        _SECTIONS[name] = path
    return path


def _children_of(path: str) -> dict[str, str]:
    children = _CHILDREN.get(path)
    if children is None:
        if len(_CHILDREN) >= _MAX_PARENTS:
            _CHILDREN.clear()
        children = _CHILDREN[path] = {}
    return children


def _child_path(children: dict[str, str], path: str, key: object) -> str:
    if not isinstance(key, str):
        raise UnsupportedValueError(path, f"object with a {type(key).__name__} key")
    child = child_path(path, escape_key(key))
    if len(children) < _MAX_CHILDREN:
        children[key] = child
    return child


class _Walk:
    """One flattening pass: accumulates joined types and findings.

    The hot loop (`object`) dispatches on the exact type of each value and
    handles the common JSON scalars inline; anything else goes to `value`,
    which is the general case.
    """

    __slots__ = ("findings", "max_depth", "types")

    def __init__(self, max_depth: int) -> None:
        self.max_depth = max_depth
        self.types: dict[str, ColumnType] = {}
        self.findings: list[Finding] = []

    def record(self, path: str, t: ColumnType) -> None:
        seen = self.types.get(path)
        if seen is None:
            self.types[path] = t
        elif seen is not t:
            self.types[path] = join(seen, t)

    def too_deep(self, path: str) -> None:
        self.findings.append(Finding(path, f"nesting deeper than {self.max_depth} levels"))

    def value(self, value: object, path: str, depth: int) -> None:
        if isinstance(value, dict):
            self.object(value, path, depth)
        elif isinstance(value, list):
            self.record(path, _ARRAY)
            if value:
                self.items(value, path, depth)
        else:
            self.record(path, infer_type(value, path))

    def object(self, obj: dict[Any, Any], path: str, depth: int) -> None:
        if not obj:
            self.record(path, _OBJECT)
            return
        if depth >= self.max_depth:
            self.record(path, _OBJECT)
            self.too_deep(path)
            return
        types = self.types
        children = _CHILDREN.get(path)
        if children is None:
            children = _children_of(path)
        depth += 1
        for key, child in obj.items():
            child_at = children.get(key)
            if child_at is None:
                child_at = _child_path(children, path, key)
            cls = type(child)
            if cls is str:
                if len(child) < MIN_LENGTH:
                    t = _STRING
                else:
                    t = _TIMESTAMP if is_rfc3339(child) else _STRING
            elif cls is dict:
                self.object(child, child_at, depth)
                continue
            elif cls is int:
                t = _INTEGER if _INT64_MIN <= child <= _INT64_MAX else _NUMBER
            else:
                constant = _CONSTANT_TYPES.get(cls)
                if constant is None:
                    self.value(child, child_at, depth)
                    continue
                t = constant
            seen = types.get(child_at)
            if seen is None:
                types[child_at] = t
            elif seen is not t:
                types[child_at] = join(seen, t)

    def items(self, items: list[Any], array_path: str, depth: int) -> None:
        """The non-empty pooled `items` of the array(s) at `array_path`."""
        if depth >= self.max_depth:
            self.too_deep(array_path)
            return
        path = array_path + ARRAY_STEP
        objects = arrays = 0
        for item in items:
            if isinstance(item, dict):
                objects += 1
            elif isinstance(item, list):
                arrays += 1
        if objects == len(items):
            for item in items:
                self.object(item, path, depth + 1)
        elif arrays == len(items):
            self.record(path, _ARRAY)
            pooled = [x for inner in items for x in inner]
            if pooled:
                self.items(pooled, path, depth + 1)
        elif objects or arrays:
            self.record(path, _JSON)
        else:
            joined = _NULL
            for item in items:
                joined = join(joined, infer_type(item, path))
            self.record(path, joined)
