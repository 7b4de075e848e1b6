"""Every table partition's RocksDB draws on one memory budget (real RocksDB on tmp_path)."""

from __future__ import annotations

from pathlib import Path

from streams.app import Tracklog
from streams.settings import Settings
from streams.store import share_rocksdb_memory


def test_every_table_partition_writes_into_one_memtable_budget(tmp_path: Path) -> None:
    # No broker is reached: only the tables' local databases are opened.
    tracklog = Tracklog(Settings(data_dir=tmp_path, partitions=2, broker="kafka://127.0.0.1:9"))
    memtables = share_rocksdb_memory(tracklog, 64 * 2**20)
    assert memtables.get_buffer_size() == 32 * 2**20
    seen = [memtables.get_usage()]
    for table in (tracklog.timeline, tracklog.profiles):
        for partition in range(2):
            db = table.data._db_for_partition(partition)
            for n in range(200):
                db[f"key-{n}".encode()] = b"x" * 1000
            seen.append(memtables.get_usage())
    # Each database's writes count against the one shared budget.
    assert all(later > earlier for earlier, later in zip(seen, seen[1:]))
