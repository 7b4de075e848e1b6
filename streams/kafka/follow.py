"""A topic read whole from its start, then followed: each node's copy of a small topic.

The keys topic and the regulations topic are read this way by every node, without a
consumer group (each node needs every record), into a copy in memory: ``apply`` is
called once per record, in each partition's order. ``caught_up`` returns once the copy
holds everything the topic held when it was called, so a node can tell "not written
yet" from "not there"; ``fresh`` does the same while the copy is followed, with one
round trip to the broker shared by everyone waiting at the time (or none, for a caller
content with a copy that a round a moment ago found complete).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from typing import Final

from aiokafka import AIOKafkaConsumer
from aiokafka.structs import ConsumerRecord

from streams.kafka.topics import assign_all
from streams.signals import Changed

logger = logging.getLogger(__name__)

Apply = Callable[[ConsumerRecord[bytes, bytes]], None]


def clock() -> float:
    """Seconds, counting while the machine sleeps too (a suspended node's copy ages)."""
    return time.clock_gettime(_CLOCK)


_CLOCK: Final = getattr(time, "CLOCK_BOOTTIME", time.CLOCK_MONOTONIC)


class Follower:
    def __init__(self, bootstrap: str, topic: str, apply: Apply, *, name: str) -> None:
        self._bootstrap = bootstrap
        self._topic = topic
        self._apply = apply
        self._name = name
        self._consumer: AIOKafkaConsumer | None = None
        self._task: asyncio.Task[None] | None = None
        self._reading = asyncio.Lock()
        # The next offset to apply, per partition; ``changed`` fires as it moves.
        self.positions: dict[int, int] = {}
        self.changed = Changed()
        # The round of ``fresh`` that has not asked the broker yet (callers join it).
        self._round: asyncio.Future[tuple[float, dict[int, int]]] | None = None
        # When (``clock``) the latest round this copy is known to have caught up with
        # was asked: it held everything the topic held then.
        self.fresh_as_of = float("-inf")
        # ``fresh`` asks on a connection of its own: a broker answers a connection's
        # requests in order, so behind the follower's fetch (a long poll of up to
        # fetch_max_wait_ms) a ListOffsets would wait half a second.
        self._offsets: AIOKafkaConsumer | None = None
        self._asking: set[asyncio.Task[None]] = set()
        self._ahead: asyncio.Task[None] | None = None  # a round asked before the lease ends

    async def start(self, *, follow: bool = True) -> None:
        """Read the topic to its end, then (``follow``) follow it in the background."""
        consumer = AIOKafkaConsumer(bootstrap_servers=self._bootstrap, group_id=None, enable_auto_commit=False)
        await consumer.start()
        self._consumer = consumer
        partitions = await assign_all(consumer, self._topic)
        if partitions:
            await consumer.seek_to_beginning(*partitions)
        await self.caught_up()
        if follow:
            self._offsets = AIOKafkaConsumer(bootstrap_servers=self._bootstrap, group_id=None, enable_auto_commit=False)
            await self._offsets.start()
            self._task = asyncio.create_task(self._follow(), name=self._name)

    async def stop(self) -> None:
        for task in (self._task, self._ahead):
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        for consumer in (self._consumer, self._offsets):
            if consumer is not None:
                await consumer.stop()

    async def caught_up(self) -> None:
        """Return once every record the topic held when called has been applied."""
        consumer = self._consumer
        assert consumer is not None, f"{self._name}: start() first"
        async with self._reading:
            partitions = list(consumer.assignment())
            if not partitions:
                return
            ends = await consumer.end_offsets(partitions)
            while [tp for tp in partitions if await consumer.position(tp) < ends[tp]]:
                self._take(await consumer.getmany(*partitions, timeout_ms=1_000))

    async def fresh(self, timeout: float, within: float = 0.0) -> None:
        """Return once the copy holds every record the topic held at some moment after
        ``within`` seconds before this call: at once when a round asked since then
        found the copy complete, else after a round of its own. Callers that come while
        a round is being asked join the next one.

        Past half of ``within`` since that round, the next is asked in the background:
        a steady stream of callers keeps the copy fresh without any of them waiting for
        the broker (its answer comes in tens of milliseconds when it is busy).

        Raises TimeoutError (or the client's KafkaError) when the broker does not answer.
        """
        if within:
            age = clock() - self.fresh_as_of
            if age <= within:
                if age > within / 2 and self._ahead is None:
                    self._ahead = asyncio.get_running_loop().create_task(self._ask_ahead(timeout), name=f"{self._name}-ahead")
                return
        await self._fresh_round(timeout)

    async def _ask_ahead(self, timeout: float) -> None:
        try:
            await self._fresh_round(timeout)
        except Exception as exc:  # a caller past the lease asks again, and is told
            logger.debug("%s: a round asked ahead failed: %r", self._name, exc)
        finally:
            self._ahead = None

    async def _fresh_round(self, timeout: float) -> None:
        if self._round is None:
            self._round = asyncio.get_running_loop().create_future()
            # Retrieved even when every caller has given up on it.
            self._round.add_done_callback(lambda done: done.cancelled() or done.exception())
            asyncio.get_running_loop().call_soon(self._ask, timeout)
        # The round's own request times out (``_ask``); shielded, a caller that gives up
        # does not cancel it for the others.
        asked, ends = await asyncio.shield(self._round)
        if not all(self.positions.get(p, 0) >= end for p, end in ends.items()):
            await self.changed.until(
                lambda: True if all(self.positions.get(p, 0) >= end for p, end in ends.items()) else None, timeout
            )
        self.fresh_as_of = max(self.fresh_as_of, asked)

    def _ask(self, timeout: float) -> None:
        round_, self._round = self._round, None  # later callers start the next round
        assert round_ is not None
        consumer, offsets = self._consumer, self._offsets
        assert consumer is not None and offsets is not None, f"{self._name}: start() first, to follow"

        async def ask() -> None:
            asked = clock()  # before the request goes: the broker answers after
            try:
                ends = await asyncio.wait_for(offsets.end_offsets(list(consumer.assignment())), timeout)
            except Exception as exc:  # every caller of this round gets it
                round_.set_exception(exc)
            else:
                round_.set_result((asked, {tp.partition: end for tp, end in ends.items()}))

        task = asyncio.get_running_loop().create_task(ask(), name=f"{self._name}-fresh")
        self._asking.add(task)
        task.add_done_callback(self._asking.discard)

    async def wait_for(self, partition: int, offset: int, timeout: float) -> None:
        """Return once the record at ``offset`` of ``partition`` has been applied here."""
        await self.changed.until(lambda: True if self.positions.get(partition, 0) > offset else None, timeout)

    async def _follow(self) -> None:
        consumer = self._consumer
        assert consumer is not None
        while True:
            async with self._reading:
                self._take(await consumer.getmany(timeout_ms=100))
                # Past records compaction removed, too: a position the copy has reached.
                moved = False
                for tp in consumer.assignment():
                    position = await consumer.position(tp)
                    if position > self.positions.get(tp.partition, 0):
                        self.positions[tp.partition] = position
                        moved = True
                if moved:
                    self.changed.notify()
            await asyncio.sleep(0)

    def _take(self, fetched: dict[object, list[ConsumerRecord[bytes, bytes]]]) -> None:
        moved = False
        for records in fetched.values():
            for record in records:
                try:
                    self._apply(record)
                except Exception:  # a bad record must not stop the copy
                    logger.exception("%s: skipped record %s@%d", self._name, record.partition, record.offset)
                self.positions[record.partition] = record.offset + 1
                moved = True
        if moved:
            self.changed.notify()

