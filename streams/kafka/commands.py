"""A topic of commands every node holds a copy of: written acknowledged, read whole.

One partition, kept forever (the regulations, the tracking plans): every node reads it
from its start and follows it (``streams.kafka.follow``) into a fold in memory, so a
restart and a rebuild find every command. A write returns its offset; ``applied`` waits
until this node's copy has folded it, ``fresh`` until the copy holds all the topic held.
"""

from __future__ import annotations

import asyncio

from aiokafka import AIOKafkaProducer
from aiokafka.errors import KafkaError

from streams.errors import BrokerUnavailableError
from streams.kafka.follow import Apply, Follower


class CommandTopic:
    def __init__(self, bootstrap: str, topic: str, apply: Apply, *, name: str, timeout: float = 10.0) -> None:
        self._bootstrap = bootstrap
        self.topic = topic
        self._name = name
        self._timeout = timeout
        self.follower = Follower(bootstrap, topic, apply, name=name)
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

    async def write(self, records: list[tuple[bytes, bytes]]) -> int:
        """Write ``records`` (key, value) in order, acknowledged; the offset of the last."""
        producer = self.producer
        assert producer is not None, f"this node does not write {self._name} (started with write=False)"
        try:
            sends = [await producer.send(self.topic, key=key, value=value, partition=0) for key, value in records]
            acked = await asyncio.wait_for(asyncio.gather(*sends), self._timeout)
        except (KafkaError, TimeoutError) as exc:
            raise BrokerUnavailableError(f"the broker did not take a record of {self._name}: {exc!r}") from exc
        return int(acked[-1].offset)

    async def applied(self, offset: int) -> None:
        """Return once this node's copy has folded the record at ``offset``."""
        await self.follower.wait_for(0, offset, self._timeout)

    async def fresh(self, within: float = 0.0) -> None:
        """Return once this copy holds every record the topic held when called, or at
        some moment since ``within`` seconds before (``Follower.fresh``).

        Raises BrokerUnavailableError when the broker does not say how far that is.
        """
        try:
            await self.follower.fresh(self._timeout, within)
        except (KafkaError, TimeoutError) as exc:
            raise BrokerUnavailableError(f"the broker did not say how far {self._name} goes: {exc!r}") from exc
