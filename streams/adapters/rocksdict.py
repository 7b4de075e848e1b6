"""The one module that imports rocksdict: options, write batches and range scans.

Faust opens the databases (one ``rocksdict.Rdict`` per table partition, reached
through ``streams.adapters.faust.partition_db``); what is done with them, other than
Faust's own gets, is done here.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

import rocksdict

Options = rocksdict.Options

# A database: rocksdict ships no type information.
DB = Any

# Bloom filter bits per key in SST files (~1 % false positives). A memtable filter is
# sized by each database's write buffer, not the shared budget: it added ~140 MiB of
# peak RSS over the node's 50 databases.
BLOOM_BITS_PER_KEY = 10


class SharedMemory:
    """One block cache and one write-buffer manager for many databases.

    Each gets half of ``memory_bytes``: memtables flush once their total reaches the
    manager's budget, whatever database they belong to.
    """

    def __init__(self, memory_bytes: int) -> None:
        self.cache = rocksdict.Cache(memory_bytes // 2)
        self.memtables = rocksdict.WriteBufferManager(memory_bytes // 2, False)

    def options(
        self,
        *,
        max_open_files: int,
        write_buffer_size: int,
        target_file_size_base: int,
        max_write_buffer_number: int,
    ) -> rocksdict.Options:
        """Options for one database (raw bytes keys and values) drawing on this memory."""
        options = rocksdict.Options(raw_mode=True)
        options.create_if_missing(True)
        options.set_max_open_files(max_open_files)
        options.set_write_buffer_size(write_buffer_size)
        options.set_target_file_size_base(target_file_size_base)
        options.set_max_write_buffer_number(max_write_buffer_number)
        options.set_write_buffer_manager(self.memtables)
        # Every event looks up two messageIds that are not there yet (the dedupe
        # tables), in every SST file. Faust's 3 bits a key let a quarter of those
        # lookups past each file's filter, to read a block; 10 bits let 1 % past.
        blocks = rocksdict.BlockBasedOptions()
        blocks.set_bloom_filter(BLOOM_BITS_PER_KEY, block_based=False)
        blocks.set_block_cache(self.cache)
        blocks.set_index_type(rocksdict.BlockBasedIndexType.binary_search())
        options.set_block_based_table_factory(blocks)
        return options

    @property
    def memtable_budget(self) -> int:
        return int(self.memtables.get_buffer_size())

    @property
    def memtable_usage(self) -> int:
        return int(self.memtables.get_usage())


def write(db: DB, rows: Iterable[tuple[bytes, bytes | None]]) -> None:
    """Write ``rows`` to ``db`` in one atomic batch; a None value deletes its key."""
    batch = rocksdict.WriteBatch(raw_mode=True)
    for key, value in rows:
        if value is None:
            batch.delete(key)
        else:
            batch.put(key, value)
    db.write(batch)


def scan(
    db: DB, prefix: bytes, start: bytes | None = None, *, backwards: bool = False
) -> Iterator[tuple[bytes, bytes]]:
    """Every (key, value) of ``db`` whose key starts with ``prefix``, in key order, from
    ``start`` (at least ``prefix``) on; or in reverse order, ``backwards``, from the
    greatest key at most ``start`` (the prefix's greatest key without it) down."""
    if backwards:
        # Seeking back lands on the greatest key at most the seek key; the successor of
        # the prefix is greater than every key under it (and no key itself).
        begin = _successor(prefix) if start is None else start
        items = db.items(from_key=begin, backwards=True) if begin is not None else db.items(backwards=True)
    else:
        items = db.items(from_key=prefix if start is None or start < prefix else start)
    for key, value in items:
        if not key.startswith(prefix):
            return
        yield key, value


def _successor(prefix: bytes) -> bytes | None:
    """The least byte string greater than every string that starts with ``prefix``
    (None when there is none: a prefix of 0xFF bytes)."""
    stripped = prefix.rstrip(b"\xff")
    return stripped[:-1] + bytes([stripped[-1] + 1]) if stripped else None


def open_db(path: str, memory: SharedMemory | None = None) -> DB:
    """A database of its own at ``path`` (benchmarks and tools; the node's are Faust's)."""
    options = (
        memory.options(
            max_open_files=-1,
            write_buffer_size=64 * 2**20,
            target_file_size_base=64 * 2**20,
            max_write_buffer_number=3,
        )
        if memory is not None
        else _plain_options()
    )
    return rocksdict.Rdict(path, options=options, access_type=rocksdict.AccessType.read_write())


def _plain_options() -> rocksdict.Options:
    options = rocksdict.Options(raw_mode=True)
    options.create_if_missing(True)
    return options
