"""Every node's copy of the ``regulations`` topic, and the writes to it.

The topic (one partition, kept forever) holds each regulation as made, each step's
outcome and each fold's acknowledgement (``query.domain.regulations``). Every node reads
it whole from its start and follows it (``streams.kafka.follow``): its fold gives every
regulation's status to GraphQL, and ``suppressions`` to the edge. A node reads it to
its end before it serves, so a restarted node suppresses from its first call.

The edge asks ``in_force`` before it writes a call: the copy must hold every regulation
acknowledged ``IN_FORCE_WITHIN`` before the call or earlier. It asks the broker only
when no round in that time found the copy complete, so a busy edge asks a few times a
second, not once a call (a round costs ~300 µs of CPU, 3 µs an event of a 100-event
call); and past half that time the next round is asked ahead, so its calls do not wait
for the answer either (a busy broker takes tens of milliseconds). ``createRegulation`` returns a suppression only ``SETTLED`` after the broker
acknowledged it: every node's edge holds it by then, for any call made after.
"""

from __future__ import annotations

import logging
from typing import Final

from aiokafka.structs import ConsumerRecord

from query.domain.errors import DomainError
from query.domain.regulations import Record, Regulation, Regulations, Suppressions, decode_record, encode_record
from streams.kafka.commands import CommandTopic

logger = logging.getLogger(__name__)


IN_FORCE_WITHIN: Final = 0.25
# Past IN_FORCE_WITHIN, with room for clocks that run a little apart.
SETTLED: Final = IN_FORCE_WITHIN + 0.05


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

    async def in_force(self) -> None:
        """Return once this copy holds every regulation acknowledged ``IN_FORCE_WITHIN``
        before this call, or earlier; BrokerUnavailableError if the broker does not say."""
        await self.fresh(IN_FORCE_WITHIN)

    async def append(self, *records: Record) -> int:
        """Write ``records`` in order, acknowledged; the offset of the last one."""
        return await self.write([(_key(r), encode_record(r)) for r in records])


def _key(record: Record) -> bytes:
    return (record.id if isinstance(record, Regulation) else record.regulation).encode()
