"""The registry's vocabulary: column types, change kinds and conflict policies.

Enum values equal their names, so they are stable in stored state, published
change events and GraphQL enums alike.
"""

from __future__ import annotations

import enum


class ColumnType(str, enum.Enum):
    """The type of a column; ordered as a lattice in `registry.lattice`."""

    NULL = "NULL"
    """Bottom: only nulls have been seen so far."""
    BOOLEAN = "BOOLEAN"
    INTEGER = "INTEGER"
    NUMBER = "NUMBER"
    STRING = "STRING"
    TIMESTAMP = "TIMESTAMP"
    """A string holding an RFC 3339 date-time."""
    ARRAY = "ARRAY"
    """An array; its items are the column at the same path plus `[]`."""
    OBJECT = "OBJECT"
    """An object where flattening stopped: an empty object, or the depth limit."""
    JSON = "JSON"
    """Top: the join of incompatible kinds (a container and anything else)."""


class ChangeKind(str, enum.Enum):
    """What one entry of a column's history records."""

    COLUMN_ADDED = "COLUMN_ADDED"
    TYPE_WIDENED = "TYPE_WIDENED"
    """The type was widened without losing information (INTEGER to NUMBER, NULL to x)."""
    TYPE_CONFLICT = "TYPE_CONFLICT"
    """A type arrived that the column's type does not hold losslessly."""
    VIOLATION = "VIOLATION"
    """A locked column saw a type outside its type; the type was kept."""


class Policy(str, enum.Enum):
    """What a column does when a conflicting type arrives."""

    WIDEN = "WIDEN"
    """Widen the column's type to the join (the default)."""
    LOCK = "LOCK"
    """Keep the column's type and count the violation."""
