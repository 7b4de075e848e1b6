"""``fold-schemas``: ``schema-input`` into the schema registry's tables.

Each record is a step's observations of one schema (from route-events) or a policy
command, keyed by schema key, so one worker folds every record of a schema in log
order (``streams.folds.schemas``). Every change it makes goes onto ``schema-changes``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import orjson

from registry import RegistryError, SchemaChange
from schemas import SchemaError
from streams.adapters.faust import Stream, transport_producer
from streams.agents.outbox import Dead, DeadLetters, Outbox, ProducerOutbox
from streams.agents.steps import BATCH, BATCH_WAIT, KEEP_SCHEMA_ROWS, Pace
from streams.folds.records import Message
from streams.folds.schemas import SchemaFold
from streams.kafka.app import Tracklog
from streams.metrics import Metrics
from streams.pacing import Pacer, Requests
from streams.state.buffers import KeptFolds, PartitionBuffers

NAME = "fold-schemas"

ChangeListener = Callable[[SchemaChange], None]


@dataclass
class SchemaStep:
    """What one step of fold-schemas folded."""

    events: int = 0  # events its records carried, folded or already seen
    changes: list[tuple[bytes, SchemaChange]] = field(default_factory=list)  # (schema key, change)
    commands: list[str] = field(default_factory=list)  # ids of the commands applied
    dead: list[Dead] = field(default_factory=list)


async def fold_records(messages: Iterable[Message], fold_of: Callable[[int], SchemaFold], pace: Pace) -> SchemaStep:
    """Fold each record into its partition's ``SchemaFold``."""
    step = SchemaStep()
    for message in messages:
        await pace()
        try:
            folded = fold_of(message.partition).fold_message(message)
        except (SchemaError, RegistryError, ValueError) as exc:
            step.dead.append(Dead(message, str(exc)))
            continue
        if folded.failures:
            reason = "; ".join(f"event {o.message_id}: {exc}" for o, exc in folded.failures)
            step.dead.append(Dead(message, reason))
        if folded.command is not None:
            step.commands.append(folded.command)
        step.events += folded.events
        step.changes.extend((message.key or b"", change) for change in folded.changes)
    return step


class FoldSchemas:
    def __init__(
        self, tracklog: Tracklog, metrics: Metrics, on_change: ChangeListener, requests: Requests | None
    ) -> None:
        self._tracklog = tracklog
        self._metrics = metrics
        self._on_change = on_change
        self._requests = requests
        keep = max(1, KEEP_SCHEMA_ROWS // tracklog.settings.partitions)

        def make(buffers: PartitionBuffers, partition: int) -> SchemaFold:
            columns, schemas, dedupe, changes = buffers.of(
                partition, tracklog.columns, tracklog.schemas, tracklog.schema_dedupe, tracklog.change_index
            )
            return SchemaFold(columns, schemas, dedupe, changes, keep=keep)

        self.folds = KeptFolds(make)

    def install(self) -> None:
        self._tracklog.app.agent(self._tracklog.schema_input_topic, name=NAME)(self.run)

    async def run(self, stream: Stream) -> None:
        tracklog, metrics = self._tracklog, self._metrics
        producer = transport_producer(tracklog.app)
        outbox = ProducerOutbox(producer)
        dead_letters = DeadLetters(outbox, tracklog.names.dead_letter, metrics)
        pace = Pacer(requests=self._requests)
        async for events in stream.take_events(BATCH, within=BATCH_WAIT):
            with self.folds.step():
                step = await fold_records([event.message for event in events], self.folds.of, pace)
                for dead in step.dead:
                    await dead_letters.send(NAME, dead)
                await self.folds.flush(producer)
            if step.commands:
                tracklog.column_changes.notify()
            metrics.processed.labels(NAME).inc(step.events)
            await self._announce(step, outbox)

    async def _announce(self, step: SchemaStep, outbox: Outbox) -> None:
        """Publish the step's changes, now that the tables hold them."""
        topic = self._tracklog.names.schema_changes
        for key, change in step.changes:
            await outbox.send(topic, key, orjson.dumps(change.to_dict()))
            self._metrics.schema_changes.labels(change.change.kind.value).inc()
            self._on_change(change)
