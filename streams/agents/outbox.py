"""Where an agent step's records go: the node's producer, or a list in tests."""

from __future__ import annotations

import base64
import logging
from dataclasses import dataclass, field
from typing import Protocol

import orjson
from aiokafka import AIOKafkaProducer

from streams.folds.records import Message
from streams.metrics import Metrics

logger = logging.getLogger(__name__)

Headers = list[tuple[str, bytes]]


class Outbox(Protocol):
    async def send(self, topic: str, key: bytes | None, value: bytes, headers: Headers | None = None) -> None:
        """Hand one record to the producer (it reaches the broker before the step's
        offsets are committed: Faust flushes its producer before every commit)."""


class ProducerOutbox:
    """An ``Outbox`` over the aiokafka producer under Faust's (one future per record,
    none awaited here)."""

    def __init__(self, producer: AIOKafkaProducer) -> None:
        self._producer = producer

    async def send(self, topic: str, key: bytes | None, value: bytes, headers: Headers | None = None) -> None:
        await self._producer.send(topic, key=key, value=value, headers=headers)


@dataclass
class ListOutbox:
    """An ``Outbox`` that keeps what it was given (tests, and what a step would send)."""

    sent: list[tuple[str, bytes | None, bytes, Headers | None]] = field(default_factory=list)

    async def send(self, topic: str, key: bytes | None, value: bytes, headers: Headers | None = None) -> None:
        self.sent.append((topic, key, value, headers))


@dataclass(frozen=True)
class Dead:
    """A message an agent could not process, or one item of it (``index``, with the
    item's own bytes as ``value``) that it set aside while it folded the rest."""

    message: Message
    reason: str
    index: int | None = None
    value: bytes | None = None


class DeadLetters:
    """Sends what an agent cannot process to the dead-letter topic, with its reason and
    position, and counts it; the partition goes on."""

    def __init__(self, outbox: Outbox, topic: str, metrics: Metrics) -> None:
        self._outbox = outbox
        self._topic = topic
        self._metrics = metrics

    async def send(self, agent: str, dead: Dead) -> None:
        message, reason = dead.message, dead.reason
        self._metrics.dead_letters.labels(agent).inc()
        where = f"{message.topic}[{message.partition}]@{message.offset}"
        if dead.index is not None:
            where += f" #{dead.index}"
        logger.warning("dead-lettered %s in %s: %s", where, agent, reason)
        value = dead.value if dead.value is not None else message.value
        record: dict[str, object] = {
            "agent": agent,
            "reason": reason,
            "topic": message.topic,
            "partition": message.partition,
            "offset": message.offset,
        }
        if dead.index is not None:
            record["index"] = dead.index  # the item's place in the record
        raw = bytes(value or b"")
        try:
            record["value"] = raw.decode()
        except UnicodeDecodeError:  # an event sealed on the log is binary
            record["valueBase64"] = base64.b64encode(raw).decode()
        key = message.key if isinstance(message.key, bytes) else None
        await self._outbox.send(self._topic, key, orjson.dumps(record))
