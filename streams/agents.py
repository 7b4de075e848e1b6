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

from registry import (
    RegistryError,
    Cause,
    ColumnState,
    Limits,
    SchemaChange,
    SchemaKey,
    SchemaState,
    fold_event,
    infer_columns,
)
from registry.column import from_dict as column_from_dict
from registry.column import to_dict as column_to_dict
from schemas import SchemaError, decode_event
from streams.app import Tracklog
from streams.store import column_key, dedupe_key

logger = logging.getLogger(__name__)

_ORIGIN_PARTITION = "tracklog-partition"
_ORIGIN_OFFSET = "tracklog-offset"

ChangeListener = Callable[[SchemaChange], None]


def _header(message: Any, name: str) -> bytes | None:
    headers = message.headers or ()
    items = headers.items() if isinstance(headers, dict) else headers
    for key, value in items:
        if key == name:
            return bytes(value)
    return None


async def _dead_letter(t: Tracklog, agent: str, message: Any, reason: str) -> None:
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


def install_agents(t: Tracklog, on_change: ChangeListener) -> None:
    """Register the agents of ``t`` on its Faust app."""
    app = t.app
    limits = Limits()

    @app.agent(t.events_topic, name="route-events")  # type: ignore[misc]
    async def route_events(stream: Any) -> None:
        async for event in stream.events():
            message = event.message
            try:
                decoded = decode_event(event.value)
            except SchemaError as exc:
                await _dead_letter(t, "route-events", message, str(exc))
                continue
            key = SchemaKey(decoded.source, decoded.type.value, decoded.schema_event_name)
            await t.schema_input_topic.send(
                key=key.encode(),
                value=event.value,
                headers=[
                    (_ORIGIN_PARTITION, str(message.partition).encode()),
                    (_ORIGIN_OFFSET, str(message.offset).encode()),
                ],
            )

    @app.agent(t.schema_input_topic, name="fold-schemas")  # type: ignore[misc]
    async def fold_schemas(stream: Any) -> None:
        async for event in stream.events():
            message = event.message
            try:
                decoded = decode_event(event.value)
                key = SchemaKey.decode(event.key)
            except (SchemaError, RegistryError) as exc:
                await _dead_letter(t, "fold-schemas", message, str(exc))
                continue
            seen = dedupe_key(event.key, decoded.message_id)
            if t.schema_dedupe.get(seen) is not None:
                continue
            inference = infer_columns(
                {
                    "properties": decoded.properties,
                    "traits": decoded.traits,
                    "context": decoded.context,
                },
                limits,
            )
            raw_schema = t.schemas.get(event.key)
            schema = SchemaState.from_dict(orjson.loads(raw_schema)) if raw_schema else None
            columns: dict[str, ColumnState] = {}
            for path in inference.columns:
                raw = t.columns.get(column_key(event.key, path))
                if raw is not None:
                    columns[path] = column_from_dict(orjson.loads(raw))
            cause = Cause(
                message_id=decoded.message_id,
                partition=int(_header(message, _ORIGIN_PARTITION) or message.partition),
                offset=int(_header(message, _ORIGIN_OFFSET) or message.offset),
                event_time_ms=decoded.timestamp_ms,
            )
            result = fold_event(
                key, schema, columns, inference, at_ms=decoded.timestamp_ms, cause=cause
            )
            for path, state in result.columns.items():
                t.columns[column_key(event.key, path)] = orjson.dumps(column_to_dict(state))
            t.schemas[event.key] = orjson.dumps(result.schema.to_dict())
            for change in result.changes:
                await t.schema_changes_topic.send(
                    key=event.key, value=orjson.dumps(change.to_dict())
                )
                on_change(change)
            # Last, so a crash before this line replays the event rather than losing it.
            t.schema_dedupe[seen] = str(decoded.received_at_ms).encode()
