"""Reading a topic as any Kafka consumer would."""

from __future__ import annotations

from typing import Any

import orjson
from aiokafka import AIOKafkaConsumer


async def read_records(bootstrap: str, topic: str, count: int) -> list[Any]:
    """The first ``count`` records of ``topic``; fails if they do not arrive in 10 s."""
    consumer = AIOKafkaConsumer(topic, bootstrap_servers=bootstrap, auto_offset_reset="earliest")
    await consumer.start()
    try:
        records: list[Any] = []
        while len(records) < count:
            batch = await consumer.getmany(timeout_ms=10_000)
            assert batch, f"only {len(records)} of {count} records arrived on {topic}"
            for part in batch.values():
                records.extend(part)
        return records
    finally:
        await consumer.stop()


async def read_json(bootstrap: str, topic: str, count: int) -> list[dict[str, Any]]:
    return [orjson.loads(record.value) for record in await read_records(bootstrap, topic, count)]
