"""Every node's copy of the ``regulations`` topic, and the writes to it.

The topic (one partition, kept forever) holds each regulation as made, each step's
outcome and each fold's acknowledgement (``query.domain.regulations``). Every node reads
it whole from its start and follows it (``streams.kafka.follow``): its fold gives every
regulation's status to GraphQL, and ``suppressions`` to the edge. A node reads it to
its end before it serves, so a restarted node suppresses from its first call.
"""

from __future__ import annotations

import logging

from aiokafka.structs import ConsumerRecord

from query.domain.errors import DomainError
from query.domain.regulations import Record, Regulation, Regulations, Suppressions, decode_record, encode_record
from streams.kafka.commands import CommandTopic

logger = logging.getLogger(__name__)


class RegulationLog(CommandTopic):
    def __init__(self, bootstrap: str, topic: str, *, timeout: float = 10.0) -> None:
        super().__init__(bootstrap, topic, self._apply, name="regulations", timeout=timeout)
        self.regulations = Regulations()
        self.suppressions = Suppressions()

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
        return await self.write([(_key(r), encode_record(r)) for r in records])


def _key(record: Record) -> bytes:
    return (record.id if isinstance(record, Regulation) else record.regulation).encode()
