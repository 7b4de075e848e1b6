"""The query store's fold steps over key/value tables: shared by the agents and rebuild.

``EventFold`` runs in the ``events`` partition of the event's primary identifier: it
dedupes by messageId, appends the event to that identifier's timeline (one put, never
a rewrite) and folds its profile row; it returns the identity links the event states,
less those it returned lately (see ``EventFold.fold``).
``LinkFold`` runs on the single ``identity-links`` partition, so merges are serialised.
"""

from __future__ import annotations

from collections.abc import MutableMapping
from dataclasses import dataclass, field

import orjson

from query.domain import (
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
from streams.rows import Rows

Table = MutableMapping[bytes, bytes]


def encode_link(link: Link, cause: LinkCause) -> bytes:
    return orjson.dumps({"l": link.to_dict(), "c": cause.to_dict()})


def decode_link(value: bytes) -> tuple[Link, LinkCause]:
    """The link in ``value``; raises ValueError (or a DomainError) when malformed."""
    try:
        record = orjson.loads(value)
    except orjson.JSONDecodeError as exc:
        raise ValueError(f"link is not JSON: {exc}") from None
    if not isinstance(record, dict):
        raise ValueError("link is not an object")
    return Link.from_dict(record.get("l")), LinkCause.from_dict(record.get("c"))


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
        self._linked: set[Link] = set()

    def write_back(self) -> None:
        self._profiles.write_back()
        if len(self._linked) > self.keep:
            self._linked.clear()

    def fold(self, identity_key: bytes, event: Event) -> list[bytes]:
        """Fold one event; return its identity links, encoded (none if already seen).

        A link this fold returned before (up to ``keep`` of them, kept across steps) is
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
                TimelineEntry.of(event).to_bytes()
            )
            row = encode_identifier(primary)
            self._profiles.put(row, apply_event(self._profiles.get(row), event))
        self.dedupe[seen] = str(event.received_at_ms).encode()
        links = [link for link in links_of(event) if link not in self._linked]
        if not links:
            return []
        self._linked.update(links)
        cause = LinkCause.of(event)
        return [encode_link(link, cause) for link in links]


@dataclass
class LinkFold:
    identities: Table
    members: Table
    guards: IdentityGuards = field(default_factory=IdentityGuards)

    def view(self) -> GraphTables:
        return GraphTables(self.identities, self.members)

    def fold(self, value: bytes) -> LinkResult:
        link, cause = decode_link(value)
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
