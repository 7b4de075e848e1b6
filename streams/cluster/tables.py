"""A Faust table read across the cluster: each partition from the node that serves it.

``Cluster.read`` answers a list of reads (``streams.cluster.ops``): those of partitions
this node serves from its own databases at once, the others from their owners, one
request per node. A read whose partition no node serves (mid-rebalance, or its owner
just died and the broker has not noticed) waits up to ``wait`` seconds for one, then
raises ``UnavailableReadError`` naming the partition: never a partial answer.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Protocol

from query.store import UnavailableReadError
from streams.adapters.faust import Table, partition_db
from streams.adapters.rocksdict import DB
from streams.cluster.ops import Answer, Read, Row, execute
from streams.cluster.peers import Peers, PeerUnreachableError
from streams.cluster.placement import HERE, Placement

# How often a read waiting for a partition's owner looks again.
POLL = 0.05


class Reads(Protocol):
    async def read(self, reads: Sequence[Read]) -> list[Answer]:
        """Each read's answer, in order (every one held: see ``Cluster.read``)."""


class LocalReads:
    """Reads of tables whose every partition is a database at hand (tests, benchmarks)."""

    def __init__(self, dbs: Mapping[str, Sequence[DB]], skip: bytes | None = None) -> None:
        self._dbs = dbs
        self._skip = skip

    async def read(self, reads: Sequence[Read]) -> list[Answer]:
        return [execute(read, self._dbs[read.table][read.partition], self._skip) for read in reads]


class Cluster:
    def __init__(
        self,
        tables: Sequence[Table],
        placement: Placement,
        peers: Peers,
        wait: float,
        on_forward: Callable[[str, int], None] | None = None,
    ) -> None:
        """``on_forward(url, n)`` is told of each batch of ``n`` reads sent to the node at ``url``."""
        self._tables = {table.name: table for table in tables}
        self._placement = placement
        self._peers = peers
        self._wait = wait
        self._on_forward = on_forward

    def local(self, read: Read) -> tuple[DB, bytes | None] | None:
        """The database of ``read``'s partition and its bookkeeping key, where this node serves it."""
        table = self._tables.get(read.table)
        if table is None or not 0 <= read.partition < table.partitions:
            return None
        if self._placement.where(table, read.partition) != HERE:
            return None
        return partition_db(table, read.partition), table.data.offset_key

    async def read(self, reads: Sequence[Read]) -> list[Answer]:
        answers: list[Answer | None] = [None] * len(reads)
        pending = list(range(len(reads)))
        deadline: float | None = None
        while True:
            waiting, reason = await self._round(reads, pending, answers)
            if not waiting:
                return [answer for answer in answers if answer is not None]
            now = time.monotonic()
            deadline = now + self._wait if deadline is None else deadline
            if now >= deadline:
                first = reads[waiting[0]]
                raise UnavailableReadError(first.table, first.partition, reason)
            pending = waiting
            await asyncio.sleep(POLL)

    async def _round(
        self, reads: Sequence[Read], pending: list[int], answers: list[Answer | None]
    ) -> tuple[list[int], str]:
        """Answer what can be of ``pending``; the indexes still waiting, and why."""
        waiting: list[int] = []
        reason = "no node holds it"
        remote: dict[str, list[int]] = {}
        for i in pending:
            read = reads[i]
            table = self._tables[read.table]
            where = self._placement.where(table, read.partition)
            if where == HERE:
                answers[i] = execute(read, partition_db(table, read.partition), table.data.offset_key)
            elif where is None:
                waiting.append(i)
            else:
                remote.setdefault(where, []).append(i)
        if remote:
            if self._on_forward is not None:
                for url, indexes in remote.items():
                    self._on_forward(url, len(indexes))
            results = await asyncio.gather(
                *(self._peers.read(url, [reads[i] for i in indexes]) for url, indexes in remote.items()),
                return_exceptions=True,
            )
            for indexes, result in zip(remote.values(), results):
                if isinstance(result, PeerUnreachableError):
                    waiting += indexes
                    reason = f"its owner {result.url} did not answer"
                elif isinstance(result, BaseException):
                    raise result
                else:
                    for i, answer in zip(indexes, result):
                        if answer.held:
                            answers[i] = answer
                        else:
                            waiting.append(i)
                            reason = "it is moving between nodes"
        return waiting, reason


class ClusterTable:
    """One table's rows, wherever in the cluster they are."""

    def __init__(self, reads: Reads, name: str, partitions: int) -> None:
        self._cluster = reads
        self.name = name
        self.partitions = partitions

    @classmethod
    def of(cls, reads: Reads, table: Table) -> ClusterTable:
        return cls(reads, table.name, table.partitions)

    async def get(self, key: bytes, partition: int) -> bytes | None:
        """The row of ``key`` in ``partition``."""
        (answer,) = await self._cluster.read([Read(self.name, partition, "get", key)])
        return answer.value

    async def get_each(self, key: bytes) -> list[bytes]:
        """The row of ``key`` in every partition that has one (a per-partition count)."""
        answers = await self._cluster.read([Read(self.name, p, "get", key) for p in range(self.partitions)])
        return [answer.value for answer in answers if answer.value is not None]

    async def scan(
        self, prefix: bytes, start: bytes | None = None, *, partition: int, limit: int | None = None,
        backwards: bool = False,
    ) -> list[Row]:
        """The rows of ``partition`` under ``prefix``, in key order (reversed, ``backwards``)
        from ``start``, at most ``limit``."""
        (answer,) = await self._cluster.read([Read(self.name, partition, "scan", prefix, start, limit, backwards)])
        return answer.rows or []

    async def scan_each(
        self, prefix: bytes, start: bytes | None = None, *, limit: int | None = None, backwards: bool = False
    ) -> list[list[Row]]:
        """``scan`` of every partition: one key-ordered list each, to merge."""
        reads = [Read(self.name, p, "scan", prefix, start, limit, backwards) for p in range(self.partitions)]
        return [answer.rows or [] for answer in await self._cluster.read(reads)]
