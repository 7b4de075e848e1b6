"""The read side's stores over this node's tables (``query.store``'s protocols)."""

from __future__ import annotations

import functools
import heapq
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import replace
from operator import itemgetter
from typing import Any

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
    PiiClassification,
    SchemaChange,
    SchemaKey,
    SchemaState,
    child_path,
    classify_path,
    column_from_dict,
    escape_key,
    prefix_for_source,
    redact,
)
from schemas import EventType
from streams.folds.keys import change_count_key, change_index_prefix, scoped
from streams.folds.links import GraphTables
from streams.folds.privacy import Privacy
from streams.kafka.app import Tracklog
from streams.state.decoded import DecodedRows
from streams.state.partitions import Partitions


TRAIT_CLASSES_EVERY = 1.0


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

    def column_classes(self, key: SchemaKey) -> dict[str, PiiClassification]:
        """Each column's classification: a RED column's values are never shown in clear."""
        return {path: column.classification for path, column in self.get_columns(key).items()}

    def trait_classes(self) -> dict[str, PiiClassification]:
        """The classification of each ``traits.`` column of the identify schemas, RED
        where any source's is (a profile's traits merge every source's identify calls)."""
        found: dict[str, PiiClassification] = {}
        for key, _ in self.list_schemas():
            if key.type == EventType.IDENTIFY.value:
                for path, classification in self.column_classes(key).items():
                    if path.startswith("traits.") and found.get(path) is not PiiClassification.RED:
                        found[path] = classification
        return found

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
    """Reads the query store tables (``query.store.ProfileReader``).

    Callers name people by their ids in clear; the tables hold pseudonyms and sealed
    values (``streams.folds.privacy``), so each id is turned into its pseudonym here and
    each value opened. A value that does not open (its subject was forgotten) reads as
    absent. Values of RED columns (``registry.pii``) read as redacted, in timelines and
    in profiles' traits.
    """

    def __init__(
        self,
        profiles: Partitions,
        timeline: Partitions,
        identities: Partitions,
        members: Partitions,
        names: Partitions,
        privacy: Privacy,
        column_classes: Callable[[SchemaKey], dict[str, PiiClassification]],
        trait_classes: Callable[[], dict[str, PiiClassification]] = dict,
    ) -> None:
        self._profiles = profiles
        self._timeline = timeline
        self._graph = GraphTables(identities, members)
        self._names = names
        self._privacy = privacy
        self._pseudonyms = privacy.pseudonyms
        self._column_classes = column_classes
        self._trait_classes = trait_classes
        # The traits' classifications as read at most TRAIT_CLASSES_EVERY seconds ago: a
        # scan of the schemas, not to be paid on every profile read.
        self._trait_classes_read: tuple[float, dict[str, PiiClassification]] | None = None

    @classmethod
    def of(cls, tracklog: Tracklog, schemas: TableSchemaReader) -> TableProfileReader:
        return cls(
            Partitions.of_table(tracklog.profiles),
            Partitions.of_table(tracklog.timeline),
            Partitions.of_table(tracklog.identities),
            Partitions.of_table(tracklog.profile_members),
            Partitions.of_table(tracklog.identity_names),
            Privacy(tracklog.pseudonyms, tracklog.keys),
            schemas.column_classes,
            schemas.trait_classes,
        )

    def profile_of(self, identifier: Identifier) -> str | None:
        return self._graph.profile_of(self._pseudonyms.of(identifier))

    def identities(self, profile_id: str) -> ProfileIdentities | None:
        found = self._graph.identities(profile_id)
        return None if found is None else found.named(self._named(found.members))

    def _named(self, members: Iterable[Identifier]) -> dict[Identifier, Identifier]:
        """Each member's identifier in clear, where its sealed name still opens."""
        named: dict[Identifier, Identifier] = {}
        for member in members:
            raw = self._names.get(encode_identifier(member))
            opened = None if raw is None else self._privacy.open(raw)
            if opened is not None:
                named[member] = Identifier(member.kind, opened[0].decode())
        return named

    def profile_state(self, identifier: Identifier) -> ProfileState | None:
        raw = self._profiles.get(encode_identifier(self._pseudonyms.of(identifier)))
        opened = None if raw is None else self._privacy.open_row(orjson.loads(raw))
        if opened is None:
            return None
        state = ProfileState.from_dict(orjson.loads(opened[0]))
        return _redacted_traits(state, self._trait_classes_now()) if state.traits else state

    def _trait_classes_now(self) -> dict[str, PiiClassification]:
        now = time.monotonic()
        if self._trait_classes_read is None or now - self._trait_classes_read[0] > TRAIT_CLASSES_EVERY:
            self._trait_classes_read = (now, self._trait_classes())
        return self._trait_classes_read[1]

    def timeline(self, identifier: Identifier, start: bytes) -> Iterator[tuple[bytes, TimelineEntry]]:
        # One identifier's entries live in one partition; the others end at once. Keys
        # are shown under the id the caller named (cursors hold only their suffix).
        shown = timeline_prefix(identifier)
        prefix = timeline_prefix(self._pseudonyms.of(identifier))
        classes: dict[SchemaKey, dict[str, PiiClassification]] = {}
        for key, value in self._timeline.scan(prefix, prefix + start[len(shown) :]):
            opened = self._privacy.open(value)
            if opened is None:
                continue  # forgotten
            entry = TimelineEntry.from_bytes(opened[0])
            schema = SchemaKey(entry.source, entry.type.value, entry.event if entry.type is EventType.TRACK else None)
            known = classes.get(schema)
            if known is None:
                known = classes[schema] = self._column_classes(schema)
            sections = {"properties": entry.properties, "traits": entry.traits, "context": entry.context}
            red = red_paths_in(sections, known)
            yield shown + key[len(prefix) :], _redacted(entry, sections, red) if red else entry


def red_paths_in(sections: Mapping[str, Mapping[str, Any]], classes: Mapping[str, PiiClassification]) -> set[str]:
    """The paths of ``sections`` to read redacted: the columns ``classes`` says are RED,
    and each top-level key of a column not classified yet (the schema fold comes a
    moment after the event) whose key alone suggests RED."""
    red = {path for path, classification in classes.items() if classification is PiiClassification.RED}
    for section, values in sections.items():
        for name in values:
            path = child_path(section, escape_key(name))
            if path not in classes and _suggested_red(path):
                red.add(path)
    return red


@functools.lru_cache(maxsize=4_096)
def _suggested_red(path: str) -> bool:
    """Whether the column's key alone says RED (paths repeat: each is classified once)."""
    return classify_path(path).classification is PiiClassification.RED


def _redacted_traits(state: ProfileState, classes: dict[str, PiiClassification]) -> ProfileState:
    """``state`` with its RED traits redacted: those their column says are, and those of
    a column the schema fold has not classified yet that its key suggests are."""
    sections = {"traits": {name: trait.value for name, trait in state.traits.items()}}
    red = red_paths_in(sections, classes)
    if not red:
        return state
    values = redact(sections, red)["traits"]
    return replace(state, traits={name: replace(trait, value=values[name]) for name, trait in state.traits.items()})


def _redacted(entry: TimelineEntry, sections: Mapping[str, Mapping[str, Any]], paths: set[str]) -> TimelineEntry:
    sections = redact(sections, paths)
    return replace(entry, properties=sections["properties"], traits=sections["traits"], context=sections["context"])
