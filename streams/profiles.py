"""The query store's fold steps over key/value tables: shared by the agents and rebuild.

``EventFold`` runs in the ``events`` partition of the event's primary identifier: it
dedupes by messageId, appends the event to that identifier's timeline (one put, never
a rewrite) and folds its profile row; it returns the identity links the event states,
less those it returned lately (see ``EventFold.fold``).
``LinkFold`` runs on the single ``identity-links`` partition, so merges are serialised.

A record on ``identity-links`` holds the links one ``route-events`` step stated, in
order (``link_records``), so ``fold-identities`` consumes a record per step rather than
one per link::

    {"links": [{"l": {"a": identifier, "b": identifier}, "c": cause}, ...]}

A record of one link alone (``{"l": ..., "c": ...}``) is what nodes sent before they
batched links (older logs); it still folds.
"""

from __future__ import annotations

from collections.abc import MutableMapping
from dataclasses import dataclass, field

import orjson

from query.domain import (
    DomainError,
    Identifier,
    IdentityGuards,
    Link,
    LinkCause,
    LinkResult,
    ProfileIdentities,
    ProfileState,
    TimelineEntry,
    apply_event,
    apply_link,
    encode_identifier,
    links_of,
    primary_identifier,
    timeline_key,
)
from schemas import Event
from streams.keys import dedupe_key
from streams.records import RECORD_BYTES, split_records
from streams.rows import Rows, drop_oldest

Table = MutableMapping[bytes, bytes]


StatedLink = tuple[Link, LinkCause]

_ABSENT = object()


def encode_links(links: list[StatedLink]) -> bytes:
    return orjson.dumps({"links": [{"l": link.to_dict(), "c": cause.to_dict()} for link, cause in links]})


def link_records(links: list[StatedLink], limit: int = RECORD_BYTES) -> list[bytes]:
    """``links`` encoded as one record, or in order as several of at most ``limit`` bytes
    each (one link alone may be larger). No links, no records."""
    return split_records(links, encode_links, limit)


def decode_links(value: bytes) -> list[object]:
    """The undecoded entries (``{"l", "c"}``) of a record; ValueError if it is not a record."""
    try:
        record = orjson.loads(value)
    except orjson.JSONDecodeError as exc:
        raise ValueError(f"links: not JSON: {exc}") from None
    if isinstance(record, dict):
        links = record.get("links")
        if isinstance(links, list):
            return links
        if "l" in record:
            return [record]  # one link alone, from an older node
    raise ValueError("links: expected an object with a `links` array")


def decode_link(entry: object) -> StatedLink:
    """One entry of a record; raises ValueError or a DomainError naming what is wrong."""
    if not isinstance(entry, dict):
        raise ValueError("expected an object with `l` and `c`")
    return Link.from_dict(entry.get("l")), LinkCause.from_dict(entry.get("c"))


@dataclass
class EventFold:
    """Folds events into three tables; profiles are kept decoded between events, so
    call ``write_back`` after a step of folds, before the tables are read or flushed."""

    dedupe: Table
    profiles: Table
    timeline: Table
    keep: int = 0  # rows kept decoded between steps (see streams.rows)

    def __post_init__(self) -> None:
        self._profiles: Rows[ProfileState] = Rows(
            self.profiles, ProfileState.from_dict, ProfileState.to_dict, keep=self.keep
        )
        # The links returned lately, least recently stated first (a dict as an LRU).
        self._linked: dict[Link, None] = {}

    def write_back(self) -> None:
        self._profiles.write_back()
        # The least recently stated go: forgetting them all at once made every user's
        # link go out again (at a million events, fold-identities cost 4x as much an
        # event as at 100,000).
        drop_oldest(self._linked, self.keep)

    def fold(self, identity_key: bytes, event: Event) -> list[StatedLink]:
        """Fold one event; return the identity links it states (none if already seen).

        A link this fold stated lately (the ``keep`` stated last, kept across steps) is
        not returned again: every event of an identified user states the same link
        from its anonymousId, and a link applied or refused once is applied or
        refused for good (profiles only grow), so the graph needs it once.
        """
        seen = dedupe_key(b"events\x00" + identity_key, event.message_id)
        if self.dedupe.get(seen) is not None:
            return []
        primary = primary_identifier(event)
        if primary is not None:
            self.timeline[timeline_key(primary, event.timestamp_ms, event.message_id)] = (
                TimelineEntry.bytes_of(event)
            )
            row = encode_identifier(primary)
            self._profiles.put(row, apply_event(self._profiles.get(row), event))
        self.dedupe[seen] = str(event.received_at_ms).encode()
        linked = self._linked
        links: list[Link] = []
        for link in links_of(event):
            if linked.pop(link, _ABSENT) is _ABSENT:
                links.append(link)
            linked[link] = None  # now the most recently stated
        if not links:
            return []
        cause = LinkCause.of(event)
        return [(link, cause) for link in links]


@dataclass
class LinksFolded:
    """What folding one record did: each applied link's result, in order, and the
    entries set aside, by index (each with its reason)."""

    results: list[LinkResult]
    failures: list[tuple[int, str]]

    @property
    def links(self) -> int:
        return len(self.results) + len(self.failures)


@dataclass
class LinkFold:
    identities: Table
    members: Table
    guards: IdentityGuards = field(default_factory=IdentityGuards)

    def view(self) -> GraphTables:
        return GraphTables(self.identities, self.members)

    def fold(self, value: bytes) -> LinksFolded:
        """Fold a record's links in order. An entry that cannot be read or applied is set
        aside (in ``failures``; it wrote nothing) and the rest still fold; ValueError if
        ``value`` is no record at all."""
        folded = LinksFolded([], [])
        for i, entry in enumerate(decode_links(value)):
            try:
                folded.results.append(self.apply(*decode_link(entry)))
            except (ValueError, DomainError) as exc:
                folded.failures.append((i, str(exc)))
        return folded

    def apply(self, link: Link, cause: LinkCause) -> LinkResult:
        """Apply one link and write the rows it changes (none if it raises)."""
        result = apply_link(self.view(), link, cause, self.guards)
        for identifier, profile_id in result.assignments.items():
            self.identities[encode_identifier(identifier)] = profile_id.encode()
        for profile_id, identities in result.profiles.items():
            self.members[profile_id.encode()] = orjson.dumps(identities.to_dict())
        for profile_id in result.removed:
            del self.members[profile_id.encode()]
        return result


@dataclass
class GraphTables:
    """The identity graph (a ``query.domain.GraphView``) over two key/value tables."""

    _identities: Table
    _members: Table

    def profile_of(self, identifier: Identifier) -> str | None:
        raw = self._identities.get(encode_identifier(identifier))
        return raw.decode() if raw is not None else None

    def identities(self, profile_id: str) -> ProfileIdentities | None:
        raw = self._members.get(profile_id.encode())
        return ProfileIdentities.from_dict(orjson.loads(raw)) if raw is not None else None
