"""The read side's stores over this node's tables (``query.store``'s protocols)."""

from __future__ import annotations

import functools
import heapq
import time
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import replace
from itertools import islice
from operator import itemgetter
from typing import Any, Generic, TypeVar

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
from streams.cluster.tables import ClusterTable, Reads
from streams.folds.keys import change_count_key, change_index_prefix, scoped
from streams.folds.privacy import Privacy
from streams.kafka.app import Tracklog
from streams.kafka.producer import key_partition
from streams.state.decoded import DecodedRows


# How stale the classifications a read redacts by may be (seconds): a schema's columns,
# read for each timeline entry, and the traits of every identify schema, read for each
# profile, are scans not to be paid on every read. A column set RED reads redacted
# within this; one first seen with a RED-sounding key is redacted at once (red_paths_in).
CLASSES_EVERY = 1.0
# Schemas whose column classifications a node keeps (see Recent).
CLASSES_KEPT = 4_096

K = TypeVar("K")
V = TypeVar("V")


class Recent(Generic[K, V]):
    """Values read at most ``every`` seconds ago, ``keep`` of them at most."""

    def __init__(self, every: float, keep: int, clock: Callable[[], float] = time.monotonic) -> None:
        self._every = every
        self._keep = keep
        self._clock = clock
        self._values: dict[K, tuple[float, V]] = {}

    async def get(self, key: K, read: Callable[[K], Awaitable[V]]) -> V:
        """The value of ``key``, read again with ``read`` if it is older than ``every``."""
        now = self._clock()
        found = self._values.get(key)
        if found is None or now - found[0] > self._every:
            if len(self._values) >= self._keep:
                self._values.clear()
            found = self._values[key] = (now, await read(key))
        return found[1]


class TableSchemaReader:
    """Reads the schema registry tables (``query.store.SchemaReader``)."""

    def __init__(self, schemas: ClusterTable, columns: ClusterTable, changes: ClusterTable) -> None:
        self._schemas = schemas
        self._columns = columns
        self._changes = changes
        self._summaries = DecodedRows(_summary)
        self._column_rows = DecodedRows(_column)
        self._keys = DecodedRows(SchemaKey.decode)

    @classmethod
    def of(cls, tracklog: Tracklog, reads: Reads) -> TableSchemaReader:
        return cls(
            ClusterTable.of(reads, tracklog.schemas),
            ClusterTable.of(reads, tracklog.columns),
            ClusterTable.of(reads, tracklog.change_index),
        )

    async def get_schema(self, key: SchemaKey) -> SchemaState | None:
        raw_key = key.encode()
        raw = await self._schemas.get(raw_key, key_partition(raw_key, self._schemas.partitions))
        return self._summaries.decode(raw_key, raw) if raw is not None else None

    async def list_schemas(self, source: str | None = None) -> list[tuple[SchemaKey, SchemaState]]:
        prefix = prefix_for_source(source) if source is not None else b""
        keys, summaries = self._keys, self._summaries
        found = []
        for rows in await self._schemas.scan_each(prefix):
            for raw_key, value in rows:
                found.append((raw_key, keys.decode(raw_key, raw_key), summaries.decode(raw_key, value)))
        found.sort(key=itemgetter(0))
        return [(key, state) for _, key, state in found]

    async def get_columns(self, key: SchemaKey) -> dict[str, ColumnState]:
        raw_key = key.encode()
        prefix = scoped(raw_key)
        rows = self._column_rows
        found = await self._columns.scan(prefix, partition=key_partition(raw_key, self._columns.partitions))
        columns = {raw[len(prefix) :].decode(): rows.decode(raw, value) for raw, value in found}
        return dict(sorted(columns.items()))

    async def column_classes(self, key: SchemaKey) -> dict[str, PiiClassification]:
        """Each column's classification: a RED column's values are never shown in clear."""
        return {path: column.classification for path, column in (await self.get_columns(key)).items()}

    async def trait_classes(self) -> dict[str, PiiClassification]:
        """The classification of each ``traits.`` column of the identify schemas, RED
        where any source's is (a profile's traits merge every source's identify calls)."""
        identify = [key for key, _ in await self.list_schemas() if key.type == EventType.IDENTIFY.value]
        found: dict[str, PiiClassification] = {}
        for classes in [await self.column_classes(key) for key in identify]:  # in turn: see streams.pacing
            for path, classification in classes.items():
                if path.startswith("traits.") and found.get(path) is not PiiClassification.RED:
                    found[path] = classification
        return found

    async def schema_changes(
        self, source: str | None = None, after: bytes | None = None, *, newest_first: bool = False, limit: int
    ) -> list[SchemaChange]:
        # Each partition's index is in order; the first ``limit`` of their merge are
        # among the first ``limit`` (and the cursor's own) of each.
        prefix = change_index_prefix(source)
        if newest_first:
            start = None if after is None else prefix + after
            scans = await self._changes.scan_each(prefix, start, limit=limit + 1, backwards=True)
        else:
            start = None if after is None else prefix + after_key(after)
            scans = await self._changes.scan_each(prefix, start, limit=limit)
        merged = heapq.merge(*scans, key=itemgetter(0), reverse=newest_first)
        # The scan back starts at the cursor's own change.
        kept = (value for key, value in merged if not (newest_first and start is not None and key == start))
        return [SchemaChange.from_dict(orjson.loads(value)) for value in islice(kept, limit)]

    async def count_schema_changes(self, source: str | None = None) -> int:
        return sum(int(count) for count in await self._changes.get_each(change_count_key(source)))


