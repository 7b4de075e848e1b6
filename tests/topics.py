"""Reading a topic as any Kafka consumer would."""

from __future__ import annotations

from typing import Any

import orjson
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

from schemas import Event, decode_event
from schemas.log import record_items
from schemas.sealed import KeyRef
from streams.folds.privacy import Keys
from streams.kafka.topics import assign_all
from tests.keys import MemoryKeys, privacy

__all__ = ["MemoryKeys", "all_records", "events_on", "keys_on", "logged_events"]


async def keys_on(bootstrap: str, topic: str) -> Keys:
    """Every data key a keys topic holds now (what a node would know)."""
    book = Keys()
    for record in await all_records(bootstrap, topic):
        subject, _, key_id = (record.key or b"").decode().rpartition(":")
        ref = KeyRef(subject, key_id)
        if record.value is None:
            book.known.pop(ref, None)
        else:
            book.known[ref] = record.value
    return book


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


async def all_records(bootstrap: str, topic: str) -> list[Any]:
    """Every record of ``topic`` up to its end now, from every partition."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    await consumer.start()
    try:
        partitions = await assign_all(consumer, topic)
        await consumer.seek_to_beginning(*partitions)
        ends = await consumer.end_offsets(partitions)
        records: list[Any] = []
        while [tp for tp, end in ends.items() if await consumer.position(tp) < end]:
            for part in (await consumer.getmany(timeout_ms=1_000)).values():
                records.extend(r for r in part if r.offset < ends[TopicPartition(r.topic, r.partition)])
        return records
    finally:
        await consumer.stop()


async def lag(bootstrap: str, group: str, topics: list[str]) -> dict[str, int]:
    """Per topic, how many records the consumer ``group`` has not committed yet."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    await admin.start()
    await consumer.start()
    try:
        committed = await admin.list_consumer_group_offsets(group)
        behind = dict.fromkeys(topics, 0)
        for topic in topics:
            partitions = await assign_all(consumer, topic)
            for tp, end in (await consumer.end_offsets(partitions)).items():
                behind[topic] += end - (committed[tp].offset if tp in committed else 0)
        return behind
    finally:
        await consumer.stop()
        await admin.close()


def logged_events(records: list[Any], keys: Keys) -> list[tuple[Any, Event]]:
    """Every event of the events log's ``records``, in log order, each with its record,
    opened with ``keys``."""
    found: list[tuple[Any, Event]] = []
    opener = privacy(keys)
    for record in sorted(records, key=lambda r: (r.partition, r.offset)):
        if record.headers:
            continue  # a forget record
        for index, sealed in enumerate(record_items(record.value)):
            opened = opener.open(sealed)
            assert opened is not None, f"an event on the log under a key not known: {sealed[:80]!r}"
            found.append((record, decode_event(opened[0], index)))
    return found


async def events_on(bootstrap: str, topic: str, count: int, keys: Keys) -> list[tuple[Any, Event]]:
    """The first ``count`` events on the events log ``topic``, each with its record,
    opened with ``keys``; fails if they do not arrive in 10 s."""
    consumer = AIOKafkaConsumer(topic, bootstrap_servers=bootstrap, auto_offset_reset="earliest")
    await consumer.start()
    try:
        records: list[Any] = []
        while len(logged_events(records, keys)) < count:
            batch = await consumer.getmany(timeout_ms=10_000)
            assert batch, f"only {len(logged_events(records, keys))} of {count} events arrived on {topic}"
            for part in batch.values():
                records.extend(part)
        return logged_events(records, keys)
    finally:
        await consumer.stop()
