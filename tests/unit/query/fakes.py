"""In-memory fakes of the read side's protocols (query.store), built on the pure registry fold."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

from query.graphql import Context
from query.store import UnknownColumnError
from registry import (
    Cause,
    ColumnState,
    Policy,
    SchemaChange,
    SchemaKey,
    SchemaState,
    fold_event,
    infer_columns,
    set_policy,
)


class MemorySchemas:
    """A ``SchemaReader`` and ``SchemaCommands`` over dicts, fed by the pure fold."""

    def __init__(self) -> None:
        self.schemas: dict[SchemaKey, SchemaState] = {}
        self.columns: dict[SchemaKey, dict[str, ColumnState]] = {}

    def observe(
        self, key: SchemaKey, properties: dict[str, Any], at_ms: int, message_id: str
    ) -> list[SchemaChange]:
        """Fold one event carrying `properties`; returns the changes it made."""
        result = fold_event(
            key,
            self.schemas.get(key),
            self.columns.get(key, {}),
            infer_columns({"properties": properties}),
            at_ms=at_ms,
            cause=Cause(message_id, 0, 0, at_ms),
        )
        self.schemas[key] = result.schema
        self.columns.setdefault(key, {}).update(result.columns)
        return result.changes

    def get_schema(self, key: SchemaKey) -> SchemaState | None:
        return self.schemas.get(key)

    def list_schemas(self, source: str | None = None) -> list[tuple[SchemaKey, SchemaState]]:
        return sorted(
            ((k, s) for k, s in self.schemas.items() if source is None or k.source == source),
            key=lambda item: item[0].encode(),
        )

    def get_columns(self, key: SchemaKey) -> dict[str, ColumnState]:
        return dict(sorted(self.columns.get(key, {}).items()))

    async def set_policy(self, key: SchemaKey, path: str, policy: Policy) -> ColumnState:
        state = self.columns.get(key, {}).get(path)
        if state is None:
            raise UnknownColumnError(key, path)
        self.columns[key][path] = set_policy(state, policy)
        return self.columns[key][path]


class QueueFeed:
    """A ``ChangeFeed`` whose one subscriber reads what the test puts on a queue."""

    def __init__(self) -> None:
        self.queue: asyncio.Queue[SchemaChange] = asyncio.Queue()
        self.subscribed = 0
        self.closed = 0

    def publish(self, *changes: SchemaChange) -> None:
        for change in changes:
            self.queue.put_nowait(change)

    async def subscribe(self) -> AsyncIterator[SchemaChange]:
        self.subscribed += 1
        try:
            while True:
                yield await self.queue.get()
        finally:
            self.closed += 1


class Unused:
    """A protocol a test does not expect to be called."""

    def __getattr__(self, name: str) -> Any:
        raise AssertionError(f"unexpected call of {name}")


def context(schemas: MemorySchemas | None = None, changes: QueueFeed | None = None) -> Context:
    """A context over `schemas` (reader and commands alike) and `changes`."""
    schemas = schemas or MemorySchemas()
    return Context(schemas=schemas, commands=schemas, changes=changes or Unused())
