"""Schema commands (column policies) through the log: ``query.store.SchemaCommands``."""

from __future__ import annotations

import asyncio
import uuid

from query.store import CommandTimeoutError, SchemaReader, UnknownColumnError
from registry import ColumnState, Policy, SchemaKey
from streams.folds.commands import encode_policy_command
from streams.kafka.app import Tracklog


class LoggedSchemaCommands:
    """``query.store.SchemaCommands`` through the command topic.

    After logging a command it waits until this node's copy of the table shows it:
    the fold applies it on whichever node owns the schema's partition, and the change
    reaches the other nodes' standby copies through the changelog.
    """

    def __init__(
        self, tracklog: Tracklog, reader: SchemaReader, *, timeout: float = 15.0
    ) -> None:
        self._t = tracklog
        self._reader = reader
        self._timeout = timeout

    async def set_policy(self, key: SchemaKey, path: str, policy: Policy) -> ColumnState:
        if path not in self._reader.get_columns(key):
            raise UnknownColumnError(key, path)
        command_id = str(uuid.uuid4())
        try:
            sent = await self._t.schema_commands_topic.send(
                key=key.encode(), value=encode_policy_command(command_id, path, policy)
            )
            await asyncio.wait_for(asyncio.shield(sent), self._timeout)
            return await asyncio.wait_for(self._applied(key, path, policy), self._timeout)
        except TimeoutError:
            raise CommandTimeoutError(f"set_policy {policy.value} on {path}", self._timeout) from None

    async def _applied(self, key: SchemaKey, path: str, policy: Policy) -> ColumnState:
        while True:
            column = self._reader.get_columns(key).get(path)
            if column is not None and column.policy is policy:
                return column
            await asyncio.sleep(0.02)
