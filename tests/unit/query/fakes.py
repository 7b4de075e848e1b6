"""In-memory fakes of the read side's protocols (query.store), built on the pure folds."""

from __future__ import annotations

from bisect import bisect_left, bisect_right

import asyncio
from collections.abc import AsyncIterator
from typing import Any
import strawberry
from strawberry.types import ExecutionResult

from tests.unit.query.memory_graph import MemoryGraph
from query.domain import (
    Identifier,
    IdentityGuards,
    LinkCause,
    ProfileIdentities,
    ProfileState,
    TimelineEntry,
    apply_event,
    links_of,
    primary_identifier,
    timeline_key,
    timeline_prefix,
)
from query.domain.pseudonyms import Pseudonyms
from query.domain.regulations import (
    SUBJECT_KINDS,
    Regulation,
    Regulations,
    RegulationState,
    RegulationType,
    SubjectType,
    check_subject_ids,
    summary,
)
from query.graphql import Context
from query.store import UnknownColumnError
from query.domain.changes import decode_order_key, sort_key
from registry import (
    Cause,
    ColumnState,
    Policy,
    SchemaChange,
    SchemaKey,
    SchemaState,
    fold_event,
    infer_columns,
    PiiClassification,
    set_classification,
    set_policy,
)
from registry.plans import ConnectSettings, PlanDifference, generate_rules, parse_rules, plan_diff
from registry.plans.book import (
    Connect,
    PlanBook,
    PlanCommand,
    PlanCommandError,
    PlanVersion,
    Publish,
    Upsert,
    check_name,
)
from registry.plans.judge import ViolationCount, ViolationRecord, merge_counts
from schemas.event import Event


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

    async def get_schema(self, key: SchemaKey) -> SchemaState | None:
        return self.schemas.get(key)

    async def list_schemas(self, source: str | None = None) -> list[tuple[SchemaKey, SchemaState]]:
        return sorted(
            ((k, s) for k, s in self.schemas.items() if source is None or k.source == source),
            key=lambda item: item[0].encode(),
        )

    async def get_columns(self, key: SchemaKey) -> dict[str, ColumnState]:
        return dict(sorted(self.columns.get(key, {}).items()))

    def _all_changes(self, source: str | None) -> list[SchemaChange]:
        # The specification of the order: every column's history, sorted.
        found = [
            SchemaChange.of(key, path, change)
            for key, columns in self.columns.items()
            if source is None or key.source == source
            for path, column in columns.items()
            for change in column.history
        ]
        return sorted(found, key=sort_key)

    async def schema_changes(
        self, source: str | None = None, after: bytes | None = None, *, newest_first: bool = False, limit: int
    ) -> list[SchemaChange]:
        found = self._all_changes(source)
        if newest_first:
            end = len(found) if after is None else bisect_left(found, decode_order_key(after), key=sort_key)
            return list(reversed(found[:end]))[:limit]
        start = 0 if after is None else bisect_right(found, decode_order_key(after), key=sort_key)
        return found[start : start + limit]

    async def count_schema_changes(self, source: str | None = None) -> int:
        return len(self._all_changes(source))

    async def set_policy(self, key: SchemaKey, path: str, policy: Policy) -> ColumnState:
        state = self.columns.get(key, {}).get(path)
        if state is None:
            raise UnknownColumnError(key, path)
        self.columns[key][path] = set_policy(state, policy)
        return self.columns[key][path]

    async def set_classification(
        self, key: SchemaKey, path: str, classification: PiiClassification, kind: str | None
    ) -> ColumnState:
        state = self.columns.get(key, {}).get(path)
        if state is None:
            raise UnknownColumnError(key, path)
        self.columns[key][path] = set_classification(state, classification, kind)
        return self.columns[key][path]


