"""One step of the schema fold over key/value tables: shared by the agent and rebuild.

The tables are any mutable mappings of bytes to bytes: Faust tables in the running
node, plain dicts in ``tracklog rebuild``; the same code folds both, so a rebuild
gives the live state by construction.
"""

from __future__ import annotations

import logging
from collections.abc import MutableMapping
from dataclasses import dataclass

import orjson

from registry import (
    Cause,
    ColumnState,
    RegistryError,
    SchemaChange,
    SchemaKey,
    SchemaState,
    fold_events,
    set_classification,
    set_policy,
)
from query.domain.changes import order_key
from registry.column import from_dict as column_from_dict
from registry.column import to_dict as column_to_dict
from streams.folds.commands import COMMAND, KIND_HEADER, decode_command
from streams.folds.keys import change_count_key, change_index_prefix, column_key, dedupe_key
from streams.folds.observations import OBSERVATIONS, Observation, decode_observations
from streams.folds.records import Message, header
from streams.folds.rows import Rows

logger = logging.getLogger(__name__)

Table = MutableMapping[bytes, bytes]


@dataclass(frozen=True)
class Folded:
    """What folding one ``schema-input`` message did."""

    changes: list[SchemaChange]
    events: int  # events it carried, folded or already seen
    command: str | None = None  # the id of the command it applied
    failures: tuple[tuple[Observation, RegistryError], ...] = ()  # events set aside


@dataclass
class SchemaFold:
    """Folds schema events and commands into four tables.

    Columns and schemas are kept decoded between events; ``write_back`` stores them,
    so call it after a step of folds, before the tables are read or flushed.
    """

    columns: Table
    schemas: Table
    dedupe: Table
    changes: Table  # the schema-change index (streams.folds.keys.change_index_prefix)
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

    def fold_message(self, message: Message) -> Folded:
        """Fold one ``schema-input`` record: a policy command or a step's observations.

        Raises ValueError for a record that cannot be decoded.
        """
        kind = header(message, KIND_HEADER)
        key, value = message.key or b"", message.value or b""
        if kind == COMMAND:
            return Folded([], 0, self.apply_command(key, value))
        if kind == OBSERVATIONS:
            return self.fold_observations(key, decode_observations(value))
        raise ValueError(f"schema-input: unknown record kind {kind!r}")

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
            paths.update(observation.columns)
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
        self._index(schema_key.source, result.changes)
        # Last, so a crash before these lines replays the events rather than losing them.
        for observation in observations:
            self.dedupe[dedupe_key(key, observation.message_id)] = str(
                observation.received_at_ms
            ).encode()
        return result.changes

    def _index(self, source: str, changes: list[SchemaChange]) -> None:
        """Put each change in the index of both orders it is served in, and count it."""
        if not changes:
            return
        for scope in (None, source):
            prefix = change_index_prefix(scope)
            for change in changes:
                self.changes[prefix + order_key(change)] = orjson.dumps(change.to_dict())
            count = change_count_key(scope)
            self.changes[count] = str(int(self.changes.get(count) or 0) + len(changes)).encode()

    def apply_command(self, key: bytes, value: bytes) -> str:
        """Apply a logged command; return its id. Raises ValueError for a bad command."""
        command = decode_command(value)
        row = column_key(key, command["path"])
        column = self._columns.get(row)
        if column is None:
            logger.warning("%s command for unknown column %s ignored", command["command"], command["path"])
        elif command["command"] == "set_policy":
            self._columns.put(row, set_policy(column, command["policy"]))
        else:
            self._columns.put(row, set_classification(column, command["classification"], command["kind"]))
        return str(command["id"])
