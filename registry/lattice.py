"""The type lattice: how column types combine.

NULL is the bottom and JSON the top. Above NULL the order is a tree, so every
type's up-set is a chain and the join of two types is the first type of one
chain that the other chain contains:

    INTEGER < NUMBER < STRING < JSON
    BOOLEAN < STRING,  TIMESTAMP < STRING
    ARRAY < JSON,  OBJECT < JSON
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Final

from registry.types import ColumnType

_T = ColumnType

# Each type's up-set (every type at or above it), lowest first.
_CHAINS: Final[dict[ColumnType, tuple[ColumnType, ...]]] = {
    _T.BOOLEAN: (_T.BOOLEAN, _T.STRING, _T.JSON),
    _T.INTEGER: (_T.INTEGER, _T.NUMBER, _T.STRING, _T.JSON),
    _T.NUMBER: (_T.NUMBER, _T.STRING, _T.JSON),
    _T.TIMESTAMP: (_T.TIMESTAMP, _T.STRING, _T.JSON),
    _T.STRING: (_T.STRING, _T.JSON),
    _T.ARRAY: (_T.ARRAY, _T.JSON),
    _T.OBJECT: (_T.OBJECT, _T.JSON),
    _T.JSON: (_T.JSON,),
}


def join(a: ColumnType, b: ColumnType) -> ColumnType:
    """The least type that holds both `a` and `b`."""
    if a is b or b is ColumnType.NULL:
        return a
    if a is ColumnType.NULL:
        return b
    above_b = _CHAINS[b]
    for candidate in _CHAINS[a]:
        if candidate in above_b:
            return candidate
    raise AssertionError("unreachable: every chain ends in JSON")


def join_all(types: Iterable[ColumnType]) -> ColumnType:
    """The join of all `types`; NULL for none."""
    result = ColumnType.NULL
    for t in types:
        result = join(result, t)
    return result


def is_lossless(from_type: ColumnType, to_type: ColumnType) -> bool:
    """Whether every value of `from_type` keeps its meaning as `to_type`.

    Only NULL to anything and INTEGER to NUMBER qualify: widening to STRING
    changes how values compare and sort, and JSON gives up the type entirely.
    """
    return (
        from_type is to_type
        or from_type is ColumnType.NULL
        or (from_type is ColumnType.INTEGER and to_type is ColumnType.NUMBER)
    )
