"""Every node's copy of the ``regulations`` topic, and the writes to it.

The topic (one partition, kept forever) holds each regulation as made, each step's
outcome and each fold's acknowledgement (``query.domain.regulations``). Every node reads
it whole from its start and follows it (``streams.kafka.follow``): its fold gives every
regulation's status to GraphQL, and ``suppressions`` to the edge. A node reads it to
its end before it serves, so a restarted node suppresses from its first call.
"""

from __future__ import annotations

import asyncio
import logging

from aiokafka import AIOKafkaProducer
from aiokafka.errors import KafkaError
from aiokafka.structs import ConsumerRecord

from query.domain.errors import DomainError
from query.domain.regulations import Record, Regulation, Regulations, Suppressions, decode_record, encode_record
from streams.errors import BrokerUnavailableError
from streams.kafka.follow import Follower

logger = logging.getLogger(__name__)


class RegulationLog:
    def __init__(self, bootstrap: str, topic: str, *, timeout: float = 10.0) -> None:
        self._bootstrap = bootstrap
        self.topic = topic
        self._timeout = timeout
        self.regulations = Regulations()
        self.suppressions = Suppressions()
        self.follower = Follower(bootstrap, topic, self._apply, name="regulations")
        self.producer: AIOKafkaProducer | None = None

    async def start(self, *, write: bool = True) -> None:
        await self.follower.start()
        if write:
            self.producer = AIOKafkaProducer(
                bootstrap_servers=self._bootstrap, acks="all", enable_idempotence=True, linger_ms=1
            )
            await self.producer.start()

    async def stop(self) -> None:
        await self.follower.stop()
        if self.producer is not None:
            await self.producer.stop()

    def _apply(self, record: ConsumerRecord[bytes, bytes]) -> None:
        try:
            decoded = decode_record(record.value or b"")
        except DomainError as exc:
            logger.warning("regulations@%d: skipped a record that is none: %s", record.offset, exc)
            return
        self.regulations.apply(decoded)
        if isinstance(decoded, Regulation):
            self.suppressions.apply(decoded)

    async def append(self, *records: Record) -> int:
        """Write ``records`` in order, acknowledged; the offset of the last one."""
        producer = self.producer
        assert producer is not None, "this node does not write regulations (started with write=False)"
        try:
            sends = [
                await producer.send(self.topic, key=_key(r), value=encode_record(r), partition=0) for r in records
            ]
            acked = await asyncio.wait_for(asyncio.gather(*sends), self._timeout)
        except (KafkaError, TimeoutError) as exc:
            raise BrokerUnavailableError(f"the broker did not take a regulation record: {exc!r}") from exc
        return int(acked[-1].offset)

    async def fresh(self) -> None:
        """Return once this copy holds every record the topic held when called.

        Raises BrokerUnavailableError when the broker does not say how far that is.
        """
        try:
            await self.follower.fresh(self._timeout)
        except (KafkaError, TimeoutError) as exc:
            raise BrokerUnavailableError(f"the broker did not say which regulations are in force: {exc!r}") from exc

    async def applied(self, offset: int) -> None:
        """Return once this node's copy has folded the record at ``offset``."""
        await self.follower.wait_for(0, offset, self._timeout)


def _key(record: Record) -> bytes:
    return (record.id if isinstance(record, Regulation) else record.regulation).encode()
