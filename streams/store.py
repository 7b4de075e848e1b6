"""The one adapter that reaches Faust's RocksDB partition databases.

Faust's RocksDB store keeps one rocksdict per table partition and offers no range
scans; the read side needs them (every column of a schema, every schema of a source),
so this module scans the partition databases directly, read-only, and writes the
agents' batches into them. Nothing else reaches into Faust's store.

Composite keys are built in ``streams.keys``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator, MutableMapping
from contextlib import contextmanager
from typing import Any, Generic, Protocol, TypeVar

import orjson
import rocksdict
from faust.types import TP
from rocksdict import WriteBatch

from query.domain import (
    Identifier,
    ProfileIdentities,
    ProfileState,
    TimelineEntry,
    encode_identifier,
    timeline_prefix,
)
from registry import ColumnState, SchemaKey, SchemaState, prefix_for_source
from registry.column import from_dict as column_from_dict
from streams.app import Tracklog
from streams.keys import scoped
from streams.producer import send_batches
from streams.profiles import GraphTables

def _partition_dbs(table: Any) -> list[Any]:
    """The RocksDB of every partition of ``table``.

    Faust opens a partition's database on first use, and its own reads look only in
    the open ones: after a restart on a kept data dir, a partition nothing has
    written to yet would look empty. Opening them all (an unowned one is empty)
    makes every read see every row this node holds.
    """
    store = table.data
    return [store._db_for_partition(partition) for partition in range(table.partitions)]


def open_partitions(tracklog: Tracklog) -> None:
    """Open every table partition, so Faust's own ``table.get`` sees them all too."""
    for table in tracklog.tables:
        _partition_dbs(table)


# Bloom filter bits per key in SST files (~1 % false positives). A memtable filter is
# sized by each database's write buffer, not the shared budget: it added ~140 MiB of
# peak RSS over the node's 50 databases.
_BLOOM_BITS_PER_KEY = 10


