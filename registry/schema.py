"""A schema over time: its summary and its change events.

The fold itself is `registry.batch.fold_events` (a batch of one schema's events, what
the fold-schemas agent runs); `fold_event` folds one event through it. Everything the
fold needs is passed in, so replaying the log reproduces the same states, versions
and change ids.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from registry.column import Cause, ColumnState, TypeChange
from registry.errors import RegistryError
from registry.fields import Reader
from registry.key import SchemaKey, prefix_for_source
from registry.pii import PiiClassification
from schemas.timestamps import format_rfc3339_ms, parse_rfc3339_ms
from registry.types import ChangeKind, ColumnType

__all__ = [
    "FoldResult",
    "SchemaChange",
    "SchemaKey",
    "SchemaState",
    "prefix_for_source",
]


@dataclass(frozen=True, slots=True)
class SchemaState:
    """The summary of one schema: its version, counters and column paths.

    `version` grows by one with every column history entry; `findings`
    counts the limit findings of all its events. `conflicts` counts the
    TYPE_CONFLICT entries of its columns' histories and `violations` is the
    sum of its columns' violations, so a list of schemas can show which have
    trouble without reading their columns.
    """

    version: int
    event_count: int
    first_seen_ms: int
    last_seen_ms: int
    columns: tuple[str, ...]
    findings: int
    conflicts: int
    violations: int

    def to_dict(self) -> dict[str, Any]:
        """The summary as plain JSON values (the table's stored form)."""
        return {
            "v": self.version,
            "n": self.event_count,
            "fs": self.first_seen_ms,
            "ls": self.last_seen_ms,
            "c": list(self.columns),
            "f": self.findings,
            "cf": self.conflicts,
            "vi": self.violations,
        }

    @classmethod
    def from_dict(cls, d: object) -> SchemaState:
        """The summary that `to_dict` wrote."""
        r = Reader(d, "schema state")
        columns = r.get_list("c")
        if not all(isinstance(c, str) for c in columns):
            raise r.fail("c", "expected an array of strings")
        return cls(
            version=r.get_int("v"),
            event_count=r.get_int("n"),
            first_seen_ms=r.get_int("fs"),
            last_seen_ms=r.get_int("ls"),
            columns=tuple(columns),
            findings=r.get_int("f"),
            conflicts=r.get_int("cf"),
            violations=r.get_int("vi"),
        )


@dataclass(frozen=True, slots=True)
class SchemaChange:
    """One column history entry, as announced on the `schema-changes` topic.

    `id` is derived from the content (`change_id`), so a replay of the log
    announces the same change under the same id.
    """

    id: str
    key: SchemaKey
    path: str
    change: TypeChange
    # The column's classification after the change (not part of the id).
    classification: PiiClassification = PiiClassification.NONE
    pii_kind: str | None = None

    @classmethod
    def of(
        cls,
        key: SchemaKey,
        path: str,
        change: TypeChange,
        classification: PiiClassification = PiiClassification.NONE,
        pii_kind: str | None = None,
    ) -> SchemaChange:
        """The change with its content-derived id."""
        return cls(change_id(key, path, change), key, path, change, classification, pii_kind)

    def to_dict(self) -> dict[str, Any]:
        """The published JSON; times are RFC 3339 UTC with milliseconds."""
        c = self.change
        return {
            "id": self.id,
            "source": self.key.source,
            "type": self.key.type,
            "event": self.key.event,
            "path": self.path,
            "kind": c.kind.value,
            "observedType": c.observed_type.value,
            "fromType": None if c.from_type is None else c.from_type.value,
            "toType": c.to_type.value,
            "version": c.version,
            "at": format_rfc3339_ms(c.at_ms),
            "messageId": c.cause.message_id,
            "partition": c.cause.partition,
            "offset": c.cause.offset,
            "eventTime": format_rfc3339_ms(c.cause.event_time_ms),
            "classification": self.classification.value,
            "piiKind": self.pii_kind,
        }

    @classmethod
    def from_dict(cls, d: object) -> SchemaChange:
        """The change that `to_dict` published; the id is taken as given."""
        r = Reader(d, "schema change")
        try:
            key = SchemaKey(r.get_str("source"), r.get_str("type"), r.get_opt_str("event"))
        except RegistryError as e:
            raise r.fail("type", e.reason) from e
        change = TypeChange(
            kind=r.get_enum("kind", ChangeKind),
            observed_type=r.get_enum("observedType", ColumnType),
            from_type=r.get_opt_enum("fromType", ColumnType),
            to_type=r.get_enum("toType", ColumnType),
            version=r.get_int("version"),
            at_ms=_read_time(r, "at"),
            cause=Cause(
                message_id=r.get_str("messageId"),
                partition=r.get_int("partition"),
                offset=r.get_int("offset"),
                event_time_ms=_read_time(r, "eventTime"),
            ),
        )
        classification = r.get_enum("classification", PiiClassification)
        return cls(r.get_str("id"), key, r.get_str("path"), change, classification, r.get_opt_str("piiKind"))


def change_id(key: SchemaKey, path: str, change: TypeChange) -> str:
    """sha256 (first 32 hex digits) of the change's canonical content."""
    content = [
        key.source,
        key.type,
        key.event,
        path,
        change.kind.value,
        change.observed_type.value,
        None if change.from_type is None else change.from_type.value,
        change.to_type.value,
        change.version,
        change.cause.message_id,
    ]
    canonical = json.dumps(content, ensure_ascii=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("ascii")).hexdigest()[:32]


@dataclass(frozen=True, slots=True)
class FoldResult:
    """What one event (`fold_event`) or one batch (`fold_events`) did to its schema.

    `columns` holds every column it touched (to write back);
    `changes` the history entries it made, in version order (to publish).
    """

    schema: SchemaState
    columns: dict[str, ColumnState]
    changes: list[SchemaChange]


def trouble(
    before: Mapping[str, ColumnState],
    after: Mapping[str, ColumnState],
    changes: list[SchemaChange],
) -> tuple[int, int]:
    """(conflicts, violations) a fold added: its TYPE_CONFLICT entries, and how much the
    violations of the columns it touched (`before` it, `after` it) grew."""
    conflicts = sum(1 for c in changes if c.change.kind is ChangeKind.TYPE_CONFLICT)
    violations = 0
    for path, state in after.items():
        old = before.get(path)
        violations += state.violations - (0 if old is None else old.violations)
    return conflicts, violations


def _read_time(r: Reader, key: str) -> int:
    ms = parse_rfc3339_ms(r.get_str(key))
    if ms is None:
        raise r.fail(key, "not an RFC 3339 date-time")
    return ms
