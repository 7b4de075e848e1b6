"""The typed context every resolver receives."""

from __future__ import annotations

from dataclasses import dataclass

from query.store import ChangeFeed, ProfileReader, SchemaCommands, SchemaReader


@dataclass
class Context:
    schemas: SchemaReader
    commands: SchemaCommands
    changes: ChangeFeed
    profiles: ProfileReader
