"""Every node's copy of the ``plans`` topic: the tracking plans' commands, folded.

The topic (one partition, kept forever) holds each ``upsert``, ``publish`` and
``connect`` as made (``registry.plans.book``), as JSON keyed by the plan's name (a
connection's by its source). Every node reads it whole and follows it, so a restart
finds every plan, and a published version reads the same on every node.
"""

from __future__ import annotations

import logging

import orjson
from aiokafka.structs import ConsumerRecord

from registry import RegistryError
from registry.plans.book import Connect, PlanBook, PlanCommand, command_from_dict, command_to_dict
from streams.kafka.commands import CommandTopic

logger = logging.getLogger(__name__)


class PlanLog(CommandTopic):
    def __init__(self, bootstrap: str, topic: str, *, timeout: float = 10.0) -> None:
        super().__init__(bootstrap, topic, self._apply, name="plans", timeout=timeout)
        self.book = PlanBook()

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
