"""What the read side needs from storage; ``streams`` implements these over its tables."""

from __future__ import annotations

from typing import Protocol

from registry import ColumnState, SchemaKey, SchemaState


class SchemaReader(Protocol):
    def get_schema(self, key: SchemaKey) -> SchemaState | None:
        """The summary of one schema, or None when it was never seen."""

    def list_schemas(self, source: str | None = None) -> list[tuple[SchemaKey, SchemaState]]:
        """Every schema (of one source, when given), ordered by key."""

    def get_columns(self, key: SchemaKey) -> dict[str, ColumnState]:
        """Every column of one schema, by path, ordered by path."""
