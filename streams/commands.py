"""Schema commands (column policies): appended to the log, applied by the fold agent.

A command is written to ``schema-commands`` keyed by its schema key; ``route-commands``
forwards it into ``schema-input`` among that schema's events, so it is applied in log
order and a rebuild replays it. The caller waits until this node's fold has applied it.
"""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import orjson

from query.store import CommandTimeoutError, SchemaReader, UnknownColumnError
from registry import ColumnState, Policy, SchemaKey
from streams.app import Tracklog

KIND_HEADER = "tracklog-kind"
COMMAND = b"command"


def encode_policy_command(command_id: str, path: str, policy: Policy) -> bytes:
    return orjson.dumps({"command": "set_policy", "id": command_id, "path": path, "policy": policy.value})


def decode_command(value: bytes) -> dict[str, Any]:
    """The command in ``value``; raises ValueError when it is not one we know."""
    try:
        command = orjson.loads(value)
    except orjson.JSONDecodeError as exc:
        raise ValueError(f"command is not JSON: {exc}") from None
    if not isinstance(command, dict) or command.get("command") != "set_policy":
        raise ValueError("unknown command")
    if not isinstance(command.get("path"), str) or not isinstance(command.get("id"), str):
        raise ValueError("set_policy needs a string path and id")
    try:
        command["policy"] = Policy(command.get("policy"))
    except ValueError:
        raise ValueError(f"unknown policy {command.get('policy')!r}") from None
    return command


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
