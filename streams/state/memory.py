"""One memory budget for every table partition's RocksDB."""

from __future__ import annotations

from typing import Any

from streams.adapters.faust import use_rocksdb_options
from streams.adapters.rocksdict import Options, SharedMemory
from streams.kafka.app import Tracklog


def share_rocksdb_memory(tracklog: Tracklog, memory_bytes: int) -> SharedMemory:
    """Bound what every table partition's RocksDB holds in memory, all of them together.

    Faust opens one RocksDB per table partition (50 with 8 partitions), each with a
    2 GiB block cache of its own and up to 3 x 64 MiB of memtables, so a node's RSS
    grew with the data it folded (844 MiB at a million events). Here they share one
    block cache and one write buffer manager (memtables flush once their total
    reaches its budget), each half of ``memory_bytes``. Call it before the tables
    open their databases; the file and buffer sizes are otherwise Faust's.
    """
    memory = SharedMemory(memory_bytes)

    def options(faust_options: Any) -> Options:  # Faust's RocksDBOptions, untyped
        return memory.options(
            max_open_files=faust_options.max_open_files,
            write_buffer_size=faust_options.write_buffer_size,
            target_file_size_base=faust_options.target_file_size_base,
            max_write_buffer_number=faust_options.max_write_buffer_number,
        )

    for table in tracklog.tables:
        use_rocksdb_options(table, options)
    return memory