def _summary(raw: bytes) -> SchemaState:
    return SchemaState.from_dict(orjson.loads(raw))


def _column(raw: bytes) -> ColumnState:
    return column_from_dict(orjson.loads(raw))


class TableGraph:
    """The identity graph as the tables hold it (pseudonyms), wherever its one partition
    is served: ``identity-links`` has one partition, so every row is in partition 0."""

    def __init__(self, identities: ClusterTable, members: ClusterTable) -> None:
        self._identities = identities
        self._members = members

    async def profile_of(self, stored: Identifier) -> str | None:
        raw = await self._identities.get(encode_identifier(stored), 0)
        return raw.decode() if raw is not None else None

    async def identities(self, profile_id: str) -> ProfileIdentities | None:
        raw = await self._members.get(profile_id.encode(), 0)
        return None if raw is None else ProfileIdentities.from_dict(orjson.loads(raw))

    async def members(self, stored: Identifier) -> tuple[Identifier, ...]:
        """Every identity of the profile ``stored`` belongs to (itself alone when none)."""
        profile_id = await self.profile_of(stored)
        found = None if profile_id is None else await self.identities(profile_id)
        return (stored,) if found is None else found.members


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
        profiles: ClusterTable,
        timeline: ClusterTable,
        identities: ClusterTable,
        members: ClusterTable,
        names: ClusterTable,
        privacy: Privacy,
        column_classes: Callable[[SchemaKey], Awaitable[dict[str, PiiClassification]]],
        trait_classes: Callable[[], Awaitable[dict[str, PiiClassification]]] | None = None,
    ) -> None:
        self._profiles = profiles
        self._timeline = timeline
        self._graph = TableGraph(identities, members)
        self._names = names
        self._privacy = privacy
        self._pseudonyms = privacy.pseudonyms
        self._column_classes = column_classes
        self._trait_classes = trait_classes
        self._classes: Recent[SchemaKey, dict[str, PiiClassification]] = Recent(CLASSES_EVERY, CLASSES_KEPT)
        self._traits: Recent[None, dict[str, PiiClassification]] = Recent(CLASSES_EVERY, 1)

    @classmethod
    def of(cls, tracklog: Tracklog, schemas: TableSchemaReader, reads: Reads) -> TableProfileReader:
        return cls(
            ClusterTable.of(reads, tracklog.profiles),
            ClusterTable.of(reads, tracklog.timeline),
            ClusterTable.of(reads, tracklog.identities),
            ClusterTable.of(reads, tracklog.profile_members),
            ClusterTable.of(reads, tracklog.identity_names),
            Privacy(tracklog.pseudonyms, tracklog.keys),
            schemas.column_classes,
            schemas.trait_classes,
        )

    async def profile_of(self, identifier: Identifier) -> str | None:
        return await self._graph.profile_of(self._pseudonyms.of(identifier))

    async def identities(self, profile_id: str) -> ProfileIdentities | None:
        found = await self._graph.identities(profile_id)
        return None if found is None else found.named(await self._named(found.members))

    async def _named(self, members: Iterable[Identifier]) -> dict[Identifier, Identifier]:
        """Each member's identifier in clear, where its sealed name still opens."""
        members = list(members)
        names = [await self._names.get(encode_identifier(member), 0) for member in members]  # in turn: see streams.pacing
        named: dict[Identifier, Identifier] = {}
        for member, raw in zip(members, names):
            opened = None if raw is None else self._privacy.open(raw)
            if opened is not None:
                named[member] = Identifier(member.kind, opened[0].decode())
        return named

    def _partition(self, stored: Identifier) -> int:
        """The partition of the events keyed by ``stored`` (a pseudonym), so of its rows."""
        return key_partition(stored.value.encode(), self._profiles.partitions)

    async def profile_state(self, identifier: Identifier) -> ProfileState | None:
        stored = self._pseudonyms.of(identifier)
        raw = await self._profiles.get(encode_identifier(stored), self._partition(stored))
        opened = None if raw is None else self._privacy.open_row(orjson.loads(raw))
        if opened is None:
            return None
        state = ProfileState.from_dict(orjson.loads(opened[0]))
        return _redacted_traits(state, await self._trait_classes_now()) if state.traits else state

    async def _trait_classes_now(self) -> dict[str, PiiClassification]:
        read = self._trait_classes
        return {} if read is None else await self._traits.get(None, lambda _: read())

    async def timeline(
        self, identifier: Identifier, start: bytes, limit: int
    ) -> tuple[list[tuple[bytes, TimelineEntry]], bool]:
        # One identifier's entries live in one partition. Keys are shown under the id
        # the caller named (cursors hold only their suffix).
        shown = timeline_prefix(identifier)
        stored = self._pseudonyms.of(identifier)
        prefix = timeline_prefix(stored)
        rows = await self._timeline.scan(
            prefix, prefix + start[len(shown) :], partition=self._partition(stored), limit=limit
        )
        found = []
        for key, value in rows:
            opened = self._privacy.open(value)
            if opened is None:
                continue  # forgotten
            entry = TimelineEntry.from_bytes(opened[0])
            schema = SchemaKey(entry.source, entry.type.value, entry.event if entry.type is EventType.TRACK else None)
            known = await self._classes.get(schema, self._column_classes)
            sections = {"properties": entry.properties, "traits": entry.traits, "context": entry.context}
            red = red_paths_in(sections, known)
            found.append((shown + key[len(prefix) :], _redacted(entry, sections, red) if red else entry))
        return found, len(rows) == limit


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
