"""The read side's stores over this node's tables (``query.store``'s protocols)."""

from __future__ import annotations

import heapq
from collections.abc import Iterator
from operator import itemgetter

import orjson

from query.domain import (
    Identifier,
    ProfileIdentities,
    ProfileState,
    TimelineEntry,
    encode_identifier,
    timeline_prefix,
)
from query.domain.changes import after as after_key
from registry import (
    ColumnState,
    SchemaChange,
    SchemaKey,
    SchemaState,
    column_from_dict,
    prefix_for_source,
)
from streams.folds.keys import change_count_key, change_index_prefix, scoped
from streams.folds.links import GraphTables
from streams.kafka.app import Tracklog
from streams.state.decoded import DecodedRows
from streams.state.partitions import Partitions


class TableSchemaReader:
    """Reads the schema registry tables (``query.store.SchemaReader``)."""

    def __init__(self, schemas: Partitions, columns: Partitions, changes: Partitions) -> None:
        self._schemas = schemas
        self._columns = columns
        self._changes = changes
        self._summaries = DecodedRows(_summary)
        self._column_rows = DecodedRows(_column)
        self._keys = DecodedRows(SchemaKey.decode)

    @classmethod
    def of(cls, tracklog: Tracklog) -> TableSchemaReader:
        return cls(
            Partitions.of_table(tracklog.schemas),
            Partitions.of_table(tracklog.columns),
            Partitions.of_table(tracklog.change_index),
        )

    def get_schema(self, key: SchemaKey) -> SchemaState | None:
        raw_key = key.encode()
        raw = self._schemas.get(raw_key)
        return self._summaries.decode(raw_key, raw) if raw is not None else None

    def list_schemas(self, source: str | None = None) -> list[tuple[SchemaKey, SchemaState]]:
        prefix = prefix_for_source(source) if source is not None else b""
        keys, summaries = self._keys, self._summaries
        found = []
        for raw_key, value in self._schemas.scan(prefix):
            found.append((raw_key, keys.decode(raw_key, raw_key), summaries.decode(raw_key, value)))
        found.sort(key=itemgetter(0))
        return [(key, state) for _, key, state in found]

    def get_columns(self, key: SchemaKey) -> dict[str, ColumnState]:
        prefix = scoped(key.encode())
        rows = self._column_rows
        columns = {
            raw_key[len(prefix) :].decode(): rows.decode(raw_key, value)
            for raw_key, value in self._columns.scan(prefix)
        }
        return dict(sorted(columns.items()))

    def schema_changes(
        self, source: str | None = None, after: bytes | None = None, *, newest_first: bool = False
    ) -> Iterator[SchemaChange]:
        # Each partition's index is in order; their merge is the whole order.
        prefix = change_index_prefix(source)
        if newest_first:
            scans = self._changes.sorted_scans(prefix, None if after is None else prefix + after, backwards=True)
        else:
            scans = self._changes.sorted_scans(prefix, None if after is None else prefix + after_key(after))
        for key, value in heapq.merge(*scans, key=itemgetter(0), reverse=newest_first):
            if newest_first and after is not None and key == prefix + after:
                continue  # the scan back starts at the cursor's own change
            yield SchemaChange.from_dict(orjson.loads(value))

    def count_schema_changes(self, source: str | None = None) -> int:
        return sum(int(count) for count in self._changes.get_each(change_count_key(source)))


def _summary(raw: bytes) -> SchemaState:
    return SchemaState.from_dict(orjson.loads(raw))


def _column(raw: bytes) -> ColumnState:
    return column_from_dict(orjson.loads(raw))


class TableProfileReader:
    """Reads the query store tables (``query.store.ProfileReader``)."""

    def __init__(
        self, profiles: Partitions, timeline: Partitions, identities: Partitions, members: Partitions
    ) -> None:
        self._profiles = profiles
        self._timeline = timeline
        self._graph = GraphTables(identities, members)

    @classmethod
    def of(cls, tracklog: Tracklog) -> TableProfileReader:
        return cls(
            Partitions.of_table(tracklog.profiles),
            Partitions.of_table(tracklog.timeline),
            Partitions.of_table(tracklog.identities),
            Partitions.of_table(tracklog.profile_members),
        )

    def profile_of(self, identifier: Identifier) -> str | None:
        return self._graph.profile_of(identifier)

    def identities(self, profile_id: str) -> ProfileIdentities | None:
        return self._graph.identities(profile_id)

    def profile_state(self, identifier: Identifier) -> ProfileState | None:
        raw = self._profiles.get(encode_identifier(identifier))
        return ProfileState.from_dict(orjson.loads(raw)) if raw is not None else None

    def timeline(self, identifier: Identifier, start: bytes) -> Iterator[tuple[bytes, TimelineEntry]]:
        # One identifier's entries live in one partition; the others end at once.
        for key, value in self._timeline.scan(timeline_prefix(identifier), start):
            yield key, TimelineEntry.from_bytes(value)
