"""The ingestion edge's producer: acks=all and idempotent, so a 200 means "on the log".

Faust's own producer only turns idempotence on inside transactions; the edge needs it
for every write, so it runs its own aiokafka producer (the same client Faust uses).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence

from aiokafka import AIOKafkaProducer
from aiokafka.errors import KafkaError
from aiokafka.partitioner import DefaultPartitioner

from streams.errors import BrokerUnavailableError

logger = logging.getLogger(__name__)

_PARTITIONER = DefaultPartitioner()


class EventProducer:
    def __init__(self, bootstrap: str, topic: str, *, timeout: float) -> None:
        self._bootstrap = bootstrap
        self._topic = topic
        self._timeout = timeout
        self._producer: AIOKafkaProducer | None = None

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

    async def send_all(self, records: Sequence[tuple[bytes, bytes]]) -> None:
        """Append every (key, value) to the topic; return once the broker acked them all.

        Raises BrokerUnavailableError when that does not happen within the timeout; then
        none of them counts as acknowledged (some may still land: consumers dedupe by
        messageId, so the client's retry is harmless).
        """
        if self._producer is None:
            raise BrokerUnavailableError("the node is not connected to the broker yet")
        try:
            await asyncio.wait_for(self._send(self._producer, records), self._timeout)
        except (KafkaError, TimeoutError) as exc:
            logger.warning("broker did not acknowledge %d events: %r", len(records), exc)
            raise BrokerUnavailableError(
                f"the broker did not acknowledge the write: {exc!r}"
            ) from exc

    async def _send(
        self, producer: AIOKafkaProducer, records: Sequence[tuple[bytes, bytes]]
    ) -> None:
        # One record batch per partition (aiokafka's send_batch) rather than a send and a
        # future per record: a tenth of the edge's CPU. The partition is the one
        # producer.send would pick: murmur2 of the key over the topic's partitions.
        partitions = sorted(await producer.partitions_for(self._topic))
        by_partition: dict[int, list[tuple[bytes, bytes]]] = {}
        for key, value in records:
            partition = _PARTITIONER(key, partitions, partitions)
            by_partition.setdefault(partition, []).append((key, value))
        sends = []
        for partition, rows in by_partition.items():
            batch = producer.create_batch()
            for key, value in rows:
                if batch.append(key=key, value=value, timestamp=None) is None:
                    sends.append(await producer.send_batch(batch, self._topic, partition=partition))
                    batch = producer.create_batch()
                    # An event is far below a batch (parse limits it), so it fits an empty one.
                    batch.append(key=key, value=value, timestamp=None)
            sends.append(await producer.send_batch(batch, self._topic, partition=partition))
        await asyncio.gather(*sends)