class QueueFeed:
    """A ``ChangeFeed`` whose one subscriber reads what the test puts on a queue."""

    def __init__(self) -> None:
        self.queue: asyncio.Queue[SchemaChange] = asyncio.Queue()
        self.subscribed = 0
        self.closed = 0
        self._subscribed = asyncio.Event()

    async def wait_subscribed(self) -> None:
        """Until a subscriber is reading the feed."""
        await asyncio.wait_for(self._subscribed.wait(), timeout=5)

    def publish(self, *changes: SchemaChange) -> None:
        for change in changes:
            self.queue.put_nowait(change)

    async def subscribe(self) -> AsyncIterator[SchemaChange]:
        self.subscribed += 1
        self._subscribed.set()
        try:
            while True:
                yield await self.queue.get()
        finally:
            self.closed += 1


class MemoryProfiles:
    """A ``ProfileReader`` over a ``MemoryGraph`` and dicts, fed as the agents feed the tables.

    Each event's links go to the graph; the event itself, once per messageId, to the
    profile and timeline of its primary identifier. ``rows_read`` counts timeline rows
    handed out, so a test can see that a page reads lazily.
    """

    def __init__(self, guards: IdentityGuards | None = None) -> None:
        self.graph = MemoryGraph()
        self.guards = guards
        self.states: dict[Identifier, ProfileState] = {}
        self.rows: dict[bytes, TimelineEntry] = {}
        self.seen: set[tuple[Identifier, str]] = set()
        self.rows_read = 0

    def observe(self, *events: Event) -> None:
        for event in events:
            for lk in links_of(event):
                self.graph.link(lk, LinkCause.of(event), self.guards)
            primary = primary_identifier(event)
            if primary is None or (primary, event.message_id) in self.seen:
                continue
            self.seen.add((primary, event.message_id))
            self.states[primary] = apply_event(self.states.get(primary), event)
            key = timeline_key(primary, event.timestamp_ms, event.message_id)
            self.rows[key] = TimelineEntry.of(event)

    async def profile_of(self, identifier: Identifier) -> str | None:
        return self.graph.profile_of(identifier)

    async def identities(self, profile_id: str) -> ProfileIdentities | None:
        return self.graph.identities(profile_id)

    async def profile_state(self, identifier: Identifier) -> ProfileState | None:
        return self.states.get(identifier)

    async def timeline(
        self, identifier: Identifier, start: bytes, limit: int
    ) -> tuple[list[tuple[bytes, TimelineEntry]], bool]:
        prefix = timeline_prefix(identifier)
        keys = sorted(k for k in self.rows if k >= start and k.startswith(prefix))
        self.rows_read += min(len(keys), limit)
        return [(key, self.rows[key]) for key in keys[:limit]], len(keys) >= limit


class MemoryRegulations:
    """Regulations folded in memory, as made (``query.store.RegulationStore``); their
    members are only the ids given (no graph behind them)."""

    def __init__(self) -> None:
        self.folded = Regulations()
        self._pseudonyms = Pseudonyms(b"memory-regulations")

    async def create(self, kind: RegulationType, subject_type: SubjectType, ids: list[str]) -> RegulationState:
        check_subject_ids(ids)
        subjects = tuple(self._pseudonyms.of(Identifier(SUBJECT_KINDS[subject_type], i)) for i in ids)
        regulation = Regulation(f"r{len(self.folded.states) + 1}", kind, subject_type, subjects, subjects, T_MADE)
        self.folded.apply(regulation)
        return self.folded.states[regulation.id]

    def get(self, regulation_id: str) -> RegulationState | None:
        return self.folded.states.get(regulation_id)

    def newest_first(self) -> list[RegulationState]:
        return summary(self.folded.states)


T_MADE = 1_790_000_000_000


