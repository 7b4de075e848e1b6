"""Reading a schema back as of a version or a time, and diffing two versions.

Everything here is derived from the columns' histories: a column existed at a
point if some history entry is at or before it, and its type then is the
`to_type` of the last such entry (in version order). Counters, nullability and
first-seen times are not reconstructed: a null never makes a history entry, so
whether a column was nullable at a past version is not recorded.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from registry.column import ColumnState, TypeChange
from registry.types import ChangeKind, ColumnType

DiffKind = Literal["ADDED", "REMOVED", "CHANGED"]


@dataclass(frozen=True, slots=True)
class AsOfColumn:
    """A column as it stood at a past point.

    `added_version`/`added_at_ms` are those of its first history entry at or
    before the point; `changed_version` is that of the last one, which gave it
    `type`.
    """

    path: str
    type: ColumnType
    added_version: int
    added_at_ms: int
    changed_version: int


@dataclass(frozen=True, slots=True)
class ColumnDiff:
    """How one column differs between two versions (`from_type` None if ADDED).

    `conflicts` are the types observed by the column's TYPE_CONFLICT and VIOLATION
    entries between the two versions, in version order: a conflict that kept the
    column's type (a number arriving in a STRING column) still makes it CHANGED.
    """

    path: str
    change: DiffKind
    from_type: ColumnType | None
    to_type: ColumnType | None
    conflicts: tuple[ColumnType, ...] = ()


def columns_as_of(
    columns: Mapping[str, ColumnState],
    *,
    version: int | None = None,
    time_ms: int | None = None,
) -> dict[str, AsOfColumn]:
    """The columns that existed at `version` and/or `time_ms`, keyed in path order.

    A history entry counts if its version is at most `version` and its time at
    most `time_ms` (each bound only when given; with neither, every entry
    counts and the result is the current schema).
    """
    result: dict[str, AsOfColumn] = {}
    for path in sorted(columns):
        entries = [c for c in columns[path].history if _within(c, version, time_ms)]
        if entries:
            first, last = entries[0], entries[-1]
            result[path] = AsOfColumn(path, last.to_type, first.version, first.at_ms, last.version)
    return result


_CONFLICTS = (ChangeKind.TYPE_CONFLICT, ChangeKind.VIOLATION)


def diff(columns: Mapping[str, ColumnState], from_version: int, to_version: int) -> list[ColumnDiff]:
    """The columns that differ between two versions, in path order: ADDED or REMOVED,
    or CHANGED when their type differs or a type conflicted with them in between.

    Columns are never removed from a schema, so REMOVED appears only when
    `from_version` is the later one.
    """
    before = columns_as_of(columns, version=from_version)
    after = columns_as_of(columns, version=to_version)
    low, high = sorted((from_version, to_version))
    diffs: list[ColumnDiff] = []
    for path in sorted(before.keys() | after.keys()):
        old, new = before.get(path), after.get(path)
        if old is None and new is not None:
            diffs.append(ColumnDiff(path, "ADDED", None, new.type))
        elif new is None and old is not None:
            diffs.append(ColumnDiff(path, "REMOVED", old.type, None))
        elif old is not None and new is not None:
            conflicts = tuple(
                c.observed_type
                for c in columns[path].history
                if low < c.version <= high and c.kind in _CONFLICTS
            )
            if conflicts or old.type is not new.type:
                diffs.append(ColumnDiff(path, "CHANGED", old.type, new.type, conflicts))
    return diffs


def _within(change: TypeChange, version: int | None, time_ms: int | None) -> bool:
    return (version is None or change.version <= version) and (
        time_ms is None or change.at_ms <= time_ms
    )
