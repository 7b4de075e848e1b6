"""The agents: decode, call the pure core, write the tables, emit.

``route-events`` reads the ``events`` log (keyed by user identity) and re-keys every
event by its schema key onto ``schema-input``, so all events of one schema are folded
in order by one worker. ``fold-schemas`` folds them into the column tables.

A message an agent cannot process goes to the dead-letter topic with its reason and
position; it never stops the partition.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import orjson

from registry import RegistryError, SchemaChange, SchemaKey
from schemas import SchemaError, decode_event
from streams.app import Tracklog
from streams.commands import COMMAND, KIND_HEADER
from streams.metrics import Metrics
from streams.fold import ORIGIN_OFFSET, ORIGIN_PARTITION, SchemaFold, header

logger = logging.getLogger(__name__)


ChangeListener = Callable[[SchemaChange], None]
CommandListener = Callable[[str], None]


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
    t: Tracklog, metrics: Metrics, on_change: ChangeListener, on_command: CommandListener
) -> None:
    """Register the agents of ``t`` on its Faust app."""
    app = t.app

    @app.agent(t.events_topic, name="route-events")  # type: ignore[misc]
    async def route_events(stream: Any) -> None:
        async for event in stream.events():
            message = event.message
            try:
                decoded = decode_event(event.value)
            except SchemaError as exc:
                await _dead_letter(t, metrics, "route-events", message, str(exc))
                continue
            key = SchemaKey(decoded.source, decoded.type.value, decoded.schema_event_name)
            await t.schema_input_topic.send(
                key=key.encode(),
                value=event.value,
                headers=[
                    (ORIGIN_PARTITION, str(message.partition).encode()),
                    (ORIGIN_OFFSET, str(message.offset).encode()),
                ],
            )

    @app.agent(t.schema_commands_topic, name="route-commands")  # type: ignore[misc]
    async def route_commands(stream: Any) -> None:
        async for event in stream.events():
            await t.schema_input_topic.send(
                key=event.key, value=event.value, headers=[(KIND_HEADER, COMMAND)]
            )

    fold = SchemaFold(t.columns, t.schemas, t.schema_dedupe)

    @app.agent(t.schema_input_topic, name="fold-schemas")  # type: ignore[misc]
    async def fold_schemas(stream: Any) -> None:
        async for event in stream.events():
            message = event.message
            if header(message, KIND_HEADER) == COMMAND:
                try:
                    on_command(fold.apply_command(event.key, event.value))
                except ValueError as exc:
                    await _dead_letter(t, metrics, "fold-schemas", message, str(exc))
                continue
            try:
                changes = fold.fold(
                    event.key,
                    event.value,
                    partition=int(header(message, ORIGIN_PARTITION) or message.partition),
                    offset=int(header(message, ORIGIN_OFFSET) or message.offset),
                )
            except (SchemaError, RegistryError) as exc:
                await _dead_letter(t, metrics, "fold-schemas", message, str(exc))
                continue
            metrics.processed.labels("fold-schemas").inc()
            for change in changes:
                await t.schema_changes_topic.send(
                    key=event.key, value=orjson.dumps(change.to_dict())
                )
                metrics.schema_changes.labels(change.change.kind.value).inc()
                on_change(change)
