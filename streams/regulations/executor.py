"""Carrying regulations out: one node drives each step, through the log.

The node that holds the identity graph (the ``identity-links`` partition) drives every
regulation that has steps left, from its copy of the regulations topic
(``streams.regulations.log``), so a regulation a killed node left half-done is taken
up where it stopped by whichever node holds the graph next. Every action is safe to
repeat. For a deletion, in order:

1. a forget record (``streams.folds.forget``) to ``identity-links`` and to each
   ``events`` partition its members' events are in: each fold deletes their rows
   (identity graph; profile, timeline, dedupe) and acknowledges once flushed;
2. once all have, the members' data keys are deleted (tombstones on the keys topic):
   from then on nothing of theirs opens, on the immutable log, in a changelog, in a
   RocksDB file or a standby copy;
3. the records that held those keys are compacted out of the keys topic (the topic's
   ``segment.ms`` and ``max.compaction.lag.ms`` are ``forget_within_ms``; a record
   of no subject rolls each quiet segment): once the topic, read from its start,
   holds none, nothing readable remains and the regulation is FINISHED.

Suppression is in force once the regulation is on the log: the mutation returns once
it is acknowledged there (and this node's copy holds it), and every node's edge, before
it answers a call, brings its own copy up to the topic's end (``RegulationLog.fresh``).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from aiokafka.partitioner import DefaultPartitioner

from query.domain import ANONYMOUS_ID, USER_ID, Identifier
from query.domain.regulations import SUPPRESSION, RegulationState, RegulationStatus, RegulationType, StepOutcome
from streams.folds.commands import KIND_HEADER
from streams.folds.forget import FORGET, encode_forget
from streams.kafka.app import TopicNames
from streams.kafka.keys import SubjectKeys
from streams.regulations.log import RegulationLog

logger = logging.getLogger(__name__)

_PARTITIONER = DefaultPartitioner()
# The steps each fold's acknowledgement finishes.
GRAPH_STEPS = ("identity graph",)
EVENT_STEPS = ("profile", "timeline", "dedupe")
KEY_STEPS = ("raw log", "changelogs")
# Tracklog keeps no sample value of anyone (the registry keeps types and counts).
NOTHING_KEPT = ("samples",)
DELETING = (RegulationType.DELETE_ONLY, RegulationType.SUPPRESS_WITH_DELETE)


def now_ms() -> int:
    return time.time_ns() // 1_000_000


@dataclass
class Executor:
    log: RegulationLog
    keys: SubjectKeys
    names: TopicNames
    partitions: int
    owns_graph: Callable[[], bool]
    forget_within_ms: int
    tick: float = 1.0
    # The regulations whose forget records this node sent since it started (a
    # restart sends them again: forgetting twice is forgetting).
    _sent: set[str] = field(default_factory=set)
    _shredding: dict[str, int] = field(default_factory=dict)  # when its keys were deleted
    _nudged_at: float = 0.0

    async def run(self) -> None:
        """Drive pending regulations whenever the topic moves, and every ``tick``."""
        while True:
            if self.owns_graph():
                try:
                    await self.drive()
                except Exception:  # the next tick tries again; the log keeps what was done
                    logger.exception("carrying out regulations failed; retrying")
            follower = self.log.follower
            seen = follower.positions.get(0, 0)
            try:
                await follower.changed.until(lambda: True if follower.positions.get(0, 0) != seen else None, self.tick)
            except TimeoutError:
                pass

    async def drive(self) -> None:
        for state in self.log.regulations.pending():
            await self._drive(state)

    async def _drive(self, state: RegulationState) -> None:
        regulation = state.regulation
        todo = {s.name: s.status for s in state.steps}
        outcomes: list[tuple[str, RegulationStatus]] = []
        if todo.get(SUPPRESSION) is RegulationStatus.INITIALIZED:
            outcomes.append((SUPPRESSION, RegulationStatus.FINISHED))
        if regulation.type in DELETING:
            outcomes += [(step, RegulationStatus.FINISHED) for step in NOTHING_KEPT if _open(todo, step)]
            partitions = self._event_partitions(regulation.members)
            if regulation.id not in self._sent:
                await self._send_forget(regulation.id, list(regulation.members), partitions)
                self._sent.add(regulation.id)
                outcomes += [
                    (step, RegulationStatus.RUNNING)
                    for step in (*GRAPH_STEPS, *EVENT_STEPS)
                    if todo.get(step) is RegulationStatus.INITIALIZED
                ]
            graph = ("graph", 0) in state.acks
            events = all(("events", p) in state.acks for p in partitions)
            if graph:
                outcomes += [(s, RegulationStatus.FINISHED) for s in GRAPH_STEPS if _open(todo, s)]
            if events:
                outcomes += [(s, RegulationStatus.FINISHED) for s in EVENT_STEPS if _open(todo, s)]
            if graph and events and any(_open(todo, s) for s in KEY_STEPS):
                outcomes += await self._shred(state)
        if outcomes:
            at = self._shredding.pop(regulation.id, None) or now_ms()
            # Applied here before the next drive, so nothing is written twice.
            await self.log.applied(
                await self.log.append(*(StepOutcome(regulation.id, step, status, at) for step, status in outcomes))
            )

    def _event_partitions(self, members: tuple[Identifier, ...]) -> dict[int, list[Identifier]]:
        """The members whose events have rows, by the events partition they are in."""
        found: dict[int, list[Identifier]] = {}
        everything = list(range(self.partitions))
        for member in members:
            if member.kind in (USER_ID, ANONYMOUS_ID):
                partition = _PARTITIONER(member.value.encode(), everything, everything)
                found.setdefault(partition, []).append(member)
        return found

    async def _send_forget(
        self, regulation: str, members: list[Identifier], partitions: dict[int, list[Identifier]]
    ) -> None:
        producer = self.log.producer
        assert producer is not None
        headers = [(KIND_HEADER, FORGET)]
        sends = [
            await producer.send(
                self.names.identity_links, key=b"forget", value=encode_forget(regulation, members), headers=headers
            )
        ]
        for partition, in_partition in sorted(partitions.items()):
            sends.append(
                await producer.send(
                    self.names.events,
                    value=encode_forget(regulation, in_partition),
                    partition=partition,
                    headers=headers,
                )
            )
        await asyncio.gather(*sends)
        logger.info("regulation %s: forgetting %d identities", regulation, len(members))

    async def _shred(self, state: RegulationState) -> list[tuple[str, RegulationStatus]]:
        """Delete the members' keys (once: ``raw log`` RUNNING says when), then, across
        calls, wait until the keys topic has compacted them out."""
        regulation = state.regulation
        subjects = [m.value for m in regulation.members]
        raw_log = state.step("raw log")
        assert raw_log is not None
        if raw_log.status is RegulationStatus.INITIALIZED or raw_log.at_ms is None:
            # Recorded as the steps' time: keys made after it are new, not this deletion's.
            self._shredding[regulation.id] = now_ms()
            deleted = await self.keys.forget(subjects)
            logger.info("regulation %s: deleted %d data keys", regulation.id, deleted)
            return [(s, RegulationStatus.RUNNING) for s in KEY_STEPS]
        if now_ms() - raw_log.at_ms < self.forget_within_ms:
            return []
        if await self.keys.remaining(subjects, made_by_ms=raw_log.at_ms) == 0:
            return [(s, RegulationStatus.FINISHED) for s in KEY_STEPS]
        clock = time.monotonic()
        if clock - self._nudged_at >= self.forget_within_ms / 2000:
            # A quiet segment only rolls (and becomes compactable) when a record comes.
            await self.keys.nudge()
            self._nudged_at = clock
        return []


def _open(todo: dict[str, RegulationStatus], step: str) -> bool:
    return todo.get(step) in (RegulationStatus.INITIALIZED, RegulationStatus.RUNNING)
