"""The agents: decode, call the pure core, write the tables, emit.

``route-events`` reads the ``events`` log (keyed by user identity), folds each event
into its user's profile and timeline, and sends what the schema fold needs of it (its
observation: ``streams.observations``) onto ``schema-input``, keyed by schema key, one
record per schema per step; so all events of one schema are folded in order by one
worker. ``fold-schemas`` folds them into the column tables. The identity links a step
states go onto ``identity-links`` as one record (``streams.profiles``), which
``fold-identities`` folds into the identity graph.

A message an agent cannot process goes to the dead-letter topic with its reason and
position; it never stops the partition.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import orjson

from query.domain import IdentityGuards
from registry import RegistryError, SchemaChange, SchemaKey
from schemas import SchemaError, decode_event
from streams.app import Tracklog
from streams.commands import COMMAND, KIND_HEADER
from streams.metrics import Metrics
from streams.fold import SchemaFold
from streams.observations import OBSERVATIONS, Observation, observation_records, observe
from streams.pacing import Pacer, Requests
from streams.profiles import EventFold, LinkFold, StatedLink, link_records
from streams.store import KeptFolds, PartitionBuffers

logger = logging.getLogger(__name__)


ChangeListener = Callable[[SchemaChange], None]

# Events folded per step: table writes and changelog messages are made once per key
# per batch. A step stays short (tens of ms), so reads on the same loop stay fast.
BATCH = 500
BATCH_WAIT = 0.05
# Rows each agent keeps decoded between steps, over all its partitions (so its memory
# does not grow with users): every column of every schema is the
# working set of fold-schemas; recent users that of route-events.
KEEP_SCHEMA_ROWS = 50_000
KEEP_PROFILES = 50_000


async def _dead_letter(
    t: Tracklog, metrics: Metrics, agent: str, message: Any, reason: str
) -> None:
    metrics.dead_letters.labels(agent).inc()
    logger.warning(
        "dead-lettered %s[%s]@%s in %s: %s",
        message.topic,
        message.partition,
        message.offset,
        agent,
        reason,
    )
    value = message.value if isinstance(message.value, bytes | bytearray) else b""
    await t.dead_letter_topic.send(
        key=message.key if isinstance(message.key, bytes) else None,
        value=orjson.dumps(
            {
                "agent": agent,
                "reason": reason,
                "topic": message.topic,
                "partition": message.partition,
                "offset": message.offset,
                "value": bytes(value).decode("utf-8", "replace"),
            }
        ),
    )


def install_agents(
    t: Tracklog, metrics: Metrics, on_change: ChangeListener, requests: Requests | None = None
) -> None:
    """Register the agents of ``t`` on its Faust app; they yield to ``requests`` sooner."""
    app = t.app
    guards = IdentityGuards()
    # The transport producer: one aiokafka send per record, without a Faust future each
    # (Faust flushes it before every offset commit).
    producer = app.producer
    # The rows kept are split among the partitions: one fold per partition keeps its share.
    keep_profiles = max(1, KEEP_PROFILES // t.settings.partitions)
    keep_schema_rows = max(1, KEEP_SCHEMA_ROWS // t.settings.partitions)
    event_folds = KeptFolds(
        lambda buffers, partition: EventFold(
            *buffers.of(partition, t.event_dedupe, t.profiles, t.timeline), keep=keep_profiles
        )
    )
    schema_folds = KeptFolds(
        lambda buffers, partition: SchemaFold(
            *buffers.of(partition, t.columns, t.schemas, t.schema_dedupe), keep=keep_schema_rows
        )
    )

    @app.on_partitions_revoked.connect  # type: ignore[misc]
    async def forget_kept_rows(app: Any, revoked: Any, **kwargs: Any) -> None:
        event_folds.forget()
        schema_folds.forget()

    @app.agent(t.events_topic, name="route-events")  # type: ignore[misc]
    async def route_events(stream: Any) -> None:
        """Fold each event into its user's timeline and profile; send its schema observation."""
        pace = Pacer(requests=requests)
        async for events in stream.take_events(BATCH, within=BATCH_WAIT):
            # Each schema's observations in this step, in log order: one record each.
            observed: dict[bytes, list[Observation]] = {}
            # The step's identity links, in log order: one record.
            stated: list[StatedLink] = []
            with event_folds.step():
                for event in events:
                    await pace()
                    message = event.message
                    fold = event_folds.of(message.partition)
                    try:
                        decoded = decode_event(event.value)
                    except SchemaError as exc:
                        await _dead_letter(t, metrics, "route-events", message, str(exc))
                        continue
                    stated.extend(fold.fold(event.key or b"", decoded))
                    try:
                        observation = observe(decoded, partition=message.partition, offset=message.offset)
                    except RegistryError as exc:
                        await _dead_letter(t, metrics, "fold-schemas", message, str(exc))
                        continue
                    key = SchemaKey(decoded.source, decoded.type.value, decoded.schema_event_name)
                    observed.setdefault(key.encode(), []).append(observation)
                for value in link_records(stated):
                    await producer.send(t.names.identity_links, b"links", value, None, None, None)
                for key, observations in observed.items():
                    for value in observation_records(observations):
                        await producer.send(
                            t.names.schema_input, key, value, None, None, [(KIND_HEADER, OBSERVATIONS)]
                        )
                await event_folds.flush(producer)
            metrics.processed.labels("route-events").inc(len(events))

    @app.agent(t.identity_links_topic, name="fold-identities")  # type: ignore[misc]
    async def fold_identities(stream: Any) -> None:
        async for events in stream.take_events(BATCH, within=BATCH_WAIT):
            buffers = PartitionBuffers()
            links = 0
            for event in events:
                fold = LinkFold(
                    *buffers.of(event.message.partition, t.identities, t.profile_members),
                    guards=guards,
                )
                try:
                    folded = fold.fold(event.value)
                except ValueError as exc:
                    await _dead_letter(t, metrics, "fold-identities", event.message, str(exc))
                    continue
                if folded.failures:
                    reason = "; ".join(f"links[{i}]: {why}" for i, why in folded.failures)
                    await _dead_letter(t, metrics, "fold-identities", event.message, reason)
                for result in folded.results:
                    if result.refused is not None:
                        metrics.refused_links.labels(result.refused.value).inc()
                    if result.merged is not None:
                        metrics.merges.inc()
                links += folded.links
            await buffers.flush(producer)
            metrics.processed.labels("fold-identities").inc(links)

    @app.agent(t.schema_commands_topic, name="route-commands")  # type: ignore[misc]
    async def route_commands(stream: Any) -> None:
        async for event in stream.events():
            await t.schema_input_topic.send(
                key=event.key, value=event.value, headers=[(KIND_HEADER, COMMAND)]
            )

    @app.agent(t.schema_input_topic, name="fold-schemas")  # type: ignore[misc]
    async def fold_schemas(stream: Any) -> None:
        pace = Pacer(requests=requests)
        async for events in stream.take_events(BATCH, within=BATCH_WAIT):
            folded_events = 0
            changes: list[tuple[bytes, SchemaChange]] = []
            with schema_folds.step():
                for event in events:
                    await pace()
                    message = event.message
                    try:
                        folded = schema_folds.of(message.partition).fold_message(message)
                    except (SchemaError, RegistryError, ValueError) as exc:
                        await _dead_letter(t, metrics, "fold-schemas", message, str(exc))
                        continue
                    if folded.failures:
                        reason = "; ".join(f"event {o.message_id}: {exc}" for o, exc in folded.failures)
                        await _dead_letter(t, metrics, "fold-schemas", message, reason)
                    folded_events += folded.events
                    changes.extend((message.key, change) for change in folded.changes)
                await schema_folds.flush(producer)
            metrics.processed.labels("fold-schemas").inc(folded_events)
            for key, change in changes:
                t.schema_changes_topic.send_soon(key=key, value=orjson.dumps(change.to_dict()))
                metrics.schema_changes.labels(change.change.kind.value).inc()
                on_change(change)
