"""``route-events``: the ``events`` log into profiles and timelines, and on to the other folds.

It reads the ``events`` log (partitioned by subject), opens each sealed event with its
subject's key (``streams.folds.privacy``: an event whose key was deleted is skipped, its
subject forgotten), folds it into its user's profile and timeline
(``streams.folds.events``), and sends what the schema fold needs of it (its
observation, ``streams.folds.observations``) onto ``schema-input``, keyed by schema
key, one record per schema per step: so all events of one schema are folded in order
by one worker. The identity links a step states go onto ``identity-links`` as one
record (``streams.folds.links``). A forget record (``streams.folds.forget``) deletes
its members' rows where it falls in the log; its ack goes out once they are flushed.

An event whose source is held to a tracking plan (a plan record earlier in its
partition, ``streams.folds.plans``) is judged first: its violations go onto
``violations`` (and into the partition's violation tables); an event its connection
quarantines goes onto ``quarantine``, sealed as it came, and is not folded; an
unplanned property the connection omits is left out of what is folded.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from typing import Any

import orjson

from query.domain.regulations import Ack, encode_record
from registry import RegistryError, SchemaKey
from schemas import Event as Call, InvalidEventError, SchemaError, decode_event
from schemas.sealed import KeyRef
from schemas.log import record_items
from streams.adapters.faust import Event, Stream, transport_producer
from streams.agents.outbox import Dead, DeadLetters, Outbox, ProducerOutbox
from streams.agents.steps import BATCH_WAIT, KEEP_PROFILES, ROUTE_RECORDS, Pace, route_parts
from streams.folds.commands import KIND_HEADER
from streams.folds.events import EventFold
from streams.folds.forget import FORGET, decode_forget
from streams.folds.links import StatedLink, link_records
from streams.folds.observations import OBSERVATIONS, Observation, observation_records, observe
from streams.folds.plans import PLAN, Compiled, PlanGate
from streams.folds.privacy import Privacy
from streams.folds.records import Message, header
from streams.kafka.app import TopicNames, Tracklog
from streams.metrics import Metrics
from streams.pacing import Pacer, Requests
from streams.state.buffers import KeptFolds, PartitionBuffers

NAME = "route-events"


@dataclass
class Routed:
    """What one step of route-events folded and has to send on."""

    # Each schema's observations in this step, in log order: one record each.
    observed: dict[bytes, list[Observation]] = field(default_factory=dict)
    # The step's identity links, in log order: one record.
    links: list[StatedLink] = field(default_factory=list)
    # Records, or events of one, that could not be folded, with the reason.
    dead: list[Dead] = field(default_factory=list)
    # The regulations whose members this step forgot, to acknowledge once flushed.
    acks: list[Ack] = field(default_factory=list)
    # The violations judged (as the violations topic carries them), and the
    # quarantined events' records (source, value).
    violations: list[dict[str, Any]] = field(default_factory=list)
    quarantined: list[tuple[str, bytes]] = field(default_factory=list)
    events: int = 0  # events the step's records held, folded or set aside
    forgotten: int = 0  # events skipped: their subject's keys were deleted


async def route(
    messages: Iterable[Message],
    fold_of: Callable[[int], EventFold],
    privacy: Privacy,
    pace: Pace,
    gate_of: Callable[[int], PlanGate] | None = None,
) -> Routed:
    """Fold each record's events, in order, into its partition's ``EventFold``; gather
    the rest. A bad event is set aside alone (with its index); its neighbours fold.
    With ``gate_of``, each event is judged by its source's plan first."""
    routed = Routed()
    observed = routed.observed
    for message in messages:
        fold = fold_of(message.partition)
        gate = None if gate_of is None else gate_of(message.partition)
        kind = header(message, KIND_HEADER)
        if kind == FORGET:
            _forget(message, fold, routed)
            continue
        if kind == PLAN:
            if gate is not None:
                _plan(message, gate, routed)
            continue
        try:
            items = record_items(message.value or b"")
        except ValueError as exc:
            routed.dead.append(Dead(message, str(exc)))
            continue
        routed.events += len(items)
        for index, sealed in enumerate(items):
            await pace()
            try:
                opened = await privacy.open_logged(sealed)
                if opened is None:
                    routed.forgotten += 1
                    continue
                raw, ref = opened
                event = decode_event(raw, index)
                if gate is not None:
                    judged = _judge(message, event, sealed, ref, gate, privacy, routed)
                    if judged is None:
                        continue
                    event, sealed = judged
                routed.links.extend(fold.fold(event, sealed, ref))
                observation = observe(event, partition=message.partition, offset=message.offset)
            except (SchemaError, RegistryError) as exc:
                # The sealed bytes: a dead letter names nobody in clear.
                routed.dead.append(Dead(message, f"events[{index}]: {_reason(exc)}", index, sealed))
                continue
            key = SchemaKey(event.source, event.type.value, event.schema_event_name).encode()
            found = observed.get(key)
            if found is None:
                observed[key] = [observation]
            else:
                found.append(observation)
    return routed


