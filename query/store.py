"""What the read side needs from the running system; ``streams`` implements these."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Protocol

from query.domain import Identifier, ProfileIdentities, ProfileState, TimelineEntry
from query.domain.regulations import RegulationState, RegulationType, SubjectType
from registry import ColumnState, PiiClassification, Policy, SchemaChange, SchemaKey, SchemaState
from registry.plans import ConnectSettings, PlanDifference
from registry.plans.book import PlanVersion
from registry.plans.judge import ViolationCount, ViolationRecord
from schemas.errors import TracklogError


class QueryError(TracklogError):
    """A request the read side cannot answer; its message is safe to show the caller."""


class UnknownColumnError(QueryError):
    def __init__(self, key: SchemaKey, path: str) -> None:
        super().__init__(f"schema {key} has no column {path!r}")
        self.key = key
        self.path = path


class CommandTimeoutError(QueryError):
    def __init__(self, what: str, timeout: float) -> None:
        super().__init__(f"{what} was written to the log but not applied within {timeout:.0f} s")
        self.what = what
        self.timeout = timeout


class UnavailableReadError(QueryError):
    """A read needs a partition no node serves now (a rebalance, an owner gone): it is
    not answered rather than answered in part. The client retries after ``retry_after`` s."""

    def __init__(self, table: str, partition: int, reason: str, retry_after: int = 1) -> None:
        super().__init__(
            f"partition {partition} of table {table!r} is not served by any node now ({reason}); "
            f"retry in {retry_after} s"
        )
        self.table = table
        self.partition = partition
        self.reason = reason
        self.retry_after = retry_after


class SchemaReader(Protocol):
    async def get_schema(self, key: SchemaKey) -> SchemaState | None:
        """The summary of one schema, or None when it was never seen."""

    async def list_schemas(self, source: str | None = None) -> list[tuple[SchemaKey, SchemaState]]:
        """Every schema (of one source, when given), ordered by key."""

    async def get_columns(self, key: SchemaKey) -> dict[str, ColumnState]:
        """Every column of one schema, by path, ordered by path."""

    async def schema_changes(
        self, source: str | None = None, after: bytes | None = None, *, newest_first: bool = False, limit: int
    ) -> list[SchemaChange]:
        """The first ``limit`` changes of every schema (of one source, when given), in the
        order of `query.domain.changes` (or its reverse, `newest_first`), from the first
        one past the order key `after` in that direction (from the first of all without it)."""

    async def count_schema_changes(self, source: str | None = None) -> int:
        """How many changes `schema_changes(source)` holds in all."""


class SchemaCommands(Protocol):
    async def set_policy(self, key: SchemaKey, path: str, policy: Policy) -> ColumnState:
        """Append a policy command to the log; return the column once it was applied.

        Raises UnknownColumnError when the column was never seen, CommandTimeoutError when
        the command was logged but not applied in time.
        """

    async def set_classification(
        self, key: SchemaKey, path: str, classification: PiiClassification, kind: str | None
    ) -> ColumnState:
        """Append a classification command to the log (``kind``: what personal data it
        is); return the column once it was applied. Raises as ``set_policy`` does."""


class ChangeFeed(Protocol):
    def subscribe(self) -> AsyncIterator[SchemaChange]:
        """Every schema change appended to the log from now on, until the iterator closes."""


class ProfileReader(Protocol):
    """The query store's tables: the identity graph, per-identifier profiles, timelines.

    """

    async def profile_of(self, identifier: Identifier) -> str | None:
        """The profile id stored for ``identifier``, or None when it has no row."""

    async def identities(self, profile_id: str) -> ProfileIdentities | None:
        """The members and merge log of ``profile_id``, or None when it has no row."""

    async def profile_state(self, identifier: Identifier) -> ProfileState | None:
        """The profile folded from the events whose primary identifier is ``identifier``."""

    async def timeline(
        self, identifier: Identifier, start: bytes, limit: int
    ) -> tuple[list[tuple[bytes, TimelineEntry]], bool]:
        """``identifier``'s timeline entries from key ``start`` on (newest first), of at
        most ``limit`` stored ones; and whether more may follow them."""


class RegulationStore(Protocol):
    """Regulations (forgetting a person) through the log."""

    async def create(self, kind: RegulationType, subject_type: SubjectType, ids: list[str]) -> RegulationState:
        """Put a regulation of the profiles of ``ids`` on the log; return it once this
        node holds it (a suppression is in force from then on).

        Raises InvalidRegulationError naming the argument for ids no regulation takes.
        """

    def get(self, regulation_id: str) -> RegulationState | None:
        """One regulation and how far it got, or None when there is none of that id."""

    def newest_first(self) -> list[RegulationState]:
        """Every regulation, the newest first."""


class PlanStore(Protocol):
    """Tracking plans through the log (``registry.plans.book``)."""

    async def upsert(self, name: str, rules: object) -> PlanVersion:
        """A new draft version of plan ``name`` (or its draft replaced), once this node
        holds it. Raises InvalidPlanError naming the rule and pointer, or
        PlanCommandError naming the argument."""

    async def publish(self, name: str) -> PlanVersion:
        """Freeze the plan's draft: that version never changes again."""

    async def connect(self, source: str, plan: str, settings: ConnectSettings) -> PlanVersion:
        """Hold ``source`` to ``plan``'s latest published version, with ``settings``."""

    async def generate(self, source: str, name: str) -> PlanVersion:
        """A draft of plan ``name`` proposed from ``source``'s inferred schemas."""

    def version(self, name: str, version: int | None = None) -> PlanVersion | None:
        """A version of the plan (its latest when None), or None."""

    def sources(self, name: str) -> list[str]:
        """The sources connected to the plan."""

    def in_force(self, source: str) -> tuple[str, PlanVersion] | None:
        """The plan (its name and published version) ``source`` is held to, if any."""

    async def diff(self, source: str) -> list[PlanDifference]:
        """How ``source``'s plan in force and what it sent differ; PlanCommandError
        naming ``source`` when it is connected to no plan."""


class ViolationStore(Protocol):
    """The violations of tracking plans judged so far, and the quarantine."""

    async def violations(
        self, source: str, event: str | None, after: bytes | None, limit: int
    ) -> list[tuple[bytes, ViolationRecord]]:
        """The first ``limit`` of ``source``'s violations (of ``event``'s events, if given),
        the newest first, each with its position; strictly after position ``after``, if given."""

    async def summary(self, source: str) -> list[ViolationCount]:
        """``source``'s violations counted by (type, event, violation type, path)."""

    def subscribe(self) -> AsyncIterator[ViolationRecord]:
        """Every violation judged from now on, on any node."""

    async def release(self, source: str, event: str | None) -> int:
        """Put ``source``'s quarantined events (named ``event``, or all) back on the log,
        to be judged again; how many went."""
