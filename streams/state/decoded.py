"""Rows kept decoded between reads, as long as their bytes are the same.

A page of the analyst's, or ``sources``, reads every schema summary (1,000 rows of
~1 KB with 50 column paths each); decoding them was most of a read (~17 ms of a
30 ms page). A row whose stored bytes are the ones decoded last time is that same
value (rows are immutable values), so comparing the bytes replaces decoding them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Generic, TypeVar

from streams.folds.rows import drop_oldest

T = TypeVar("T")

# Rows kept per table read this way: a thousand schemas' summaries and every column of
# the schemas read lately, a few MiB.
KEEP = 20_000


class DecodedRows(Generic[T]):
    def __init__(self, decode: Callable[[bytes], T], keep: int = KEEP) -> None:
        self._decode = decode
        self._keep = keep
        self._rows: dict[bytes, tuple[bytes, T]] = {}

    def decode(self, key: bytes, raw: bytes) -> T:
        """The value of row ``key`` whose bytes are ``raw``."""
        rows = self._rows
        hit = rows.pop(key, None)  # re-inserted below: kept in order of last use
        if hit is not None and hit[0] == raw:
            rows[key] = hit
            return hit[1]
        value = self._decode(raw)
        rows[key] = (raw, value)
        if len(rows) > self._keep:
            drop_oldest(rows, self._keep)
        return value
