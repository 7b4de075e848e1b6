"""Every node's copy of the ``plans`` topic: the tracking plans' commands, folded.

The topic (one partition, kept forever) holds each ``upsert``, ``publish`` and
``connect`` as made (``registry.plans.book``), as JSON keyed by the plan's name (a
connection's by its source). Every node reads it whole and follows it, so a restart
finds every plan, and a published version reads the same on every node.
"""

from __future__ import annotations

import asyncio
import logging

import orjson
from aiokafka.errors import KafkaError
from aiokafka.structs import ConsumerRecord

from registry import RegistryError
from registry.plans.book import Connect, PlanBook, PlanCommand, command_from_dict, command_to_dict
from registry.plans.judge import InForce
from streams.errors import BrokerUnavailableError
from streams.folds.commands import KIND_HEADER
from streams.folds.plans import PLAN, encode_plan_record
from streams.kafka.commands import CommandTopic

logger = logging.getLogger(__name__)


class PlanLog(CommandTopic):
    def __init__(self, bootstrap: str, topic: str, events: str, partitions: int, *, timeout: float = 10.0) -> None:
        super().__init__(bootstrap, topic, self._apply, name="plans", timeout=timeout)
        self.book = PlanBook()
        self._events = events
        self._partitions = partitions

    def _apply(self, record: ConsumerRecord[bytes, bytes]) -> None:
        try:
            command = command_from_dict(orjson.loads(record.value or b""))
        except (ValueError, RegistryError) as exc:
            logger.warning("plans@%d: skipped a record that is no plan command: %s", record.offset, exc)
            return
        if not self.book.apply(command):
            logger.warning("plans@%d: skipped a command that does not apply: %s", record.offset, command)

    async def append(self, command: PlanCommand) -> None:
        """Check ``command`` against this copy, write it, and return once it is folded
        here (PlanCommandError or InvalidPlanError, and nothing written, if it cannot
        apply)."""
        self.book.check(command)
        key = command.source if isinstance(command, Connect) else command.name
        await self.applied(await self.write([(key.encode(), orjson.dumps(command_to_dict(command)))]))

    def held(self, sources: list[str]) -> list[InForce]:
        """The plan each of ``sources`` is held to now (those connected to a published one)."""
        found = []
        for source in sources:
            in_force = self.book.in_force(source)
            if in_force is not None:
                version, settings = in_force
                plan = self.book.connections[source].plan
                found.append(InForce(source, plan, version.version, settings, version.rules))
        return found

    async def hold(self, sources: list[str]) -> None:
        """Send the plans ``sources`` are held to down every events partition, acknowledged."""
        held = self.held(sources)
        producer = self.producer
        if not held or producer is None:
            return
        value, headers = encode_plan_record(held), [(KIND_HEADER, PLAN)]
        try:
            sends = [
                await producer.send(self._events, value=value, partition=p, headers=headers)
                for p in range(self._partitions)
            ]
            await asyncio.wait_for(asyncio.gather(*sends), self._timeout)
        except (KafkaError, TimeoutError) as exc:
            raise BrokerUnavailableError(f"the broker did not take a plan record: {exc!r}") from exc
