"""The ingestion edge's producer: acks=all and idempotent, so a 200 means "on the log".

Faust's own producer only turns idempotence on inside transactions; the edge needs it
for every write, so it runs its own aiokafka producer (the same client Faust uses),
sending each partition's records as record batches (``streams.kafka.batches``).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine, Sequence
from typing import Any

from aiokafka import AIOKafkaProducer
from aiokafka.errors import KafkaError
from aiokafka.partitioner import DefaultPartitioner, murmur2

from schemas.log import event_records
from streams.errors import BrokerUnavailableError
from streams.kafka.batches import send_batches

logger = logging.getLogger(__name__)

_PARTITIONER = DefaultPartitioner()
# Keys whose partition the edge remembers (each is a user's id: ~100 bytes kept a key).
_PARTITION_CACHE = 65_536


def key_partition(key: bytes, partitions: int) -> int:
    """The partition of ``partitions`` Kafka's default partitioner (murmur2) puts ``key``
    in: where the edge and the agents send a keyed record, so where its rows are."""
    return int(murmur2(key) & 0x7FFFFFFF) % partitions


class EventProducer:
    def __init__(self, bootstrap: str, topic: str, *, timeout: float) -> None:
        self._bootstrap = bootstrap
        self._topic = topic
        self._timeout = timeout
        self._producer: AIOKafkaProducer | None = None
        # The partition of each key seen lately, for the topic's partitions then.
        self._partitions: list[int] = []
        self._partition_of: dict[bytes, int] = {}

    async def start(self) -> None:
        # What the client buffers is bounded: per partition, one batch in flight and one
        # filling (max_batch_size each); once that one is full, send() waits for room
        # and times out. With idempotence a batch is retried until the broker answers,
        # never dropped, so a stalled broker holds exactly that much, no more.
        self._producer = AIOKafkaProducer(
            bootstrap_servers=self._bootstrap,
            acks="all",
            enable_idempotence=True,
            linger_ms=2,
            max_batch_size=1024 * 1024,
            max_request_size=2 * 1024 * 1024,
            request_timeout_ms=int(self._timeout * 1000),
        )
        await self._producer.start()

    async def stop(self) -> None:
        producer, self._producer = self._producer, None
        if producer is None:
            return
        try:
            # Stopping flushes what is in flight; with the broker gone that never ends.
            await asyncio.wait_for(producer.stop(), self._timeout)
        except TimeoutError:
            logger.warning("the producer did not flush within %.0f s; dropped unacknowledged writes", self._timeout)

    async def send_events(self, events: Sequence[tuple[bytes, bytes]]) -> None:
        """Append each (partition key, value) to the log, each in its key's partition,
        in order: one record per partition (``schemas.log``); return once the broker
        acked them all.

        Raises BrokerUnavailableError when that does not happen within the timeout; then
        none of them counts as acknowledged (some may still land: consumers dedupe by
        messageId, so the client's retry is harmless).
        """
        await self._within(self._send_events(events), len(events))

    async def _send_events(self, events: Sequence[tuple[bytes, bytes]]) -> None:
        await self._send(self._connected(), await self.records_of(events))

    async def records_of(self, events: Sequence[tuple[bytes, bytes]]) -> dict[int, list[bytes]]:
        """The log records of ``events``, by partition: the partition producer.send would
        pick for each key (murmur2 of the key over the topic's partitions), so the
        events of one key stay in one partition, in order."""
        producer = self._connected()
        partitions = sorted(await producer.partitions_for(self._topic))
        if partitions != self._partitions:
            self._partitions, self._partition_of = partitions, {}
        partition_of = self._partition_of
        by_partition: dict[int, list[bytes]] = {}
        for key, value in events:
            partition = partition_of.get(key)
            if partition is None:
                # aiokafka's murmur2 is Python, ~3 µs a key; users send many events each.
                if len(partition_of) >= _PARTITION_CACHE:
                    partition_of.clear()
                partition = partition_of[key] = _PARTITIONER(key, partitions, partitions)
            encoded = by_partition.get(partition)
            if encoded is None:
                encoded = by_partition[partition] = []
            encoded.append(value)
        return {partition: event_records(encoded) for partition, encoded in by_partition.items()}

    async def send_records(self, records: dict[int, list[bytes]], events: int) -> None:
        """Append ``records`` (by partition, what ``records_of`` made of ``events``
        events) and wait for the broker's acks; BrokerUnavailableError as ``send_events``."""
        await self._within(self._send(self._connected(), records), events)

    async def _within(self, sending: Coroutine[Any, Any, None], events: int) -> None:
        """``sending``, bounded by the timeout; the broker's failures become ours."""
        try:
            await asyncio.wait_for(sending, self._timeout)
        except (KafkaError, TimeoutError) as exc:
            logger.warning("broker did not acknowledge %d events: %r", events, exc)
            raise BrokerUnavailableError(f"the broker did not acknowledge the write: {exc!r}") from exc

    def _connected(self) -> AIOKafkaProducer:
        if self._producer is None:
            raise BrokerUnavailableError("the node is not connected to the broker yet")
        return self._producer

    async def _send(self, producer: AIOKafkaProducer, records: dict[int, list[bytes]]) -> None:
        # One record batch per partition rather than a send and a future per record.
        sends = [
            send
            for partition, values in records.items()
            for send, _ in await send_batches(producer, self._topic, partition, ((None, v) for v in values))
        ]
        await asyncio.gather(*sends)