def _forget(message: Message, fold: EventFold, routed: Routed) -> None:
    try:
        regulation, members = decode_forget(message.value or b"")
    except ValueError as exc:
        routed.dead.append(Dead(message, str(exc)))
        return
    fold.forget(members)
    routed.acks.append(Ack(regulation, "events", message.partition))


def _plan(message: Message, gate: PlanGate, routed: Routed) -> None:
    try:
        gate.command(message.value or b"")
    except (ValueError, RegistryError) as exc:
        routed.dead.append(Dead(message, str(exc)))


def _judge(
    message: Message, event: Call, sealed: bytes, ref: KeyRef, gate: PlanGate, privacy: Privacy, routed: Routed
) -> tuple[Call, bytes] | None:
    """``event`` (and its envelope) as it is folded, or None when it is quarantined."""
    admitted = gate.admit(event, sealed, ref, privacy, message.partition, message.offset)
    routed.violations.extend(admitted.rows)
    if admitted.quarantine is not None:
        routed.quarantined.append((event.source, admitted.quarantine))
        return None
    return admitted.event, admitted.sealed


def _reason(exc: SchemaError | RegistryError) -> str:
    if isinstance(exc, InvalidEventError):
        return f"{exc.path}: {exc.reason}" if exc.path else exc.reason
    return str(exc)



async def send_acks(acks: list[Ack], names: TopicNames, outbox: Outbox) -> None:
    """Acknowledge forgotten members on the regulations topic (after the step's flush)."""
    for ack in acks:
        await outbox.send(names.regulations, ack.regulation.encode(), encode_record(ack))


async def send_routed(routed: Routed, names: TopicNames, outbox: Outbox, dead_letters: DeadLetters) -> None:
    """Send a step's links, observations and dead letters."""
    for value in link_records(routed.links):
        await outbox.send(names.identity_links, b"links", value)
    for key, observations in routed.observed.items():
        for value in observation_records(observations):
            await outbox.send(names.schema_input, key, value, [(KIND_HEADER, OBSERVATIONS)])
    for source, row in ((row["source"], row) for row in routed.violations):
        await outbox.send(names.violations, source.encode(), orjson.dumps(row))
    for source, value in routed.quarantined:
        await outbox.send(names.quarantine, source.encode(), value)
    for dead in routed.dead:
        await dead_letters.send(NAME, dead)


class RouteEvents:
    """The agent: a step of up to ``ROUTE_RECORDS`` records at a time, flushed before the next."""

    def __init__(self, tracklog: Tracklog, metrics: Metrics, requests: Requests | None) -> None:
        self._tracklog = tracklog
        self._metrics = metrics
        self._requests = requests
        # The rows kept are split among the partitions: one fold per partition keeps its share.
        keep = max(1, KEEP_PROFILES // tracklog.settings.partitions)

        compiled: Compiled = {}

        def make(buffers: PartitionBuffers, partition: int) -> RouteFold:
            dedupe, profiles, timeline, in_force, violations, summary = buffers.of(
                partition,
                tracklog.event_dedupe,
                tracklog.profiles,
                tracklog.timeline,
                tracklog.plans_in_force,
                tracklog.violations,
                tracklog.violation_summary,
            )
            return RouteFold(
                EventFold(dedupe, profiles, timeline, self.privacy, keep=keep),
                PlanGate(in_force, violations, summary, compiled),
            )

        self.privacy = Privacy(tracklog.pseudonyms, tracklog.keys)
        self.folds = KeptFolds(make)

    def install(self) -> None:
        self._tracklog.app.agent(self._tracklog.events_topic, name=NAME)(self.run)

    async def run(self, stream: Stream) -> None:
        tracklog = self._tracklog
        producer = transport_producer(tracklog.app)
        outbox = ProducerOutbox(producer)
        dead_letters = DeadLetters(outbox, tracklog.names.dead_letter, self._metrics)
        pace = Pacer(requests=self._requests)
        async for events in stream.take_events(ROUTE_RECORDS, within=BATCH_WAIT):
            for part in route_parts(_messages(events), _size):
                with self.folds.step():
                    routed = await route(part, self._events_of, self.privacy, pace, self._gate_of)
                    await send_routed(routed, tracklog.names, outbox, dead_letters)
                    await self.folds.flush(producer)
                    await send_acks(routed.acks, tracklog.names, outbox)
                self._metrics.processed.labels(NAME).inc(routed.events)
                self._metrics.forgotten.inc(routed.forgotten)
                self._count(routed)

    def _events_of(self, partition: int) -> EventFold:
        return self.folds.of(partition).events

    def _gate_of(self, partition: int) -> PlanGate:
        return self.folds.of(partition).plans

    def _count(self, routed: Routed) -> None:
        for row in routed.violations:
            self._metrics.violations.labels(row["violationType"], row["action"]).inc()
        if routed.quarantined:
            self._metrics.quarantined.inc(len(routed.quarantined))


@dataclass
class RouteFold:
    """One partition's folds: the event fold, and the plans its events are judged by."""

    events: EventFold
    plans: PlanGate

    def write_back(self) -> None:
        self.events.write_back()


def _size(message: Message) -> int:
    return len(message.value or b"")


def _messages(events: list[Event]) -> list[Message]:
    return [event.message for event in events]
