"""Rows of a byte table seen as decoded values, decoded once and encoded once per step.

A fold step touches the same rows again and again: every event of a schema reads and
rewrites that schema's columns, every event of a user that user's profile. Decoding
the stored JSON and encoding it back per event cost more than the fold itself, so a
step reads each row through ``Rows`` (decoded on first use, then kept) and
``write_back`` encodes each changed row into the table once, at the end of the step.
An agent keeps the ``keep`` rows it used last decoded from one step to the next (its
partitions are written by it alone until a rebalance, when it starts afresh).
"""

from __future__ import annotations

from collections.abc import Callable, MutableMapping
from itertools import islice
from typing import Any, Generic, TypeVar

import orjson

T = TypeVar("T")

Table = MutableMapping[bytes, bytes]


class Rows(Generic[T]):
    def __init__(
        self,
        table: Table,
        decode: Callable[[Any], T],
        encode: Callable[[T], Any],
        *,
        keep: int = 0,
    ) -> None:
        self._table = table
        self._keep = keep
        self._decode = decode
        self._encode = encode
        self._values: dict[bytes, T | None] = {}
        self._dirty: set[bytes] = set()

    def get(self, key: bytes) -> T | None:
        values = self._values
        try:
            # Moved to the end: the rows are kept in order of last use.
            value = values.pop(key)
        except KeyError:
            raw = self._table.get(key)
            value = self._decode(orjson.loads(raw)) if raw is not None else None
        values[key] = value
        return value

    def put(self, key: bytes, value: T) -> None:
        self._values.pop(key, None)
        self._values[key] = value
        self._dirty.add(key)

    def delete(self, key: bytes) -> None:
        """The row is gone (a tombstone once written back)."""
        self._values.pop(key, None)
        self._values[key] = None
        self._dirty.add(key)

    def write_back(self) -> None:
        """Encode every changed row into the table; keep the ``keep`` rows used last."""
        for key in self._dirty:
            value = self._values[key]
            if value is None:
                self._table.pop(key, None)
            else:
                self._table[key] = orjson.dumps(self._encode(value))
        self._dirty.clear()
        drop_oldest(self._values, self._keep)


def drop_oldest(entries: dict[Any, Any], keep: int) -> None:
    """Drop the entries of ``entries`` (in order of last use, oldest first) past ``keep``."""
    excess = len(entries) - keep
    if excess > 0:
        for key in list(islice(entries, excess)):
            del entries[key]


class RowDict(dict[bytes, bytes]):
    """A table in memory whose rows under a prefix can be listed, as a partition
    buffer's are (``tracklog rebuild``'s, and tests')."""

    def scan(self, prefix: bytes) -> list[tuple[bytes, bytes]]:
        return sorted((k, v) for k, v in self.items() if k.startswith(prefix))
