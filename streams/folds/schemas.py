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
    RegistryError,
    SchemaChange,
    SchemaKey,
    SchemaState,
    fold_events,
    set_policy,
)
from registry.column import from_dict as column_from_dict
from registry.column import to_dict as column_to_dict
from schemas import decode_event
from streams.folds.commands import COMMAND, KIND_HEADER, decode_command
from streams.folds.keys import column_key, dedupe_key
from streams.folds.observations import OBSERVATIONS, Observation, decode_observations, observe
from streams.folds.rows import Rows

logger = logging.getLogger(__name__)

Table = MutableMapping[bytes, bytes]

# Headers of the single-event records route-events sent before it sent observations
# (logs written by older nodes): the event's position in the ``events`` log.
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


@dataclass(frozen=True)
class Folded:
    """What folding one ``schema-input`` message did."""

    changes: list[SchemaChange]
    events: int  # events it carried, folded or already seen
    command: str | None = None  # the id of the command it applied
    failures: tuple[tuple[Observation, RegistryError], ...] = ()  # events set aside


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
    keep: int = 0  # rows kept decoded between steps (see streams.folds.rows)

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

    def fold_message(self, message: Any) -> Folded:
        """Fold one ``schema-input`` message: a policy command, a record of observations,
        or one event (what ``route-events`` sent before it sent observations).

        Raises SchemaError or ValueError for a message that cannot be decoded, and
        RegistryError for an event that cannot be folded.
        """
        kind = header(message, KIND_HEADER)
        if kind == COMMAND:
            return Folded([], 0, self.apply_command(message.key, message.value))
        if kind == OBSERVATIONS:
            return self.fold_observations(message.key, decode_observations(message.value))
        partition = int(header(message, ORIGIN_PARTITION) or message.partition)
        offset = int(header(message, ORIGIN_OFFSET) or message.offset)
        return Folded(self.fold(message.key, message.value, partition=partition, offset=offset), 1)

    def fold(self, key: bytes, value: bytes, *, partition: int, offset: int) -> list[SchemaChange]:
        """Fold one event of schema ``key``; return the changes it made (none if seen).

        Raises SchemaError or RegistryError for a message that cannot be folded.
        """
        event = decode_event(value)
        folded = self.fold_observations(
            key, [observe(event, partition=partition, offset=offset, limits=self.limits)]
        )
        if folded.failures:
            raise folded.failures[0][1]
        return folded.changes

    def fold_observations(self, key: bytes, observations: list[Observation]) -> Folded:
        """Fold the observations of schema ``key`` in order, skipping those already seen.

        They are folded as one batch; if that fails (the stored state is inconsistent),
        one at a time, and each that fails is set aside in ``failures``.
        """
        fresh = self._unseen(key, observations)
        if not fresh:
            return Folded([], len(observations))
        try:
            return Folded(self._fold_batch(key, fresh), len(observations))
        except RegistryError:
            pass
        changes: list[SchemaChange] = []
        failures: list[tuple[Observation, RegistryError]] = []
        for observation in fresh:
            try:
                changes += self._fold_batch(key, [observation])
            except RegistryError as exc:
                failures.append((observation, exc))
        return Folded(changes, len(observations), failures=tuple(failures))

    def _unseen(self, key: bytes, observations: list[Observation]) -> list[Observation]:
        """The observations whose messageId neither the dedupe table nor an earlier one holds."""
        fresh: list[Observation] = []
        ids: set[str] = set()
        for observation in observations:
            message_id = observation.message_id
            if message_id in ids or self.dedupe.get(dedupe_key(key, message_id)) is not None:
                continue
            ids.add(message_id)
            fresh.append(observation)
        return fresh

    def _fold_batch(self, key: bytes, observations: list[Observation]) -> list[SchemaChange]:
        schema_key = SchemaKey.decode(key)
        paths: set[str] = set()
        for observation in observations:
            paths.update(observation.inference.columns)
        columns: dict[str, ColumnState] = {}
        for path in paths:
            column = self._columns.get(column_key(key, path))
            if column is not None:
                columns[path] = column
        result = fold_events(
            schema_key,
            self._schemas.get(key),
            columns,
            (
                (o.inference, o.at_ms, Cause(o.message_id, o.partition, o.offset, o.at_ms))
                for o in observations
            ),
        )
        for path, state in result.columns.items():
            self._columns.put(column_key(key, path), state)
        self._schemas.put(key, result.schema)
        # Last, so a crash before these lines replays the events rather than losing them.
        for observation in observations:
            self.dedupe[dedupe_key(key, observation.message_id)] = str(
                observation.received_at_ms
            ).encode()
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
