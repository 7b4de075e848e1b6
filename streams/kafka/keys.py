"""Every subject's data keys: a compacted topic every node reads whole, and its copy here.

A key record is keyed ``subject:key_id`` (pseudonymous: ``query.domain.pseudonyms``)
and holds the key's 64 random bytes; deleting a key is a tombstone, which compaction
turns into the key's absence from the log (the topic's ``segment.ms`` and
``max.compaction.lag.ms`` bound how long that takes). Every node follows the topic
from its start, group-less, and keeps each live key in memory: about 150 bytes a
subject.

The edge makes a subject's first key on its first event and writes it (acknowledged)
before any event sealed with it, so a node that meets an event whose key it has not
read yet only has to read the topic up to its end (``caught_up``): if the key is not
there then, it was deleted, and the event's subject was forgotten.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from collections.abc import Iterable

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from schemas.sealed import KEY_BYTES, KeyRef
from streams.kafka.topics import assign_all

logger = logging.getLogger(__name__)


def _record_key(ref: KeyRef) -> bytes:
    return f"{ref.subject}:{ref.key_id}".encode()


def _ref_of(key: bytes) -> KeyRef | None:
    subject, sep, key_id = key.decode("utf-8", "replace").rpartition(":")
    return KeyRef(subject, key_id) if sep and subject and key_id else None


class SubjectKeys:
    """The keys of every subject, followed from ``topic`` (see the module docstring)."""

    def __init__(self, bootstrap: str, topic: str, *, timeout: float = 10.0) -> None:
        self._bootstrap = bootstrap
        self._topic = topic
        self._timeout = timeout
        self._keys: dict[str, dict[str, bytes]] = {}  # subject -> key id -> material
        self._making: dict[str, asyncio.Future[KeyRef]] = {}
        self._consumer: AIOKafkaConsumer | None = None
        self._producer: AIOKafkaProducer | None = None
        self._task: asyncio.Task[None] | None = None
        self._caught_up = asyncio.Lock()

    # -- reading the topic ---------------------------------------------------------

    async def start(self, *, write: bool = True) -> None:
        """Read the topic to its end, then follow it; ``write`` lets this node make keys."""
        consumer = AIOKafkaConsumer(bootstrap_servers=self._bootstrap, group_id=None, enable_auto_commit=False)
        await consumer.start()
        self._consumer = consumer
        partitions = await assign_all(consumer, self._topic)
        if partitions:
            await consumer.seek_to_beginning(*partitions)
        await self.caught_up()
        if write:
            self._producer = AIOKafkaProducer(
                bootstrap_servers=self._bootstrap, acks="all", enable_idempotence=True, linger_ms=1
            )
            await self._producer.start()
        self._task = asyncio.create_task(self._follow(), name="subject-keys")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        for client in (self._producer, self._consumer):
            if client is not None:
                await client.stop()

    async def caught_up(self) -> None:
        """Return once this copy holds every record the topic held when called."""
        consumer = self._consumer
        assert consumer is not None, "SubjectKeys.start() first"
        async with self._caught_up:
            partitions = list(consumer.assignment())
            if not partitions:
                return
            ends = await consumer.end_offsets(partitions)
            while [tp for tp in partitions if await consumer.position(tp) < ends[tp]]:
                for records in (await consumer.getmany(*partitions, timeout_ms=1_000)).values():
                    for record in records:
                        self._apply(record.key, record.value)

    async def _follow(self) -> None:
        consumer = self._consumer
        assert consumer is not None
        while True:
            async with self._caught_up:
                fetched = await consumer.getmany(timeout_ms=100)
                for records in fetched.values():
                    for record in records:
                        self._apply(record.key, record.value)
            await asyncio.sleep(0)

    def _apply(self, key: bytes | None, value: bytes | None) -> None:
        ref = _ref_of(key or b"")
        if ref is None:
            logger.warning("skipping a key record of no subject: %r", key)
            return
        if value is None:
            self._drop(ref)
        elif len(value) == KEY_BYTES:
            self._keys.setdefault(ref.subject, {})[ref.key_id] = value

    def _drop(self, ref: KeyRef) -> None:
        keys = self._keys.get(ref.subject)
        if keys is not None:
            keys.pop(ref.key_id, None)
            if not keys:
                del self._keys[ref.subject]

    # -- looking keys up -----------------------------------------------------------

    def material(self, ref: KeyRef) -> bytes | None:
        """The key ``ref`` names, or None when this copy does not hold it."""
        keys = self._keys.get(ref.subject)
        return None if keys is None else keys.get(ref.key_id)

    def keys_of(self, subject: str) -> list[KeyRef]:
        return [KeyRef(subject, key_id) for key_id in sorted(self._keys.get(subject, ()))]

    # -- making and deleting keys ----------------------------------------------------

    async def key_for(self, subject: str) -> tuple[KeyRef, bytes]:
        """A key of ``subject``: its first, or a new one written to the topic (acked)."""
        keys = self._keys.get(subject)
        if keys:
            key_id = min(keys)
            return KeyRef(subject, key_id), keys[key_id]
        making = self._making.get(subject)
        if making is None:
            making = self._making[subject] = asyncio.get_running_loop().create_future()
            try:
                making.set_result(await self._make(subject))
            except BaseException as exc:
                making.set_exception(exc)
                raise
            finally:
                del self._making[subject]
        ref = await asyncio.shield(making)
        material = self.material(ref)
        assert material is not None
        return ref, material

    async def _make(self, subject: str) -> KeyRef:
        producer = self._producer
        assert producer is not None, "this node does not make keys (started with write=False)"
        ref, material = KeyRef(subject, os.urandom(8).hex()), os.urandom(KEY_BYTES)
        sent = await producer.send(self._topic, key=_record_key(ref), value=material)
        await asyncio.wait_for(sent, self._timeout)
        self._keys.setdefault(subject, {})[ref.key_id] = material
        return ref

    async def forget(self, subjects: Iterable[str]) -> int:
        """Delete every key of ``subjects``: tombstones on the topic (acked), and gone
        here at once. Returns how many keys were deleted."""
        producer = self._producer
        assert producer is not None, "this node does not delete keys (started with write=False)"
        await self.caught_up()  # keys another node made lately
        refs = [ref for subject in subjects for ref in self.keys_of(subject)]
        sends = [await producer.send(self._topic, key=_record_key(ref), value=None) for ref in refs]
        await asyncio.wait_for(asyncio.gather(*sends), self._timeout)
        for ref in refs:
            self._drop(ref)
        return len(refs)
