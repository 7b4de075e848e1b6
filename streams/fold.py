"""One step of the schema fold over key/value tables: shared by the agent and rebuild.

The tables are any mutable mappings of bytes to bytes: Faust tables in the running
node, plain dicts in ``tracklog rebuild``; the same code folds both, so a rebuild
gives the live state by construction.
"""

from __future__ import annotations

import logging
from collections.abc import MutableMapping
from dataclasses import dataclass, field
from typing import Any

from registry import (
    Cause,
    ColumnState,
    Limits,
    SchemaChange,
    SchemaKey,
    SchemaState,
    fold_event,
    infer_columns,
    set_policy,
)
from registry.column import from_dict as column_from_dict
from registry.column import to_dict as column_to_dict
from schemas import decode_event
from streams.commands import decode_command
from streams.keys import column_key, dedupe_key
from streams.rows import Rows

logger = logging.getLogger(__name__)

Table = MutableMapping[bytes, bytes]

# Headers that carry the event's position in the ``events`` log through the re-keying.
ORIGIN_PARTITION = "tracklog-partition"
ORIGIN_OFFSET = "tracklog-offset"


def header(message: Any, name: str) -> bytes | None:
    """The value of header ``name`` of a Kafka message (aiokafka or Faust), if present."""
    headers = message.headers or ()
    items = headers.items() if isinstance(headers, dict) else headers
    for key, value in items:
        if key == name:
            return bytes(value)
    return None


@dataclass
class SchemaFold:
    """Folds schema events and commands into three tables.

    Columns and schemas are kept decoded between events; ``write_back`` stores them,
    so call it after a step of folds, before the tables are read or flushed.
    """

    columns: Table
    schemas: Table
    dedupe: Table
    limits: Limits = field(default_factory=Limits)
    keep: int = 0  # rows kept decoded between steps (see streams.rows)

    def __post_init__(self) -> None:
        self._columns: Rows[ColumnState] = Rows(
            self.columns, column_from_dict, column_to_dict, keep=self.keep
        )
        self._schemas: Rows[SchemaState] = Rows(
            self.schemas, SchemaState.from_dict, SchemaState.to_dict, keep=self.keep
        )

    def write_back(self) -> None:
        self._columns.write_back()
        self._schemas.write_back()

    def fold(self, key: bytes, value: bytes, *, partition: int, offset: int) -> list[SchemaChange]:
        """Fold one event of schema ``key``; return the changes it made (none if seen).

        Raises SchemaError or RegistryError for a message that cannot be folded.
        """
        event = decode_event(value)
        schema_key = SchemaKey.decode(key)
        seen = dedupe_key(key, event.message_id)
        if self.dedupe.get(seen) is not None:
            return []
        inference = infer_columns(
            {"properties": event.properties, "traits": event.traits, "context": event.context},
            self.limits,
        )
        schema = self._schemas.get(key)
        columns: dict[str, ColumnState] = {}
        for path in inference.columns:
            column = self._columns.get(column_key(key, path))
            if column is not None:
                columns[path] = column
        cause = Cause(
            message_id=event.message_id,
            partition=partition,
            offset=offset,
            event_time_ms=event.timestamp_ms,
        )
        result = fold_event(
            schema_key, schema, columns, inference, at_ms=event.timestamp_ms, cause=cause
        )
        for path, state in result.columns.items():
            self._columns.put(column_key(key, path), state)
        self._schemas.put(key, result.schema)
        # Last, so a crash before this line replays the event rather than losing it.
        self.dedupe[seen] = str(event.received_at_ms).encode()
        return result.changes

    def apply_command(self, key: bytes, value: bytes) -> str:
        """Apply a logged command; return its id. Raises ValueError for a bad command."""
        command = decode_command(value)
        row = column_key(key, command["path"])
        column = self._columns.get(row)
        if column is None:
            logger.warning("policy command for unknown column %s ignored", command["path"])
        else:
            self._columns.put(row, set_policy(column, command["policy"]))
        return str(command["id"])
