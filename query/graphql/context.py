"""The typed context every resolver receives."""

from __future__ import annotations

from dataclasses import dataclass, field

from query.graphql.change_log import ChangeLog
from query.store import ChangeFeed, ProfileReader, SchemaCommands, SchemaReader


@dataclass
class Context:
    schemas: SchemaReader
    commands: SchemaCommands
    changes: ChangeFeed
    profiles: ProfileReader
    # Per request: the Authorization header, and a WebSocket's connection_init payload.
    authorization: str | None = None
    connection_params: dict[str, object] | None = field(default=None)
    # Every schema change in order, kept between requests (a per-request copy of the
    # context shares it).
    change_log: ChangeLog = field(default_factory=ChangeLog)
