"""A Faust table seen across every partition this node holds: point reads and range scans.

Faust's RocksDB store keeps one database per table partition and offers no range
scans; the read side needs them (every column of a schema, every schema of a source,
a page of a timeline), so they are made here over the partition databases, read-only.
A partition this node does not hold has an empty database.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from streams.adapters import rocksdict as rocksdb
from streams.adapters.faust import Table, partition_db
from streams.adapters.rocksdict import DB
from streams.kafka.app import Tracklog


class Partitions:
    """Rows of one table over its partition databases; ``skip`` is a key that is
    bookkeeping (Faust's persisted offset), not a row."""

    def __init__(self, dbs: Callable[[], Sequence[DB]], skip: bytes | None = None) -> None:
        self._dbs = dbs
        self._skip = skip

    @classmethod
    def of_table(cls, table: Table) -> Partitions:
        return cls(lambda: partition_dbs(table), table.data.offset_key)

    def get(self, key: bytes) -> bytes | None:
        """The row of ``key``, in whichever partition holds it."""
        for db in self._dbs():
            value = db.get(key)
            if value is not None:
                return bytes(value)
        return None

    def get_each(self, key: bytes) -> list[bytes]:
        """The row of ``key`` in every partition that has one (a per-partition count)."""
        return [bytes(value) for db in self._dbs() if (value := db.get(key)) is not None]

    def scan(self, prefix: bytes, start: bytes | None = None) -> Iterator[tuple[bytes, bytes]]:
        """Every row whose key starts with ``prefix`` (from ``start`` on), partition by
        partition, each in key order."""
        for db in self._dbs():
            for key, value in rocksdb.scan(db, prefix, start):
                if key != self._skip:
                    yield key, value

    def sorted_scans(
        self, prefix: bytes, start: bytes | None = None, *, backwards: bool = False
    ) -> list[Iterator[tuple[bytes, bytes]]]:
        """One key-ordered scan per partition (in reverse order, ``backwards``, from
        ``start`` or the prefix's last key down), to merge (``heapq.merge``)."""
        return [
            (row for row in rocksdb.scan(db, prefix, start, backwards=backwards) if row[0] != self._skip)
            for db in self._dbs()
        ]


def partition_dbs(table: Table) -> list[DB]:
    """The RocksDB of every partition of ``table``.

    Faust opens a partition's database on first use, and its own reads look only in
    the open ones: after a restart on a kept data dir, a partition nothing has
    written to yet would look empty. Opening them all (an unowned one is empty)
    makes every read see every row this node holds.
    """
    return [partition_db(table, partition) for partition in range(table.partitions)]


def open_partitions(tracklog: Tracklog) -> None:
    """Open every table partition, so Faust's own ``table.get`` sees them all too."""
    for table in tracklog.tables:
        partition_dbs(table)
