"""The typed context every resolver receives."""

from __future__ import annotations

from dataclasses import dataclass, field

from query.store import (
    ChangeFeed,
    PlanStore,
    ProfileReader,
    RegulationStore,
    SchemaCommands,
    SchemaReader,
    ViolationStore,
)


@dataclass
class Context:
    schemas: SchemaReader
    commands: SchemaCommands
    changes: ChangeFeed
    profiles: ProfileReader
    regulations: RegulationStore
    plans: PlanStore
    violations: ViolationStore
    # Per request: the Authorization header, and a WebSocket's connection_init payload.
    authorization: str | None = None
    connection_params: dict[str, object] | None = field(default=None)
