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
import logging
import os
from collections.abc import Iterable

from aiokafka import AIOKafkaProducer
from aiokafka.errors import KafkaError
from aiokafka.structs import ConsumerRecord

from schemas.sealed import KEY_BYTES, KeyRef
from streams.errors import BrokerUnavailableError
from streams.kafka.batches import send_batches
from streams.kafka.follow import Follower
from streams.kafka.producer import key_partition

logger = logging.getLogger(__name__)


# The key of the records that roll segments: a tombstone of no key.
_NUDGE = b"~nudge:0"


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
        # subject -> its first key, as ``current`` gives it (asked of every event).
        self._current: dict[str, tuple[KeyRef, bytes]] = {}
        # How many times a subject's current key was replaced or dropped: a sealer that
        # kept keys by subject keeps them while this stays.
        self.replaced = 0
        self._making: dict[str, asyncio.Future[KeyRef]] = {}
        self._follower = Follower(bootstrap, topic, self._apply, name="subject-keys")
        self._producer: AIOKafkaProducer | None = None

    # -- reading the topic ---------------------------------------------------------

    async def start(self, *, write: bool = True) -> None:
        """Read the topic to its end, then follow it; ``write`` lets this node make keys."""
        await self._follower.start()
        if write:
            self._producer = AIOKafkaProducer(
                bootstrap_servers=self._bootstrap, acks="all", enable_idempotence=True, linger_ms=1
            )
            await self._producer.start()

    async def stop(self) -> None:
        await self._follower.stop()
        if self._producer is not None:
            await self._producer.stop()

    async def caught_up(self) -> None:
        """Return once this copy holds every record the topic held when called."""
        await self._follower.caught_up()

    def _apply(self, record: ConsumerRecord[bytes, bytes]) -> None:
        ref = _ref_of(record.key or b"")
        if ref is None:
            logger.warning("skipping a key record of no subject: %r", record.key)
            return
        if record.value is None:
            self._drop(ref)
        elif len(record.value) == KEY_BYTES:
            self._add(ref, record.value)

    def _add(self, ref: KeyRef, material: bytes) -> None:
        self._keys.setdefault(ref.subject, {})[ref.key_id] = material
        self._choose(ref.subject, ref)

    def _drop(self, ref: KeyRef) -> None:
        keys = self._keys.get(ref.subject)
        if keys is not None:
            keys.pop(ref.key_id, None)
            if not keys:
                del self._keys[ref.subject]
        self._choose(ref.subject)

    def _choose(self, subject: str, added: KeyRef | None = None) -> None:
        keys = self._keys.get(subject)
        if keys:
            key_id = min(keys)
            chosen = self._current.get(subject)
            if chosen is not None and chosen[0].key_id == key_id and chosen[1] == keys[key_id]:
                return  # the same key, as the same KeyRef: sealers find it by identity
            ref = added if added is not None and added.key_id == key_id else KeyRef(subject, key_id)
            self._current[subject] = (ref, keys[key_id])
            self.replaced += chosen is not None
        elif self._current.pop(subject, None) is not None:
            self.replaced += 1

    # -- looking keys up -----------------------------------------------------------

    def material(self, ref: KeyRef) -> bytes | None:
        """The key ``ref`` names, or None when this copy does not hold it."""
        keys = self._keys.get(ref.subject)
        return None if keys is None else keys.get(ref.key_id)

    def keys_of(self, subject: str) -> list[KeyRef]:
        return [KeyRef(subject, key_id) for key_id in sorted(self._keys.get(subject, ()))]

    # -- making and deleting keys ----------------------------------------------------

    def current(self, subject: str) -> tuple[KeyRef, bytes] | None:
        """The key new values of ``subject`` are sealed under (its first), if any."""
        return self._current.get(subject)

    async def key_for(self, subject: str) -> tuple[KeyRef, bytes]:
        """A key of ``subject``: its first, or a new one written to the topic (acked)."""
        return (await self.keys_for([subject]))[subject]

    async def keys_for(self, subjects: Iterable[str]) -> dict[str, tuple[KeyRef, bytes]]:
        """A key of each of ``subjects``: its first, or a new one. The new ones are
        written to the topic at once and acknowledged (one round trip, however many);
        a subject another call is making a key for gets that one."""
        found: dict[str, tuple[KeyRef, bytes]] = {}
        waiting: dict[str, asyncio.Future[KeyRef]] = {}
        new: dict[str, asyncio.Future[KeyRef]] = {}
        for subject in subjects:
            if subject in found or subject in waiting or subject in new:
                continue
            current = self.current(subject)
            if current is not None:
                found[subject] = current
            elif subject in self._making:
                waiting[subject] = self._making[subject]
            else:
                new[subject] = self._making[subject] = asyncio.get_running_loop().create_future()
        if new:
            try:
                refs = await self._make(list(new))
            except BaseException as exc:
                for making in new.values():
                    making.set_exception(exc)
                    making.exception()  # retrieved: this call raises it
                raise
            finally:
                for subject in new:
                    del self._making[subject]
            for ref in refs:
                new[ref.subject].set_result(ref)
                waiting[ref.subject] = new[ref.subject]
        for subject, making in waiting.items():
            ref = await asyncio.shield(making)
            material = self.material(ref)
            assert material is not None
            found[subject] = ref, material
        return found

    async def _make(self, subjects: list[str]) -> list[KeyRef]:
        producer = self._producer
        assert producer is not None, "this node does not make keys (started with write=False)"
        made = [(KeyRef(subject, os.urandom(8).hex()), os.urandom(KEY_BYTES)) for subject in subjects]
        try:
            # A record batch per partition, not a future per key (a call meets tens of
            # new people at once); each in the partition its tombstone will go to.
            partitions = len(await producer.partitions_for(self._topic))
            by_partition: dict[int, list[tuple[bytes | None, bytes | None]]] = {}
            for ref, material in made:
                key = _record_key(ref)
                by_partition.setdefault(key_partition(key, partitions), []).append((key, material))
            sends = [
                send
                for partition, records in by_partition.items()
                for send, _ in await send_batches(producer, self._topic, partition, records)
            ]
            await asyncio.wait_for(asyncio.gather(*sends), self._timeout)
        except (KafkaError, TimeoutError) as exc:
            raise BrokerUnavailableError(f"the broker did not take a new data key: {exc!r}") from exc
        for ref, material in made:
            self._add(ref, material)
        return [ref for ref, _ in made]

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

    async def remaining(self, subjects: Iterable[str], made_by_ms: int) -> int:
        """How many records on the topic, read from its start, still hold a key of
        ``subjects`` made by ``made_by_ms``: none once the tombstones written then were
        compacted in (a key made since is a new one)."""
        wanted = set(subjects)
        if not wanted:
            return 0
        found = 0

        def count(record: ConsumerRecord[bytes, bytes]) -> None:
            nonlocal found
            ref = _ref_of(record.key or b"")
            made = record.timestamp <= made_by_ms
            if ref is not None and ref.subject in wanted and record.value is not None and made:
                found += 1

        reader = Follower(self._bootstrap, self._topic, count, name="subject-keys-check")
        await reader.start(follow=False)
        await reader.stop()
        return found

    async def nudge(self) -> None:
        """Append a record of no subject to every partition: a segment older than
        ``segment.ms`` only rolls (and so becomes compactable) when a record comes."""
        producer = self._producer
        assert producer is not None, "this node does not write keys (started with write=False)"
        partitions = sorted(await producer.partitions_for(self._topic))
        sends = [await producer.send(self._topic, key=_NUDGE, value=None, partition=p) for p in partitions]
        await asyncio.wait_for(asyncio.gather(*sends), self._timeout)
