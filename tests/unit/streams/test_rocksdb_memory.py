"""Every table partition's RocksDB draws on one memory budget (real RocksDB on tmp_path)."""

from __future__ import annotations

from pathlib import Path

from streams.adapters.faust import partition_db
from streams.kafka.app import Tracklog
from streams.settings import Settings
from streams.state.memory import share_rocksdb_memory


def test_every_table_partition_writes_into_one_memtable_budget(tmp_path: Path) -> None:
    # No broker is reached: only the tables' local databases are opened.
    tracklog = Tracklog(Settings(data_dir=tmp_path, partitions=2, broker="kafka://127.0.0.1:9"))
    memory = share_rocksdb_memory(tracklog, 64 * 2**20)
    assert memory.memtable_budget == 32 * 2**20
    seen = [memory.memtable_usage]
    for table in (tracklog.timeline, tracklog.profiles):
        for partition in range(2):
            db = partition_db(table, partition)
            for n in range(200):
                db[f"key-{n}".encode()] = b"x" * 1000
            seen.append(memory.memtable_usage)
    # Each database's writes count against the one shared budget.
    assert all(later > earlier for earlier, later in zip(seen, seen[1:]))
