"""Rows: a byte table read as decoded values, the ones used last kept across steps."""

from __future__ import annotations

from typing import Any

import orjson

from streams.folds.rows import Rows


class _Counting:
    def __init__(self) -> None:
        self.decoded: list[Any] = []

    def decode(self, raw: Any) -> Any:
        self.decoded.append(raw)
        return raw


def test_changed_rows_are_written_once_and_the_last_used_are_kept() -> None:
    table = {f"k{n}".encode(): orjson.dumps(n) for n in range(4)}
    counting = _Counting()
    rows: Rows[Any] = Rows(table, counting.decode, lambda value: value, keep=2)
    assert [rows.get(f"k{n}".encode()) for n in range(4)] == [0, 1, 2, 3]
    rows.get(b"k0")  # used again: now k2, k3, k0 in order of last use
    rows.put(b"k1", 10)  # changed: used last
    assert table[b"k1"] == orjson.dumps(1)  # nothing written before write_back
    rows.write_back()
    assert table[b"k1"] == orjson.dumps(10)
    counting.decoded.clear()
    assert [rows.get(key) for key in (b"k0", b"k1", b"k2", b"k3")] == [0, 10, 2, 3]
    # k0 and k1 were kept (used last); k2 and k3 were let go and are decoded again.
    assert counting.decoded == [2, 3]


def test_a_missing_row_reads_as_none_and_is_not_looked_up_twice() -> None:
    looked_up: list[bytes] = []

    class _Table(dict[bytes, bytes]):
        def get(self, key: bytes, default: Any = None) -> Any:
            looked_up.append(key)
            return super().get(key, default)

    rows: Rows[Any] = Rows(_Table(), lambda raw: raw, lambda value: value, keep=10)
    assert rows.get(b"absent") is None
    assert rows.get(b"absent") is None
    assert looked_up == [b"absent"]
