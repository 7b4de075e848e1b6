"""Declare every topic with its partition count before any agent starts.

A broker that auto-creates topics gives a topic a client merely asks about its own
default partition count, and a table whose changelog has the app's count then crashes
with ``PartitionsMismatch``; so topics are created here, explicitly, and an existing
topic with the wrong count is an error that names it.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterable

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import KafkaError
from aiokafka.structs import ConsumerRecord

from schemas.errors import TracklogError
from streams.adapters.aiokafka import refresh_metadata

logger = logging.getLogger(__name__)

TopicSpec = tuple[str, int, dict[str, str]]


class TopicSetupError(TracklogError):
    def __init__(self, topic: str, reason: str) -> None:
        super().__init__(f"topic {topic}: {reason}")
        self.topic = topic
        self.reason = reason


async def ensure_topics(
    bootstrap: str, specs: Iterable[TopicSpec], *, replication: int = 1, timeout: float = 60.0
) -> None:
    """Create the missing topics; check the partition count of those that exist."""
    specs = list(specs)
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=30_000)
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        try:
            await admin.start()
            break
        except KafkaError as exc:
            if asyncio.get_running_loop().time() > deadline:
                raise TopicSetupError("*", f"broker {bootstrap} unreachable: {exc}") from exc
            await asyncio.sleep(0.5)
    try:
        existing = {
            t["topic"]: len(t["partitions"])
            for t in await admin.describe_topics([name for name, _, _ in specs])
            if t["error_code"] == 0
        }
        missing = [
            NewTopic(name, partitions, replication, topic_configs=config)
            for name, partitions, config in specs
            if name not in existing
        ]
        for name, partitions, _ in specs:
            if name in existing and existing[name] != partitions:
                raise TopicSetupError(
                    name, f"has {existing[name]} partitions, the app needs {partitions}"
                )
        if missing:
            logger.info("creating topics %s", ", ".join(t.name for t in missing))
            response = await admin.create_topics(missing)
            for name, code, *rest in response.topic_errors:
                # 36: TOPIC_ALREADY_EXISTS (another node created it meanwhile).
                if code not in (0, 36):
                    raise TopicSetupError(name, f"creation failed with error code {code} {rest}")
            # Clients that start at once would log NotLeaderForPartition until the
            # new partitions have leaders; wait for them here instead.
            names = [t.name for t in missing]
            while not await _all_led(admin, names):
                if asyncio.get_running_loop().time() > deadline:
                    raise TopicSetupError(",".join(names), "partitions have no leader yet")
                await asyncio.sleep(0.1)
    finally:
        await admin.close()


async def _all_led(admin: AIOKafkaAdminClient, names: list[str]) -> bool:
    described = await admin.describe_topics(names)
    return len(described) == len(names) and all(
        topic["error_code"] == 0
        and topic["partitions"]
        and all(p["leader"] >= 0 for p in topic["partitions"])
        for topic in described
    )


async def assign_all(consumer: AIOKafkaConsumer, topic: str) -> list[TopicPartition]:
    """Assign every partition of ``topic`` to a started, group-less consumer."""
    partitions = consumer.partitions_for_topic(topic)
    if not partitions:
        # A consumer knows only the topics it has been told of; ask the broker once.
        await refresh_metadata(consumer)
        partitions = consumer.partitions_for_topic(topic) or set()
    tps = [TopicPartition(topic, p) for p in sorted(partitions)]
    if tps:
        consumer.assign(tps)
    return tps


async def read_all(
    bootstrap: str, topic: str, on_message: Callable[[ConsumerRecord[bytes, bytes]], None],
    progress: Callable[[int, int], None] | None = None,
) -> int:
    """Feed every message of ``topic`` up to its current end to ``on_message``."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=None, enable_auto_commit=False)
    await consumer.start()
    try:
        tps = await assign_all(consumer, topic)
        if not tps:
            return 0
        ends = await consumer.end_offsets(tps)
        starts = await consumer.beginning_offsets(tps)
        total = sum(ends[tp] - starts[tp] for tp in tps)
        remaining = {tp for tp in tps if ends[tp] > starts[tp]}
        await consumer.seek_to_beginning(*tps)
        done = 0
        while remaining:
            batch = await consumer.getmany(*remaining, timeout_ms=1000, max_records=5000)
            for tp, messages in batch.items():
                for message in messages:
                    if message.offset < ends[tp]:
                        on_message(message)
                        done += 1
                if messages and messages[-1].offset >= ends[tp] - 1:
                    remaining.discard(tp)
            for tp in list(remaining):
                if await consumer.position(tp) >= ends[tp]:
                    remaining.discard(tp)
            if progress is not None:
                progress(done, total)
        return done
    finally:
        await consumer.stop()
