"""Schema commands (column policies and classifications) through the log: ``query.store.SchemaCommands``.

A command goes onto ``schema-input`` keyed by its schema key, among that schema's
observations, so fold-schemas applies it in log order and a rebuild replays it. The
caller's answer waits until this node's copy of the column shows it: the fold applies
it on the node that owns the schema's partition, and the change reaches other nodes'
standby copies through the changelog; both signal ``Tracklog.column_changes``.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable

from query.store import CommandTimeoutError, SchemaReader, UnknownColumnError
from registry import ColumnState, PiiClassification, Policy, SchemaKey
from streams.folds.commands import COMMAND, KIND_HEADER, encode_classification_command, encode_policy_command
from streams.kafka.app import Tracklog

# How often a command looks whether another node applied it (its own notify at once).
APPLIED_POLL = 0.1


class LoggedSchemaCommands:
    def __init__(self, tracklog: Tracklog, reader: SchemaReader, *, timeout: float = 15.0) -> None:
        self._tracklog = tracklog
        self._reader = reader
        self._timeout = timeout

    async def set_policy(self, key: SchemaKey, path: str, policy: Policy) -> ColumnState:
        command = encode_policy_command(str(uuid.uuid4()), path, policy)
        return await self._command(
            key, path, command, lambda c: c.policy is policy, f"set_policy {policy.value} on {path}"
        )

    async def set_classification(
        self, key: SchemaKey, path: str, classification: PiiClassification, kind: str | None
    ) -> ColumnState:
        kind = None if classification is PiiClassification.NONE else kind
        command = encode_classification_command(str(uuid.uuid4()), path, classification, kind)
        return await self._command(
            key,
            path,
            command,
            lambda c: c.classification is classification and c.pii_kind == kind,
            f"set_classification {classification.value} on {path}",
        )

    async def _command(
        self, key: SchemaKey, path: str, command: bytes, shows: Callable[[ColumnState], bool], what: str
    ) -> ColumnState:
        """Write ``command`` about one column; return the column once ``shows`` it."""
        if path not in await self._reader.get_columns(key):
            raise UnknownColumnError(key, path)
        try:
            sent = await self._tracklog.schema_input_topic.send(
                key=key.encode(), value=command, headers=[(KIND_HEADER, COMMAND)]
            )
            await asyncio.wait_for(asyncio.shield(sent), self._timeout)
            return await self._tracklog.column_changes.until_read(
                lambda: self._applied(key, path, shows), self._timeout, APPLIED_POLL
            )
        except TimeoutError:
            raise CommandTimeoutError(what, self._timeout) from None

    async def _applied(self, key: SchemaKey, path: str, shows: Callable[[ColumnState], bool]) -> ColumnState | None:
        column = (await self._reader.get_columns(key)).get(path)
        return column if column is not None and shows(column) else None
