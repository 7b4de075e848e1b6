"""Table partitions read through and written back once per agent step.

An agent folds a step's events into ``PartitionBuffer``s (plain mutable mappings, so
the folds in ``streams.folds`` run over them as over dicts), then
``PartitionBuffers.flush`` writes every dirty key once: one changelog record per key
and one RocksDB write batch, rather than a table write and a changelog message per
key per event.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator, MutableMapping
from contextlib import contextmanager
from typing import Any, Generic, Protocol, TypeVar

from aiokafka import AIOKafkaProducer
from faust.types import TP

from streams.adapters import rocksdict as rocksdb
from streams.adapters.faust import Table, partition_db
from streams.kafka.batches import Sent, send_batches


class PartitionBuffer(MutableMapping[bytes, bytes]):
    """One partition of a Faust table, read through and
    written back in one batch. A deletion is a tombstone in the changelog, as Faust
    writes it."""

    def __init__(self, table: Table, partition: int) -> None:
        self._table = table
        self._partition = partition
        self._dirty: dict[bytes, bytes | None] = {}  # None: deleted

    def __getitem__(self, key: bytes) -> bytes:
        value: bytes | None = self.get(key)
        if value is None:
            raise KeyError(key)
        return value

    def get(self, key: bytes, default: Any = None) -> Any:
        if key in self._dirty:
            found = self._dirty[key]
            return default if found is None else found
        value = partition_db(self._table, self._partition).get(key)
        return default if value is None else value

    def __setitem__(self, key: bytes, value: bytes) -> None:
        self._dirty[key] = value

    def __delitem__(self, key: bytes) -> None:
        self._dirty[key] = None

    def __iter__(self) -> Iterator[bytes]:
        raise NotImplementedError("a partition buffer is not iterated whole; scan a prefix")

    def scan(self, prefix: bytes) -> list[tuple[bytes, bytes]]:
        """Every row whose key starts with ``prefix``, as this step sees it (RocksDB's
        rows overlaid with the step's writes), in key order."""
        rows = dict(rocksdb.scan(partition_db(self._table, self._partition), prefix))
        for key, value in self._dirty.items():
            if key.startswith(prefix):
                if value is None:
                    rows.pop(key, None)
                else:
                    rows[key] = value
        return sorted(rows.items())

    def __len__(self) -> int:
        return len(self._dirty)

    async def send(self, producer: AIOKafkaProducer) -> list[tuple[Sent, int]]:
        """Send the dirty keys to the changelog through ``producer`` (aiokafka's): one
        record batch (more only if the rows outgrow one), with no future per record.
        Return each batch's send (a future of its ack) with its record count."""
        topic = self._table.changelog_topic.get_topic_name()
        return await send_batches(producer, topic, self._partition, self._dirty.items())

    def store(self, last_offset: int) -> None:
        """Write the dirty keys to RocksDB, now that the changelog holds them up to
        ``last_offset``; record that offset, where Faust's recovery starts reading."""
        rocksdb.write(partition_db(self._table, self._partition), self._dirty.items())
        topic = self._table.changelog_topic.get_topic_name()
        self._table.data.set_persisted_offset(TP(topic, self._partition), last_offset)
        self._dirty.clear()


class PartitionBuffers:
    """The buffers one agent step writes, per (table, partition), flushed together."""

    def __init__(self) -> None:
        self._buffers: dict[tuple[str, int], PartitionBuffer] = {}

    def of(self, partition: int, *tables: Table) -> list[PartitionBuffer]:
        found = []
        for table in tables:
            key = (table.name, partition)
            if key not in self._buffers:
                self._buffers[key] = PartitionBuffer(table, partition)
            found.append(self._buffers[key])
        return found

    async def flush(self, producer: AIOKafkaProducer) -> None:
        """Send every dirty row to its changelog, wait for the acks, then write RocksDB.

        The local RocksDB is never ahead of the changelog: a node killed mid-step
        has a row in both or in the changelog alone (which recovery reads from the
        persisted offset), never in RocksDB alone, where a restart would dedupe the
        replayed event and the changelog would never get the row. Raises when the
        broker did not take a record; the step's offsets are then not committed.

        The sends do not yield to the event loop (the producer's batches have room
        for a step, ``streams.kafka.app.STEP_BATCH_BYTES``), so they leave in one
        produce request per broker: a node killed mid-flush leaves all of the step's
        rows with a broker or none, never a dedupe row without the state it guards.
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

    A fold keeps the rows it decoded (``streams.folds.rows``); its partitions are
    written by this agent alone, so they stay true until partitions move. ``forget``
    drops them: call it when partitions are revoked, and after a step that failed
    half-way.
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

    async def flush(self, producer: AIOKafkaProducer) -> None:
        """Write back every fold's rows, then flush them to RocksDB and the changelog."""
        for fold in self._folds.values():
            fold.write_back()
        await self._buffers.flush(producer)