class MemoryPlans:
    """Tracking plans folded in memory, as the plans topic's copy folds them
    (``query.store.PlanStore``); generated from ``schemas``."""

    def __init__(self, schemas: MemorySchemas | None = None) -> None:
        self.book = PlanBook()
        self._schemas = schemas or MemorySchemas()

    def _apply(self, command: PlanCommand) -> None:
        self.book.check(command)
        assert self.book.apply(command)

    async def upsert(self, name: str, rules: object) -> PlanVersion:
        check_name(name)
        self._apply(Upsert(name, parse_rules(rules), T_MADE))
        return self._latest(name)

    async def publish(self, name: str) -> PlanVersion:
        self._apply(Publish(name, T_MADE))
        return self._latest(name)

    async def connect(self, source: str, plan: str, settings: ConnectSettings) -> PlanVersion:
        self._apply(Connect(source, plan, settings, T_MADE))
        found = self.book.in_force(source)
        assert found is not None
        return found[0]

    async def generate(self, source: str, name: str) -> PlanVersion:
        schemas = {k: (s, await self._schemas.get_columns(k)) for k, s in await self._schemas.list_schemas(source)}
        if not schemas:
            raise PlanCommandError("source", f"{source!r} has sent nothing to plan from")
        return await self.upsert(name, generate_rules(schemas))

    def version(self, name: str, version: int | None = None) -> PlanVersion | None:
        return self.book.version(name, version)

    def sources(self, name: str) -> list[str]:
        return self.book.sources(name)

    def in_force(self, source: str) -> tuple[str, PlanVersion] | None:
        found = self.book.in_force(source)
        return None if found is None else (self.book.connections[source].plan, found[0])

    async def diff(self, source: str) -> list[PlanDifference]:
        in_force = self.book.in_force(source)
        if in_force is None:
            raise PlanCommandError("source", f"{source!r} is connected to no published plan")
        schemas = {k: (s, await self._schemas.get_columns(k)) for k, s in await self._schemas.list_schemas(source)}
        return plan_diff(in_force[0].rules, schemas)

    def _latest(self, name: str) -> PlanVersion:
        found = self.book.version(name)
        assert found is not None
        return found


class MemoryViolations:
    """A ``ViolationStore`` over lists the test fills: records newest first, counts as
    the partitions hold them, quarantined events by (source, event)."""

    def __init__(self) -> None:
        self.records: list[ViolationRecord] = []
        self.counts: dict[str, list[ViolationCount]] = {}
        self.held: dict[tuple[str, str | None], int] = {}
        self.feed = QueueFeed()

    async def violations(
        self, source: str, event: str | None, after: bytes | None, limit: int
    ) -> list[tuple[bytes, ViolationRecord]]:
        found = []
        for index, record in enumerate(self.records):
            position = (
                index.to_bytes(8, "big") + record.message_id.encode() + b"\x00" + (0).to_bytes(2, "big")
            )
            if record.source == source and (event is None or record.event == event):
                if after is None or position > after:
                    found.append((position, record))
        return found[:limit]

    async def summary(self, source: str) -> list[ViolationCount]:
        return merge_counts(self.counts.get(source, []))

    async def subscribe(self) -> AsyncIterator[ViolationRecord]:
        async for record in self.feed.subscribe():
            yield record  # type: ignore[misc]

    async def release(self, source: str, event: str | None) -> int:
        return sum(self.held.pop(k) for k in list(self.held) if k[0] == source and (event is None or k[1] == event))


class Unused:
    """A protocol a test does not expect to be called."""

    def __getattr__(self, name: str) -> Any:
        raise AssertionError(f"unexpected call of {name}")


def context(
    schemas: MemorySchemas | None = None,
    changes: QueueFeed | None = None,
    profiles: MemoryProfiles | None = None,
    regulations: MemoryRegulations | None = None,
    plans: MemoryPlans | None = None,
    violations: MemoryViolations | None = None,
) -> Context:
    """A context over `schemas` (reader and commands alike), `changes`, `profiles` and
    `regulations`."""
    schemas = schemas or MemorySchemas()
    return Context(
        schemas=schemas,
        commands=schemas,
        changes=changes or Unused(),
        profiles=profiles or MemoryProfiles(),
        regulations=regulations or MemoryRegulations(),
        plans=plans or MemoryPlans(schemas),
        violations=violations or MemoryViolations(),
    )


def execute_sync(schema: strawberry.Schema, query: str, **kwargs: Any) -> ExecutionResult:
    """``schema.execute`` run to its end (its resolvers read the stores asynchronously)."""
    return asyncio.run(schema.execute(query, **kwargs))