def share_rocksdb_memory(tracklog: Tracklog, memory_bytes: int) -> rocksdict.WriteBufferManager:
    """Bound what every table partition's RocksDB holds in memory, all of them together.

    Faust opens one RocksDB per table partition (50 with 8 partitions), each with a
    2 GiB block cache of its own and up to 3 x 64 MiB of memtables, so a node's RSS
    grew with the data it folded (844 MiB at a million events). Here they share one
    block cache and one write buffer manager (memtables flush once their total
    reaches its budget), each half of ``memory_bytes``. Call it before the tables
    open their databases; the options are otherwise Faust's. Returns the manager,
    whose usage is every memtable's.
    """
    cache = rocksdict.Cache(memory_bytes // 2)
    memtables = rocksdict.WriteBufferManager(memory_bytes // 2, False)
    for table in tracklog.tables:
        faust_options = table.data.rocksdb_options

        def as_options(faust_options: Any = faust_options) -> rocksdict.Options:
            options = rocksdict.Options(raw_mode=True)
            options.create_if_missing(True)
            options.set_max_open_files(faust_options.max_open_files)
            options.set_write_buffer_size(faust_options.write_buffer_size)
            options.set_target_file_size_base(faust_options.target_file_size_base)
            options.set_max_write_buffer_number(faust_options.max_write_buffer_number)
            options.set_write_buffer_manager(memtables)
            # Every event looks up two messageIds that are not there yet (the dedupe
            # tables), in every SST file. Faust's 3 bits a key let a quarter of those
            # lookups past each file's filter, to read a block; 10 bits let 1 % past.
            blocks = rocksdict.BlockBasedOptions()
            blocks.set_bloom_filter(_BLOOM_BITS_PER_KEY, block_based=False)
            blocks.set_block_cache(cache)
            blocks.set_index_type(rocksdict.BlockBasedIndexType.binary_search())
            options.set_block_based_table_factory(blocks)
            return options

        faust_options.as_options = as_options
    return memtables


def _scan(table: Any, prefix: bytes) -> Iterator[tuple[bytes, bytes]]:
    """Every (key, value) of ``table`` whose key starts with ``prefix``, all partitions."""
    store = table.data
    for db in _partition_dbs(table):
        for key, value in db.items(from_key=prefix):
            if not key.startswith(prefix):
                break
            if key == store.offset_key:  # Faust's own bookkeeping, not a table row
                continue
            yield key, value


class TableSchemaReader:
    """Reads the schema registry tables of one node (``query.store.SchemaReader``)."""

    def __init__(self, tracklog: Tracklog) -> None:
        self._t = tracklog

    def get_schema(self, key: SchemaKey) -> SchemaState | None:
        raw = self._t.schemas.get(key.encode())
        return SchemaState.from_dict(orjson.loads(raw)) if raw is not None else None

    def list_schemas(self, source: str | None = None) -> list[tuple[SchemaKey, SchemaState]]:
        prefix = prefix_for_source(source) if source is not None else b""
        found = [
            (SchemaKey.decode(key), SchemaState.from_dict(orjson.loads(value)))
            for key, value in _scan(self._t.schemas, prefix)
        ]
        found.sort(key=lambda item: item[0].encode())
        return found

    def get_columns(self, key: SchemaKey) -> dict[str, ColumnState]:
        prefix = scoped(key.encode())
        columns = {
            raw_key[len(prefix) :].decode(): column_from_dict(orjson.loads(value))
            for raw_key, value in _scan(self._t.columns, prefix)
        }
        return dict(sorted(columns.items()))


class PartitionBuffer(MutableMapping[bytes, bytes]):
    """One partition of a Faust table, read through and written back in one batch.

    An agent folds a batch of events into these buffers, then
    ``PartitionBuffers.flush`` writes every dirty key once: one changelog message per
    key and one RocksDB write batch, rather than a table write and a changelog message
    per key per event. A deletion is a tombstone in the changelog, as Faust writes it.
    """

    def __init__(self, table: Any, partition: int) -> None:
        self._table = table
        self._partition = partition
        self._dirty: dict[bytes, bytes | None] = {}  # None: deleted

    def _db(self) -> Any:
        return self._table.data._db_for_partition(self._partition)

    def __getitem__(self, key: bytes) -> bytes:
        value = self.get(key)
        if value is None:
            raise KeyError(key)
        return value

    def get(self, key: bytes, default: Any = None) -> Any:  # type: ignore[override]
        if key in self._dirty:
            found = self._dirty[key]
            return default if found is None else found
        value = self._db().get(key)
        return default if value is None else value

    def __setitem__(self, key: bytes, value: bytes) -> None:
        self._dirty[key] = value

    def __delitem__(self, key: bytes) -> None:
        self._dirty[key] = None

    def __iter__(self) -> Iterator[bytes]:
        raise NotImplementedError("a partition buffer is not iterated")

    def __len__(self) -> int:
        return len(self._dirty)

    async def send(self, producer: Any) -> list[tuple[Any, int]]:
        """Send the dirty keys to the changelog: one record batch (more only if the rows
        outgrow one), straight to the aiokafka producer under Faust's, with no future
        per record. Return each batch's send (a future of its ack) with its record count.
        """
        topic = self._table.changelog_topic.get_topic_name()
        client = producer._ensure_producer()  # the aiokafka producer Faust's wraps
        return await send_batches(client, topic, self._partition, self._dirty.items())

    def store(self, last_offset: int) -> None:
        """Write the dirty keys to RocksDB, now that the changelog holds them up to
        ``last_offset``; record that offset, where Faust's recovery starts reading."""
        batch = WriteBatch(raw_mode=True)
        for key, value in self._dirty.items():
            if value is None:
                batch.delete(key)
            else:
                batch.put(key, value)
        self._db().write(batch)
        topic = self._table.changelog_topic.get_topic_name()
        self._table.data.set_persisted_offset(TP(topic, self._partition), last_offset)
        self._dirty.clear()


class PartitionBuffers:
    """The buffers one agent step writes, per (table, partition), flushed together."""

    def __init__(self) -> None:
        self._buffers: dict[tuple[str, int], PartitionBuffer] = {}

    def of(self, partition: int, *tables: Any) -> list[PartitionBuffer]:
        found = []
        for table in tables:
            key = (table.name, partition)
            if key not in self._buffers:
                self._buffers[key] = PartitionBuffer(table, partition)
            found.append(self._buffers[key])
        return found

    async def flush(self, producer: Any) -> None:
        """Send every dirty row to its changelog, wait for the acks, then write RocksDB.

        The local RocksDB is never ahead of the changelog: a node killed mid-step
        has a row in both or in the changelog alone (which recovery reads from the
        persisted offset), never in RocksDB alone, where a restart would dedupe the
        replayed event and the changelog would never get the row. Raises when the
        broker did not take a record; the step's offsets are then not committed.

        The sends do not yield to the event loop (the producer's batches have room
        for a step, ``streams.app.STEP_BATCH_BYTES``), so they leave in one produce
        request per broker: a node killed mid-flush leaves all of the step's rows
        with a broker or none, never a dedupe row without the state it guards.
        With the changelog partitions on several brokers, or a step larger than a
        batch, that is no longer so; Kafka transactions would make it so.
        """
        sent = [
            (buffer, sends)
            for buffer in self._buffers.values()
            if (sends := await buffer.send(producer))
        ]
        for buffer, sends in sent:
            acks = await asyncio.gather(*(send for send, _ in sends))
            # A batch's ack carries the offset of its first record.
            buffer.store(max(ack.offset + count - 1 for ack, (_, count) in zip(acks, sends)))


class Fold(Protocol):
    def write_back(self) -> None: ...


F = TypeVar("F", bound=Fold)


class KeptFolds(Generic[F]):
    """The per-partition folds of one agent, kept from step to step.

    A fold keeps the rows it decoded (``streams.rows``); its partitions are written by
    this agent alone, so they stay true until partitions move. ``forget`` drops them:
    call it when partitions are revoked, and after a step that failed half-way.
    """

    def __init__(self, make: Callable[[PartitionBuffers, int], F]) -> None:
        self._make = make
        self._buffers = PartitionBuffers()
        self._folds: dict[int, F] = {}
        self._stale = False

    def forget(self) -> None:
        """Start the next step afresh; a step under way still flushes what it folded."""
        self._stale = True

    @contextmanager
    def step(self) -> Iterator[None]:
        """One agent step: if it fails half-way, what the folds kept is dropped."""
        if self._stale:
            self._buffers = PartitionBuffers()
            self._folds = {}
            self._stale = False
        try:
            yield
        except BaseException:
            self._stale = True
            raise

    def of(self, partition: int) -> F:
        fold = self._folds.get(partition)
        if fold is None:
            fold = self._folds[partition] = self._make(self._buffers, partition)
        return fold

    async def flush(self, producer: Any) -> None:
        """Write back every fold's rows, then flush them to RocksDB and the changelog."""
        for fold in self._folds.values():
            fold.write_back()
        await self._buffers.flush(producer)


class TableProfileReader:
    """Reads the query store tables of one node (``query.store.ProfileReader``)."""

    def __init__(self, tracklog: Tracklog) -> None:
        self._t = tracklog
        self._graph = GraphTables(tracklog.identities, tracklog.profile_members)

    def profile_of(self, identifier: Identifier) -> str | None:
        return self._graph.profile_of(identifier)

    def identities(self, profile_id: str) -> ProfileIdentities | None:
        return self._graph.identities(profile_id)

    def profile_state(self, identifier: Identifier) -> ProfileState | None:
        raw = self._t.profiles.get(encode_identifier(identifier))
        return ProfileState.from_dict(orjson.loads(raw)) if raw is not None else None

    def timeline(self, identifier: Identifier, start: bytes) -> Iterator[tuple[bytes, TimelineEntry]]:
        prefix = timeline_prefix(identifier)
        # One identifier's entries live in one partition; the others end at once.
        for db in _partition_dbs(self._t.timeline):
            for key, value in db.items(from_key=max(start, prefix)):
                if not key.startswith(prefix):
                    break
                yield key, TimelineEntry.from_bytes(value)
