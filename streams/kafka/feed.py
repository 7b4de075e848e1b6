"""Records of a topic fanned out to this node's subscribers: the schema changes from
``schema-changes``, the violations from ``violations``.

Every node reads every partition of the topic (no consumer group), starting at its end,
so a GraphQL subscriber on any node sees every record, whichever node wrote it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable, Mapping
from typing import Any, Generic, TypeVar

import orjson
from aiokafka import AIOKafkaConsumer

from registry import RegistryError, SchemaChange
from streams.kafka.topics import assign_all

T = TypeVar("T")

logger = logging.getLogger(__name__)

# A subscriber that falls this far behind is dropped rather than let memory grow.
_QUEUE_LIMIT = 10_000


class KafkaFeed(Generic[T]):
    """The records of ``topic`` from now on, each read by ``decode`` (ValueError or a
    RegistryError for one it cannot read: skipped, with a warning)."""

    def __init__(self, bootstrap: str, topic: str, decode: Callable[[Mapping[str, Any]], T]) -> None:
        self._bootstrap = bootstrap
        self._topic = topic
        self._decode = decode
        self._subscribers: set[asyncio.Queue[T | None]] = set()
        self._consumer: AIOKafkaConsumer | None = None
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        consumer = AIOKafkaConsumer(
            bootstrap_servers=self._bootstrap,
            group_id=None,
            enable_auto_commit=False,
            fetch_max_wait_ms=100,
        )
        await consumer.start()
        tps = await assign_all(consumer, self._topic)
        if tps:
            await consumer.seek_to_end(*tps)
        self._consumer = consumer
        self._task = asyncio.create_task(self._run(consumer), name=f"feed of {self._topic}")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        if self._consumer is not None:
            await self._consumer.stop()
        for queue in self._subscribers:
            queue.put_nowait(None)

    async def _run(self, consumer: AIOKafkaConsumer) -> None:
        async for message in consumer:
            try:
                change = self._decode(orjson.loads(message.value))
            except (ValueError, RegistryError) as exc:
                logger.warning(
                    "skipping an unreadable record at %s[%d]@%d: %s",
                    message.topic,
                    message.partition,
                    message.offset,
                    exc,
                )
                continue
            for queue in list(self._subscribers):
                try:
                    queue.put_nowait(change)
                except asyncio.QueueFull:
                    logger.warning("dropping a subscriber of %s %d records behind", self._topic, _QUEUE_LIMIT)
                    self._subscribers.discard(queue)

    async def subscribe(self) -> AsyncIterator[T]:
        queue: asyncio.Queue[T | None] = asyncio.Queue(maxsize=_QUEUE_LIMIT)
        self._subscribers.add(queue)
        try:
            while True:
                change = await queue.get()
                if change is None or queue not in self._subscribers:
                    return
                yield change
        finally:
            self._subscribers.discard(queue)


def change_feed(bootstrap: str, topic: str) -> KafkaFeed[SchemaChange]:
    """The schema changes of ``topic`` (``schema-changes``)."""
    return KafkaFeed(bootstrap, topic, SchemaChange.from_dict)
